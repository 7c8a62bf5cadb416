#!/usr/bin/env node
// `npm run demo`: the gateway with the demo tenant (token demo-token), its phone book, and a fake
// Salesforce org, HubSpot portal and SugarCRM instance on this machine (from the test tree), so the
// cards show every source.
'use strict';
const path = require('node:path');

for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];

async function main() {
  const { startDemoEnvironment } = require('../dist-fakes/demo-environment.js');
  const demo = await startDemoEnvironment(path.join(__dirname, '..', 'examples', 'tenants'));
  process.env.TENANTS_DIR = demo.tenantsDir;
  const { bootstrap } = require('../dist/main.js');
  const { app, url } = await bootstrap();
  const stop = async () => {
    await app.close();
    await demo.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

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
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`\nThe demo did not start.\n${error instanceof Error ? error.message : String(error)}\n\n`);
  process.exit(1);
});
