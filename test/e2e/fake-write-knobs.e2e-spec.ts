// The fakes' switches for failing writes (`failWrites`, `cutNextWrites`), and what looking for a write
// by its key meets (HubSpot's call search and its index latency), as the outbox's tests use them:
// what goes over the wire, and what the gateway's CRM clients make of it. The fakes live in test/fakes,
// which no jest project searches; this suite sits with the e2e tests that start them.
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { crmHttpOptions } from '../../src/sources/connection-pool';
import { HubSpotClient } from '../../src/sources/hubspot/hubspot.client';
import { SalesforceClient } from '../../src/sources/salesforce/salesforce.client';
import { SugarClient } from '../../src/sources/sugar/sugar.client';
import { SugarSettings } from '../../src/sources/sugar/sugar.settings';
import { eventually } from '../support/eventually';
import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';

const http = new HttpService(axios.create(crmHttpOptions(4)));
const soon = (): number => Date.now() + 5000;
const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

describe('FakeSalesforce: failWrites and cutNextWrites', () => {
  const fake = new FakeSalesforce();
  let token: string;
  let client: SalesforceClient;

  beforeAll(async () => {
    await fake.start();
    token = fake.issueToken();
    client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: fake.url, accessToken: token }, '62.0');
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const api = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${fake.url}/services/data/v62.0${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    });
  const createTask = (fields: Record<string, unknown>): Promise<unknown> =>
    client.request({ method: 'POST', url: '/sobjects/Task', body: JSON.stringify(fields) }, soon());

  it("answers every write 503 with Retry-After in Salesforce's error array, writes nothing, and still answers searches", async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    const tasks = fake.org.Task.length;

    const created = await api('POST', '/sobjects/Task', { Subject: 'Call', CallObject: 'refused-1' });
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('3');
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await created.json()).toEqual([{ message: 'Server Unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
    const updated = await api('PATCH', '/sobjects/Contact/003000000000001AAA', { Title: 'CEO' });
    expect(updated.status).toBe(503);

    const search = await api('GET', `/search?q=${encodeURIComponent('FIND {41789072228} IN PHONE FIELDS RETURNING Contact(Id, Name)')}`);
    expect(search.status).toBe(200);
    expect(await search.json()).toMatchObject({ searchRecords: [{ Name: 'Anna Muster' }] });
    expect((await api('GET', `/query?q=${encodeURIComponent("SELECT Title FROM Contact WHERE Id = '003000000000001AAA'")}`)).status).toBe(200);

    expect(fake.org.Task).toHaveLength(tasks);
    expect(fake.org.Contact.find((c) => c.Id === '003000000000001AAA')?.Title).toBe('CFO');
    expect(fake.refusedWrites).toEqual([
      { method: 'POST', path: '/services/data/v62.0/sobjects/Task', object: 'Task', at: expect.any(Number), refused: true },
      { method: 'PATCH', path: '/services/data/v62.0/sobjects/Contact/003000000000001AAA', object: 'Contact', at: expect.any(Number), refused: true },
    ]);
  });

  it('makes the client fail with the wait Salesforce asked for, saying nothing was written', async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    await expect(createTask({ Subject: 'Call' })).rejects.toMatchObject({ code: 'UNAVAILABLE', vendorCode: 'SERVER_UNAVAILABLE', retryAfterMs: 3000, mayHaveWritten: false });
    fake.failWrites = { status: 403 };
    await expect(createTask({ Subject: 'Call' })).rejects.toMatchObject({ code: 'RATE_LIMITED', vendorCode: 'REQUEST_LIMIT_EXCEEDED', retryAfterMs: undefined });
    expect(fake.refusedWrites).toHaveLength(2);
  });

  it("answers a status Salesforce does not send itself (504) with the page of what stands in front of it", async () => {
    fake.failWrites = { status: 504 };
    const created = await api('POST', '/sobjects/Task', { Subject: 'Call' });
    expect(created.status).toBe(504);
    expect(created.headers.get('content-type')).toBe('text/html');
    await expect(createTask({ Subject: 'Call' })).rejects.toMatchObject({ vendorCode: 'ERROR_HTTP_504', mayHaveWritten: true });
  });

  it('stores the next create with every field sent, then cuts the connection: the client sees a reset', async () => {
    fake.cutNextWrites = 1;
    const fields = { Subject: 'Inbound call', TaskSubtype: 'Call', CallType: 'Inbound', CallDurationInSeconds: 95, CallObject: 'cut-1', WhoId: '003000000000001AAA' };
    await expect(createTask(fields)).rejects.toMatchObject({ code: 'UNAVAILABLE', mayHaveWritten: true });
    expect(fake.cutNextWrites).toBe(0);
    expect(fake.org.Task.filter((t) => t.CallObject === 'cut-1')).toEqual([expect.objectContaining(fields)]);
    await expect(createTask({ ...fields, CallObject: 'answered-1' })).resolves.toMatchObject({ success: true });
  });
});

