#!/usr/bin/env node
// One fake CRM in a process of its own, with a set latency, plus a control port for the benchmark:
//   GET /stats → {requests, tasks, signIns, signInsInFlight, maxSignInsInFlight}
//   GET /sign-ins?since=<Date.now() ms> → {signIns: [[start, end], …], firstReads: [[start, end], …]}
//     (end is null while the answer is still being sent; times are Date.now(), the same clock as the caller's)
//   POST /hang?on=1|0   POST /delay?ms=N   POST /fail-writes?status=503 (none: writes work)
// Usage: node fake-process.js salesforce|hubspot|sugar <latencyMs> [signInMs]
// Sign-ins are Salesforce's and Sugar's token requests (HubSpot's private-app token needs none); first
// reads are what a tenant asks once when it starts (Salesforce's describes, HubSpot's account details and
// property definitions). `signInMs` (default 0) delays each sign-in's answer, as a real login takes time.
'use strict';
const http = require('node:http');

const [kind, latency, signInLatency = '0'] = process.argv.slice(2);
const SIGN_IN_MS = Number(signInLatency);
const FAKES = {
  salesforce: () => new (require('../../dist-fakes/salesforce/fake-salesforce.js').FakeSalesforce)(),
  hubspot: () => {
    const fake = new (require('../../dist-fakes/hubspot/fake-hubspot.js').FakeHubSpot)();
    fake.searchesPerSecond = 1_000_000; // the benchmark measures the gateway, not HubSpot's quota
    return fake;
  },
  sugar: () => {
    const fake = new (require('../../dist-fakes/sugar/fake-sugar.js').FakeSugar)();
    // Sugar keeps one session per user and platform, so tenants sharing this one fake would end each
    // other's sessions, which tenants on Sugar instances of their own never do. Platforms `bench_<n>`
    // are registered, so each benchmark tenant can have its own (`SUGAR_PLATFORM=bench_<n>`).
    fake.registeredPlatforms = BenchPlatforms.from(fake.registeredPlatforms);
    return fake;
  },
};

class BenchPlatforms extends Array {
  includes(platform) {
    return super.includes(platform) || /^bench_\d+$/.test(platform);
  }
}

const SIGN_IN = { salesforce: /^\/services\/oauth2\/token$/, sugar: /^\/rest\/v[\d_]+\/oauth2\/token$/ }[kind];
const FIRST_READ = { salesforce: /^\/services\/data\/v[\d.]+\/sobjects\/\w+\/describe$/, hubspot: /^\/(account-info\/v3\/details|crm\/v3\/properties\/)/ }[kind];

/** [start, end] of each sign-in and first read, in order of arrival. */
const timings = { signIns: [], firstReads: [] };
let signInsInFlight = 0;
let maxSignInsInFlight = 0;

/**
 * Wraps the fake's request handler (an own property shadows the class's method, which its server calls)
 * to time the requests above and delay sign-ins. The fake reads the body itself, later: a request's
 * stream stays paused until then.
 */
function timed(fake) {
  const handle = fake.handle.bind(fake);
  fake.handle = async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const signIn = req.method === 'POST' && SIGN_IN?.test(path);
    const list = signIn ? timings.signIns : FIRST_READ?.test(path) ? timings.firstReads : undefined;
    if (list === undefined) return handle(req, res);
    const timing = [Date.now(), null];
    list.push(timing);
    if (signIn) {
      signInsInFlight++;
      maxSignInsInFlight = Math.max(maxSignInsInFlight, signInsInFlight);
    }
    // 'close' follows the end of the answer, or a connection the client dropped.
    res.once('close', () => {
      timing[1] = Date.now();
      if (signIn) signInsInFlight--;
    });
    if (signIn && SIGN_IN_MS > 0) await new Promise((resolve) => setTimeout(resolve, SIGN_IN_MS));
    return handle(req, res);
  };
}

async function main() {
  const fake = FAKES[kind]();
  fake.delayMs = Number(latency);
  timed(fake);
  await fake.start();
  const control = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://control');
    if (url.pathname === '/sign-ins') {
      const since = Number(url.searchParams.get('since') ?? 0);
      const after = (list) => list.filter(([start]) => start >= since);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ signIns: after(timings.signIns), firstReads: after(timings.firstReads) }));
      return;
    }
    if (url.pathname === '/hang') fake.hang = url.searchParams.get('on') === '1';
    if (url.pathname === '/delay') fake.delayMs = Number(url.searchParams.get('ms'));
    if (url.pathname === '/fail-writes') fake.failWrites = url.searchParams.get('status') ? { status: Number(url.searchParams.get('status')) } : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        requests: fake.requests.length,
        tasks: kind === 'salesforce' ? fake.org.Task.length : undefined,
        signIns: timings.signIns.length,
        signInsInFlight,
        maxSignInsInFlight,
      }),
    );
  });
  await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
  const extra = kind === 'hubspot' ? { token: fake.token } : kind === 'sugar' ? { username: fake.username, password: fake.password } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, control: `http://127.0.0.1:${control.address().port}`, ...extra })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
