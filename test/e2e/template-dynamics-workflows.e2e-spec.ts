import { eventually } from '../support/eventually';
import { FakeDynamics } from '../fakes/dynamics/fake-dynamics';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const ANNA = '70bf4d48-34cb-ed11-b596-0022481d68cd';
const MUSTER_TREUHAND = '78914942-34cb-ed11-b596-0022481d68cd';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tenant(token: string, fake: FakeDynamics, extra: readonly string[] = []): string {
  return [
    `TOKEN=${token}`,
    ...fake.tenantKeys(),
    'WORKFLOW_DEFAULT_CRM=dynamics',
    'TIMEZONE=Europe/Zurich',
    ...extra,
  ].join('\n');
}

let callMinute = 0;
/** The first request of a new call from Anna Muster's number (each test's call at its own minute). */
function newCall(extra: Record<string, unknown> = {}): Record<string, unknown> {
  callMinute += 1;
  return {
    direction: 'incoming',
    originatorNumber: '41446681800',
    originatorName: 'Anna Muster',
    destinationNumber: '41446681899',
    destinationName: 'Reception',
    startedTime: `2026-11-23 09:${String(callMinute).padStart(2, '0')}:00`,
    answeredTime: '',
    endedTime: null,
    declinedTime: '',
    id: null,
    ...extra,
  };
}

