import { HUBSPOT_MAX_SOCKETS } from '../../src/sources/hubspot/hubspot.module';
import { CALL_DISPOSITIONS } from '../../src/sources/hubspot/hubspot.workflows';
import { FakeHubSpot, type RecordedRequest, type Failure } from '../fakes/hubspot/fake-hubspot';
import { eventually } from '../support/eventually';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'hs-tenant-token';
const DEADLINE_MS = 1500;
const SEARCHABLE = ['hs_searchable_calculated_phone_number', 'hs_searchable_calculated_mobile_number'];

type Filters = { filterGroups: Array<{ filters: Array<{ propertyName: string; operator: string; value?: string; values?: string[] }> }> };
const filtersOf = (search: RecordedRequest | undefined) => (search?.body as Filters | undefined)?.filterGroups.flatMap((g) => g.filters) ?? [];
const searchesOf = (fake: FakeHubSpot, object: string, since = 0) => fake.requests.slice(since).filter((r) => r.path === `/crm/v3/objects/${object}/search`);

function hubspotTenant(fake: FakeHubSpot, extra = ''): string {
  return [`TOKEN=${TOKEN}`, `HUBSPOT_ACCESS_TOKEN=${fake.token}`, `HUBSPOT_BASE_URL=${fake.url}`, 'HUBSPOT_CUSTOM_DATA=Lifecycle=lifecyclestage', 'WORKFLOW_DEFAULT_CRM=hubspot', 'CACHE_TTL_S=0', extra].join('\n');
}

