#!/usr/bin/env node
// `npm run demo`: the gateway with the demo tenant (token demo-token), its phone book, and a fake
// Salesforce org, HubSpot portal and SugarCRM instance on this machine (from the test tree), so the
// cards show every source.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// The demo's own settings, whatever the shell holds: its CRMs are on this machine, its ids unsigned
// (the README's workflow example uses them), its metrics and its admin console open with the tokens it prints.
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'RECORD_ID_SECRET']) delete process.env[name];
process.env.METRICS_TOKEN = 'demo-metrics-token';
process.env.ADMIN_TOKEN = 'demo-admin-token-change-me';

async function main() {
  const { startDemoEnvironment } = require('../dist-fakes/demo-environment.js');
  const demo = await startDemoEnvironment(path.join(__dirname, '..', 'examples', 'tenants'));
  // Ctrl-C or SIGTERM stop the gateway, which then exits the process: the copied tenants go with it.
  process.on('exit', () => fs.rmSync(demo.tenantsDir, { recursive: true, force: true }));
  process.env.TENANTS_DIR = demo.tenantsDir;
  const { bootstrap } = require('../dist/main.js');
  const { url } = await bootstrap();

  const port = new URL(url).port;
  const base = `http://localhost:${port}`;
  process.stdout.write(
    [
      '',
      `Demo gateway ready on ${base} (tenant "demo", token demo-token), with a fake Salesforce org at ${demo.salesforceUrl}`,
      `a fake HubSpot portal at ${demo.hubspotUrl} and a fake SugarCRM at ${demo.sugarUrl}. Try:`,
      '',
      `  curl -s -H 'X-Execution-Token: demo-token' '${base}/lookup?PhoneNumber=41789072228'`,
      `  curl -s -X POST -H 'X-Execution-Token: demo-token' -H 'Content-Type: application/json' -d '{"inputs":{"phoneNumber":"0041 44 668 18 00"}}' '${base}/lookup/Lookup'`,
      '',
      "Log Anna Muster's call as a Task in the fake Salesforce org (the README's CallFlow example):",
      '',
      `  curl -s -X POST -H 'X-Execution-Token: demo-token' -H 'Content-Type: application/json' '${base}/lookup/CallFlow' -d '{"inputs":{"contactCrmId": "salesforce:Contact:003000000000001AAA", "userCrmId": "salesforce:005000000000002AAA", "originatorNumber": "41789072228", "originatorName": "Anna Muster", "destinationNumber": "41446681800", "destinationName": "Reception", "direction": "incoming", "startedTime": "2026-11-24 10:15:00", "answeredTime": "", "endedTime": "", "declinedTime": "", "id": null}}'`,
      '',
      'What an admin sees: readiness per tenant and source, and the Prometheus metrics:',
      '',
      `  curl -s -H 'Authorization: Bearer demo-metrics-token' '${base}/health/ready'`,
      `  curl -s -H 'Authorization: Bearer demo-metrics-token' '${base}/metrics'`,
      '',
      `The admin's console: open ${base}/admin in a browser and sign in with demo-admin-token-change-me`,
      `(overview, a lookup explained, recent lookups, outbox, tenants). The API's description: ${base}/docs`,
      '',
      `The demo's tenant files are in ${demo.tenantsDir}: edit demo.env and the gateway applies it at once.`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`\nThe demo did not start.\n${error instanceof Error ? error.message : String(error)}\n\n`);
  process.exit(1);
});
