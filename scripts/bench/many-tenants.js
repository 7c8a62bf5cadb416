#!/usr/bin/env node
// The benchmark's "many tenants" section (issue 19): one gateway process per size (a baseline of 1
// tenant, then 1,000 and 10,000), each started fresh on a tenants folder generated into a temporary
// folder, every tenant with Salesforce, HubSpot and Sugar pointing at the same three fake CRM processes
// (started fresh for this section, so their counts start at 0). Per size: time to ready, RSS at ready and
// after lookups on 1,000 different tenants, lookups sent from the moment of ready (one every 100 ms for
// 10 s, each on another tenant), the sign-ins the fakes received, and the time to apply one changed file.
// A start that fails (the process dies, or is not ready in time) is recorded as `{ failed }` for its size.
//
// Used by scripts/bench.js (`manyTenantsLoad`, `rows`); alone: `node scripts/bench.js --only many-tenants`,
// or `node scripts/bench/many-tenants.js [sizes…] [--warm <s>]` (e.g. `1000`, or `10000 --warm 900` to
// also follow every tenant's warm-up to its end) for JSON and the rows. Needs dist/ and dist-fakes/
// (`npm run build && npx tsc -p tsconfig.fakes.json`).
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.join(__dirname, '..', '..');

const DEFAULTS = {
  sizes: [1_000, 10_000],
  /** The fakes' latency per API request, as in the rest of the benchmark. */
  latenciesMs: { salesforce: 80, hubspot: 120, sugar: 60 },
  /**
   * How long a sign-in (Salesforce's and Sugar's token requests) takes. The other sections' fakes answer
   * them at once; a real login takes a few hundred ms, and without that time "in flight" says nothing.
   */
  signInMs: 200,
  deadlineMs: 1500,
  /** The V8 limits `npm start` uses. */
  v8Limits: ['--max-old-space-size=256', '--max-semi-space-size=8'],
  /** A gateway not ready by then counts as a failed start. */
  readyWithinMs: 60_000,
  pollMs: 50,
  /** Lookups from the moment of ready: one every `everyMs` for `windowMs`, each on another tenant. */
  windowMs: 10_000,
  everyMs: 100,
  /** Then one lookup on each of this many different tenants, this many at a time, before the second RSS. */
  spreadLookups: 1_000,
  spreadConcurrency: 20,
  /** The gateway's default (production's), so the start's log lines (one per tenant) are part of it. */
  logLevel: 'info',
  /**
   * After the reload, wait this long at most for every tenant's warm-up (sign-in and first reads, 10 at
   * a time in the background) to be done, sampling RSS and heap every 10 s; 0: not waited for (minutes
   * for 10,000 tenants, so not in the benchmark's run).
   */
  warmWithinMs: 0,
};

/** The issue's targets (for 10,000 tenants; shown beside every size). */
const TARGETS = { readyS: 10, rssMb: 500, kbPerIdleTenant: 40, signInsInFlight: 10, reloadS: 1 };

const METRICS_TOKEN = 'bench-metrics-token-0123456789';
/** Any valid Swiss number; the reload check asks it (the fakes know it). */
const KNOWN_NUMBER = '41789072228';
/** Co-prime with 1,000 and 10,000: `(k × STRIDE) mod n` visits n different tenants, spread over the folder. */
const STRIDE = 7919;

/** A start that did not get the gateway going, or a gateway that died while measured. */
class GatewayFailure extends Error {}