describe('HubSpot source (e2e against the fake HubSpot)', () => {
  const fake = new FakeHubSpot();
  let gateway: TestApp;

  beforeAll(async () => {
    await fake.start();
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'acme.env': hubspotTenant(fake),
        'book.csv': 'name,phone\nDirectory Person,+41 78 907 22 28\n',
        'mixed.env': `TOKEN=mixed-token-1\nHUBSPOT_ACCESS_TOKEN=${fake.token}\nHUBSPOT_BASE_URL=${fake.url}\nHUBSPOT_PORTAL_ID=99\nHUBSPOT_APP_URL=https://app.hubspot.com\nDIRECTORY_FILE=book.csv\nCACHE_TTL_S=0\n`,
        'cached.env': `TOKEN=cached-token-1\nHUBSPOT_ACCESS_TOKEN=${fake.token}\nHUBSPOT_BASE_URL=${fake.url}\nHUBSPOT_PORTAL_ID=99\nHUBSPOT_APP_URL=https://app.hubspot.com\nCACHE_TTL_S=60\n`,
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await fake.stop();
  });
  beforeEach(async () => {
    fake.hang = false;
    fake.delayMs = 0;
    fake.revoked = false;
    fake.searchFailures = {};
    // A fresh second of search budget for every test.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  });

  const lookup = (number: string, token = TOKEN) => gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token);
  const names = async (number: string, token = TOKEN): Promise<string[]> =>
    (await lookup(number, token).expect(200)).body.map((c: { Name: string }) => c.Name);

  describe('lookup', () => {
    it.each([
      ['41789072228', ['Anna Muster']],
      ['0789072228', ['Anna Muster']],
      ['41791234567', ['Beat Keller']],
      ['41215522000', ['Chantal Favre']],
      ['442079460018', ['Ian Clarke']],
      ['14155551212', ['Julia Chen']],
      ['393471234567', ['Elena Rossi']],
      ['41522123456', ['Kurt Meier']],
      ['49789072228', ['Fabian Weber']],
      ['41338220000', ['Alpenblick Hotel AG']],
      // Companies only, stored as "+41 44 668 18 00" and "044 123 45 67", on a portal whose companies lack the calculated phone properties.
      ['41446681800', ['Muster Treuhand AG']],
      ['41441234567', ['Keller Holzbau GmbH']],
      ['41790000000', []],
    ])('finds %s: %j', async (number, expected) => {
      expect(await names(number)).toEqual(expected);
    });

    it("searches contacts on the calculated phone properties with the national number, and companies, which lack them, on phone's written forms", async () => {
      const before = fake.requests.length;
      await lookup('41789072228').expect(200);
      const [contacts, companies] = [searchesOf(fake, 'contacts', before), searchesOf(fake, 'companies', before)];
      expect([contacts.length, companies.length]).toEqual([1, 1]);
      expect(contacts[0]!.body).toMatchObject({
        filterGroups: [
          { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '789072228' }] },
          { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'EQ', value: '789072228' }] },
        ],
      });
      expect(filtersOf(companies[0])).toEqual([
        { propertyName: 'phone', operator: 'IN', values: expect.arrayContaining(['+41 78 907 22 28', '078 907 22 28', '+41789072228', '0041 78 907 22 28']) },
      ]);
      for (const search of [...contacts, ...companies]) expect((search.body as { properties: string[] }).properties).not.toContain('hs_searchable_calculated_phone_number');
    });

    it('asks once per tenant, not per lookup, which phone properties companies have', async () => {
      const before = fake.propertyReads('companies').length;
      await lookup('41446681800').expect(200);
      await lookup('41789072228', 'mixed-token-1').expect(200);
      const reads = fake.propertyReads('companies');
      expect(reads).toHaveLength(before);
      // acme, mixed and cached: each asked for both properties, when it was attached.
      expect(reads.map((r) => r.path).sort()).toEqual(SEARCHABLE.flatMap((name) => Array(3).fill(`/crm/v3/properties/companies/${name}`)).sort());
      expect(fake.propertyReads('contacts')).toEqual([]);
    });

    it('drops the contact with the same national digits in another country', async () => {
      // Anna (+41 78 907 22 28) and Fabian (+49 78 907 22 28) share HubSpot's searchable value.
      const before = fake.requests.length;
      expect(await names('41789072228')).toEqual(['Anna Muster']);
      expect(fake.requests.slice(before).some((r) => r.path.endsWith('/contacts/search'))).toBe(true);
    });

    it('maps a contact with its company, links from the account details, and custom data', async () => {
      const [anna] = (await lookup('41789072228').expect(200)).body as Array<Record<string, unknown>>;
      expect(anna).toEqual({
        Name: 'Anna Muster',
        Company: 'Muster Treuhand AG',
        ContactUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-1/101',
        CompanyUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/201',
        Id: 'hubspot:contact:101',
        CrmName: 'HubSpot',
        CrmLogo: 'http://localhost:3000/logos/hubspot.svg',
        CrmActions: ['CallFlow', 'CreateContact', 'CreateTicket'],
        CustomData: { Lifecycle: 'customer' },
        CustomFields: { Lifecycle: 'customer' },
      });
      expect(fake.requests.filter((r) => r.path === '/account-info/v3/details').length).toBe(1);
    });

    it("takes a contact's company name from its primary associated company when its own is empty, in a batch read HubSpot accepts", async () => {
      const before = fake.requests.length;
      const [beat] = (await lookup('41791234567').expect(200)).body as Array<Record<string, unknown>>;
      expect(beat).toMatchObject({ Name: 'Beat Keller', Company: 'Keller Holzbau GmbH', CompanyUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/202' });
      // The fake refuses a body without the fields the spec requires, as HubSpot may.
      expect(fake.requests.slice(before).filter((r) => r.path === '/crm/v3/objects/companies/batch/read').map((r) => r.body)).toEqual([
        { inputs: [{ id: '202' }], properties: ['name'], propertiesWithHistory: [] },
      ]);
    });

    it('finds a company with no contact', async () => {
      const [company] = (await lookup('41338220000').expect(200)).body as Array<Record<string, unknown>>;
      expect(company).toMatchObject({ Name: 'Alpenblick Hotel AG', Id: 'hubspot:company:203', ContactUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/203' });
    });

    it('uses the configured portal id and UI address for links', async () => {
      const cards = (await lookup('41789072228', 'mixed-token-1').expect(200)).body as Array<Record<string, unknown>>;
      expect(cards.map((c) => c.Name)).toEqual(['Anna Muster', 'Directory Person']);
      expect(cards[0]!.ContactUri).toBe('https://app.hubspot.com/contacts/99/record/0-1/101');
    });
  });

  describe('one object failing', () => {
    it.each<[Failure, string]>([
      [400, 'BAD_REQUEST'],
      [503, 'UNAVAILABLE'],
      ['hang', 'TIMEOUT'],
    ])('answers the contact when the company search fails (%s), and logs why, without the number', async (failure, code) => {
      fake.searchFailures = { companies: failure };
      const response = await lookup('41789072228').set('X-Request-Id', `hubspot-companies-${failure}`).expect(200);
      expect(response.body.map((c: { Name: string }) => c.Name)).toEqual(['Anna Muster']);
      const warning = gateway.logs.lines.filter((l) => l.tenant === 'acme' && l.source === 'hubspot' && l.object === 'companies' && l.code === code).at(-1);
      expect(warning).toMatchObject({ level: 40, msg: expect.stringContaining('companies not searched') });
      expect(JSON.stringify(warning)).not.toMatch(/789072228|907 22 28/);
      const completed = gateway.logs.lines.find((l) => l.reqId === `hubspot-companies-${failure}` && l.msg === 'request completed');
      expect(completed).toMatchObject({ lookup: { sources: { hubspot: { outcome: 'ok' } } } });
    });

    it('fails the source only when every object fails', async () => {
      fake.searchFailures = { companies: 503, contacts: 503 };
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      expect(gateway.logs.lines.filter((l) => l.tenant === 'mixed' && l.source === 'hubspot' && l.code === 'UNAVAILABLE').at(-1)).toMatchObject({
        msg: 'Source hubspot failed (UNAVAILABLE); answered without it',
      });
    });

    it('keeps an answer with a failed object out of the cache: the next lookup asks HubSpot again', async () => {
      fake.searchFailures = { companies: 503 };
      const before = fake.requests.length;
      expect(await names('41791234567', 'cached-token-1')).toEqual(['Beat Keller']);
      fake.searchFailures = {};
      expect(await names('41791234567', 'cached-token-1')).toEqual(['Beat Keller']);
      expect(searchesOf(fake, 'contacts', before)).toHaveLength(2);
      // The complete answer is kept: the third lookup asks nothing.
      const third = fake.requests.length;
      expect(await names('41791234567', 'cached-token-1')).toEqual(['Beat Keller']);
      expect(fake.requests.length).toBe(third);
    });
  });

  describe('limits and failures', () => {
    it('keeps to 5 searches per second when 20 lookups arrive in one second: no 5xx, none late', async () => {
      const firstSearch = fake.searchTimes.length;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 50));
          const sent = Date.now();
          const response = await lookup('41789072228', 'mixed-token-1');
          return { status: response.status, elapsed: Date.now() - sent, names: (response.body as Array<{ Name: string }>).map((c) => c.Name) };
        }),
      );
      expect(Date.now() - started).toBeLessThan(20 * 50 + DEADLINE_MS + 1000);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers.every((a) => a.elapsed < DEADLINE_MS + 1000)).toBe(true);
      expect(answers.every((a) => a.names.includes('Directory Person'))).toBe(true);
      expect(answers.filter((a) => a.names.includes('Anna Muster')).length).toBeGreaterThanOrEqual(2);
      expect(fake.searchTimes.length - firstSearch).toBeGreaterThan(0);
      expect(fake.maxSearchesPerSecond()).toBeLessThanOrEqual(5);
      expect(fake.searchArrivals.length).toBe(fake.searchTimes.length);
    });

    it('retries a secondly-limit 429 once when that fits the deadline', async () => {
      fake.searchesPerSecond = 1;
      try {
        expect(await names('41789072228')).toEqual(['Anna Muster']);
        expect(fake.searchArrivals.length).toBeGreaterThan(fake.searchTimes.length);
      } finally {
        fake.searchesPerSecond = 5;
      }
    });

    it('answers a hanging HubSpot by the deadline with the other sources', async () => {
      fake.hang = true;
      const started = Date.now();
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 1000);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ tenant: 'mixed', source: 'hubspot', code: 'TIMEOUT' }));
    });

    it('reports a revoked token with HubSpot category and correlation id', async () => {
      fake.revoked = true;
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      const failure = gateway.logs.lines.filter((l) => l.source === 'hubspot' && l.code === 'AUTH').at(-1);
      expect(failure).toMatchObject({ vendorCode: 'INVALID_AUTHENTICATION', reason: expect.stringMatching(/^HubSpot answered 401: .*\(INVALID_AUTHENTICATION, correlation [0-9a-f-]{36}\)$/) });
      expect(gateway.logs.text()).not.toContain(fake.token);
    });

    it('finds the caller when HubSpot closed the kept-alive connections just as the searches were sent on them', async () => {
      expect(await names('41789072228')).toEqual(['Anna Muster']);
      fake.dropIdleConnections();
      const before = fake.requests.length;
      await lookup('41789072228').set('X-Request-Id', 'hubspot-stale-1').expect(200);
      const line = gateway.logs.lines.find((l) => l.reqId === 'hubspot-stale-1' && l.msg === 'request completed') as { lookup?: { results: number; sources: Record<string, { outcome: string }> } };
      expect(line.lookup).toMatchObject({ results: 1, sources: { hubspot: { outcome: 'ok' } } });
      expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/search'))).toHaveLength(2); // the reset ones never reached HubSpot
    });
  });

  describe('workflows', () => {
    const call = {
      direction: 'incoming',
      originatorNumber: '41789072228',
      originatorName: 'Anna Muster',
      destinationNumber: '41446681800',
      userCrmId: 'hubspot:5150',
    };
    const post = (workflow: string, inputs: Record<string, unknown>) => gateway.http.post(`/lookup/${workflow}`).set(HEADER, TOKEN).send({ inputs });

    it('CallFlow creates one call associated with the contact (194), then updates it with the duration in ms', async () => {
      const callsBefore = fake.all('calls').length;
      const first = await post('CallFlow', { ...call, contactCrmId: 'hubspot:contact:101', startedTime: '2026-11-24 10:15:00' }).expect(200);
      expect(first.body.id).toMatch(/^hubspot:call:\d+$/);
      const callId = (first.body.id as string).split(':')[2]!;
      expect(first.body.url).toBe(`https://app-eu1.hubspot.com/contacts/4711/record/0-48/${callId}`);
      const created = fake.all('calls').find((c) => c.id === callId)!;
      expect(created.associations).toEqual([{ toType: 'contacts', toId: '101', typeId: 194 }]);
      expect(created.properties).toMatchObject({
        hs_timestamp: '2026-11-24T09:15:00.000Z',
        hs_call_direction: 'INBOUND',
        hs_call_status: 'NO_ANSWER',
        hs_call_disposition: CALL_DISPOSITIONS.noAnswer,
        hs_call_duration: '0',
        hs_call_from_number: '+41789072228',
        hs_call_to_number: '+41446681800',
        hubspot_owner_id: '5150',
        hs_call_title: 'Missed call from Anna Muster (+41 78 907 22 28)',
      });

      const ended = await post('CallFlow', {
        ...call,
        contactCrmId: 'hubspot:contact:101',
        startedTime: '2026-11-24 10:15:00',
        answeredTime: '2026-11-24 10:15:05',
        endedTime: '2026-11-24 10:16:40',
        id: first.body.id,
      }).expect(200);
      expect(ended.body).toEqual(first.body);
      expect(fake.all('calls')).toHaveLength(callsBefore + 1);
      expect(created.properties).toMatchObject({ hs_call_status: 'COMPLETED', hs_call_disposition: CALL_DISPOSITIONS.connected, hs_call_duration: '95000' });
      expect(fake.requests.filter((r) => r.method === 'PATCH').at(-1)?.path).toBe(`/crm/v3/objects/calls/${callId}`);
    });

    it('CallFlow on a company uses association 182', async () => {
      const response = await post('CallFlow', { ...call, contactCrmId: 'hubspot:company:203', startedTime: '2026-11-24 11:00:00' }).expect(200);
      const created = fake.all('calls').find((c) => c.id === (response.body.id as string).split(':')[2]);
      expect(created?.associations).toEqual([{ toType: 'companies', toId: '203', typeId: 182 }]);
    });

    it("CreateTicket opens a ticket in the tenant's pipeline, associated with the contact (16)", async () => {
      const response = await post('CreateTicket', { ...call, contactCrmId: 'hubspot:contact:101', startedTime: '2026-11-24 11:30:00' }).expect(200);
      expect(response.body.url).toMatch(/\/record\/0-5\/\d+$/);
      const ticket = fake.all('tickets').at(-1)!;
      expect(ticket.properties).toMatchObject({ hs_pipeline: '0', hs_pipeline_stage: '1', subject: 'Missed call from Anna Muster (+41 78 907 22 28)' });
      expect(ticket.associations).toEqual([{ toType: 'contacts', toId: '101', typeId: 16 }]);
    });

    it('CreateContact creates a contact for a new number, and returns the existing one for a known number', async () => {
      const contactsBefore = fake.all('contacts').length;
      const created = await post('CreateContact', { ...call, originatorNumber: '41795556677', originatorName: 'Neue Kundin', startedTime: '2026-11-24 12:00:00' }).expect(200);
      expect(created.body.id).toMatch(/^hubspot:contact:\d+$/);
      expect(fake.all('contacts').at(-1)!.properties).toMatchObject({ phone: '+41795556677', firstname: 'Neue', lastname: 'Kundin', hs_calculated_phone_number: '+41795556677' });

      const existing = await post('CreateContact', { ...call, originatorNumber: '41791234567', startedTime: '2026-11-24 12:05:00' }).expect(200);
      expect(existing.body).toEqual({ id: 'hubspot:contact:102', url: 'https://app-eu1.hubspot.com/contacts/4711/record/0-1/102' });
      expect(fake.all('contacts')).toHaveLength(contactsBefore + 1);
    });

    it('does not find a contact created moments ago while HubSpot indexes it', async () => {
      fake.indexLatencyMs = 60_000;
      try {
        await post('CreateContact', { ...call, originatorNumber: '41795550000', originatorName: 'Brand Neu', startedTime: '2026-11-24 12:30:00' }).expect(200);
        expect(await names('41795550000')).toEqual([]);
      } finally {
        fake.indexLatencyMs = 0;
      }
    });

    it.each([
      ['CallFlow', 'calls'],
      ['CreateTicket', 'tickets'],
    ] as const)('%s with an owner HubSpot does not know is written without the owner, once HubSpot refused it, with a warning naming it', async (workflow, type) => {
      const posts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === `/crm/v3/objects/${type}`);
      const postsBefore = posts().length;
      const reqId = `hs-owner-${workflow}`;
      const response = await post(workflow, { ...call, userCrmId: 'hubspot:999', contactCrmId: 'hubspot:contact:101', startedTime: '2026-11-24 13:30:00' }).set('X-Request-Id', reqId).expect(200);
      const written = fake.all(type).find((r) => r.id === (response.body.id as string).split(':')[2])!;
      expect(written.properties).not.toHaveProperty('hubspot_owner_id');
      expect(written.associations).toEqual([expect.objectContaining({ toId: '101' })]);
      expect(posts().slice(postsBefore).map((r) => (r.body as { properties: Record<string, string> }).properties.hubspot_owner_id)).toEqual(['999', undefined]);
      expect(gateway.logs.lines.filter((l) => l.reqId === reqId && (l.level as number) >= 40)).toEqual([
        expect.objectContaining({ level: 40, userCrmId: '999', msg: expect.stringContaining('userCrmId "999" left out, hubspot refused it as the owner (HubSpot answered 400') }),
      ]);
    });

    it('does not send an owner id that is no number, and warns naming it', async () => {
      const postsBefore = fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls').length;
      await post('CallFlow', { ...call, userCrmId: 'hubspot:sarah@acme.example', contactCrmId: 'hubspot:contact:101', startedTime: '2026-11-24 13:40:00' }).set('X-Request-Id', 'hs-owner-form').expect(200);
      const sent = fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls').slice(postsBefore);
      expect(sent.map((r) => (r.body as { properties: Record<string, string> }).properties)).toEqual([expect.not.objectContaining({ hubspot_owner_id: expect.anything() })]);
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({ reqId: 'hs-owner-form', level: 40, userCrmId: 'sarah@acme.example', msg: expect.stringContaining('it is not a HubSpot user id') }),
      );
    });

    it('answers 502 naming HubSpot when the write is refused, and does not retry it', async () => {
      fake.revoked = true;
      const before = fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls').length;
      const response = await post('CallFlow', { ...call, contactCrmId: 'hubspot:contact:101', startedTime: '2026-11-24 13:00:00' }).expect(502);
      expect(response.body).toMatchObject({ source: 'hubspot', code: 'AUTH', message: expect.stringContaining('INVALID_AUTHENTICATION') });
      expect(fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls').length).toBe(before + 1);
    });
  });
});