describe('FakeHubSpot: failWrites and cutNextWrites', () => {
  const fake = new FakeHubSpot();
  let client: HubSpotClient;

  beforeAll(async () => {
    await fake.start();
    client = new HubSpotClient(http, fake.url, fake.token, { portalId: '4711', appUrl: 'https://app-eu1.hubspot.com' }, 5);
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const api = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${fake.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' } });
  const createCall = (properties: Record<string, string>): Promise<unknown> =>
    client.request({ method: 'POST', path: '/crm/v3/objects/calls', body: { properties, associations: [] } }, soon());

  it("answers every write 503 with Retry-After in HubSpot's error body, writes nothing, and still answers searches and reads", async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    const calls = fake.all('calls').length;

    const created = await api('POST', '/crm/v3/objects/calls', { properties: { hs_timestamp: '2026-11-20T08:00:00Z' } });
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('3');
    expect(await created.json()).toEqual({ status: 'error', message: expect.any(String), correlationId: expect.any(String), category: 'INTERNAL_ERROR' });
    expect((await api('PATCH', '/crm/v3/objects/contacts/101', { properties: { lastname: 'Other' } })).status).toBe(503);
    expect((await api('PUT', '/crm/v3/objects/calls/9000/associations/contacts/101/194')).status).toBe(503);

    const search = await api('POST', '/crm/v3/objects/contacts/search', { filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'EQ', value: 'Muster' }] }] });
    expect(search.status).toBe(200);
    expect(await search.json()).toMatchObject({ total: 1, results: [{ id: '101' }] });
    expect((await api('POST', '/crm/v3/objects/contacts/batch/read', { inputs: [{ id: '101' }], properties: ['lastname'], propertiesWithHistory: [] })).status).toBe(200);
    expect((await api('GET', '/crm/v3/objects/contacts/101')).status).toBe(200);

    expect(fake.all('calls')).toHaveLength(calls);
    expect(fake.all('contacts').find((c) => c.id === '101')?.properties.lastname).toBe('Muster');
    expect(fake.refusedWrites.map((w) => [w.method, w.object])).toEqual([
      ['POST', 'calls'],
      ['PATCH', 'contacts'],
      ['PUT', 'calls'],
    ]);
  });

  it("answers 429 as HubSpot's ten-secondly limit", async () => {
    fake.failWrites = { status: 429, retryAfterS: 3 };
    const created = await api('POST', '/crm/v3/objects/calls', { properties: { hs_timestamp: '2026-11-20T08:00:00Z' } });
    expect(created.status).toBe(429);
    expect(await created.json()).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    await expect(createCall({ hs_timestamp: '2026-11-20T08:00:00Z' })).rejects.toMatchObject({ code: 'RATE_LIMITED', vendorCode: 'TEN_SECONDLY_ROLLING', retryAfterMs: 3000, mayHaveWritten: false });
  });

  it('makes the client fail with the wait HubSpot asked for, saying nothing was written', async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    await expect(createCall({ hs_timestamp: '2026-11-20T08:00:00Z' })).rejects.toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 3000, mayHaveWritten: false });
    expect(fake.refusedWrites).toHaveLength(1);
  });

  it('stores the next create with every property sent, then cuts the connection: the client sees a reset', async () => {
    fake.cutNextWrites = 1;
    const properties = { hs_timestamp: '2026-11-20T08:00:00Z', hs_call_title: 'Cut call', hs_call_direction: 'INBOUND', hs_call_duration: '95000', hs_call_from_number: '+41789072228' };
    await expect(createCall(properties)).rejects.toMatchObject({ code: 'UNAVAILABLE', mayHaveWritten: true });
    expect(fake.cutNextWrites).toBe(0);
    expect(fake.all('calls').filter((c) => c.properties.hs_call_title === 'Cut call')).toEqual([expect.objectContaining({ properties: expect.objectContaining(properties) })]);
    await expect(createCall({ ...properties, hs_call_title: 'Answered call' })).resolves.toMatchObject({ properties: { hs_call_title: 'Answered call' } });
  });
});

