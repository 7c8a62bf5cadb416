#!/usr/bin/env node
// The gateway with its lookup replaced by a constant answer: the same app (token guard, parameter
// pipes, request log, body parsers, metrics) minus the lookup. Beside the real gateway it measures
// what a cached lookup itself costs; beside bare NestJS, what the rest of the app costs.
// Started like the gateway (PORT, HOST, TENANTS_DIR), and ready like it (`GET /health/ready`).
// Usage: node constant-gateway.js '<the gateway's cached answer as JSON>'
'use strict';
require('reflect-metadata');
const { Test } = require('@nestjs/testing');
const { AppModule } = require('../../dist/app.module');
const { APP_OPTIONS, configureApp } = require('../../dist/main');
const { LookupService } = require('../../dist/lookup/lookup.service');

const CACHED_ANSWER = JSON.parse(process.argv[2]);
// What the request line says of the gateway's cached lookup of the benchmark's number.
const SUMMARY = { number: '+41******228', results: CACHED_ANSWER.length, sources: { salesforce: { outcome: 'cached' }, hubspot: { outcome: 'cached' }, sugar: { outcome: 'cached' } } };

async function main() {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(LookupService)
    .useValue({ lookup: async () => ({ cards: CACHED_ANSWER, summary: SUMMARY }) })
    .compile();
  const app = configureApp(moduleRef.createNestApplication({ ...APP_OPTIONS, logger: false }));
  await app.listen(Number(process.env.PORT), process.env.HOST);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
