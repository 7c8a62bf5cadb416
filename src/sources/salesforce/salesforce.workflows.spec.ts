import { FakeSalesforce } from '../../../test/fakes/salesforce/fake-salesforce';
import { handlersOf } from '../../../test/support/source-handlers';
import { workflowCall } from '../../../test/support/workflow-calls';
import { CALL_FLOW, CREATE_CONTACT, CREATE_TICKET, OwnerRefusedError, WorkflowInputError } from '../../core/workflow-handler';
import { SalesforceSettings } from './salesforce.settings';
import { SalesforceSource } from './salesforce.source';
import { findOpenedCase, SALESFORCE_WORKFLOWS } from './salesforce.workflows';
import { SourceError } from '../../core/source-error';

const ANNA = { sourceId: 'salesforce', objectType: 'Contact', recordId: '003000000000001AAA' } as const;
const OLIVIA = { sourceId: 'salesforce', objectType: 'Lead', recordId: '00Q000000000001EAA' } as const;
const SARAH = '005000000000002AAA';
/** A write's key, as the core makes them (a UUID's form). */
const KEY = '3f2b8c1e-9a4d-5e6f-a1b2-c3d4e5f60718';

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

  describe('Cases keyed by SALESFORCE_CASE_KEY_FIELD', () => {
    let keyed: SalesforceSettings;
    const CASE_BODY = { Subject: 'Incoming call from Anna Muster (+41 78 907 22 28)', Origin: 'Phone', SuppliedPhone: '+41789072228' };
    const keyQuery = (key: string) => `SELECT Id FROM Case WHERE Call_Key__c = '${key}' LIMIT 1`;

    beforeAll(async () => {
      keyed = Object.assign(new SalesforceSettings(), settings, { SALESFORCE_CASE_KEY_FIELD: 'Call_Key__c' });
      await source.attachTenant({ tenantId: 'keyed', tenantFile: '/tenants/keyed.env', region: 'CH', settings: keyed });
    });
    /** The org has the field, as the admin created it: Text, External ID, Unique. */
    const createKeyField = () => (salesforce.customFields = { Case: [{ name: 'Call_Key__c', unique: true }] });

    it('without the setting, a Case carries no key, and is never looked for', async () => {
      createKeyField();
      await handlers[CREATE_TICKET]!.run(workflowCall(settings, { callKey: KEY }));
      expect(sent()).toEqual([{ method: 'POST', path: '/sobjects/Case', body: { ...CASE_BODY, Description: expect.any(String) } }]);
      await expect(findOpenedCase(source.tenants.of(settings), workflowCall(settings, { callKey: KEY }))).resolves.toBeUndefined();
      expect(sent()).toHaveLength(1);
    });

    it("with it, the Case carries the write's key in that field; a create without a key carries none", async () => {
      createKeyField();
      await handlers[CREATE_TICKET]!.run(workflowCall(keyed, { contact: ANNA, callKey: KEY }));
      await handlers[CREATE_TICKET]!.run(workflowCall(keyed));
      expect(sent().filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
        { ...CASE_BODY, Description: expect.any(String), ContactId: ANNA.recordId, AccountId: '001000000000001AAA', Call_Key__c: KEY },
        { ...CASE_BODY, Description: expect.any(String) },
      ]);
      expect(salesforce.org.Case.map((c) => c.Call_Key__c)).toEqual([KEY, undefined]);
    });

    it("finds the Case by its key (SOQL on the field) and answers it as the create did; undefined when there is none", async () => {
      createKeyField();
      const created = await handlers[CREATE_TICKET]!.run(workflowCall(keyed, { callKey: KEY }));
      salesforce.requests.length = 0;
      const tenant = source.tenants.of(keyed);
      await expect(findOpenedCase(tenant, workflowCall(keyed, { callKey: KEY }))).resolves.toEqual(created);
      expect(created).toEqual({ objectType: 'Case', recordId: salesforce.org.Case[0]!.Id, url: url('Case', salesforce.org.Case[0]!.Id) });
      const other = '0c9d8e7f-6a5b-5c4d-a3e2-f1a0b9c8d7e6';
      await expect(findOpenedCase(tenant, workflowCall(keyed, { callKey: other }))).resolves.toBeUndefined();
      expect(sent()).toEqual([
        { method: 'GET', path: '/query', q: keyQuery(KEY) },
        { method: 'GET', path: '/query', q: keyQuery(other) },
      ]);
    });

    it("CreateTicket's findWritten looks for the Cases of tenants with the setting only", async () => {
      createKeyField();
      const handler = handlers[CREATE_TICKET]!;
      expect(handler.findsWritten?.(settings)).toBe(false);
      expect(handler.findsWritten?.(keyed)).toBe(true);
      const created = await handler.run(workflowCall(keyed, { callKey: KEY }));
      await expect(handler.findWritten!(workflowCall(keyed, { callKey: KEY }))).resolves.toEqual(created);
      // CallFlow's Tasks always carry the key.
      expect(handlers[CALL_FLOW]!.findsWritten).toBeUndefined();
    });

    it('puts nothing but a key of our form into the query', async () => {
      createKeyField();
      await expect(findOpenedCase(source.tenants.of(keyed), workflowCall(keyed, { callKey: "x' OR Subject != '" }))).resolves.toBeUndefined();
      await expect(findOpenedCase(source.tenants.of(keyed), workflowCall(keyed))).resolves.toBeUndefined();
      expect(sent()).toEqual([]);
    });

    it('a create Salesforce refuses as a duplicate of the key is the Case an earlier try wrote: adopted, not written twice', async () => {
      createKeyField();
      const first = await handlers[CREATE_TICKET]!.run(workflowCall(keyed, { callKey: KEY }));
      salesforce.requests.length = 0;
      await expect(handlers[CREATE_TICKET]!.run(workflowCall(keyed, { callKey: KEY }))).resolves.toEqual(first);
      expect(salesforce.org.Case).toHaveLength(1);
      expect(sent().map(({ method, path, q }) => `${method} ${path}${q ? ` ${q}` : ''}`)).toEqual(['POST /sobjects/Case', `GET /query ${keyQuery(KEY)}`]);
    });

    it('with the setting but no such field in the org, the Case is refused (INVALID_FIELD, a settings problem) and nothing is written', async () => {
      const failure = await handlers[CREATE_TICKET]!.run(workflowCall(keyed, { callKey: KEY })).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SourceError);
      expect(failure).toMatchObject({ code: 'CONFIG', vendorCode: 'INVALID_FIELD', message: "INVALID_FIELD: No such column 'Call_Key__c' on sobject of type Case" });
      expect(salesforce.org.Case).toEqual([]);
      await expect(findOpenedCase(source.tenants.of(keyed), workflowCall(keyed, { callKey: KEY }))).rejects.toMatchObject({ code: 'CONFIG', vendorCode: 'INVALID_FIELD' });
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
