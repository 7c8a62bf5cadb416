import { crmFakes, type CrmFake } from '../support/crm-fakes';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const SECRET = 'record-id-secret-for-the-e2e-tests-0123456789';
const CALL = { direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', startedTime: '2026-11-24 10:15:00' };

const CRMS = crmFakes();
/** A tenant of the CRM, every lookup sent to it. */
const tenantOf = (crm: CrmFake, token: string): string => `TOKEN=${token}\n${crm.keys()}CACHE_TTL_S=0\n`;

describe.each(CRMS)('$name: a workflow can only name records the gateway issued, for its own tenant (e2e)', (crm) => {
  let gateway: TestApp;
  let ours: string;
  let theirs: string;

  const contactOf = async (token: string): Promise<string> => {
    const response = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, token).expect(200);
    const card = (response.body as Array<{ Id: string; Name: string }>).find((c) => c.Name === 'Anna Muster');
    if (!card) throw new Error(`${crm.name} did not find Anna Muster: ${JSON.stringify(response.body)}`);
    return card.Id;
  };
  const callFlow = (inputs: Record<string, unknown>, token = 'acme-token-1') => gateway.http.post('/lookup/CallFlow').set(HEADER, token).send({ inputs: { ...CALL, ...inputs } });

  beforeAll(async () => {
    await crm.fake.start();
    gateway = await startTestApp({ env: { RECORD_ID_SECRET: SECRET }, files: { 'acme.env': tenantOf(crm, 'acme-token-1'), 'globex.env': tenantOf(crm, 'globex-token-1') } });
    ours = await contactOf('acme-token-1');
    theirs = await contactOf('globex-token-1');
  });
  afterAll(async () => {
    await gateway.close();
    await crm.fake.stop();
  });

  it("hands out signed ids, one tenant's unlike the other's for the same record", () => {
    expect(ours).toMatch(new RegExp(`^${crm.name}:\\w+:[\\w-]+:[\\w-]{16}$`));
    expect(theirs.split(':').slice(0, 3)).toEqual(ours.split(':').slice(0, 3));
    expect(theirs).not.toBe(ours);
  });

  it('writes a call for its own contact and updates it through the id it answered', async () => {
    const first = await callFlow({ contactCrmId: ours }).expect(200);
    expect(first.body.id).toMatch(new RegExp(`^${crm.name}:\\w+:[\\w-]+:[\\w-]{16}$`));
    const update = await callFlow({ contactCrmId: ours, id: first.body.id, answeredTime: '2026-11-24 10:15:05' }).expect(200);
    expect(update.body.id).toBe(first.body.id);
  });

  it('refuses a contact sent to CallFlow as the call (422), and takes a call as the context of a ticket', async () => {
    const before = crm.fake.requests.length;
    const contactAsCall = await callFlow({ contactCrmId: ours, id: ours }).expect(422);
    const [, type, recordId] = ours.split(':');
    expect(contactAsCall.body.message).toBe(`inputs.id ${crm.name}:${type}:${recordId} names a ${type} record, not a call logged by CallFlow`);
    expect(crm.fake.requests.length).toBe(before);

    const logged = await callFlow({ contactCrmId: ours, startedTime: '2026-11-24 10:45:00' }).expect(200);
    const ticket = await gateway.http
      .post('/lookup/CreateTicket')
      .set(HEADER, 'acme-token-1')
      .send({ inputs: { ...CALL, contactCrmId: ours, startedTime: '2026-11-24 10:45:00', id: logged.body.id } })
      .expect(200);
    expect(ticket.body.id).toMatch(new RegExp(`^${crm.name}:(Case|ticket|Cases):`));
    const ticketAsCall = await callFlow({ contactCrmId: ours, startedTime: '2026-11-24 10:45:00', id: ticket.body.id }).expect(422);
    expect(ticketAsCall.body.message).toMatch(/ record, not a call logged by CallFlow$/);
  });

  it.each([
    ['a record the gateway never issued, unsigned', () => ours.split(':').slice(0, 3).join(':')],
    ["another tenant's contact", () => theirs],
    ['a signature moved to another record of the same form', () => moveSignature(ours)],
  ])('refuses %s with 422, sending nothing to the CRM', async (_, id) => {
    await expectRefused(gateway, crm, id());
  });
});

describe.each(CRMS)('$name: without RECORD_ID_SECRET, ids are still checked for the form of its record ids (e2e)', (crm) => {
  let gateway: TestApp;
  let ours: string;

  beforeAll(async () => {
    await crm.fake.start();
    gateway = await startTestApp({ files: { 'acme.env': tenantOf(crm, 'acme-token-1') } });
    const response = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'acme-token-1').expect(200);
    ours = (response.body as Array<{ Id: string }>)[0]!.Id;
  });
  afterAll(async () => {
    await gateway.close();
    await crm.fake.stop();
  });

  const forged = (recordId: string): string => [...ours.split(':').slice(0, 2), recordId].join(':');
  it.each([
    ['a path step up', () => forged('..')],
    ['an encoded path step up', () => forged('%2e%2e')],
    ['a slash', () => forged('a/b')],
    ['a query', () => forged('a?fields=x')],
    ['a fragment', () => forged('a#b')],
    ['an object type the source does not hand out', () => `${crm.name}:User:${ours.split(':')[2]!}`],
  ])('refuses %s with 422, sending nothing to the CRM', async (_, id) => {
    await expectRefused(gateway, crm, id());
  });

  it('takes back the unsigned ids it hands out', async () => {
    await gateway.http.post('/lookup/CallFlow').set(HEADER, 'acme-token-1').send({ inputs: { ...CALL, contactCrmId: ours } }).expect(200);
  });
});

async function expectRefused(gateway: TestApp, crm: CrmFake, id: string): Promise<void> {
  for (const field of ['contactCrmId', 'id']) {
    const before = crm.fake.requests.length;
    const response = await gateway.http.post('/lookup/CallFlow').set(HEADER, 'acme-token-1').send({ inputs: { ...CALL, [field]: id } }).expect(422);
    expect(response.body.message).toBe(`inputs.${field} is not an id this gateway issued`);
    expect(crm.fake.requests.length).toBe(before);
  }
}

/** The same id with the last character of its record id changed (a digit for a digit, a letter for a letter). */
function moveSignature(id: string): string {
  const parts = id.split(':');
  const recordId = parts[2]!;
  const last = recordId.at(-1)!;
  const other = /\d/.test(last) ? String((Number(last) + 1) % 10) : last === 'A' ? 'B' : 'A';
  parts[2] = `${recordId.slice(0, -1)}${other}`;
  return parts.join(':');
}