describe('FakeHubSpot: calls searched by hs_call_external_id, and the index latency of writes', () => {
  const fake = new FakeHubSpot();
  let client: HubSpotClient;

  beforeAll(async () => {
    await fake.start();
    client = new HubSpotClient(http, fake.url, fake.token, { portalId: '4711', appUrl: 'https://app-eu1.hubspot.com' }, 5);
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  type Found = { status: number; total?: number; results?: Array<{ id: string; properties: Record<string, string | null> }>; category?: string; message?: string };
  const searchRaw = async (type: string, filters: unknown[]): Promise<Found> => {
    const answer = await fetch(`${fake.url}/crm/v3/objects/${type}/search`, {
      method: 'POST',
      body: JSON.stringify({ filterGroups: [{ filters }], properties: ['hs_call_external_id', 'hs_call_title'], limit: 1 }),
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
    });
    // The HTTP status in place of the body's own `status` ("error").
    return { ...((await answer.json()) as object), status: answer.status };
  };
  const byKey = (key: string) => ({ propertyName: 'hs_call_external_id', operator: 'EQ', value: key });
  /** Through the gateway's client, which keeps to the 5 searches per second: a test may poll with it. */
  const findByKey = (key: string): Promise<{ total: number; results: Array<{ id: string; properties: Record<string, string | null> }> }> =>
    client.request({ method: 'POST', path: '/crm/v3/objects/calls/search', body: { filterGroups: [{ filters: [byKey(key)] }], properties: ['hs_call_external_id', 'hs_call_title'], limit: 1 }, search: true }, soon());
  const createCall = (properties: Record<string, string>): Promise<{ id: string }> =>
    client.request({ method: 'POST', path: '/crm/v3/objects/calls', body: { properties, associations: [] } }, soon());

  it('stores hs_call_external_id as sent and finds the call by it with EQ, nothing for another key; a filter on a property calls lack is refused 400', async () => {
    const created = await createCall({ hs_timestamp: '2026-11-20T08:00:00Z', hs_call_title: 'Keyed call', hs_call_external_id: '5f0c7c1e-1d2b-5a3c-a4d5-0123456789ab' });
    expect(fake.all('calls').find((c) => c.id === created.id)?.properties.hs_call_external_id).toBe('5f0c7c1e-1d2b-5a3c-a4d5-0123456789ab');

    expect(await searchRaw('calls', [byKey('5f0c7c1e-1d2b-5a3c-a4d5-0123456789ab')])).toEqual({
      status: 200,
      total: 1,
      results: [expect.objectContaining({ id: created.id, properties: expect.objectContaining({ hs_call_external_id: '5f0c7c1e-1d2b-5a3c-a4d5-0123456789ab', hs_call_title: 'Keyed call' }) })],
    });
    expect(await searchRaw('calls', [byKey('00000000-0000-5000-a000-000000000000')])).toMatchObject({ status: 200, total: 0, results: [] });
    // A portal's calls have the property before any call holds it: searching it is no error.
    fake.reset();
    expect(await searchRaw('calls', [byKey('5f0c7c1e-1d2b-5a3c-a4d5-0123456789ab')])).toMatchObject({ status: 200, total: 0 });
    expect(await searchRaw('calls', [{ propertyName: 'hs_call_externalid', operator: 'EQ', value: 'x' }])).toMatchObject({
      status: 400,
      category: 'VALIDATION_ERROR',
      errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['hs_call_externalid'] } }],
    });
  });

  it('shows a created call to search only indexLatencyMs after its write, and an update\'s new values as late; reads see them at once', async () => {
    fake.indexLatencyMs = 1000;
    const created = await createCall({ hs_timestamp: '2026-11-20T08:00:00Z', hs_call_title: 'Lagging call', hs_call_external_id: 'key-lag' });
    const createdAt = fake.requests.at(-1)!.at;
    expect(await findByKey('key-lag')).toMatchObject({ total: 0 });
    await eventually(async () => (await findByKey('key-lag')).total === 1, 5000);
    expect(fake.searchTimes.at(-1)! - createdAt).toBeGreaterThanOrEqual(1000);

    await client.request({ method: 'PATCH', path: `/crm/v3/objects/calls/${created.id}`, body: { properties: { hs_call_title: 'Updated call' } } }, soon());
    const updatedAt = fake.requests.at(-1)!.at;
    expect(fake.all('calls').find((c) => c.id === created.id)?.properties.hs_call_title).toBe('Updated call');
    expect((await findByKey('key-lag')).results[0]?.properties.hs_call_title).toBe('Lagging call');
    await eventually(async () => (await findByKey('key-lag')).results[0]?.properties.hs_call_title === 'Updated call', 5000);
    expect(fake.searchTimes.at(-1)! - updatedAt).toBeGreaterThanOrEqual(1000);
  });

  it("counts call searches against the portal's 5 per second with the other searches: the sixth within a second gets HubSpot's 429", async () => {
    const contacts = Array.from({ length: 3 }, () => searchRaw('contacts', [{ propertyName: 'lastname', operator: 'EQ', value: 'Muster' }]));
    const calls = Array.from({ length: 3 }, () => searchRaw('calls', [byKey('key-none')]));
    const answers = await Promise.all([...contacts, ...calls]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers.find((a) => a.status === 429)).toMatchObject({ message: 'You have reached your secondly limit.' });
    expect(fake.searchArrivals).toHaveLength(6);
  });
});

