#!/usr/bin/env node
// One fake CRM in a process of its own, with a set latency, plus a control port for the benchmark:
//   GET /stats → {requests, tasks}   POST /hang?on=1|0   POST /delay?ms=N   POST /fail-writes?status=503 (none: writes work)
// Usage: node fake-process.js salesforce|hubspot|sugar <latencyMs>
'use strict';
const http = require('node:http');

const [kind, latency] = process.argv.slice(2);
const FAKES = {
  salesforce: () => new (require('../../dist-fakes/salesforce/fake-salesforce.js').FakeSalesforce)(),
  hubspot: () => {
    const fake = new (require('../../dist-fakes/hubspot/fake-hubspot.js').FakeHubSpot)();
    fake.searchesPerSecond = 1_000_000; // the benchmark measures the gateway, not HubSpot's quota
    return fake;
  },
  sugar: () => new (require('../../dist-fakes/sugar/fake-sugar.js').FakeSugar)(),
};

async function main() {
  const fake = FAKES[kind]();
  fake.delayMs = Number(latency);
  await fake.start();
  const control = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://control');
    if (url.pathname === '/hang') fake.hang = url.searchParams.get('on') === '1';
    if (url.pathname === '/delay') fake.delayMs = Number(url.searchParams.get('ms'));
    if (url.pathname === '/fail-writes') fake.failWrites = url.searchParams.get('status') ? { status: Number(url.searchParams.get('status')) } : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ requests: fake.requests.length, tasks: kind === 'salesforce' ? fake.org.Task.length : undefined }));
  });
  await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
  const extra = kind === 'hubspot' ? { token: fake.token } : kind === 'sugar' ? { username: fake.username, password: fake.password } : {};
  process.stdout.write(`${JSON.stringify({ url: fake.url, control: `http://127.0.0.1:${control.address().port}`, ...extra })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
