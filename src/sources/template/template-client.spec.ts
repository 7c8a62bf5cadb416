import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crmHttpOptions } from '../connection-pool';
import { prepareRequest, TemplateClient } from './template-client';
import { loadTemplateText, type LoadedTemplate } from './template-loader';

/** A CRM and its token endpoint on a loopback port, answering what each test scripts. */
class Crm {
  readonly tokenRequests: Array<{ form: URLSearchParams; authorization?: string; url?: string }> = [];
  readonly apiRequests: Array<{ url: string; authorization?: string }> = [];
  /** The access token the API accepts now; the token endpoint hands out `token-<n>`. */
  valid = '';
  expiresIn = 3600;
  tokenStatus = 200;
  apiStatus = 200;
  apiHeaders: Record<string, string> = {};
  apiDelayMs = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));
    };
    if (req.url?.endsWith('/oauth/token')) {
      this.tokenRequests.push({ form: new URLSearchParams(body), authorization: req.headers.authorization, url: req.url });
      if (this.tokenStatus !== 200) return json(this.tokenStatus, { error: 'invalid_grant', error_description: 'refresh token expired' });
      this.valid = `token-${this.tokenRequests.length}`;
      return json(200, { access_token: this.valid, token_type: 'Bearer', expires_in: this.expiresIn });
    }
    this.apiRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (this.apiDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.apiDelayMs));
    if (this.apiStatus !== 200) return json(this.apiStatus, { message: 'slow down', code: 'TOO_MANY' }, this.apiHeaders);
    if (req.headers.authorization !== undefined && !['Bearer', 'Zoho-oauthtoken'].some((scheme) => req.headers.authorization === `${scheme} ${this.valid}`)) return json(401, { message: 'invalid token', code: 'INVALID_TOKEN' });
    return json(200, { data: [{ id: 1, name: 'Anna Muster', phone: '044 668 18 00' }] });
  }
}

const template = (auth: string, extra = ''): LoadedTemplate =>
  loadTemplateText(
    `id: oauth-crm
name: OAuth CRM
prefix: OAUTH
badge: { letters: OC, color: "#000000" }
baseUrl: https://crm.example.ch
parameters:
  - { name: CLIENT_ID, required: true }
  - { name: CLIENT_SECRET, required: true, secret: true }
  - { name: REFRESH_TOKEN, secret: true }
auth: ${auth}
requests:
  - name: contacts
    method: GET
    path: /contacts
    query: { phone: "{{number.e164}}" }
    response: { records: "$.data[*]", objectType: contact, idPattern: "^[0-9]+$", id: "$.id", kind: person, name: "$.name", phones: "$.phone" }
errors: { message: "$.message", vendorCode: "$.code", retryAfterHeaders: [retry-after, x-ratelimit-reset] }
${extra}`,
    'oauth-crm.yaml',
  );

const CLIENT_CREDENTIALS = '{ type: oauth2, grant: client_credentials, tokenUrl: "https://login.example.ch/oauth/token", clientId: "{{param.CLIENT_ID}}", clientSecret: "{{param.CLIENT_SECRET}}" }';
const REFRESH = '{ type: oauth2, grant: refresh_token, clientAuth: basic, tokenUrl: "https://login.example.ch/oauth/token", clientId: "{{param.CLIENT_ID}}", clientSecret: "{{param.CLIENT_SECRET}}", refreshToken: "{{param.REFRESH_TOKEN}}" }';