async function manyTenantsLoad(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const processes = [];
  try {
    const fakes = {};
    for (const [kind, latency] of Object.entries(o.latenciesMs)) fakes[kind] = await startFake(kind, latency, o.signInMs, processes);
    const baseline = await measureSize(1, fakes, o, processes);
    const sizes = {};
    for (const n of o.sizes) {
      const result = await measureSize(n, fakes, o, processes);
      if (!result.failed && !baseline.failed) {
        // What an idle tenant adds: RSS at ready over the one-tenant gateway's, per tenant.
        result.kbPerIdleTenant = Math.round(((result.rssMb.atReady - baseline.rssMb.atReady) * 1024) / n);
      }
      sizes[n] = result;
    }
    return { latenciesMs: o.latenciesMs, signInMs: o.signInMs, deadlineMs: o.deadlineMs, logLevel: o.logLevel, targets: TARGETS, baseline, sizes };
  } finally {
    for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** One gateway on `n` generated tenants, measured from its spawn to its reload; always killed, its folder removed. */
async function measureSize(n, fakes, o, processes) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `bench-many-${n}-`));
  const result = { tenants: n };
  let gateway;
  try {
    const written = Date.now();
    const tenants = writeTenantFiles(root, n, fakes);
    result.writeFilesMs = Date.now() - written;
    gateway = await spawnGateway(root, o, processes);
    const readyAt = await untilReady(gateway, o);
    // "Gateway listening" is noted in `finally`: with many tenants it is read after ready (the start's
    // log lines wait in the gateway's buffer until its event loop is free).
    result.start = { readyS: seconds(readyAt - gateway.spawnedAt), logLinesReadAtReady: gateway.lines };
    result.rssMb = { atReady: memory(gateway.pid).rssMb };
    const numbers = distinctNumbers();
    const agent = new http.Agent({ keepAlive: true });
    try {
      // 1. From the moment of ready: one lookup every 100 ms, each on another tenant, not waiting for answers.
      const paced = [];
      for (let k = 0; k < o.windowMs / o.everyMs; k++) {
        await sleep(readyAt + k * o.everyMs - Date.now());
        paced.push(lookup(gateway.url, tenants[(k * STRIDE) % n].token, numbers(), agent));
      }
      result.fromReady = figures(await Promise.all(paced), o.deadlineMs);
      alive(gateway, 'during the lookups from ready');
      result.rssMb.afterPacedLookups = memory(gateway.pid).rssMb;
      // From the inside, after each step (the RSS first: these answers are large): heap, event loop.
      result.inside = { untilPacedEnd: await insideFigures(gateway.url) };

      // 2. One lookup on each of 1,000 different tenants (all of them for smaller sizes), 20 at a time.
      const spreadStart = Date.now();
      let next = 0;
      const spread = [];
      const worker = async () => {
        while (next < o.spreadLookups) {
          const k = next++;
          spread.push(await lookup(gateway.url, tenants[(k * STRIDE + 1) % n].token, numbers(), agent));
        }
      };
      await Promise.all(Array.from({ length: o.spreadConcurrency }, worker));
      const spreadEnd = Date.now();
      alive(gateway, 'during the lookups on 1,000 tenants');
      const after = memory(gateway.pid);
      result.rssMb.afterSpreadLookups = after.rssMb;
      result.rssMb.peak = after.peakMb;
      result.spread = {
        ...figures(spread, o.deadlineMs),
        tenants: new Set(Array.from({ length: o.spreadLookups }, (_, k) => (k * STRIDE + 1) % n)).size,
        concurrency: o.spreadConcurrency,
        seconds: seconds(spreadEnd - spreadStart),
      };

      result.inside.duringSpread = await insideFigures(gateway.url);

      // 3. What the fakes received: sign-ins in the first 10 s after spawn and after ready, and at most at once.
      result.signIns = await signInFigures(fakes, { spawn: gateway.spawnedAt, ready: readyAt, spread: [spreadStart, spreadEnd] }, o.windowMs);
      result.warmUps = await warmUpStates(gateway.url, readyAt);

      // 4. One changed tenant file: its new token answers 200 how long after the write?
      // A tenant looked up above (signed in): its lookup after the reload measures the reload, not a first sign-in.
      result.reload = await reloadTime(tenants, 1 % n, gateway, agent);
      alive(gateway, 'during the reload');
      result.inside.duringReload = await insideFigures(gateway.url);

      // 5. Optionally: until every tenant is warmed up (RSS and heap on the way), and a reload then,
      // without the warm-ups' traffic.
      if (o.warmWithinMs > 0) {
        result.untilWarm = await untilWarm(gateway, readyAt, o.warmWithinMs);
        if (!result.untilWarm.failed) result.reloadWhenWarm = await reloadTime(tenants, Math.floor(n / 3), gateway, agent);
      }
    } finally {
      agent.destroy();
    }
  } catch (error) {
    result.failed = await failure(error, gateway);
  } finally {
    if (gateway) {
      if (gateway.listeningAt !== undefined && result.start) result.start.listeningLineS = seconds(gateway.listeningAt - gateway.spawnedAt);
      result.warnings = gateway.warnings;
      await stop(gateway.child);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/** `<root>/tenants/many-<i>.env`, each with its own token and Sugar platform; returns the tenants (file, token, content). */
function writeTenantFiles(root, n, fakes) {
  const dir = path.join(root, 'tenants');
  fs.mkdirSync(dir);
  const crm = [
    `SALESFORCE_LOGIN_URL=${fakes.salesforce.url}`,
    'SALESFORCE_CLIENT_ID=fake-client-id',
    'SALESFORCE_CLIENT_SECRET=fake-client-secret',
    `HUBSPOT_ACCESS_TOKEN=${fakes.hubspot.token}`,
    `HUBSPOT_BASE_URL=${fakes.hubspot.url}`,
    'HUBSPOT_PORTAL_ID=1',
    'HUBSPOT_APP_URL=https://app.hubspot.com',
    'HUBSPOT_SEARCH_RPS=1000000',
    `SUGAR_URL=${fakes.sugar.url}`,
    `SUGAR_USERNAME=${fakes.sugar.username}`,
    `SUGAR_PASSWORD=${fakes.sugar.password}`,
  ].join('\n');
  const tenants = [];
  for (let i = 0; i < n; i++) {
    const tenant = { file: path.join(dir, `many-${i}.env`), token: `many-${i}-${randomBytes(9).toString('base64url')}` };
    // Each tenant its own Sugar session (see fake-process.js): tenants on real Sugars never share one.
    tenant.content = (token) => `TOKEN=${token}\n${crm}\nSUGAR_PLATFORM=bench_${i}\n`;
    fs.writeFileSync(tenant.file, tenant.content(tenant.token));
    tenants.push(tenant);
  }
  return tenants;
}

/** Started as `npm start` starts it, in `root` (its `data/` goes there), on `root/tenants`. */
async function spawnGateway(root, o, processes) {
  const port = await freePort();
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...o.v8Limits, path.join(ROOT, 'dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TENANTS_DIR: path.join(root, 'tenants'),
      LOG_LEVEL: o.logLevel,
      LOOKUP_TIMEOUT_MS: String(o.deadlineMs),
      METRICS_TOKEN,
      PUBLIC_URL: 'https://gateway.example.ch',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  const gateway = { child, pid: child.pid, url: `http://127.0.0.1:${port}`, spawnedAt, listeningAt: undefined, lines: 0, warnings: { count: 0, first: [] }, stderr: [] };
  // 'close' comes after the last of its output, so the reason it printed has been read.
  child.once('close', (code, signal) => (gateway.exit = signal ?? `code ${code}`));
  // The log must be read as it comes (a full pipe would stop the gateway); only a few facts are kept.
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    gateway.lines++;
    if (gateway.listeningAt === undefined && line.includes('Gateway listening')) gateway.listeningAt = Date.now();
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (Number(level) >= 40) {
      gateway.warnings.count++;
      if (gateway.warnings.first.length < 3) gateway.warnings.first.push(line.slice(0, 400));
    }
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    gateway.stderr.push(line);
    if (gateway.stderr.length > 50) gateway.stderr.shift();
  });
  return gateway;
}

/** When `/health/ready` first answered 200 (asked every 50 ms from the spawn). */
async function untilReady(gateway, o) {
  for (;;) {
    if (gateway.exit !== undefined) throw new GatewayFailure(`exited (${gateway.exit}) before ready: ${lastWords(gateway)}`);
    if (Date.now() - gateway.spawnedAt > o.readyWithinMs) throw new GatewayFailure(`not ready within ${o.readyWithinMs / 1000} s: ${lastWords(gateway)}`);
    const { status } = await get(`${gateway.url}/health/ready`, {}, false, 5_000);
    if (status === 200) return Date.now();
    await sleep(o.pollMs);
  }
}

/**
 * Why this size failed: a GatewayFailure's reason, or a gateway that died under another step (its /proc
 * entry gone, say) with its last words. Anything else is the benchmark's own bug, and is thrown.
 */
async function failure(error, gateway) {
  if (error instanceof GatewayFailure) return error.message;
  for (let i = 0; gateway && gateway.exit === undefined && i < 20; i++) await sleep(50);
  if (gateway?.exit !== undefined) return `exited (${gateway.exit}): ${lastWords(gateway)}`;
  throw error;
}

function alive(gateway, when) {
  if (gateway.exit !== undefined) throw new GatewayFailure(`exited (${gateway.exit}) ${when}: ${lastWords(gateway)}`);
}

/** The line of stderr that says why: V8's fatal error rather than the native stack that follows it. */
function lastWords(gateway) {
  const lines = gateway.stderr.map((line) => line.trim()).filter((line) => line !== '' && !/^\d+: 0x/.test(line));
  return lines.findLast((line) => /FATAL ERROR|out of memory/i.test(line)) ?? lines.at(-1) ?? '(nothing on stderr)';
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A fake CRM process of this section's own (see fake-process.js); resolves with its addresses. */
function startFake(kind, latency, signInMs, processes) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fake-process.js'), kind, String(latency), String(signInMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  processes.push(child);
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`fake ${kind} exited with ${code}`)));
  });
}

