// Salesforce Cases written exactly once when the tenant names a custom Case field for the write's key
// (SALESFORCE_CASE_KEY_FIELD): a CreateTicket whose answer was cut off is looked for by that key and
// adopted; without the setting, such a Case is never sent again blindly (as before).
import type { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { salesforce } from '../support/outbox-crms';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const KEYED_TOKEN = 'case-key-tenant-token';
const PLAIN_TOKEN = 'case-plain-tenant-token';
const ADMIN_TOKEN = 'outbox-case-admin-token-0123456789';
const QUEUED_ID = /^salesforce:queued:([0-9a-f-]{36})$/;

describe('the outbox and Salesforce Cases carrying the write key in SALESFORCE_CASE_KEY_FIELD (e2e)', () => {
  const crm = salesforce();
  const fake = crm.fake as FakeSalesforce;
  let gateway: TestApp;

  beforeAll(async () => {
    await fake.start();
    // The admin created the field on Case: Text, External ID, Unique.
    fake.customFields = { Case: [{ name: 'Call_Key__c', unique: true }] };
    gateway = await startTestApp({
      env: { ADMIN_TOKEN, WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' },
      files: {
        'keyed.env': [`TOKEN=${KEYED_TOKEN}`, crm.tenant(), 'SALESFORCE_CASE_KEY_FIELD=Call_Key__c', 'WORKFLOW_DEFAULT_CRM=salesforce', ''].join('\n'),
        'plain.env': [`TOKEN=${PLAIN_TOKEN}`, crm.tenant(), 'WORKFLOW_DEFAULT_CRM=salesforce', ''].join('\n'),
      },
    });
  });
  afterEach(async () => {
    fake.failWrites = undefined;
    fake.cutNextWrites = 0;
    // Every retry has run: nothing of the test's call waits any more.
    await eventually(async () => (await Promise.all(['queued', 'sending'].map(outbox))).every((deliveries) => deliveries.length === 0), 10_000);
  });
  afterAll(async () => {
    await gateway.close();
    await fake.stop();
  });

  let minute = 0;
  /** A call of its own for each test (the repeat guard keys calls by their start). */
  const newCall = (): Record<string, unknown> => ({
    direction: 'incoming',
    originatorNumber: '41789072228',
    originatorName: 'Anna Muster',
    destinationNumber: '41446681800',
    contactCrmId: crm.contactCrmId,
    startedTime: `2026-12-03 10:${String(minute++).padStart(2, '0')}:00`,
  });
  const createTicket = (token: string, inputs: Record<string, unknown>) => gateway.http.post('/lookup/CreateTicket').set(HEADER, token).send({ inputs });
  const outbox = async (state: string): Promise<Array<{ id: string; state: string; lastError?: string }>> =>
    (await gateway.http.get(`/admin/outbox?state=${state}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)).body;
  const deliveryOf = (id: unknown): string => QUEUED_ID.exec(String(id))![1]!;
  const casesKeyed = (key: string) => fake.org.Case.filter((c) => c.Call_Key__c === key);
  const caseCreates = () => fake.writeArrivals.filter((w) => w.object === 'Case').length;
  const adopted = (delivery: string) => gateway.logs.lines.some((l) => l.delivery === delivery && /found already written in salesforce: adopted/.test(String(l.msg)));

  describe('with the setting', () => {
    it('keeps a Case whose answer was cut off (200 with a queued id), finds it by its key, adopts it: one Case', async () => {
      const [cases, creates] = [fake.org.Case.length, caseCreates()];
      fake.cutNextWrites = 1;
      const queued = await createTicket(KEYED_TOKEN, newCall()).expect(200);
      expect(queued.body).toEqual({ id: expect.stringMatching(QUEUED_ID) });
      const delivery = deliveryOf(queued.body.id);
      // Salesforce stored it before the connection was cut, with the key the gateway chose.
      expect(casesKeyed(delivery)).toHaveLength(1);

      await eventually(async () => (await outbox('delivered')).some((d) => d.id === delivery), 10_000);
      expect(adopted(delivery)).toBe(true);
      expect(fake.requestsTo('/query').map((r) => r.q)).toContain(`SELECT Id FROM Case WHERE Call_Key__c = '${delivery}' LIMIT 1`);
      expect(fake.org.Case.length).toBe(cases + 1);
      expect(casesKeyed(delivery)).toHaveLength(1);
      expect(caseCreates()).toBe(creates + 1);
    }, 15_000);

    it('a queued Case whose later try is cut off is looked for before the next one, and adopted: one Case', async () => {
      const cases = fake.org.Case.length;
      fake.failWrites = { status: 503 };
      const queued = await createTicket(KEYED_TOKEN, newCall()).expect(200);
      const delivery = deliveryOf(queued.body.id);
      expect(casesKeyed(delivery)).toHaveLength(0);
      fake.cutNextWrites = 1;
      fake.failWrites = undefined;

      await eventually(async () => (await outbox('delivered')).some((d) => d.id === delivery), 10_000);
      expect(fake.cutNextWrites).toBe(0); // the cut try did reach Salesforce
      expect(adopted(delivery)).toBe(true);
      expect(fake.org.Case.length).toBe(cases + 1);
      expect(casesKeyed(delivery)).toHaveLength(1);
    }, 15_000);
  });

  describe('without the setting (as before)', () => {
    it('answers 502 for a Case whose answer was cut off, keeps nothing to send again: one Case', async () => {
      const [cases, creates] = [fake.org.Case.length, caseCreates()];
      const dead = (await outbox('dead')).length;
      fake.cutNextWrites = 1;
      const refused = await createTicket(PLAIN_TOKEN, newCall()).expect(502);
      expect(refused.body).toMatchObject({ source: 'salesforce' });
      expect(fake.org.Case.length).toBe(cases + 1); // written once, by the try whose answer was cut
      expect(fake.org.Case.at(-1)).not.toHaveProperty('Call_Key__c');
      expect(await outbox('queued')).toEqual([]);
      // Answered at once, so the CONNECTOR knows: no dead letter either.
      expect(await outbox('dead')).toHaveLength(dead);
      expect(caseCreates()).toBe(creates + 1);
    }, 15_000);

    it('a queued Case whose later try is cut off becomes a dead letter "may have been written", never sent again: one Case', async () => {
      const [cases, queries] = [fake.org.Case.length, fake.requestsTo('/query').length];
      fake.failWrites = { status: 503 };
      const queued = await createTicket(PLAIN_TOKEN, newCall()).expect(200);
      const delivery = deliveryOf(queued.body.id);
      fake.cutNextWrites = 1;
      fake.failWrites = undefined;

      await eventually(async () => (await outbox('dead')).some((d) => d.id === delivery), 10_000);
      const letter = (await outbox('dead')).find((d) => d.id === delivery)!;
      expect(letter.lastError).toMatch(/it may have been written: not sent again; check salesforce/);
      expect(fake.cutNextWrites).toBe(0);
      expect(fake.org.Case.length).toBe(cases + 1);
      expect(adopted(delivery)).toBe(false);
      expect(fake.requestsTo('/query').slice(queries).some((r) => r.q?.includes('FROM Case'))).toBe(false);
    }, 15_000);
  });
});

describe('FakeSalesforce: custom Case fields', () => {
  const crm = salesforce();
  const fake = crm.fake as FakeSalesforce;
  let token: string;

  beforeAll(async () => {
    await fake.start();
    token = fake.issueToken();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${fake.url}/services/data/v62.0${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    });
    return { status: response.status, body: await response.json() };
  };
  const query = (soql: string) => api('GET', `/query?q=${encodeURIComponent(soql)}`);

  it('knows no custom field by default, as a new org: a create or a query naming one is refused INVALID_FIELD', async () => {
    await expect(api('POST', '/sobjects/Case', { Subject: 'Call', Call_Key__c: 'k-1' })).resolves.toEqual({
      status: 400,
      body: [{ message: "No such column 'Call_Key__c' on sobject of type Case", errorCode: 'INVALID_FIELD' }],
    });
    await expect(query("SELECT Id FROM Case WHERE Call_Key__c = 'k-1' LIMIT 1")).resolves.toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    expect(fake.org.Case).toEqual([]);
  });

  it('stores a declared field, lists it in describe, answers SOQL equality on it, and refuses a duplicate of a unique one', async () => {
    fake.customFields = { Case: [{ name: 'Call_Key__c', unique: true }] };
    const created = await api('POST', '/sobjects/Case', { Subject: 'Call', Call_Key__c: 'k-1' });
    expect(created).toEqual({ status: 201, body: { id: expect.stringMatching(/^500\w{15}$/), success: true, errors: [] } });
    const id = (created.body as { id: string }).id;
    expect(((await api('GET', '/sobjects/Case/describe')).body as { fields: Array<{ name: string }> }).fields.map((f) => f.name)).toContain('Call_Key__c');

    await expect(query("SELECT Id FROM Case WHERE Call_Key__c = 'k-1' LIMIT 1")).resolves.toEqual({
      status: 200,
      body: { totalSize: 1, done: true, records: [{ attributes: { type: 'Case', url: `/services/data/v62.0/sobjects/Case/${id}` }, Id: id }] },
    });
    await expect(query("SELECT Id FROM Case WHERE Call_Key__c = 'k-2' LIMIT 1")).resolves.toMatchObject({ status: 200, body: { totalSize: 0, records: [] } });

    await expect(api('POST', '/sobjects/Case', { Subject: 'Again', Call_Key__c: 'k-1' })).resolves.toEqual({
      status: 400,
      body: [{ message: `duplicate value found: Call_Key__c duplicates value on record with id: ${id.slice(0, 15)}`, errorCode: 'DUPLICATE_VALUE', fields: [] }],
    });
    expect(fake.org.Case).toHaveLength(1);
    // A field that is not unique takes the same value twice.
    fake.customFields = { Case: [{ name: 'Call_Key__c' }] };
    await expect(api('POST', '/sobjects/Case', { Subject: 'Again', Call_Key__c: 'k-1' })).resolves.toMatchObject({ status: 201 });
  });
});
