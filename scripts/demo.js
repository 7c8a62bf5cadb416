#!/usr/bin/env node
// `npm run demo`: the gateway with the demo tenant (token demo-token) and its phone book.
'use strict';
const path = require('node:path');

process.env.TENANTS_DIR = path.join(__dirname, '..', 'examples', 'tenants');

const { bootstrap } = require('../dist/main.js');

bootstrap()
  .then(({ url }) => {
    const port = new URL(url).port;
    const base = `http://localhost:${port}`;
    process.stdout.write(
      [
        '',
        `Demo gateway ready on ${base} (tenant "demo", token demo-token). Try:`,
        '',
        `  curl -s -H 'X-Execution-Token: demo-token' '${base}/lookup?PhoneNumber=41789072228'`,
        `  curl -s -X POST -H 'X-Execution-Token: demo-token' -H 'Content-Type: application/json' -d '{"inputs":{"phoneNumber":"0041 44 668 18 00"}}' '${base}/lookup/Lookup'`,
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  })
  .catch((error) => {
    process.stderr.write(`\nThe demo did not start.\n${error instanceof Error ? error.message : String(error)}\n\n`);
    process.exit(1);
  });