describe('a template client', () => {
  const crm = new Crm();
  const http = new HttpService(axios.create(crmHttpOptions(8)));
  beforeAll(() => crm.start());
  afterAll(() => crm.stop());
  beforeEach(() => {
    crm.tokenRequests.length = 0;
    crm.apiRequests.length = 0;
    Object.assign(crm, { valid: '', expiresIn: 3600, tokenStatus: 200, apiStatus: 200, apiHeaders: {}, apiDelayMs: 0 });
  });

  const clientOf = (loaded: LoadedTemplate) =>
    new TemplateClient(http, loaded, {
      OAUTH_BASE_URL: crm.url,
      OAUTH_TOKEN_URL: `${crm.url}/oauth/token`,
      OAUTH_CLIENT_ID: 'client-1',
      OAUTH_CLIENT_SECRET: 's3cr:et',
      OAUTH_REFRESH_TOKEN: 'refresh-1',
    });
  const ask = (client: TemplateClient, loaded: LoadedTemplate) => {
    const compiled = loaded.requests[0]!;
    return client.fetch(compiled, prepareRequest(compiled, () => '+41446681800'), Date.now() + 2000);
  };

  it('signs in with client credentials once, and keeps the token for the next requests', async () => {
    const loaded = template(CLIENT_CREDENTIALS);
    const client = clientOf(loaded);
    await ask(client, loaded);
    await ask(client, loaded);
    expect(crm.tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(crm.tokenRequests[0]!.form)).toEqual({ grant_type: 'client_credentials', client_id: 'client-1', client_secret: 's3cr:et' });
    expect(crm.apiRequests.map((r) => [r.url, r.authorization])).toEqual([
      ['/contacts?phone=%2B41446681800', 'Bearer token-1'],
      ['/contacts?phone=%2B41446681800', 'Bearer token-1'],
    ]);
  });

  it('fetches a new token once when the CRM answers 401, and sends the request again', async () => {
    const loaded = template(CLIENT_CREDENTIALS);
    const client = clientOf(loaded);
    await ask(client, loaded);
    crm.valid = 'revoked-by-the-crm';
    await expect(ask(client, loaded)).resolves.toEqual({ data: [{ id: 1, name: 'Anna Muster', phone: '044 668 18 00' }] });
    expect(crm.tokenRequests).toHaveLength(2);
    expect(crm.apiRequests.map((r) => r.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it("signs in at a default token address built from the tenant's parameters (Entra ID's tenant id), unless the tenant sets its own", async () => {
    const loaded = template(CLIENT_CREDENTIALS.replace('"https://login.example.ch/oauth/token"', `"${crm.url}/{{param.CLIENT_ID}}/oauth/token"`));
    const settings = { OAUTH_BASE_URL: crm.url, OAUTH_CLIENT_ID: 'tenant 1/x', OAUTH_CLIENT_SECRET: 's3cr:et' };
    await ask(new TemplateClient(http, loaded, settings), loaded);
    expect(crm.tokenRequests.map((r) => r.url)).toEqual(['/tenant%201%2Fx/oauth/token']);
    await ask(new TemplateClient(http, loaded, { ...settings, OAUTH_TOKEN_URL: `${crm.url}/own/oauth/token` }), loaded);
    expect(crm.tokenRequests.map((r) => r.url)).toEqual(['/tenant%201%2Fx/oauth/token', '/own/oauth/token']);
    await expect(ask(new TemplateClient(http, loaded, { OAUTH_BASE_URL: crm.url, OAUTH_CLIENT_SECRET: 's3cr:et' }), loaded)).rejects.toMatchObject({
      code: 'CONFIG',
      message: "OAuth CRM's token address needs OAUTH_CLIENT_ID: set it, or OAUTH_TOKEN_URL",
    });
    expect(() => template(CLIENT_CREDENTIALS.replace('"https://login.example.ch/oauth/token"', '"https://login.example.ch/{{param.TOKEN_URL}}"'))).toThrow('auth.tokenUrl: the default token address cannot hold {{param.TOKEN_URL}}');
  });

  it('fetches a new token when the one it holds is about to expire', async () => {
    crm.expiresIn = 1; // kept for half its life: 0.5 s
    const loaded = template(CLIENT_CREDENTIALS);
    const client = clientOf(loaded);
    await ask(client, loaded);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await ask(client, loaded);
    expect(crm.tokenRequests).toHaveLength(2);
  });

  it("refreshes with the tenant's refresh token, the client's id and secret in HTTP Basic (Zoho's grant)", async () => {
    const loaded = template(REFRESH);
    await ask(clientOf(loaded), loaded);
    expect(Object.fromEntries(crm.tokenRequests[0]!.form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1' });
    expect(crm.tokenRequests[0]!.authorization).toBe(`Basic ${Buffer.from('client-1:s3cr%3Aet').toString('base64')}`);
  });

  it("sends the access token after the template's own scheme word (Zoho's Zoho-oauthtoken)", async () => {
    const loaded = template(REFRESH.replace('clientAuth: basic', 'scheme: Zoho-oauthtoken'));
    await ask(clientOf(loaded), loaded);
    expect(crm.apiRequests.map((r) => r.authorization)).toEqual(['Zoho-oauthtoken token-1']);
    expect(() => template(REFRESH.replace('clientAuth: basic', 'scheme: "Bearer x"'))).toThrow('auth.scheme');
  });

  it('fails as AUTH, with the endpoint’s error code, when the token endpoint refuses', async () => {
    crm.tokenStatus = 400;
    const loaded = template(REFRESH);
    await expect(ask(clientOf(loaded), loaded)).rejects.toMatchObject({
      code: 'AUTH',
      vendorCode: 'invalid_grant',
      message: "OAuth CRM's token endpoint answered 400 (invalid_grant): refresh token expired",
    });
    expect(crm.apiRequests).toHaveLength(0);
  });

  it('fails a 429 as RATE_LIMITED with the wait from the first header that says it, and sends nothing during that wait', async () => {
    crm.apiStatus = 429;
    crm.apiHeaders = { 'x-ratelimit-reset': '2' };
    const loaded = template('{ type: none }');
    const client = clientOf(loaded);
    await expect(ask(client, loaded)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 2000, vendorCode: 'TOO_MANY', message: 'OAuth CRM answered 429: slow down' });
    crm.apiStatus = 200;
    await expect(ask(client, loaded)).rejects.toMatchObject({ code: 'RATE_LIMITED', vendorCode: 'NOT_SENT_OVER_BUDGET' });
    expect(crm.apiRequests).toHaveLength(1);
  });

  it.each([
    [401, 'AUTH'],
    [403, 'AUTH'],
    [500, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [400, 'BAD_REQUEST'],
  ])('fails a %s as %s', async (status, code) => {
    crm.apiStatus = status;
    const loaded = template('{ type: none }');
    await expect(ask(clientOf(loaded), loaded)).rejects.toMatchObject({ code });
  });

  it('answers nothing for a status the request calls empty', async () => {
    crm.apiStatus = 404;
    const loaded = template('{ type: none }');
    const compiled = { ...loaded.requests[0]!, request: { ...loaded.requests[0]!.request, emptyStatuses: [404] } };
    await expect(new TemplateClient(http, loaded, { OAUTH_BASE_URL: crm.url }).fetch(compiled, prepareRequest(compiled, () => '+41446681800'), Date.now() + 2000)).resolves.toBeUndefined();
  });

  it('puts an API key given in the query after the request’s own parameters, out of the traced text', async () => {
    const loaded = template('{ type: apiKey, in: query, name: api_token, value: "{{param.CLIENT_SECRET}}" }');
    const compiled = loaded.requests[0]!;
    const prepared = prepareRequest(compiled, () => '+41446681800');
    await clientOf(loaded).fetch(compiled, prepared, Date.now() + 2000);
    expect(crm.apiRequests[0]!.url).toBe('/contacts?phone=%2B41446681800&api_token=s3cr%3Aet');
    expect(prepared.text).toBe('GET /contacts?phone=%2B41446681800');
  });

  it("writes OData's system query options with their $ (Dataverse's $filter), and the literal's quotes and spaces encoded in the value", () => {
    const loaded = template('{ type: none }').requests[0]!;
    const compiled = { ...loaded, query: [['$filter', [`telephone1 eq `, { source: 'number', name: 'e164', filter: 'odata' }]] as const] };
    expect(prepareRequest(compiled, () => "+41 4'4").pathAndQuery).toBe("/contacts?$filter=telephone1%20eq%20'%2B41%204''4'");
  });

  it('keeps to limits.concurrency: a request that finds no free slot by its deadline is not sent', async () => {
    crm.apiDelayMs = 300;
    const loaded = template('{ type: none }', 'limits: { concurrency: 1 }');
    const client = clientOf(loaded);
    const compiled = loaded.requests[0]!;
    const prepared = prepareRequest(compiled, () => '+41446681800');
    const slow = client.fetch(compiled, prepared, Date.now() + 2000);
    await expect(client.fetch(compiled, prepared, Date.now() + 60)).rejects.toMatchObject({ code: 'RATE_LIMITED', vendorCode: 'NOT_SENT_OVER_BUDGET' });
    await slow;
    expect(crm.apiRequests).toHaveLength(1);
  });
});
