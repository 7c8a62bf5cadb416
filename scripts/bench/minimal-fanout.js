#!/usr/bin/env node
// The floor: the least a parallel fan-out can do on this machine. A bare node:http server that, per
// request, calls the same three fakes the gateway calls (undici, keep-alive) and answers JSON.
// Usage: node minimal-fanout.js '<json with salesforce, hubspot, sugar urls and credentials>'
'use strict';
const http = require('node:http');
const { Agent, request } = require('undici');

const fakes = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

async function json(url, options) {
  const response = await request(url, { dispatcher: agent, ...options });
  return response.body.json();
}

async function main() {
  const sf = await json(`${fakes.salesforce.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=fake-client-id&client_secret=fake-client-secret',
  });
  const sugar = await json(`${fakes.sugar.url}/rest/v11/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', client_id: 'sugar', client_secret: '', username: fakes.sugar.username, password: fakes.sugar.password, platform: 'phone_gateway' }),
  });
  const server = http.createServer(async (req, res) => {
    const digits = new URL(req.url, 'http://x').searchParams.get('PhoneNumber') ?? '';
    const nsn = digits.slice(2);
    const sosl = `FIND {${digits} OR 0${nsn} OR ${nsn}} IN PHONE FIELDS RETURNING Contact(Id, Name, Phone), Lead(Id, Name, Phone), Account(Id, Name, Phone)`;
    const search = (object) =>
      json(`${fakes.hubspot.url}/crm/v3/objects/${object}/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fakes.hubspot.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ limit: 20, properties: ['firstname', 'lastname', 'phone'], filterGroups: [{ filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: nsn }] }] }),
      });
    const results = await Promise.all([
      json(`${fakes.salesforce.url}/services/data/v62.0/search?q=${encodeURIComponent(sosl)}`, { headers: { authorization: `Bearer ${sf.access_token}` } }),
      search('contacts'),
      search('companies'),
      json(`${fakes.sugar.url}/rest/v11/globalsearch?q=${nsn}&module_list=Contacts,Leads,Accounts&max_num=20`, { headers: { 'oauth-token': sugar.access_token } }),
    ]);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(results.map(() => [])));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