describe('HubSpot portal whose companies have the calculated phone properties (e2e)', () => {
  const fake = new FakeHubSpot({ companySearchableCalculatedPhones: true });
  const tenant = (): string => `TOKEN=${TOKEN}\nHUBSPOT_ACCESS_TOKEN=${fake.token}\nHUBSPOT_BASE_URL=${fake.url}\nHUBSPOT_PORTAL_ID=1\nHUBSPOT_APP_URL=https://app.hubspot.com\nCACHE_TTL_S=0\n`;
  const lookup = (gateway: TestApp, number: string) => gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, TOKEN).expect(200);
  const names = async (gateway: TestApp, number: string): Promise<string[]> => (await lookup(gateway, number)).body.map((c: { Name: string }) => c.Name);

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.revoked = false;
  });

  it('searches companies on the calculated phone property they have, once it is known, and finds company-only callers', async () => {
    await withTestApp({ env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) }, files: { 'acme.env': tenant() } }, async (gateway) => {
      await eventually(() => fake.propertyReads('companies').length === 2);
      expect(await names(gateway, '41446681800')).toEqual(['Muster Treuhand AG']);
      expect(filtersOf(searchesOf(fake, 'companies').at(-1))).toEqual([{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '446681800' }]);
      expect(await names(gateway, '41441234567')).toEqual(['Keller Holzbau GmbH']);
      expect(await names(gateway, '41789072228')).toEqual(['Anna Muster']);
      expect(fake.propertyReads('companies')).toHaveLength(2);
    });
  });

  it("searches companies on phone's written forms while the check fails, without asking again at every lookup", async () => {
    fake.propertyFailure = 503;
    await withTestApp({ env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) }, files: { 'acme.env': tenant() } }, async (gateway) => {
      await eventually(() => gateway.logs.lines.some((l) => l.tenant === 'acme' && l.object === 'companies' && l.code === 'UNAVAILABLE' && String(l.msg).includes('not known yet')));
      expect(await names(gateway, '41446681800')).toEqual(['Muster Treuhand AG']);
      expect(filtersOf(searchesOf(fake, 'companies').at(-1))).toEqual([{ propertyName: 'phone', operator: 'IN', values: expect.arrayContaining(['+41 44 668 18 00']) }]);
      expect(await names(gateway, '41446681800')).toEqual(['Muster Treuhand AG']);
      expect(fake.propertyReads('companies')).toHaveLength(2); // at the attach only: asked again a minute after it failed (unit spec)
      expect(gateway.logs.lines.filter((l) => l.object === 'companies' && String(l.msg).includes('not known yet'))).toHaveLength(1);
    });
  });

  it('waits for a check that does not answer no longer than half the lookup, then searches phone', async () => {
    fake.propertyFailure = 'hang';
    await withTestApp({ env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) }, files: { 'acme.env': tenant() } }, async (gateway) => {
      await eventually(() => fake.propertyReads('companies').length === 2);
      expect(await names(gateway, '41446681800')).toEqual(['Muster Treuhand AG']);
      expect(filtersOf(searchesOf(fake, 'companies').at(-1))).toEqual([{ propertyName: 'phone', operator: 'IN', values: expect.arrayContaining(['+41 44 668 18 00']) }]);
      expect(fake.propertyReads('companies')).toHaveLength(2); // the attach's check is still on its way: not asked twice
    });
  });
});

