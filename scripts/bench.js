#!/usr/bin/env node
// `npm run bench`: the gateway, the three fake CRMs (set latencies), a minimal fan-out, a bare NestJS
// app and a bare node:http server, each in its own process; autocannon drives them from this one.
// Prints a table and writes bench/results/<timestamp>.json. All figures come from the same run.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const autocannon = require('autocannon');
const { manyTenantsLoad, rows: manyTenantsRows } = require('./bench/many-tenants');

const ROOT = path.join(__dirname, '..');
const LATENCY_MS = { salesforce: 80, hubspot: 120, sugar: 60 };
const SLOWEST_MS = Math.max(...Object.values(LATENCY_MS));
const DEADLINE_MS = 1500;
/** Rounds of the 50-caller and cached loads, taken in turns with their reference. */
const ROUNDS = 3;
const CACHED = 'bench-cached-token';
/** The number of the cached loads: every fake has a contact for it. */
const CACHED_NUMBER = '41789072228';
const UNCACHED = 'bench-uncached-token';
const children = [];
/** `--only many-tenants`: that section alone (it starts its own fakes and gateways). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The V8 limits `npm start` uses (a capped old space makes V8 collect instead of growing); the references get them too. */
const V8_LIMITS = ['--max-old-space-size=256', '--max-semi-space-size=8'];

/** Starts a node script in its own process; resolves with the JSON it prints on its first line. */
function start(script, args = [], nodeOptions = []) {
  const child = spawn(process.execPath, [...nodeOptions, script, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ ...JSON.parse(line), pid: child.pid }));
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code}`)));
  });
}

/** Tenant env files for the fakes: one tenant with the cache on, one with it off. */
function writeTenants(fakes) {
  const tenants = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tenants-'));
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
    'SUGAR_PLATFORM=phone_gateway',
  ];
  fs.writeFileSync(path.join(tenants, 'cached.env'), [`TOKEN=${CACHED}`, ...crm].join('\n'));
  fs.writeFileSync(path.join(tenants, 'uncached.env'), [`TOKEN=${UNCACHED}`, 'CACHE_TTL_S=0', ...crm].join('\n'));
  return tenants;
}

/** `/metrics` is off without it. */
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** Starts the gateway (or an app started like it) on the tenants; resolves once it is ready. */
async function startGateway(tenants, script = path.join(ROOT, 'dist/main.js'), args = [], env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...V8_LIMITS, script, ...args], {
    cwd: tenants,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', TENANTS_DIR: tenants, LOG_LEVEL: 'warn', LOOKUP_TIMEOUT_MS: String(DEADLINE_MS), METRICS_TOKEN, PUBLIC_URL: 'https://gateway.example.ch', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/health/ready`).then((r) => r.ok).catch(() => false);
    if (ready) return { url, pid: child.pid, tenants };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the gateway did not become ready');
}

let nextNumber = 0;
/** Distinct Swiss mobile numbers, so every uncached lookup really goes to the CRMs. */
const distinctNumber = () => `4179${String(1_000_000 + (nextNumber++ % 9_000_000)).slice(-7)}`;