/** Templated workflows: the Dynamics 365 template writes calls, contacts and cases, each once (e2e against the fake Dataverse). */
describe('the Dynamics 365 template writes the workflows (e2e against the fake Dataverse)', () => {
  const fake = new FakeDynamics();
  const noCases = new FakeDynamics();
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([fake.start(), noCases.start()]);
    noCases.incidentsEnabled = false;
    gateway = await startTestApp({
      env: { WORKFLOW_TIMEOUT_MS: '1500', WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' },
      files: { 'acme.env': tenant('acme-token-1', fake), 'nocases.env': tenant('nocases-token-1', noCases) },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), noCases.stop()]);
  });

  const post = (workflow: string, inputs: Record<string, unknown>, token = 'acme-token-1') => gateway.http.post(`/lookup/${workflow}`).set(HEADER, token).send({ inputs });
  /** The card's `Id` of a record the lookup of +41 44 668 18 00 answers, by name. */
  const cardId = async (name: string): Promise<string> => {
    const cards = (await gateway.http.get('/lookup').query({ PhoneNumber: '+41446681800' }).set(HEADER, 'acme-token-1').expect(200)).body as Array<{ Name: string; Id: string }>;
    return cards.find((c) => c.Name === name)!.Id;
  };
  const writesOf = (set: string, method?: string) => fake.writes.filter((w) => w.entitySet === set && (method === undefined || w.method === method));

  it('logs the call as a phone call activity regarding the contact, with the call key as its id, and links it', async () => {
    const contact = await cardId('Anna Muster');
    const response = await post('CallFlow', newCall({ contactCrmId: contact })).expect(200);
    const [, , activityId] = String(response.body.id).split(':');
    expect(String(response.body.id)).toMatch(/^dynamics:phonecall:[0-9a-f-]{36}(:|$)/);
    expect(activityId).toMatch(GUID);
    expect(response.body.url).toBe(`${fake.url}/main.aspx?etn=phonecall&id=${activityId}&pagetype=entityrecord`);
    const [create] = writesOf('phonecalls', 'POST');
    expect(create!.headers).toMatchObject({ prefer: 'return=representation', 'odata-version': '4.0', 'content-type': expect.stringMatching(/^application\/json/) as unknown });
    expect(create!.body).toEqual({
      activityid: activityId,
      subject: 'Missed call from Anna Muster (+41 44 668 18 00)',
      description: expect.stringContaining('From: Anna Muster (+41 44 668 18 00)') as unknown,
      phonenumber: '+41446681800',
      directioncode: false,
      actualdurationminutes: 0,
      actualstart: expect.stringMatching(/^2026-11-23T08:\d\d:00\.000Z$/) as unknown,
      'regardingobjectid_contact_phonecall@odata.bind': `/contacts(${ANNA})`,
    });
    expect(fake.phonecalls.get(activityId!)).toMatchObject({ _regardingobjectid_value: ANNA, directioncode: false });
  });

  it("updates that activity with the call's later requests (PATCH with If-Match: *), never a second one", async () => {
    const call = newCall({ contactCrmId: await cardId('Anna Muster'), startedTime: '2026-11-24 14:00:00' });
    const first = await post('CallFlow', call).expect(200);
    const answered = await post('CallFlow', { ...call, id: first.body.id, answeredTime: '2026-11-24 14:00:09' }).expect(200);
    const ended = await post('CallFlow', { ...call, id: answered.body.id, answeredTime: '2026-11-24 14:00:09', endedTime: '2026-11-24 14:02:14' }).expect(200);
    expect([answered.body.id, ended.body.id]).toEqual([first.body.id, first.body.id]);
    const activityId = String(first.body.id).split(':')[2]!;
    const patches = writesOf('phonecalls', 'PATCH').filter((w) => w.id === activityId);
    expect(patches).toHaveLength(2);
    expect(patches.every((p) => p.headers['if-match'] === '*' && p.status === 204)).toBe(true);
    expect(fake.phonecalls.get(activityId)).toMatchObject({ actualdurationminutes: 3, subject: 'Incoming call from Anna Muster (+41 44 668 18 00)' });
    expect(writesOf('phonecalls', 'POST').filter((w) => w.body?.activityid === activityId)).toHaveLength(1);
  });

  it('binds a call with a company (an account card) to the account', async () => {
    const response = await post('CallFlow', newCall({ contactCrmId: await cardId('Muster Treuhand AG') })).expect(200);
    const activityId = String(response.body.id).split(':')[2]!;
    const create = writesOf('phonecalls', 'POST').find((w) => w.body?.activityid === activityId)!;
    expect(create.body).toMatchObject({ 'regardingobjectid_account_phonecall@odata.bind': `/accounts(${MUSTER_TREUHAND})` });
    expect(create.body).not.toHaveProperty('regardingobjectid_contact_phonecall@odata.bind');
  });

  // CreateContact is written at once, never queued (the CONNECTOR needs the contact now), so it carries no
  // key: the core checks that no record has the number before it creates one.
  it('creates a contact for an unknown caller, named and numbered, whom the next lookup finds', async () => {
    const number = '+41 31 555 66 77';
    expect((await gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, 'acme-token-1').expect(200)).body).toEqual([]);
    const response = await post('CreateContact', newCall({ originatorNumber: '41315556677', originatorName: 'Lea Brunner' })).expect(200);
    const contactId = String(response.body.id).split(':')[2]!;
    expect(String(response.body.id)).toMatch(/^dynamics:contact:/);
    const create = writesOf('contacts', 'POST').at(-1)!;
    expect(create.body).toEqual({ firstname: 'Lea', lastname: 'Brunner', telephone1: '+41 31 555 66 77', description: 'Missed call from Lea Brunner (+41 31 555 66 77)' });
    const cards = (await gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, 'acme-token-1').expect(200)).body as Array<{ Name: string; Id: string }>;
    expect(cards.map((c) => c.Name)).toEqual(['Lea Brunner']);
    expect(cards[0]!.Id).toMatch(new RegExp(`^dynamics:contact:${contactId}(:|$)`));
  });

  it('opens a case for the contact (customer bound, origin Phone), carrying the call key as its id', async () => {
    const response = await post('CreateTicket', newCall({ contactCrmId: await cardId('Anna Muster') })).expect(200);
    const incidentId = String(response.body.id).split(':')[2]!;
    expect(String(response.body.id)).toMatch(/^dynamics:incident:/);
    expect(fake.incidents.get(incidentId)).toMatchObject({ _customerid_value: ANNA, caseorigincode: 1, title: expect.stringContaining('Anna Muster') as unknown });
  });

  it('writes the call once when Dataverse carried the create out but the answer was lost: the outbox finds it by its key', async () => {
    const contact = await cardId('Anna Muster');
    const postsBefore = writesOf('phonecalls', 'POST').length;
    fake.commitThenDrop = true;
    const response = await post('CallFlow', newCall({ contactCrmId: contact })).expect(200);
    // The key the create carried, which the look-up by key then found.
    const create = writesOf('phonecalls', 'POST').at(-1)!;
    const key = String(create.body?.activityid);
    await eventually(() => writesOf('phonecalls', 'GET').some((w) => w.id === key && w.status === 200), 10_000);
    expect(writesOf('phonecalls', 'POST')).toHaveLength(postsBefore + 1);
    expect([...fake.phonecalls.keys()].filter((id) => id === key)).toHaveLength(1);
    expect(String(response.body.id)).toMatch(/^dynamics:/);
  });

  it('refuses a case without a customer as Dataverse does, and writes nothing', async () => {
    const incidents = fake.incidents.size;
    const response = await post('CreateTicket', newCall({ originatorNumber: '41310000000', originatorName: 'Nobody Known' }));
    // The CRM refused the record: a bad gateway, with Dataverse's reason, as for the built-in CRMs.
    expect(response.status).toBe(502);
    expect(JSON.stringify(response.body)).toContain('parent contact or account');
    expect(fake.incidents.size).toBe(incidents);
  });

  it('tells a tenant whose Dataverse has no cases (no Customer Service) why its ticket was not written', async () => {
    const response = await post('CreateTicket', newCall(), 'nocases-token-1');
    expect(response.status).toBe(502);
    expect(JSON.stringify(response.body)).toContain('incidents');
    expect(noCases.incidents.size).toBe(0);
  });

  it('offers the three workflows on the cards of Dynamics records', async () => {
    const cards = (await gateway.http.get('/lookup').query({ PhoneNumber: '+41446681800' }).set(HEADER, 'acme-token-1').expect(200)).body as Array<{ CrmActions: string[] }>;
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect(card.CrmActions).toEqual(['CallFlow', 'CreateContact', 'CreateTicket']);
  });
});