/**
 * From the fakes' timings: sign-ins (Salesforce and Sugar token requests) started in the first window
 * after the spawn and after ready, HubSpot's and Salesforce's first reads after ready, and the most
 * sign-ins in flight at once, all CRMs together (the gateway's warm-up queue is one for all), overall
 * and while the 1,000 lookups ran.
 */
async function signInFigures(fakes, at, windowMs) {
  const timings = {};
  for (const [kind, fake] of Object.entries(fakes)) timings[kind] = await fetch(`${fake.control}/sign-ins?since=${at.spawn}`).then((r) => r.json());
  const within = (list, from) => list.filter(([start]) => start >= from && start < from + windowMs).length;
  const count = (from) => {
    const byCrm = { salesforce: within(timings.salesforce.signIns, from), sugar: within(timings.sugar.signIns, from) };
    return { total: byCrm.salesforce + byCrm.sugar, ...byCrm };
  };
  const all = [...timings.salesforce.signIns, ...timings.sugar.signIns];
  return {
    firstWindowAfterSpawn: count(at.spawn),
    firstWindowAfterReady: count(at.ready),
    maxInFlight: {
      overall: maxInFlight(all),
      firstWindowAfterSpawn: maxInFlight(all, [at.spawn, at.spawn + windowMs]),
      firstWindowAfterReady: maxInFlight(all, [at.ready, at.ready + windowMs]),
      duringSpread: maxInFlight(all, at.spread),
    },
    /** Since the spawn, until after the lookups on 1,000 tenants. */
    total: { salesforce: timings.salesforce.signIns.length, sugar: timings.sugar.signIns.length },
    firstReadsInFirstWindowAfterReady: { salesforce: within(timings.salesforce.firstReads, at.ready), hubspot: within(timings.hubspot.firstReads, at.ready) },
  };
}