function load(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function lookupLoad(url, token, numbers, options) {
  return load(`${url}/lookup`, {
    headers: { 'X-Execution-Token': token },
    requests: [{ setupRequest: (req) => ({ ...req, path: `/lookup?PhoneNumber=${numbers()}` }) }],
    ...options,
  });
}

/** autocannon's result, or (from `together`) one already summarised. */
const asSummary = (result) => (typeof result.requests === 'number' ? result : summary(result));
const summary = (result) => ({
  requests: result.requests.total,
  rps: Math.round(result.requests.average),
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
});

async function crmRequests(fakes) {
  const counts = await Promise.all(Object.values(fakes).map((f) => fetch(`${f.control}/stats`).then((r) => r.json())));
  return counts.reduce((sum, c) => sum + c.requests, 0);
}

/** CPU time (user + system) a process has used so far, in microseconds: steadier than req/s on a shared machine. */
function cpuUs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ: /proc counts CPU time in hundredths of a second on Linux

/**
 * Runs a load and reports, beside its summary, the CPU the serving process (or processes, summed) spent
 * per request; `alsoPids` are counted apart (Redis) as `alsoCpuUsPerRequest`.
 */
async function measured(pids, run, alsoPids = []) {
  const cpu = (list) => [].concat(list).reduce((sum, pid) => sum + cpuUs(pid), 0);
  const before = cpu(pids);
  const alsoBefore = cpu(alsoPids);
  const result = asSummary(await run());
  const requests = result.requests;
  const also = alsoPids.length > 0 ? { alsoCpuUsPerRequest: Math.round((cpu(alsoPids) - alsoBefore) / requests) } : {};
  return { ...result, cpuUsPerRequest: Math.round((cpu(pids) - before) / requests), ...also };
}

/**
 * Runs loads in turns (A B C, C B A, A B C, …), so the drift of a shared machine falls on all alike, and
 * reports each side as its middle round (requests summed), with every round kept in the results.
 */
async function inTurns(loads, rounds = ROUNDS) {
  const sides = loads.map(() => []);
  const forwards = loads.map((_, k) => k);
  for (let i = 0; i < rounds; i++) {
    for (const k of i % 2 === 0 ? forwards : [...forwards].reverse()) sides[k].push(await loads[k]());
  }
  return sides.map(middleRound);
}
function middleRound(rounds) {
  const middle = (key) => rounds.map((r) => r[key]).sort((x, y) => x - y)[rounds.length >> 1];
  const total = (key) => rounds.reduce((sum, r) => sum + r[key], 0);
  return {
    requests: total('requests'),
    rps: middle('rps'),
    p50: middle('p50'),
    p99: middle('p99'),
    non2xx: total('non2xx'),
    errors: total('errors'),
    cpuUsPerRequest: middle('cpuUsPerRequest'),
    ...(rounds[0].alsoCpuUsPerRequest === undefined ? {} : { alsoCpuUsPerRequest: middle('alsoCpuUsPerRequest') }),
    rounds: rounds.map(({ rps, p50, p99, cpuUsPerRequest, alsoCpuUsPerRequest }) => ({ rps, p50, p99, cpuUsPerRequest, alsoCpuUsPerRequest })),
  };
}

/** Each round's ratio of one figure: the two sides of a round ran under the same conditions. */
function ratiosByRound(side, reference, key) {
  return side.rounds.map((round, i) => +(round[key] / reference.rounds[i][key]).toFixed(3));
}

/** The middle of the rounds' ratios. */
function middleRatio(side, reference, key) {
  const ratios = ratiosByRound(side, reference, key).sort((x, y) => x - y);
  return ratios[ratios.length >> 1];
}

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

async function main() {
  const started = Date.now();
  const fakes = {};
  for (const [kind, latency] of Object.entries(LATENCY_MS)) fakes[kind] = await start(path.join(__dirname, 'bench/fake-process.js'), [kind, String(latency)]);
  const tenants = writeTenants(fakes);
  const gateway = await startGateway(tenants);
  const minimal = await start(path.join(__dirname, 'bench/minimal-fanout.js'), [JSON.stringify(fakes)], V8_LIMITS);
  // The references for cached lookups answer what the gateway answers, byte for byte.
  const answer = await fetch(`${gateway.url}/lookup?PhoneNumber=${CACHED_NUMBER}`, { headers: { 'X-Execution-Token': CACHED } }).then((r) => r.text());
  const cards = JSON.parse(answer);
  if (!Array.isArray(cards) || cards.length !== Object.keys(LATENCY_MS).length) {
    throw new Error(`the gateway's answer for ${CACHED_NUMBER} should hold one card per fake CRM; it was ${answer}`);
  }
  const bareNest = await start(path.join(__dirname, 'bench/bare-servers.js'), ['nest', answer], V8_LIMITS);
  const bareHttp = await start(path.join(__dirname, 'bench/bare-servers.js'), ['http', answer], V8_LIMITS);
  const constant = await startGateway(tenants, path.join(__dirname, 'bench/constant-gateway.js'), [answer]);
  // Warm-up: tokens, describe, account details, JIT.
  await lookupLoad(gateway.url, UNCACHED, distinctNumber, { connections: 4, amount: 40 });
  await lookupLoad(minimal.url, UNCACHED, distinctNumber, { connections: 4, amount: 40 });

  const results = { machine: { cpus: os.cpus().length, node: process.version }, latenciesMs: LATENCY_MS, deadlineMs: DEADLINE_MS };

  // 1. Uncached: overhead over the slowest source, at 1 and 50 callers, beside the minimal fan-out.
  results.uncached = {};
  // One caller: 100 lookups each, one after the other. Fifty callers: rounds in turns (see inTurns).
  for (const [callers, options, rounds] of [
    [1, { connections: 1, amount: 100 }, 1],
    [50, { connections: 50, duration: 4 }, ROUNDS],
  ]) {
    let crm = 0;
    // Fifty callers need fifty-odd connections to each fake; idle between rounds, both sides let them go
    // (1 s before the fakes' announced 5 s), so each round starts after a second of the same load. Each
    // side's first round follows 5 s of it: the first seconds at fifty callers also grow the heap and
    // compile the concurrent paths (the first round was the worst of every run, p99 ×1.48–×1.93).
    const warmed = new Set();
    const warmUp = (url) => {
      if (rounds === 1) return undefined;
      const duration = warmed.has(url) ? 1 : 5;
      warmed.add(url);
      return lookupLoad(url, UNCACHED, distinctNumber, { connections: options.connections, duration });
    };
    const ourRound = async () => {
      await warmUp(gateway.url);
      const before = await crmRequests(fakes);
      const round = await measured(gateway.pid, () => lookupLoad(gateway.url, UNCACHED, distinctNumber, options));
      crm += (await crmRequests(fakes)) - before;
      return round;
    };
    const floorRound = async () => {
      await warmUp(minimal.url);
      return measured(minimal.pid, () => lookupLoad(minimal.url, UNCACHED, distinctNumber, options));
    };
    const [ours, floor] = await inTurns([ourRound, floorRound], rounds);
    results.uncached[callers] = {
      gateway: { ...ours, overheadP50: ours.p50 - SLOWEST_MS, overheadP99: ours.p99 - SLOWEST_MS, crmRequestsPerLookup: +(crm / ours.requests).toFixed(2) },
      minimalFanOut: { ...floor, overheadP50: floor.p50 - SLOWEST_MS, overheadP99: floor.p99 - SLOWEST_MS },
      ratioP50: middleRatio(ours, floor, 'p50'),
      ratioP99: middleRatio(ours, floor, 'p99'),
      ratioP99ByRound: ratiosByRound(ours, floor, 'p99'),
      sequentialSumMs: Object.values(LATENCY_MS).reduce((a, b) => a + b, 0),
    };
  }

  // 2. Cached: one number, answered from the cache, beside a bare NestJS app and bare node:http, and
  // beside the gateway's own app answering a constant (what is left is the cached lookup's own cost).
  const cachedOptions = { connections: 50, duration: 3 };
  const cachedLoad = (server) => () => measured(server.pid, () => lookupLoad(server.url, CACHED, () => CACHED_NUMBER, cachedOptions));
  const bareLoad = (server) => () => measured(server.pid, () => load(`${server.url}/lookup?PhoneNumber=${CACHED_NUMBER}`, cachedOptions));
  await lookupLoad(gateway.url, CACHED, () => CACHED_NUMBER, { connections: 1, amount: 5 });
  await lookupLoad(constant.url, CACHED, () => CACHED_NUMBER, { connections: 10, amount: 2000 }); // its JIT, as the gateway's had
  const beforeCached = await crmRequests(fakes);
  const [cached, nest, constantApp] = await inTurns([
    cachedLoad(gateway),
    bareLoad(bareNest),
    cachedLoad(constant),
  ]);
  const cachedCrm = (await crmRequests(fakes)) - beforeCached;
  const bare = await bareLoad(bareHttp)();
  results.cached = {
    gateway: { ...cached, crmRequestsPerLookup: +(cachedCrm / cached.requests).toFixed(4) },
    bareNest: nest,
    bareHttp: bare,
    ratioToBareNest: middleRatio(cached, nest, 'rps'),
    ratioToBareNestByRound: ratiosByRound(cached, nest, 'rps'),
    ratioToBareHttp: +(cached.rps / bare.rps).toFixed(3),
    cpuRatioToBareNest: +(cached.cpuUsPerRequest / nest.cpuUsPerRequest).toFixed(2),
    constantAnswer: constantApp,
    ratioToConstantAnswer: middleRatio(cached, constantApp, 'rps'),
    ratioToConstantAnswerByRound: ratiosByRound(cached, constantApp, 'rps'),
    constantAnswerRatioToBareNest: middleRatio(constantApp, nest, 'rps'),
  };

  // 2b. Two replicas sharing one Redis, beside the single in-process gateway (on the same tenant).
  results.replicas = await replicasLoad(gateway, tenants, fakes);

  // 2c. The outbox: CallFlows answered while Salesforce refuses writes, and their delivery once it is back.
  results.outbox = await outboxLoad([gateway], fakes);

  // 2d. The admin's console on (ADMIN_TOKEN, an admin's pages open), beside the same gateway without it.
  results.console = await consoleLoad(gateway, tenants);

  // 3. Hostile load: normal lookups beside crafted requests sent by a tenant and by strangers (before
  // the hanging source, which leaves HubSpot's circuit open for a while).
  results.hostile = await hostileLoad(gateway);

  // 4. One source hanging: every lookup must still answer by the deadline.
  await fetch(`${fakes.hubspot.control}/hang?on=1`, { method: 'POST' });
  const hanging = summary(await lookupLoad(gateway.url, UNCACHED, distinctNumber, { connections: 10, amount: 40, timeout: 10 }));
  await fetch(`${fakes.hubspot.control}/hang?on=0`, { method: 'POST' });
  results.hangingSource = { ...hanging, deadlineMs: DEADLINE_MS, p99OverDeadlineMs: hanging.p99 - DEADLINE_MS };

  // 5. Memory after 100,000 lookups over 10,000 distinct numbers (latencies off to keep it short).
  for (const fake of Object.values(fakes)) await fetch(`${fake.control}/delay?ms=0`, { method: 'POST' });
  let cycle = 0;
  const memoryRun = summary(await lookupLoad(gateway.url, CACHED, () => `4178${String(1_000_000 + (cycle++ % 10_000)).slice(-7)}`, { connections: 50, amount: 100_000 }));
  const metrics = await fetch(`${gateway.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
  const heapUsed = Number(/^gateway_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN);
  results.memory = { lookups: memoryRun.requests, distinctNumbers: 10_000, rssMb: rssMb(gateway.pid), heapUsedMb: Math.round(heapUsed / 1048576), rps: memoryRun.rps };

  // 6. Many tenants (issue 19): gateways of 1, 1,000 and 10,000 tenants, each started fresh, on fakes of its own.
  results.manyTenants = await manyTenantsLoad({ latenciesMs: LATENCY_MS, deadlineMs: DEADLINE_MS, v8Limits: V8_LIMITS });
  results.durationS = Math.round((Date.now() - started) / 1000);

  fs.rmSync(gateway.tenants, { recursive: true, force: true });
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  report(results, file);
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/**
 * A gateway with the console on (ADMIN_TOKEN: it keeps the recent lookups and per-minute figures) and an
 * admin signed in who reloads the overview and the recent lookups every second (far more than a person
 * does), beside the gateway without it, in turns: uncached lookups at 50 callers, then cached ones.
 */
async function consoleLoad(gateway, tenants) {
  const withConsole = await startGateway(tenants, undefined, [], { ADMIN_TOKEN });
  await lookupLoad(withConsole.url, UNCACHED, distinctNumber, { connections: 4, amount: 40 });
  const signIn = await fetch(`${withConsole.url}/admin/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN_TOKEN}` });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  if (signIn.status !== 303 || !cookie.startsWith('gateway_console=')) throw new Error(`the console sign-in answered ${signIn.status}`);
  let pages = 0;
  let pageMs = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      for (const page of ['/admin', '/admin/recent']) {
        const started = performance.now();
        const response = await fetch(`${withConsole.url}${page}`, { headers: { Cookie: cookie }, redirect: 'manual' });
        if (response.status !== 200) throw new Error(`${page} answered ${response.status}`);
        await response.text();
        pageMs += performance.now() - started;
        pages += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  const uncachedRound = (side) => () => measured(side.pid, () => lookupLoad(side.url, UNCACHED, distinctNumber, { connections: 50, duration: 4 }));
  const cachedRound = (side) => () => measured(side.pid, () => lookupLoad(side.url, CACHED, () => CACHED_NUMBER, { connections: 50, duration: 3 }));
  try {
    await lookupLoad(withConsole.url, CACHED, () => CACHED_NUMBER, { connections: 10, amount: 2000 });
    const [uncachedOn, uncachedOff] = await inTurns([uncachedRound(withConsole), uncachedRound(gateway)]);
    const [cachedOn, cachedOff] = await inTurns([cachedRound(withConsole), cachedRound(gateway)]);
    return {
      uncached: { on: uncachedOn, off: uncachedOff, ratioP50: middleRatio(uncachedOn, uncachedOff, 'p50'), ratioP99: middleRatio(uncachedOn, uncachedOff, 'p99') },
      cached: { on: cachedOn, off: cachedOff, ratioRps: middleRatio(cachedOn, cachedOff, 'rps'), ratioP99: middleRatio(cachedOn, cachedOff, 'p99'), ratioCpu: middleRatio(cachedOn, cachedOff, 'cpuUsPerRequest') },
      pagesLoaded: pages,
      pageMsMean: pages === 0 ? undefined : Math.round(pageMs / pages),
    };
  } finally {
    polling = false;
    await poller;
  }
}

/** A redis-server of its own on a free port, with an append-only file in a temporary folder, as the README asks for the outbox. */
async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' });
  child.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  children.push(child);
  const missing = new Promise((_, reject) => child.once('error', () => reject(new Error('redis-server is missing: apt-get install redis-server (Debian/Ubuntu) or brew install redis'))));
  const pong = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(String(data).startsWith('+PONG'));
      });
    });
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await pong()) return { url: `redis://127.0.0.1:${port}`, pid: child.pid };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not answer');
  })();
  return Promise.race([ready, missing]);
}