describe('FakeSugar: failWrites and cutNextWrites', () => {
  const fake = new FakeSugar();
  let client: SugarClient;

  beforeAll(async () => {
    await fake.start();
  });
  beforeEach(() => {
    client = new SugarClient(http, 'acme', Object.assign(new SugarSettings(), { SUGAR_URL: fake.url, SUGAR_USERNAME: fake.username, SUGAR_PASSWORD: fake.password, SUGAR_PLATFORM: 'phone_gateway' }));
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const login = async (): Promise<string> => {
    const answer = await fetch(`${fake.url}/rest/v11/oauth2/token`, {
      method: 'POST',
      ...json({ grant_type: 'password', client_id: 'sugar', client_secret: '', username: fake.username, password: fake.password, platform: 'base' }),
    });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { access_token: string }).access_token;
  };
  const api = (token: string, method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${fake.url}/rest/v11${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'OAuth-Token': token, 'Content-Type': 'application/json' } });
  const createCall = (fields: Record<string, unknown>): Promise<unknown> => client.request({ method: 'POST', path: '/Calls', body: fields }, soon());

  it("answers every write 503 with Retry-After in Sugar's error body, writes nothing, and still signs in and answers searches", async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    const token = await login();
    const calls = fake.all('Calls').length;

    const created = await api(token, 'POST', '/Calls', { name: 'Call', date_start: '2026-11-20T08:00:00+00:00' });
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('3');
    expect(await created.json()).toEqual({ error: 'service_unavailable', error_message: expect.any(String) });
    expect((await api(token, 'PUT', '/Contacts/c-anna', { title: 'CEO' })).status).toBe(503);

    const filter = await api(token, 'POST', '/Contacts/filter', { filter: [{ last_name: 'Muster' }], fields: 'name' });
    expect(filter.status).toBe(200);
    expect(await filter.json()).toMatchObject({ records: [{ name: 'Anna Muster' }] });
    expect((await api(token, 'GET', '/globalsearch?q=789072228&module_list=Contacts')).status).toBe(200);
    expect((await api(token, 'GET', '/Contacts/c-anna?fields=title')).status).toBe(200);

    expect(fake.all('Calls')).toHaveLength(calls);
    expect(fake.all('Contacts').find((c) => c.id === 'c-anna')?.title).toBe('CFO');
    expect(fake.refusedWrites.map((w) => [w.method, w.path, w.object])).toEqual([
      ['POST', '/rest/v11/Calls', 'Calls'],
      ['PUT', '/rest/v11/Contacts/c-anna', 'Contacts'],
    ]);
  });

  it('makes the client fail with the wait Sugar asked for, saying nothing was written', async () => {
    fake.failWrites = { status: 503, retryAfterS: 3 };
    await expect(createCall({ name: 'Call', date_start: '2026-11-20T08:00:00+00:00' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      vendorCode: 'service_unavailable',
      retryAfterMs: 3000,
      mayHaveWritten: false,
    });
    expect(fake.refusedWrites).toHaveLength(1);
  });

  it('stores the next create with every field sent, then cuts the connection: the client sees a reset', async () => {
    fake.cutNextWrites = 1;
    const fields = { name: 'Cut call', direction: 'Inbound', status: 'Held', date_start: '2026-11-20T08:00:00+00:00', duration_hours: 0, duration_minutes: 2, parent_type: 'Contacts', parent_id: 'c-anna' };
    await expect(createCall({ ...fields, contacts: { add: ['c-anna'] } })).rejects.toMatchObject({ code: 'UNAVAILABLE', mayHaveWritten: true });
    expect(fake.cutNextWrites).toBe(0);
    const stored = fake.all('Calls').filter((c) => c.name === 'Cut call');
    expect(stored).toEqual([expect.objectContaining(fields)]);
    expect(fake.links.get(`Calls/${stored[0]!.id}`)).toEqual(new Set(['Contacts/c-anna']));
    await expect(createCall({ ...fields, name: 'Answered call' })).resolves.toMatchObject({ name: 'Answered call' });
  });
});