/** The most [start, end] intervals open at one time (an end still null: open until now), within `[from, to]` if given. */
function maxInFlight(intervals, [from, to] = [-Infinity, Infinity]) {
  const events = [];
  for (const [start, end] of intervals) {
    const s = Math.max(start, from);
    const e = Math.min(end ?? Infinity, to);
    if (s > e) continue;
    events.push([s, 1], [e, -1]);
  }
  // Ends before starts at the same millisecond: one answered as the next one starts is not two at once.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (open += delta));
  return most;
}

/** Per source, how many tenants' warm-ups (sign-in and first reads) are done, queued or failed, and when that was. */
async function warmUpStates(url, readyAt) {
  const { status, body } = await get(`${url}/health/ready`, { Authorization: `Bearer ${METRICS_TOKEN}` }, false, 30_000);
  if (status !== 200) return { failed: `/health/ready answered ${status}` };
  const states = { atSAfterReady: seconds(Date.now() - readyAt), starting: 0 };
  const reasons = new Set();
  for (const tenant of Object.values(JSON.parse(body).tenants ?? {})) {
    for (const [source, details] of Object.entries(tenant.sources)) {
      const state = details.warmUp?.state ?? 'none';
      states[source] ??= {};
      states[source][state] = (states[source][state] ?? 0) + 1;
      if (state === 'starting') states.starting++;
      if (details.warmUp?.reason && reasons.size < 3) reasons.add(`${source}: ${details.warmUp.reason}`);
    }
  }
  return { ...states, ...(reasons.size > 0 ? { reasons: [...reasons] } : {}) };
}