/** Redis's `used_memory`, its keys, and how many of them are cached answers. */
async function redisMemory(url) {
  const { Redis } = require('ioredis');
  const client = new Redis(url);
  try {
    const usedBytes = Number(/used_memory:(\d+)/.exec(await client.info('memory'))[1]);
    return { usedBytes, keys: await client.dbsize(), answers: (await client.keys('bench:answer:*')).length };
  } finally {
    client.disconnect();
  }
}

/**
 * One caller per side, the sides' lookups interleaved one by one (A, B, A, B, …): the drift of a shared
 * machine falls on both alike. Each side's CPU is its process's over the whole run, per lookup.
 */
async function interleaved(sides, numbers, count) {
  const agents = sides.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const times = sides.map(() => []);
  const cpuBefore = sides.map((side) => cpuUs(side.pid));
  for (let i = 0; i < count; i++) {
    for (const [k, side] of sides.entries()) times[k].push(await timedLookup(side.url, side.token, numbers(), agents[k]));
  }
  agents.forEach((agent) => agent.destroy());
  return sides.map((side, k) => {
    const sorted = times[k].sort((x, y) => x - y);
    const at = (q) => +sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))].toFixed(2);
    return { requests: count, p50: at(0.5), p99: at(0.99), cpuUsPerRequest: Math.round((cpuUs(side.pid) - cpuBefore[k]) / count) };
  });
}

