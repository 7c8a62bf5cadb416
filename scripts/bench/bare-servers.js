#!/usr/bin/env node
// The ceilings for cached lookups: a bare NestJS app (same Express adapter, same JSON, no logic) or a
// bare node:http server, answering what a cached lookup answers (the gateway's own answer, given).
// Usage: node bare-servers.js nest|http '<the cached answer as JSON>'
'use strict';
require('reflect-metadata');
const http = require('node:http');

const BODY = JSON.parse(process.argv[3]);

async function nest() {
  const { Controller, Get, Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  class BareController {
    lookup() {
      return BODY;
    }
  }
  Controller('lookup')(BareController);
  Get()(BareController.prototype, 'lookup', Object.getOwnPropertyDescriptor(BareController.prototype, 'lookup'));
  class BareModule {}
  Module({ controllers: [BareController] })(BareModule);
  const app = await NestFactory.create(BareModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address().port;
}

async function bare() {
  const server = http.createServer((req, res) => {
    const text = JSON.stringify(BODY);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

(process.argv[2] === 'nest' ? nest() : bare())
  .then((port) => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