/**
 * From `/metrics`: heap used and total, the event loop's delay (p99 and max since the previous scrape:
 * prom-client resets its histogram at each one; the first covers the start), and how large and slow
 * that answer is with this many tenants (its series are per tenant and source).
 */
async function insideFigures(url) {
  const started = Date.now();
  const { status, body } = await get(`${url}/metrics`, { Authorization: `Bearer ${METRICS_TOKEN}` }, false, 30_000);
  if (status !== 200) return { failed: `/metrics answered ${status}` };
  const value = (name) => Number(new RegExp(`^gateway_${name} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
  return {
    heapUsedMb: Math.round(value('nodejs_heap_size_used_bytes') / 1048576),
    heapTotalMb: Math.round(value('nodejs_heap_size_total_bytes') / 1048576),
    eventLoopDelayP99Ms: Math.round(value('nodejs_eventloop_lag_p99_seconds') * 1000),
    eventLoopDelayMaxMs: Math.round(value('nodejs_eventloop_lag_max_seconds') * 1000),
    metricsKb: Math.round(Buffer.byteLength(body) / 1024),
    metricsMs: Date.now() - started,
  };
}

/** Every 10 s until no warm-up is left (or `withinMs` passed, or the gateway died): warm-ups, RSS, heap. */
async function untilWarm(gateway, readyAt, withinMs) {
  const started = Date.now();
  const samples = [];
  for (;;) {
    if (gateway.exit !== undefined) return { failed: `exited (${gateway.exit}): ${lastWords(gateway)}`, samples };
    try {
      const states = await warmUpStates(gateway.url, readyAt);
      const { rssMb, peakMb } = memory(gateway.pid);
      const { heapUsedMb } = await insideFigures(gateway.url);
      samples.push({ atSAfterReady: states.atSAfterReady, starting: states.starting, rssMb, heapUsedMb });
      if (states.starting === 0) return { seconds: seconds(Date.now() - started), rssMb, heapUsedMb, peakRssMb: peakMb, samples };
    } catch {
      // The gateway is dying (its answers or /proc entry gone): the next turn says why.
      await sleep(200);
      continue;
    }
    if (Date.now() - started > withinMs) return { failed: `warm-ups left after ${withinMs / 1000} s`, samples };
    await sleep(10_000);
  }
}

/**
 * Rewrites one tenant's file with a new TOKEN and asks a lookup with it every 10 ms until one answers
 * 200 (401 before, or 429 once the failed attempts of this address pass the gateway's limit). `seconds`
 * is from the write to that 200; the file was applied by the time that lookup was sent (`appliedByS`),
 * and the rest is the lookup itself (`lookupMs`: the reloaded tenant's sources sign in anew).
 */
async function reloadTime(tenants, index, gateway, agent) {
  const tenant = tenants[index];
  const token = `${tenant.token}-v2`;
  const written = Date.now();
  fs.writeFileSync(tenant.file, tenant.content(token));
  const refused = {};
  for (;;) {
    alive(gateway, 'during the reload');
    const sent = Date.now();
    const { status, ms } = await lookup(gateway.url, token, KNOWN_NUMBER, agent);
    if (status === 200) {
      const answered = seconds(Date.now() - written);
      const old = await lookup(gateway.url, tenant.token, KNOWN_NUMBER, agent);
      tenant.token = token;
      return { seconds: answered, appliedByS: seconds(sent - written), lookupMs: Math.round(ms), refusedBefore: refused, oldTokenStatus: old.status };
    }
    refused[status] = (refused[status] ?? 0) + 1;
    if (Date.now() - written > 10_000) return { failed: 'the new token was not accepted within 10 s', refused };
    await sleep(10);
  }
}

/** One lookup, timed by the caller; never rejects (a failure is its status). */
function lookup(url, token, number, agent) {
  return get(`${url}/lookup?PhoneNumber=${number}`, { 'X-Execution-Token': token }, agent, 10_000, false);
}

/** A GET: `{ status, ms, body }`; status is the HTTP status, `timeout`, or the error's code. */
function get(url, headers, agent, timeoutMs, keepBody = true) {
  const sent = process.hrtime.bigint();
  return new Promise((resolve) => {
    const done = (status, body) => resolve({ status, ms: Number(process.hrtime.bigint() - sent) / 1e6, body });
    const request = http.get(url, { agent, headers, timeout: timeoutMs }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => keepBody && chunks.push(chunk));
      response.once('end', () => done(response.statusCode, Buffer.concat(chunks).toString('utf8')));
      response.once('error', (error) => done(error.code ?? 'error'));
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    request.once('error', (error) => done(error.code ?? 'error'));
  });
}

/** p50 / p99 / max (ms) of the answers, their statuses, and how many came after the deadline. */
function figures(answers, deadlineMs) {
  const times = answers.map((a) => a.ms).sort((x, y) => x - y);
  const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(times.length * q))]);
  const statuses = {};
  for (const { status } of answers) statuses[status] = (statuses[status] ?? 0) + 1;
  return { lookups: answers.length, p50: at(0.5), p99: at(0.99), maxMs: at(1), statuses, overDeadline: answers.filter((a) => a.ms > deadlineMs).length };
}

/** Distinct Swiss mobile numbers, so that no lookup is answered from a cache. */
function distinctNumbers() {
  let next = 0;
  return () => `4179${String(1_000_000 + next++).slice(-7)}`;
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) / 1024);
  return { rssMb: mb('VmRSS'), peakMb: mb('VmHWM') };
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const seconds = (ms) => +(ms / 1000).toFixed(2);

/** The benchmark table's rows: one per size (the baseline's first), figures beside the issue's targets. */
function rows(r) {
  const t = r.targets;
  const row = (label, s) => {
    if (s.failed) return [label, 'failed', s.failed];
    const inFlight = s.signIns.maxInFlight.overall;
    const notes = [
      `ready ${s.start.readyS} s (target ≤ ${t.readyS})`,
      `RSS ${s.rssMb.atReady} MB at ready, ${s.rssMb.afterSpreadLookups} after ${s.spread.lookups} lookups on ${s.spread.tenants} tenant${s.spread.tenants === 1 ? '' : 's'} (≤ ${t.rssMb})`,
      s.kbPerIdleTenant === undefined ? undefined : `${s.kbPerIdleTenant} KB per idle tenant (≤ ${t.kbPerIdleTenant})`,
      `from ready p50 / p99 ${s.fromReady.p50} / ${s.fromReady.p99} ms, ${s.fromReady.overDeadline} of ${s.fromReady.lookups} over ${r.deadlineMs} ms (0)${statusNote(s.fromReady)}`,
      `sign-ins in the first 10 s ${s.signIns.firstWindowAfterSpawn.total} (10 s from ready ${s.signIns.firstWindowAfterReady.total}), at most ${inFlight} in flight (≤ ${t.signInsInFlight}; ${s.signIns.maxInFlight.firstWindowAfterReady} in the 10 s from ready, ${s.signIns.maxInFlight.duringSpread} during the ${s.spread.concurrency}-at-a-time lookups)`,
      s.reload.failed ? `reload: ${s.reload.failed}` : `reload ${s.reload.seconds} s (≤ ${t.reloadS}; applied by ${s.reload.appliedByS} s)`,
    ];
    return [label, `${s.start.readyS} s, ${s.rssMb.atReady} MB`, notes.filter(Boolean).join('; ')];
  };
  return [row('many tenants, 1 (baseline): ready, RSS', r.baseline), ...Object.values(r.sizes).map((s) => row(`many tenants, ${s.tenants.toLocaleString('en')}: ready, RSS`, s))];
}

function statusNote(f) {
  const others = Object.entries(f.statuses).filter(([status]) => status !== '200');
  return others.length === 0 ? '' : `, not 200: ${others.map(([status, count]) => `${count}× ${status}`).join(', ')}`;
}

module.exports = { manyTenantsLoad, rows };

if (require.main === module) {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];
  // `[sizes…] [--warm <s>]`: e.g. `10000 --warm 900` also waits up to 15 min for every warm-up.
  const args = process.argv.slice(2);
  const warm = args.indexOf('--warm');
  const warmWithinMs = warm >= 0 ? Number(args.splice(warm, 2)[1]) * 1000 : 0;
  const sizes = args.map(Number).filter((n) => n > 0);
  manyTenantsLoad({ warmWithinMs, ...(sizes.length > 0 ? { sizes } : {}) })
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n`);
      for (const [label, value, note] of rows(result)) process.stdout.write(`${label}  ${value}  ${note}\n`);
    })
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