/** One lookup's time in ms, to the microsecond (autocannon rounds latencies to whole ms). */
function timedLookup(url, token, number, agent) {
  const sent = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/lookup?PhoneNumber=${number}`, { agent, headers: { 'X-Execution-Token': token } }, (response) => {
      response.resume();
      response.once('end', () => (response.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - sent) / 1e6) : reject(new Error(`lookup answered ${response.statusCode}`))));
    });
    request.once('error', reject);
  });
}

/** Loads run at the same time, as one: requests and rates summed, latencies the worse side's (autocannon's histograms do not merge). */
async function together(loads) {
  const results = (await Promise.all(loads)).map(summary);
  const total = (key) => results.reduce((sum, r) => sum + r[key], 0);
  const worst = (key) => Math.max(...results.map((r) => r[key]));
  return { requests: total('requests'), rps: total('rps'), p50: worst('p50'), p99: worst('p99'), non2xx: total('non2xx'), errors: total('errors') };
}

/**
 * Two gateways sharing one Redis (REDIS_URL), beside the single in-process gateway, on the tenant with
 * the cache on: cached lookups (read from Redis, which stays the authority) and lookups of new numbers (a
 * miss in Redis, the CRMs, then a write), at 1 caller (interleaved with the single gateway's) and at 50
 * (cached: all on one replica; new numbers: 25 per replica, in turns with the single gateway at 50 and
 * with two replicas without Redis at 25 each, which tells what is Redis's cost and what is two processes').
 * CPU per lookup sums both replicas; Redis's own is counted apart.
 */
async function replicasLoad(single, tenants, fakes) {
  const redis = await startRedis();
  const empty = await redisMemory(redis.url);
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'bench:' };
  const [a, b, alone1, alone2] = await Promise.all([startGateway(tenants, undefined, [], env), startGateway(tenants, undefined, [], env), startGateway(tenants), startGateway(tenants)]);
  for (const replica of [a, b, alone1, alone2]) await lookupLoad(replica.url, CACHED, distinctNumber, { connections: 4, amount: 40 }); // tokens, JIT
  const cardsOn = (server) => fetch(`${server.url}/lookup?PhoneNumber=${CACHED_NUMBER}`, { headers: { 'X-Execution-Token': CACHED } }).then((r) => r.text());
  const [fromA, fromB, fromSingle] = [await cardsOn(a), await cardsOn(b), await cardsOn(single)];
  if (fromA !== fromSingle || fromB !== fromSingle) throw new Error(`the replicas' cards for ${CACHED_NUMBER} differ from the single gateway's:\n${fromA}\n${fromB}\n${fromSingle}`);

  const withRedisCpu = async (run) => {
    const before = cpuUs(redis.pid);
    const [ofSingle, ofReplica] = await run();
    return [ofSingle, { ...ofReplica, alsoCpuUsPerRequest: Math.round((cpuUs(redis.pid) - before) / ofReplica.requests) }];
  };
  const sides = [{ ...single, token: CACHED }, { ...a, token: CACHED }];
  const [cached1Single, cached1Replica] = await withRedisCpu(() => interleaved(sides, () => CACHED_NUMBER, 2000));
  const [new1Single, new1Replica] = await withRedisCpu(() => interleaved(sides, distinctNumber, 200));

  const cachedMany = (server, also) => () => measured(server.pid, () => lookupLoad(server.url, CACHED, () => CACHED_NUMBER, { connections: 50, duration: 3 }), also);
  const [cached50Single, cached50Replica] = await inTurns([cachedMany(single), cachedMany(a, [redis.pid])]);

  // As in the 50-caller section: each round follows a second of the same load (five before the first).
  const warmed = new Set();
  const afterWarmUp = (label, load, pids, also) => async () => {
    await load(warmed.has(label) ? 1 : 5);
    warmed.add(label);
    return measured(pids, () => load(4), also);
  };
  const split = (pair) => (duration) => together(pair.map((replica) => lookupLoad(replica.url, CACHED, distinctNumber, { connections: 25, duration })));
  const [new50Single, new50Replicas, new50Alone] = await inTurns([
    afterWarmUp('single', (duration) => lookupLoad(single.url, CACHED, distinctNumber, { connections: 50, duration }), single.pid),
    afterWarmUp('replicas', split([a, b]), [a.pid, b.pid], [redis.pid]),
    afterWarmUp('alone', split([alone1, alone2]), [alone1.pid, alone2.pid]),
  ]);
  const after = await redisMemory(redis.url);
  // The outbox on Redis: CallFlows alternating over both replicas, and what a queued write takes there.
  const outbox = await outboxLoad([a, b], fakes, async (count) => {
    const { usedBytes } = await redisMemory(redis.url);
    return { bytesPerQueuedWrite: Math.round((usedBytes - after.usedBytes) / count) };
  });
  for (const pid of [a.pid, b.pid, alone1.pid, alone2.pid, redis.pid]) process.kill(pid, 'SIGKILL');
  return {
    outbox,
    redis: { keys: after.keys, answers: after.answers, usedMb: +(after.usedBytes / 1048576).toFixed(1), bytesPerAnswer: Math.round((after.usedBytes - empty.usedBytes) / Math.max(1, after.answers)) },
    cached1: { single: cached1Single, replica: cached1Replica, p50DifferenceMs: +(cached1Replica.p50 - cached1Single.p50).toFixed(2) },
    new1: { single: new1Single, replica: new1Replica, p50DifferenceMs: +(new1Replica.p50 - new1Single.p50).toFixed(2) },
    cached50: { single: cached50Single, replica: cached50Replica, ratio: middleRatio(cached50Replica, cached50Single, 'rps'), ratioByRound: ratiosByRound(cached50Replica, cached50Single, 'rps') },
    new50: {
      single: new50Single,
      replicas: new50Replicas,
      replicasWithoutRedis: new50Alone,
      ratioP50: middleRatio(new50Replicas, new50Single, 'p50'),
      ratioP99: middleRatio(new50Replicas, new50Single, 'p99'),
      ratioToWithoutRedisP50: middleRatio(new50Replicas, new50Alone, 'p50'),
      ratioToWithoutRedisP99: middleRatio(new50Replicas, new50Alone, 'p99'),
    },
  };
}

/**
 * CallFlows one after the other (alternating over `gateways`), first while Salesforce writes (the
 * reference), then while it answers every write with 503: each is answered from the outbox (a queued id).
 * Salesforce then takes writes again, and the delay until the last queued call is written is measured
 * (the default retry settings: first wait 5 s, doubling, with jitter). The outage lasts as long as the
 * queued calls take to send. `whileQueued` measures the store with every call queued.
 */
async function outboxLoad(gateways, fakes, whileQueued = async () => ({})) {
  const COUNT = 50;
  let calls = 0;
  const callFlow = async () => {
    const gateway = gateways[calls % gateways.length];
    const minute = outboxMinute++;
    calls += 1;
    const started = new Date(Date.UTC(2026, 10, 1, 8, 0, 0) + minute * 60_000).toISOString();
    const sent = process.hrtime.bigint();
    const response = await fetch(`${gateway.url}/lookup/CallFlow`, {
      method: 'POST',
      headers: { 'X-Execution-Token': CACHED, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: { direction: 'incoming', originatorNumber: CACHED_NUMBER, destinationNumber: '41446681800', contactCrmId: 'salesforce:Contact:003000000000001AAA', startedTime: started } }),
    });
    const body = await response.json();
    return { ms: Number(process.hrtime.bigint() - sent) / 1e6, status: response.status, id: body.id };
  };
  const figures = (answers) => {
    const times = answers.map((a) => a.ms).sort((x, y) => x - y);
    const at = (q) => +times[Math.min(times.length - 1, Math.floor(times.length * q))].toFixed(1);
    return { calls: answers.length, p50: at(0.5), p99: at(0.99), non200: answers.filter((a) => a.status !== 200).length };
  };
  const tasks = async () => (await fetch(`${fakes.salesforce.control}/stats`).then((r) => r.json())).tasks;
  const written = [];
  for (let i = 0; i < COUNT; i++) written.push(await callFlow());
  await fetch(`${fakes.salesforce.control}/fail-writes?status=503`, { method: 'POST' });
  const queued = [];
  for (let i = 0; i < COUNT; i++) queued.push(await callFlow());
  const store = await whileQueued(COUNT);
  const before = await tasks();
  await fetch(`${fakes.salesforce.control}/fail-writes`, { method: 'POST' });
  const recovered = Date.now();
  let firstAt;
  while ((await tasks()) < before + COUNT) {
    if (firstAt === undefined && (await tasks()) > before) firstAt = Date.now();
    if (Date.now() - recovered > 120_000) throw new Error('the queued calls were not delivered within 120 s of recovery');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lastAt = Date.now();
  return {
    written: figures(written),
    queued: { ...figures(queued), queuedIds: queued.filter((a) => /^salesforce:queued:/.test(a.id ?? '')).length },
    deliveryAfterRecoveryS: { first: +(((firstAt ?? lastAt) - recovered) / 1000).toFixed(1), last: +((lastAt - recovered) / 1000).toFixed(1) },
    tasksWrittenAfterRecovery: (await tasks()) - before,
    ...store,
  };
}

/** Each bench CallFlow is another call (its own start minute), whichever section sends it. */
let outboxMinute = 0;

/**
 * Uncached lookups at 10 callers, alone and then twice while four attacks run beside them (each from
 * its own connections): distinct workflow names, deeply nested bodies, bodies sent one byte a second
 * (with and without a token), and distinct "numbers" of 10,000 digits. RSS after each: flat means the
 * second attacked round did not grow what the first left. (The attackers' own latencies are not
 * reported: every refusal closes its connection, and autocannon counts its reconnection in them.)
 */
async function hostileLoad(gateway) {
  const normal = () => lookupLoad(gateway.url, UNCACHED, distinctNumber, { connections: 10, duration: 5 });
  await normal(); // warm
  const alone = summary(await normal());
  const rssAlone = rssMb(gateway.pid);
  const stop = new AbortController();
  let names = 0;
  let digits = 0;
  const deepBody = `{"inputs":{"direction":${'['.repeat(3000)}${']'.repeat(3000)}}}`;
  const attacks = [
    load(`${gateway.url}/lookup/x`, {
      connections: 8, duration: 12, method: 'POST', headers: { 'X-Execution-Token': UNCACHED, 'Content-Type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, path: `/lookup/W${names++}${'x'.repeat(40)}`, body: '{"inputs":{}}' }) }],
    }),
    load(`${gateway.url}/lookup/CallFlow`, { connections: 4, duration: 12, method: 'POST', headers: { 'X-Execution-Token': UNCACHED, 'Content-Type': 'application/json' }, body: deepBody }),
    load(`${gateway.url}/lookup`, {
      connections: 4, duration: 12, headers: { 'X-Execution-Token': UNCACHED },
      requests: [{ setupRequest: (req) => ({ ...req, path: `/lookup?PhoneNumber=41${String(digits++).padStart(10_000, '7')}` }) }],
    }),
  ];
  const slow = slowBodies(gateway.url, 200, stop.signal);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const attacked = summary(await normal());
  const rssAttacked = rssMb(gateway.pid);
  const attackedAgain = summary(await normal());
  const rssAttackedAgain = rssMb(gateway.pid);
  const [workflowNames, deepBodies, hugeNumbers] = (await Promise.all(attacks)).map(summary);
  stop.abort();
  const slowSockets = await slow;
  const attackRate = (result) => ({ requests: result.requests, rps: result.rps, non2xx: result.non2xx, errors: result.errors });
  return {
    alone,
    attacked,
    attackedAgain,
    ratioP50: +(attacked.p50 / alone.p50).toFixed(2),
    ratioP99: +(attacked.p99 / alone.p99).toFixed(2),
    deadlineMs: DEADLINE_MS,
    attacks: { workflowNames: attackRate(workflowNames), deepBodies: attackRate(deepBodies), hugeNumbers: attackRate(hugeNumbers), slowBodySockets: slowSockets },
    rssMb: { alone: rssAlone, attacked: rssAttacked, attackedAgain: rssAttackedAgain },
  };
}

/** Sockets that send a workflow body one byte a second; half carry a token. Resolves with how many were opened. */
async function slowBodies(url, count, signal) {
  const { port } = new URL(url);
  let opened = 0;
  const sockets = new Set();
  signal.addEventListener('abort', () => sockets.forEach((socket) => socket.destroy()), { once: true });
  const open = (withToken) => {
    if (signal.aborted) return;
    opened++;
    const socket = net.connect(Number(port), '127.0.0.1');
    sockets.add(socket);
    const token = withToken ? `X-Execution-Token: ${UNCACHED}\r\n` : '';
    socket.write(`POST /lookup/CallFlow HTTP/1.1\r\nHost: bench\r\n${token}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    const timer = setInterval(() => socket.write('['), 1000);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      clearInterval(timer);
      setTimeout(() => open(withToken), 10); // the attacker comes back
    });
  };
  for (let i = 0; i < count; i++) open(i % 2 === 0);
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  return opened;
}

