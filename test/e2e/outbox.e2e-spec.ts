import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import type { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import type { FakeSugar } from '../fakes/sugar/fake-sugar';
import { eventually } from '../support/eventually';
import { hubspot, salesforce, sugar } from '../support/outbox-crms';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'outbox-tenant-token';
const ADMIN_TOKEN = 'outbox-admin-token-0123456789abcdef';
const QUEUED_ID = /^(salesforce|hubspot|sugar):queued:[0-9a-f-]{36}$/;

describe.each([salesforce, hubspot, sugar])('the outbox, with %p', (makeCrm) => {
  const crm = makeCrm();
  let dataDir: string;
  let gateway: TestApp;

  beforeAll(async () => {
    await crm.fake.start();
    dataDir = mkdtempSync(join(tmpdir(), 'outbox-e2e-'));
    gateway = await startTestApp({
      env: { DATA_DIR: dataDir, ADMIN_TOKEN, WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1', WORKFLOW_TIMEOUT_MS: '3000' },
      files: { 'acme.env': [`TOKEN=${TOKEN}`, crm.tenant(), `WORKFLOW_DEFAULT_CRM=${crm.name}`, 'LANGUAGE=en', 'CACHE_TTL_S=0', ''].join('\n') },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await crm.fake.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    crm.fake.failWrites = undefined;
    // Each test starts with nothing waiting: what it counts is its own call's writes.
    await eventually(async () => {
      const waiting = await Promise.all(['queued', 'sending'].map(async (state) => (await admin(`/admin/outbox?state=${state}`).expect(200)).body.length));
      return waiting.every((count) => count === 0);
    }, 10_000);
  });

  let minute = 0;
  /** A call of its own for each test (the repeat guard keys calls by their start). */
  const newCall = (): Record<string, unknown> => ({
    direction: 'incoming',
    originatorNumber: '41789072228',
    originatorName: 'Anna Muster',
    destinationNumber: '41446681800',
    contactCrmId: crm.contactCrmId,
    startedTime: `2026-12-01 09:${String(minute++).padStart(2, '0')}:00`,
  });
  const post = (inputs: Record<string, unknown>) => gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs });
  const admin = (path: string) => gateway.http.get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const ended = (call: Record<string, unknown>): Record<string, unknown> => {
    const start = String(call.startedTime);
    return { ...call, answeredTime: start.replace(/:00$/, ':05'), endedTime: start.replace(/:(\d\d):00$/, (_, m: string) => `:${String(Number(m) + 3).padStart(2, '0')}:40`) };
  };

  it('answers 200 with a queued id while writes fail, merges the call\'s next request, and writes one record with the final facts once the CRM is back', async () => {
    const before = crm.calls().length;
    crm.fake.failWrites = { status: 503 };
    const call = newCall();
    const first = await post(call).expect(200);
    expect(first.body).toEqual({ id: expect.stringMatching(QUEUED_ID) });

    const last = await post({ ...ended(call), id: first.body.id }).expect(200);
    expect(last.body).toEqual(first.body);
    const queued = await admin('/admin/outbox?state=queued').expect(200);
    expect(queued.body).toContainEqual(expect.objectContaining({ id: first.body.id.split(':')[2], source: crm.name, workflow: 'CallFlow', version: 2, call: expect.objectContaining({ number: '+41******228' }) }));

    crm.fake.failWrites = undefined;
    await eventually(() => crm.calls().length === before + 1, 10_000);
    await eventually(async () => (await admin('/admin/outbox?state=delivered').expect(200)).body.some((d: { id: string }) => d.id === first.body.id.split(':')[2]), 10_000);
    expect(crm.calls().length).toBe(before + 1);
    expect(crm.calls().at(-1)!.talkSeconds).toBe(crm.kept(215));

    // Delivered: the queued id now stands for the record, and a later request updates it.
    const after = await post({ ...ended(call), id: first.body.id }).expect(200);
    expect(after.body.id).toMatch(new RegExp(`^${crm.name}:\\w+:[\\w-]+$`));
    expect(after.body.id).not.toMatch(QUEUED_ID);
    expect(crm.calls().length).toBe(before + 1);
  });

  it('answers a refusal the CRM would repeat at once, never sends it again, and keeps it as a dead letter', async () => {
    crm.fake.failWrites = { status: 400 };
    const writes = crm.callWrites().length;
    const refused = await post(newCall()).expect(502);
    expect(refused.body).toMatchObject({ source: crm.name, code: 'BAD_REQUEST' });
    const dead = await admin('/admin/outbox?state=dead').expect(200);
    expect(dead.body[0]).toMatchObject({ source: crm.name, workflow: 'CallFlow', state: 'dead', lastError: expect.stringMatching(/^BAD_REQUEST/) });
    crm.fake.failWrites = undefined;
    const id = dead.body[0].id as string;
    expect((await admin('/admin/outbox?state=queued').expect(200)).body.map((d: { id: string }) => d.id)).not.toContain(id);
    expect(crm.callWrites().length).toBe(writes + 1);

    // The admin fixed the cause and retries it: delivered.
    await gateway.http.post(`/admin/outbox/${id}/retry`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    await eventually(() => crm.callWrites().length === writes + 2, 10_000);
    await eventually(async () => (await admin('/admin/outbox?state=delivered').expect(200)).body.some((d: { id: string }) => d.id === id), 10_000);
  });

  it("waits for the CRM's Retry-After before trying again", async () => {
    crm.fake.failWrites = { status: 429, retryAfterS: 3 };
    const writes = crm.callWrites().length;
    await post(newCall()).expect(200);
    await eventually(() => crm.callWrites().length >= writes + 2, 10_000);
    const [refusedAt, retriedAt] = crm.callWrites().slice(writes);
    expect(retriedAt! - refusedAt!).toBeGreaterThanOrEqual(3000);
  });

  it('keeps the admin API closed to a tenant token and to a wrong admin token', async () => {
    await gateway.http.get('/admin/outbox').set(HEADER, TOKEN).expect(401);
    await gateway.http.get('/admin/outbox').set('Authorization', `Bearer ${TOKEN}`).expect(401);
    await gateway.http.get('/admin/outbox?state=sideways').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(400);
  });
});

describe('the outbox when a create was written but its answer was lost (e2e)', () => {
  const sugarCrm = sugar();
  const salesforceCrm = salesforce();
  const hubspotCrm = hubspot();
  const sugarFake = sugarCrm.fake as FakeSugar;
  const salesforceFake = salesforceCrm.fake as FakeSalesforce;
  const hubspotFake = hubspotCrm.fake as FakeHubSpot;
  /** HubSpot's search shows a new call this long after its write; the gateway is told it may take 3 s. */
  const HUBSPOT_INDEX_MS = 2000;
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([sugarFake.start(), salesforceFake.start(), hubspotFake.start()]);
    gateway = await startTestApp({
      env: { ADMIN_TOKEN, WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1', HUBSPOT_SEARCH_LAG_S: '3' },
      files: {
        'sugar.env': [`TOKEN=${TOKEN}`, sugarCrm.tenant(), 'WORKFLOW_DEFAULT_CRM=sugar', ''].join('\n'),
        'salesforce.env': ['TOKEN=outbox-salesforce-token', salesforceCrm.tenant(), 'WORKFLOW_DEFAULT_CRM=salesforce', ''].join('\n'),
        'hubspot.env': ['TOKEN=outbox-hubspot-token', hubspotCrm.tenant(), 'WORKFLOW_DEFAULT_CRM=hubspot', ''].join('\n'),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([sugarFake.stop(), salesforceFake.stop(), hubspotFake.stop()]);
  });

  const inputs = (contactCrmId: string, startedTime: string) => ({ direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', contactCrmId, startedTime });

  it('Sugar: keeps the call (200 with a queued id), finds the record the lost answer wrote by its key, adopts it, and writes no second one', async () => {
    const calls = sugarCrm.calls().length;
    sugarFake.cutNextWrites = 1;
    const queued = await gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs: inputs(sugarCrm.contactCrmId, '2026-12-02 09:00:00') }).expect(200);
    expect(queued.body).toEqual({ id: expect.stringMatching(/^sugar:queued:[0-9a-f-]{36}$/) });
    const delivery = (queued.body.id as string).split(':')[2]!;
    // Sugar stored it before the connection was cut, under the key the gateway chose: its own id.
    expect(sugarCrm.calls().map((c) => c.id)).toContain(delivery);
    await eventually(() => gateway.logs.lines.some((l) => l.delivery === delivery && /found already written in sugar: adopted/.test(String(l.msg))), 10_000);
    expect(sugarCrm.calls().length).toBe(calls + 1);

    const ended = await gateway.http
      .post('/lookup/CallFlow')
      .set(HEADER, TOKEN)
      .send({ inputs: { ...inputs(sugarCrm.contactCrmId, '2026-12-02 09:00:00'), answeredTime: '2026-12-02 09:00:05', endedTime: '2026-12-02 09:03:40', id: queued.body.id } })
      .expect(200);
    expect(ended.body.id).toBe(`sugar:Calls:${delivery}`);
    expect(sugarCrm.calls().length).toBe(calls + 1);
    expect(sugarCrm.calls().find((c) => c.id === delivery)!.talkSeconds).toBe(240);
  });

  it('Salesforce: finds the Task the lost answer wrote by the key in its CallObject, adopts it, and writes no second one', async () => {
    const tasks = salesforceCrm.calls().length;
    salesforceFake.cutNextWrites = 1;
    const queued = await gateway.http.post('/lookup/CallFlow').set(HEADER, 'outbox-salesforce-token').send({ inputs: inputs(salesforceCrm.contactCrmId, '2026-12-02 09:10:00') }).expect(200);
    expect(queued.body).toEqual({ id: expect.stringMatching(/^salesforce:queued:[0-9a-f-]{36}$/) });
    const delivery = (queued.body.id as string).split(':')[2]!;
    expect(salesforceFake.org.Task.at(-1)).toMatchObject({ CallObject: delivery });
    await eventually(() => gateway.logs.lines.some((l) => l.delivery === delivery && /found already written in salesforce: adopted/.test(String(l.msg))), 10_000);
    expect(salesforceCrm.calls().length).toBe(tasks + 1);
    const query = salesforceFake.requestsTo('/query').at(-1)!.q!;
    expect(query).toBe(`SELECT Id FROM Task WHERE CallObject = '${delivery}' AND CreatedDate = LAST_N_DAYS:31`);
  });

  it("HubSpot: looks for the call the lost answer wrote by the key in its hs_call_external_id no sooner than HubSpot's search shows it, adopts it: one call after every try", async () => {
    const calls = hubspotCrm.calls().length;
    hubspotFake.indexLatencyMs = HUBSPOT_INDEX_MS;
    hubspotCrm.fake.cutNextWrites = 1;
    try {
      const call = inputs(hubspotCrm.contactCrmId, '2026-12-02 09:30:00');
      const queued = await gateway.http.post('/lookup/CallFlow').set(HEADER, 'outbox-hubspot-token').send({ inputs: call }).expect(200);
      expect(queued.body).toEqual({ id: expect.stringMatching(/^hubspot:queued:[0-9a-f-]{36}$/) });
      const delivery = (queued.body.id as string).split(':')[2]!;
      // HubSpot stored it before the connection was cut, with the key the gateway chose.
      const cutAt = hubspotFake.writeArrivals.at(-1)!.at;
      expect(hubspotCrm.calls().filter((c) => c.key === delivery)).toHaveLength(1);
      await eventually(async () => (await gateway.http.get('/admin/outbox?state=delivered').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)).body.some((d: { id: string }) => d.id === delivery), 15_000);
      expect((await gateway.http.get('/admin/outbox?state=queued').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)).body).toEqual([]);
      expect(hubspotCrm.calls()).toHaveLength(calls + 1);
      expect(hubspotCrm.calls().filter((c) => c.key === delivery)).toHaveLength(1);
      expect(gateway.logs.lines.some((l) => l.delivery === delivery && /found already written in hubspot: adopted/.test(String(l.msg)))).toBe(true);
      // Every look for it came once HUBSPOT_SEARCH_LAG_S had passed since the try whose answer was cut.
      const looks = hubspotFake.requests.filter((r) => r.path === '/crm/v3/objects/calls/search' && JSON.stringify(r.body).includes(delivery));
      expect(looks.length).toBeGreaterThan(0);
      expect(looks.map((look) => look.at - cutAt).filter((after) => after < 3000)).toEqual([]);

      // The call's next request updates that call.
      const ended = await gateway.http
        .post('/lookup/CallFlow')
        .set(HEADER, 'outbox-hubspot-token')
        .send({ inputs: { ...call, answeredTime: '2026-12-02 09:30:05', endedTime: '2026-12-02 09:33:40', id: queued.body.id } })
        .expect(200);
      const adopted = hubspotCrm.calls().find((c) => c.key === delivery)!;
      expect(ended.body.id).toBe(`hubspot:call:${adopted.id}`);
      expect(hubspotCrm.calls()).toHaveLength(calls + 1);
      expect(adopted.talkSeconds).toBe(215);
    } finally {
      hubspotFake.indexLatencyMs = 0;
    }
  }, 30_000);

  it('Salesforce: answers 502 for a Case whose answer was lost, since a Case carries no key: nothing sent again blindly', async () => {
    const cases = salesforceFake.org.Case.length;
    salesforceFake.cutNextWrites = 1;
    const response = await gateway.http.post('/lookup/CreateTicket').set(HEADER, 'outbox-salesforce-token').send({ inputs: inputs(salesforceCrm.contactCrmId, '2026-12-02 09:20:00') }).expect(502);
    expect(response.body).toMatchObject({ source: 'salesforce' });
    expect(salesforceFake.org.Case.length).toBe(cases + 1); // written once, by the try whose answer was cut
    expect((await gateway.http.get('/admin/outbox?state=queued').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)).body).toEqual([]);
  });
});
