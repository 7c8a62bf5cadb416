import { FakeSalesforce } from '../../../test/fakes/salesforce/fake-salesforce';
import { handlersOf } from '../../../test/support/source-handlers';
import { workflowCall } from '../../../test/support/workflow-calls';
import { CALL_FLOW, CREATE_CONTACT, CREATE_TICKET, OwnerRefusedError, WorkflowInputError } from '../../core/workflow-handler';
import { SalesforceSettings } from './salesforce.settings';
import { SalesforceSource } from './salesforce.source';
import { SALESFORCE_WORKFLOWS } from './salesforce.workflows';

const ANNA = { sourceId: 'salesforce', objectType: 'Contact', recordId: '003000000000001AAA' } as const;
const OLIVIA = { sourceId: 'salesforce', objectType: 'Lead', recordId: '00Q000000000001EAA' } as const;
const SARAH = '005000000000002AAA';

/** What Salesforce's workflows send (crm-apis.md §1.7), against the fake org on a loopback port. */
describe('Salesforce workflows', () => {
  const salesforce = new FakeSalesforce();
  const source = new SalesforceSource();
  const handlers = handlersOf(SALESFORCE_WORKFLOWS, source);
  let settings: SalesforceSettings;

  beforeAll(async () => {
    await salesforce.start();
    settings = Object.assign(new SalesforceSettings(), {
      SALESFORCE_LOGIN_URL: salesforce.url,
      SALESFORCE_CLIENT_ID: 'fake-client-id',
      SALESFORCE_CLIENT_SECRET: 'fake-client-secret',
    });
    await source.attachTenant({ tenantId: 'acme', tenantFile: '/tenants/acme.env', region: 'CH', settings });
  });
  beforeEach(() => salesforce.reset());
  afterAll(() => salesforce.stop());

  /** The API requests, without the token request. */
  const sent = () =>
    salesforce.requests
      .filter((r) => r.path.startsWith('/services/data/'))
      .map(({ method, path, q, body }) => ({ method, path: path.replace('/services/data/v62.0', ''), ...(q ? { q } : {}), ...(body ? { body: JSON.parse(body) as unknown } : {}) }));
  const url = (object: string, id: string) => `${salesforce.url}/lightning/r/${object}/${id}/view`;

  it("CallFlow logs a call as a Task on the Contact and its Account, with its owner, dated in the tenant's zone", async () => {
    const call = workflowCall(settings, { contact: ANNA, userId: SARAH, call: { startedAt: new Date('2026-11-20T23:30:00Z'), answeredAt: new Date('2026-11-20T23:30:12Z'), endedAt: new Date('2026-11-20T23:32:17Z') } });
    const result = await handlers[CALL_FLOW]!.run(call);
    const task = salesforce.org.Task[0]!;
    expect(result).toEqual({ objectType: 'Task', recordId: task.Id, url: url('Task', task.Id) });
    expect(sent()).toEqual([
      { method: 'GET', path: '/query', q: "SELECT AccountId FROM Contact WHERE Id = '003000000000001AAA'" },
      {
        method: 'POST',
        path: '/sobjects/Task',
        body: {
          Subject: 'Incoming call from Anna Muster (+41 78 907 22 28)',
          Description: call.facts.description,
          CallDurationInSeconds: 125,
          CallDisposition: 'answered',
          TaskSubtype: 'Call',
          CallType: 'Inbound',
          Status: 'Completed',
          ActivityDate: '2026-11-21',
          WhoId: '003000000000001AAA',
          WhatId: '001000000000001AAA',
          OwnerId: SARAH,
        },
      },
    ]);
  });

  it('CallFlow on a Lead has no WhatId (Salesforce refuses an Account beside a Lead), and asks for no Account', async () => {
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: OLIVIA }));
    expect(sent()).toEqual([{ method: 'POST', path: '/sobjects/Task', body: expect.not.objectContaining({ WhatId: expect.anything() }) }]);
    expect(sent()[0]!.body).toMatchObject({ WhoId: '00Q000000000001EAA' });
    expect(sent()[0]!.body).not.toHaveProperty('OwnerId');
  });

  it('CallFlow with the id of the Task it logged updates its subject, notes, duration and result only', async () => {
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: ANNA }));
    const task = salesforce.org.Task[0]!;
    salesforce.requests.length = 0;
    const call = workflowCall(settings, { contact: ANNA, previous: { sourceId: 'salesforce', objectType: 'Task', recordId: task.Id } });
    await expect(handlers[CALL_FLOW]!.run(call)).resolves.toEqual({ objectType: 'Task', recordId: task.Id, url: url('Task', task.Id) });
    expect(sent()).toEqual([
      {
        method: 'PATCH',
        path: `/sobjects/Task/${task.Id}`,
        body: { Subject: 'Incoming call from Anna Muster (+41 78 907 22 28)', Description: call.facts.description, CallDurationInSeconds: 125, CallDisposition: 'answered' },
      },
    ]);
  });

  it('CreateTicket opens a Case from the call, on the Contact and its Account', async () => {
    const call = workflowCall(settings, { contact: ANNA });
    const result = await handlers[CREATE_TICKET]!.run(call);
    expect(result).toMatchObject({ objectType: 'Case', recordId: salesforce.org.Case[0]!.Id });
    expect(sent().at(-1)).toEqual({
      method: 'POST',
      path: '/sobjects/Case',
      body: {
        Subject: 'Incoming call from Anna Muster (+41 78 907 22 28)',
        Description: call.facts.description,
        Origin: 'Phone',
        SuppliedPhone: '+41789072228',
        ContactId: '003000000000001AAA',
        AccountId: '001000000000001AAA',
      },
    });
  });

  it("CreateContact creates a Lead with the caller's name and number, the tenant's company, or a placeholder name", async () => {
    const walkIns = Object.assign(new SalesforceSettings(), settings, { SALESFORCE_LEAD_COMPANY: 'Walk-in callers' });
    await source.attachTenant({ tenantId: 'walk-ins', tenantFile: '/tenants/walk-ins.env', region: 'CH', settings: walkIns });
    await handlers[CREATE_CONTACT]!.run(workflowCall(settings));
    await handlers[CREATE_CONTACT]!.run(workflowCall(walkIns, { call: { originatorName: undefined } }));
    expect(sent().map((request) => request.body)).toEqual([
      { LastName: 'Muster', FirstName: 'Anna', Company: 'Unknown', Phone: '+41789072228', LeadSource: 'Phone Inquiry' },
      { LastName: 'Unknown caller', Company: 'Walk-in callers', Phone: '+41789072228', LeadSource: 'Phone Inquiry' },
    ]);
  });

  it('reports an owner Salesforce refuses as such, having written nothing', async () => {
    const failure = await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: ANNA, userId: '005000000000099AAA' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OwnerRefusedError);
    expect(salesforce.org.Task).toEqual([]);
  });

  it('recognises an owner refused without the fields named, by asking whether the user exists', async () => {
    salesforce.fieldsInErrors = false;
    const failure = await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: OLIVIA, userId: '005000000000099AAA' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OwnerRefusedError);
    expect(sent().map(({ method, path, q }) => `${method} ${path}${q ? ` ${q}` : ''}`)).toEqual(['POST /sobjects/Task', "GET /query SELECT Id FROM User WHERE Id = '005000000000099AAA'"]);
    expect(salesforce.org.Task).toEqual([]);
  });

  it('refuses a record id of another form before any request', async () => {
    const call = workflowCall(settings, { contact: ANNA, previous: { sourceId: 'salesforce', objectType: 'Task', recordId: "00T' OR Id != '" } });
    await expect(handlers[CALL_FLOW]!.run(call)).rejects.toBeInstanceOf(WorkflowInputError);
    expect(sent()).toEqual([]);
  });
});
