#!/usr/bin/env node
// `npm run bench`: lookup latency through the demo (phone book + fake Salesforce org on loopback;
// the fake HubSpot is left out, see below), over HTTP with keep-alive.
// Reports medians and tails, and each lookup's median as a ratio of /health's (the cost of HTTP + Nest
// alone), measured in the same run: the ratios travel between machines, the milliseconds do not.
'use strict';
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const WARMUP = 100;
const TOKEN = 'demo-token';

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function get(agent, port, pathAndQuery, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, agent, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${pathAndQuery}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

/** Rows take turns request by request, so warm-up, JIT and machine noise fall on all of them alike. */
async function measureInTurns(agent, port, rows) {
  for (let i = 0; i < WARMUP; i++) for (const row of rows) await get(agent, port, row.paths[i % row.paths.length], row.headers);
  const times = rows.map(() => []);
  for (let i = 0; i < REQUESTS; i++) {
    for (const [r, row] of rows.entries()) {
      const started = performance.now();
      await get(agent, port, row.paths[i % row.paths.length], row.headers);
      times[r].push(performance.now() - started);
    }
  }
  return rows.map((row, r) => {
    const sorted = times[r].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { label: row.label, median: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] };
  });
}

async function main() {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];
  const port = await freePort();
  const { startDemoEnvironment } = require('../dist-fakes/demo-environment.js');
  // HubSpot allows 5 searches/s per portal (2.5 lookups/s): a 1000-request run would measure its refusals.
  const demo = await startDemoEnvironment(path.join(__dirname, '..', 'examples', 'tenants'), { hubspot: false });
  Object.assign(process.env, {
    TENANTS_DIR: demo.tenantsDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const { bootstrap } = require('../dist/main.js');
  const { app } = await bootstrap();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const auth = { 'X-Execution-Token': TOKEN };
  try {
    const rows = await measureInTurns(agent, port, [
      { label: 'GET /health (baseline)', paths: ['/health'], headers: {} },
      {
        label: 'lookup, found (mixed formats)',
        paths: [
          '/lookup?PhoneNumber=41789072228',
          '/lookup?PhoneNumber=%2B41%2078%20907%2022%2028',
          '/lookup?PhoneNumber=0041446681800',
          '/lookup?PhoneNumber=0791234567',
          '/lookup?PhoneNumber=14155551212',
        ],
        headers: auth,
      },
      { label: 'lookup, not found', paths: ['/lookup?PhoneNumber=41789999999'], headers: auth },
      { label: 'lookup, directory only (ext.)', paths: ['/lookup?PhoneNumber=201'], headers: auth },
    ]);
    const baseline = rows[0].median;
    const fmt = (ms) => ms.toFixed(3).padStart(8);
    console.log(`\n${REQUESTS} sequential requests per row, rows taking turns (after ${WARMUP} warm-up each), keep-alive, LOG_LEVEL=${process.env.LOG_LEVEL}`);
    console.log(`${'row'.padEnd(32)} ${'median ms'.padStart(9)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  median / baseline`);
    for (const r of rows) {
      console.log(`${r.label.padEnd(32)} ${fmt(r.median)}  ${fmt(r.p95)} ${fmt(r.p99)} ${fmt(r.max)}  ${(r.median / baseline).toFixed(2)}x`);
    }
  } finally {
    agent.destroy();
    await app.close();
    await demo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