function report(r, file) {
  const u1 = r.uncached[1];
  const u50 = r.uncached[50];
  const rows = [
    ['uncached, 1 caller: gateway p50 / p99 (ms)', `${u1.gateway.p50} / ${u1.gateway.p99}`, `overhead over slowest source ${u1.gateway.overheadP50} / ${u1.gateway.overheadP99} ms (target ≤ 3 / ≤ 10)`],
    ['uncached, 1 caller: minimal fan-out p50 / p99', `${u1.minimalFanOut.p50} / ${u1.minimalFanOut.p99}`, `ratio ${u1.ratioP50} / ${u1.ratioP99}; sequential sum ${u1.sequentialSumMs} ms`],
    ['uncached, 50 callers: gateway p50 / p99', `${u50.gateway.p50} / ${u50.gateway.p99}`, `${u50.gateway.rps} lookups/s, overhead ${u50.gateway.overheadP50} / ${u50.gateway.overheadP99} ms`],
    ['uncached, 50 callers: minimal fan-out p50 / p99', `${u50.minimalFanOut.p50} / ${u50.minimalFanOut.p99}`, `ratio ${u50.ratioP50} / ${u50.ratioP99} (target ≤ 1.15; p99 ratio by round ${u50.ratioP99ByRound.join(', ')})`],
    ['uncached, 50 callers: CPU per lookup (µs)', `${u50.gateway.cpuUsPerRequest}`, `minimal fan-out ${u50.minimalFanOut.cpuUsPerRequest}`],
    ['cached, 50 callers: gateway req/s, p50 / p99', `${r.cached.gateway.rps}, ${r.cached.gateway.p50} / ${r.cached.gateway.p99}`, `× bare Nest ${r.cached.ratioToBareNest} (target ≥ 0.8; by round ${r.cached.ratioToBareNestByRound.join(', ')}), × bare http ${r.cached.ratioToBareHttp}`],
    ['cached: bare Nest / bare http req/s', `${r.cached.bareNest.rps} / ${r.cached.bareHttp.rps}`, ''],
    [
      'cached: the gateway answering a constant',
      `${r.cached.constantAnswer.rps} req/s, ${r.cached.constantAnswer.cpuUsPerRequest} µs`,
      `× bare Nest ${r.cached.constantAnswerRatioToBareNest}; the gateway × this ${r.cached.ratioToConstantAnswer} (by round ${r.cached.ratioToConstantAnswerByRound.join(', ')})`,
    ],
    ['cached: CPU per request (µs)', `${r.cached.gateway.cpuUsPerRequest}`, `bare Nest ${r.cached.bareNest.cpuUsPerRequest} (×${r.cached.cpuRatioToBareNest}), bare http ${r.cached.bareHttp.cpuUsPerRequest}`],
    ['one source hanging: p99 (ms)', `${r.hangingSource.p99}`, `deadline ${r.hangingSource.deadlineMs} ms, over by ${r.hangingSource.p99OverDeadlineMs} ms (target ≤ 20)`],
    [
      'CRM requests per lookup: uncached / cached',
      `${u1.gateway.crmRequestsPerLookup} / ${r.cached.gateway.crmRequestsPerLookup}`,
      `4 expected uncached (SOSL, 2 HubSpot searches, Sugar search), counted at 1 caller; 0 cached`,
    ],
    [
      'hostile load: lookups p50 / p99 (ms)',
      `${r.hostile.attacked.p50} / ${r.hostile.attacked.p99}`,
      `alone ${r.hostile.alone.p50} / ${r.hostile.alone.p99} (×${r.hostile.ratioP50} / ×${r.hostile.ratioP99}); again ${r.hostile.attackedAgain.p50} / ${r.hostile.attackedAgain.p99}; deadline ${r.hostile.deadlineMs} ms; RSS ${r.hostile.rssMb.alone} → ${r.hostile.rssMb.attacked} → ${r.hostile.rssMb.attackedAgain} MB`,
    ],
    ...replicaRows(r.replicas),
    ...consoleRows(r.console),
    [
      'outbox: CallFlow answered while writes fail',
      `p50 ${r.outbox.queued.p50} / p99 ${r.outbox.queued.p99} ms`,
      `${r.outbox.queued.queuedIds} of ${r.outbox.queued.calls} queued ids; written directly (Salesforce at 80 ms) p50 ${r.outbox.written.p50} / p99 ${r.outbox.written.p99} ms`,
    ],
    ['outbox: delivery after recovery (s)', `first ${r.outbox.deliveryAfterRecoveryS.first}, last ${r.outbox.deliveryAfterRecoveryS.last}`, `${r.outbox.tasksWrittenAfterRecovery} Tasks written for ${r.outbox.queued.calls} queued calls (retries from 5 s, doubling, jitter)`],
    [
      'outbox on Redis, 2 replicas: CallFlow while writes fail',
      `p50 ${r.replicas.outbox.queued.p50} / p99 ${r.replicas.outbox.queued.p99} ms`,
      `${r.replicas.outbox.queued.queuedIds} of ${r.replicas.outbox.queued.calls} queued ids; SQLite outbox p50 ${r.outbox.queued.p50} / p99 ${r.outbox.queued.p99} (×${(r.replicas.outbox.queued.p50 / r.outbox.queued.p50).toFixed(2)} / ×${(r.replicas.outbox.queued.p99 / r.outbox.queued.p99).toFixed(2)}); written directly p50 ${r.replicas.outbox.written.p50} / p99 ${r.replicas.outbox.written.p99}`,
    ],
    [
      'outbox on Redis: delivery after recovery (s)',
      `first ${r.replicas.outbox.deliveryAfterRecoveryS.first}, last ${r.replicas.outbox.deliveryAfterRecoveryS.last}`,
      `${r.replicas.outbox.tasksWrittenAfterRecovery} Tasks for ${r.replicas.outbox.queued.calls} queued calls; about ${r.replicas.outbox.bytesPerQueuedWrite} bytes of Redis per queued write`,
    ],
    ['memory after lookups (RSS, heap used)', `${r.memory.rssMb} MB, ${r.memory.heapUsedMb} MB`, `${r.memory.lookups} lookups over ${r.memory.distinctNumbers} numbers (target ≤ 150 MB)`],
    ...manyTenantsRows(r.manyTenants),
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  process.stdout.write(`\nBenchmark (${r.machine.cpus} cores, Node ${r.machine.node}; fakes at ${JSON.stringify(r.latenciesMs)} ms; ${r.durationS} s)\n\n`);
  for (const [label, value, note] of rows) process.stdout.write(`${label.padEnd(width)}  ${String(value).padEnd(18)}  ${note}\n`);
  process.stdout.write(`\n50 callers and cached: ${ROUNDS} rounds taken in turns with the reference; figures are the middle round,\nratios the middle of the rounds' ratios.\nWritten to ${path.relative(ROOT, file)}\n`);
}

function consoleRows(c) {
  return [
    [
      'console on: uncached, 50 callers, p50 / p99 (ms)',
      `${c.uncached.on.p50} / ${c.uncached.on.p99}`,
      `console off ${c.uncached.off.p50} / ${c.uncached.off.p99} (×${c.uncached.ratioP50} / ×${c.uncached.ratioP99}); an admin reloading the overview and recent lookups every second (${c.pagesLoaded} pages, ${c.pageMsMean} ms each)`,
    ],
    [
      'console on: cached, 50 callers, req/s, p99',
      `${c.cached.on.rps}, ${c.cached.on.p99}`,
      `console off ${c.cached.off.rps}, ${c.cached.off.p99} (req/s ×${c.cached.ratioRps}, p99 ×${c.cached.ratioP99}); CPU per lookup ${c.cached.on.cpuUsPerRequest} µs on, ${c.cached.off.cpuUsPerRequest} µs off (×${c.cached.ratioCpu})`,
    ],
  ];
}

function replicaRows(r) {
  const cpu = (side) => `${side.cpuUsPerRequest} µs${side.alsoCpuUsPerRequest === undefined ? '' : ` + Redis ${side.alsoCpuUsPerRequest} µs`}`;
  const n = r.new50;
  return [
    ['2 replicas + Redis, cached, 1 caller: p50 / p99 (ms)', `${r.cached1.replica.p50} / ${r.cached1.replica.p99}, ${cpu(r.cached1.replica)}`, `single in-process ${r.cached1.single.p50} / ${r.cached1.single.p99}, ${cpu(r.cached1.single)}; p50 +${r.cached1.p50DifferenceMs} ms (target ≤ +1)`],
    ['2 replicas + Redis, cached, 50 callers on one', `${r.cached50.replica.rps} req/s, ${cpu(r.cached50.replica)}`, `single ${r.cached50.single.rps} req/s, ${cpu(r.cached50.single)}; ×${r.cached50.ratio} (by round ${r.cached50.ratioByRound.join(', ')})`],
    ['2 replicas + Redis, new numbers, 1 caller: p50 / p99', `${r.new1.replica.p50} / ${r.new1.replica.p99}, ${cpu(r.new1.replica)}`, `single ${r.new1.single.p50} / ${r.new1.single.p99}, ${cpu(r.new1.single)}; p50 +${r.new1.p50DifferenceMs} ms`],
    ['2 replicas + Redis, new numbers, 50 callers split', `${n.replicas.p50} / ${n.replicas.p99}, ${cpu(n.replicas)}`, `single at 50 ${n.single.p50} / ${n.single.p99}, ${cpu(n.single)} (×${n.ratioP50} / ×${n.ratioP99}); 2 replicas without Redis ${n.replicasWithoutRedis.p50} / ${n.replicasWithoutRedis.p99}, ${cpu(n.replicasWithoutRedis)} (×${n.ratioToWithoutRedisP50} / ×${n.ratioToWithoutRedisP99})`],
    ['2 replicas + Redis: what Redis holds after', `${r.redis.usedMb} MB, ${r.redis.keys} keys`, `${r.redis.answers} cached answers, about ${r.redis.bytesPerAnswer} bytes each (sizing)`],
  ];
}

/** The many-tenants section alone, written to bench/results and printed like a full run's rows. */
async function onlyManyTenants() {
  const started = Date.now();
  const results = { machine: { cpus: os.cpus().length, node: process.version }, manyTenants: await manyTenantsLoad({ latenciesMs: LATENCY_MS, deadlineMs: DEADLINE_MS, v8Limits: V8_LIMITS }) };
  results.durationS = Math.round((Date.now() - started) / 1000);
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-many-tenants.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const rows = manyTenantsRows(results.manyTenants);
  const width = Math.max(...rows.map((row) => row[0].length));
  process.stdout.write(`\nBenchmark, many tenants only (${results.machine.cpus} cores, Node ${results.machine.node}; ${results.durationS} s)\n\n`);
  for (const [label, value, note] of rows) process.stdout.write(`${label.padEnd(width)}  ${String(value).padEnd(18)}  ${note}\n`);
  process.stdout.write(`\nWritten to ${path.relative(ROOT, file)}\n`);
}

/** The console section alone (`--only console`): its gateways on fakes of their own. */
async function onlyConsole() {
  const fakes = {};
  for (const [kind, latency] of Object.entries(LATENCY_MS)) fakes[kind] = await start(path.join(__dirname, 'bench/fake-process.js'), [kind, String(latency)]);
  const tenants = writeTenants(fakes);
  const gateway = await startGateway(tenants);
  await lookupLoad(gateway.url, UNCACHED, distinctNumber, { connections: 4, amount: 40 });
  await lookupLoad(gateway.url, CACHED, () => CACHED_NUMBER, { connections: 10, amount: 2000 });
  const results = { machine: { cpus: os.cpus().length, node: process.version }, console: await consoleLoad(gateway, tenants) };
  fs.rmSync(tenants, { recursive: true, force: true });
  const rows = consoleRows(results.console);
  const width = Math.max(...rows.map((row) => row[0].length));
  process.stdout.write(`\nBenchmark, console only (${results.machine.cpus} cores, Node ${results.machine.node})\n\n`);
  for (const [label, value, note] of rows) process.stdout.write(`${label.padEnd(width)}  ${String(value).padEnd(18)}  ${note}\n`);
}

function stopAll() {
  for (const child of children) child.kill('SIGKILL');
}

if (ONLY !== undefined && ONLY !== 'many-tenants' && ONLY !== 'console') {
  console.error(`--only: unknown section ${ONLY} (known: many-tenants, console)`);
  process.exit(2);
}
(ONLY === 'many-tenants' ? onlyManyTenants() : ONLY === 'console' ? onlyConsole() : main())
  .then(() => {
    stopAll();
    process.exit(0);
  })
  .catch((error) => {
    console.error(error);
    stopAll();
    process.exit(1);
  });
