#!/usr/bin/env node
// `npm run bench`: lookup latency through the demo gateway, over loopback HTTP with keep-alive.
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

async function measure(agent, port, label, paths, headers) {
  for (let i = 0; i < WARMUP; i++) await get(agent, port, paths[i % paths.length], headers);
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    await get(agent, port, paths[i % paths.length], headers);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { label, median: at(0.5), p95: at(0.95), p99: at(0.99), max: times[times.length - 1] };
}

async function main() {
  const port = await freePort();
  Object.assign(process.env, {
    TENANTS_DIR: path.join(__dirname, '..', 'examples', 'tenants'),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const { bootstrap } = require('../dist/main.js');
  const { app } = await bootstrap();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const auth = { 'X-Execution-Token': TOKEN };
  try {
    const rows = [
      await measure(agent, port, 'GET /health (baseline)', ['/health'], {}),
      await measure(agent, port, 'lookup, found (mixed formats)', [
        '/lookup?PhoneNumber=41789072228',
        '/lookup?PhoneNumber=%2B41%2078%20907%2022%2028',
        '/lookup?PhoneNumber=0041446681800',
        '/lookup?PhoneNumber=0791234567',
        '/lookup?PhoneNumber=14155551212',
      ], auth),
      await measure(agent, port, 'lookup, not found', ['/lookup?PhoneNumber=41789999999'], auth),
      await measure(agent, port, 'lookup, extension', ['/lookup?PhoneNumber=201'], auth),
    ];
    const baseline = rows[0].median;
    const fmt = (ms) => ms.toFixed(3).padStart(8);
    console.log(`\n${REQUESTS} sequential requests per row (after ${WARMUP} warm-up), keep-alive, LOG_LEVEL=${process.env.LOG_LEVEL}`);
    console.log(`${'row'.padEnd(32)} ${'median ms'.padStart(9)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  median / baseline`);
    for (const r of rows) {
      console.log(`${r.label.padEnd(32)} ${fmt(r.median)}  ${fmt(r.p95)} ${fmt(r.p99)} ${fmt(r.max)}  ${(r.median / baseline).toFixed(2)}x`);
    }
  } finally {
    agent.destroy();
    await app.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