describe('HubSpot that hangs under load (e2e)', () => {
  it(`never has more open sockets to it than the pool limit (${HUBSPOT_MAX_SOCKETS}) while 200 lookups want more, and gets them back`, async () => {
    const fake = await new FakeHubSpot().start();
    // Ten tenants on one portal with a generous search budget, and circuits that stay closed: every
    // lookup asks HubSpot (two searches each), however fast this machine dispatches them; the long
    // deadline keeps each hanging request open while the next lookups arrive.
    const tenants = Array.from({ length: 10 }, (_, i) => `tenant-${i}-token`);
    const files = Object.fromEntries(
      tenants.map((token, i) => [`t${i}.env`, `TOKEN=${token}\nHUBSPOT_ACCESS_TOKEN=${fake.token}\nHUBSPOT_BASE_URL=${fake.url}\nHUBSPOT_PORTAL_ID=1\nHUBSPOT_APP_URL=https://app.hubspot.com\nCACHE_TTL_S=0\nHUBSPOT_SEARCH_RPS=1000\n`]),
    );
    await withTestApp({ env: { LOOKUP_TIMEOUT_MS: '2000', BREAKER_FAILURES: '100' }, files }, async (gateway) => {
      await eventually(() => fake.propertyReads('companies').length === 2 * tenants.length); // answered before the hang
      fake.hang = true;
      let mostOpen = 0;
      const watcher = setInterval(() => (mostOpen = Math.max(mostOpen, fake.openSockets)), 5);
      const statuses = await Promise.all(
        // Distinct numbers, so no two lookups share one query.
        Array.from({ length: 200 }, (_, i) =>
          gateway.http
            .get(`/lookup?PhoneNumber=417890${String(i).padStart(5, '0')}`)
            .set(HEADER, tenants[i % tenants.length]!)
            .set('X-Request-Id', `hang-load-${i}`)
            .then((r) => r.status),
        ),
      );
      clearInterval(watcher);
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Every lookup asked HubSpot and was answered at its deadline without it: 400 searches wanted, far more than the pool's sockets.
      const outcomes = gateway.logs.lines.filter((l) => String(l.reqId).startsWith('hang-load-') && l.msg === 'request completed').map((l) => (l as { lookup?: { sources: { hubspot?: { outcome: string } } } }).lookup?.sources.hubspot?.outcome);
      expect(outcomes).toEqual(Array(200).fill('timeout'));
      expect(mostOpen).toBeLessThanOrEqual(HUBSPOT_MAX_SOCKETS);
      expect(fake.openSockets).toBeLessThanOrEqual(HUBSPOT_MAX_SOCKETS);
      // The sockets of the given-up requests are given back: once HubSpot answers again, so does the gateway.
      fake.hang = false;
      await eventually(async () => {
        const after = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, tenants[0]!).expect(200);
        return after.body.some((c: { Name: string }) => c.Name === 'Anna Muster');
      });
    }).finally(() => fake.stop());
  }, 30_000);
});
