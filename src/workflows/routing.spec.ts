import { factory } from '../../test/support/factory';
import type { LookupSource } from '../core/source';
import { encodeRecordId, recordIdKey } from '../core/record-id';
import { routeWorkflow } from './routing';
import { LOGGED_CALL, OPENED_TICKET, type WorkflowHandler } from '../core/workflow-handler';
import { WorkflowHandlers } from '../sources/workflow-registry';

const ID = /^[a-z0-9]{1,8}$/;
const source = (id: string) => ({ id, defaultDisplayName: id, recordIds: { Contact: ID, Task: ID, entry: ID } }) as unknown as LookupSource;
const handler = (sourceId: string, workflow: string): WorkflowHandler => ({ sourceId, workflow, run: jest.fn() });

const handlers = new WorkflowHandlers([
  handler('alpha', 'CallFlow'),
  handler('alpha', 'CreateTicket'),
  handler('beta', 'CallFlow'),
  handler('gamma', 'CallFlow'),
]);
const tenant = factory.tenant({
  sources: [factory.tenantSource({ source: source('alpha') }), factory.tenantSource({ source: source('beta') }), factory.tenantSource({ source: source('directory') })],
});
const withDefault = { ...tenant, workflowDefaultSource: 'beta' };

describe('routeWorkflow', () => {
  it('routes to the source of our id, passing the record to update', () => {
    const route = routeWorkflow('CallFlow', { id: 'beta:Task:t1', contactCrmId: 'alpha:Contact:c1' }, tenant, handlers);
    expect(route).toMatchObject({ ok: true, handler: { sourceId: 'beta' }, previous: { sourceId: 'beta', objectType: 'Task', recordId: 't1' } });
    expect(route.ok && route.contact).toBeUndefined();
  });

  it('routes to the source of contactCrmId, passing the contact', () => {
    const route = routeWorkflow('callflow', { contactCrmId: 'alpha:Contact:c1' }, withDefault, handlers);
    expect(route).toMatchObject({ ok: true, handler: { sourceId: 'alpha', workflow: 'CallFlow' }, contact: { recordId: 'c1' } });
  });

  it('passes the contact along with our id when both name the same source', () => {
    const route = routeWorkflow('CallFlow', { id: 'alpha:Task:t1', contactCrmId: 'alpha:Contact:c1' }, tenant, handlers);
    expect(route).toMatchObject({ ok: true, previous: { recordId: 't1' }, contact: { recordId: 'c1' } });
  });

  it('routes an unknown caller to WORKFLOW_DEFAULT_CRM', () => {
    expect(routeWorkflow('CallFlow', {}, withDefault, handlers)).toMatchObject({ ok: true, handler: { sourceId: 'beta' } });
  });

  it('refuses an unknown caller without WORKFLOW_DEFAULT_CRM (422)', () => {
    expect(routeWorkflow('CallFlow', {}, tenant, handlers)).toMatchObject({ ok: false, status: 422, message: expect.stringContaining('WORKFLOW_DEFAULT_CRM') });
  });

  it.each([
    [{ id: 'garbage' }, 'inputs.id is not an id this gateway issued'],
    [{ id: 'gamma:Task:1' }, 'inputs.id names source "gamma", which this tenant does not use'],
    [{ contactCrmId: '003xx000004TmiQ' }, 'inputs.contactCrmId is not an id this gateway issued'],
    [{ contactCrmId: 'salesforce:Contact:003' }, 'inputs.contactCrmId names source "salesforce", which this tenant does not use'],
    [{ id: 'alpha:Task:1', contactCrmId: 'nope' }, 'inputs.contactCrmId is not an id this gateway issued'],
  ])('refuses %j with 422 naming the field', (inputs, message) => {
    expect(routeWorkflow('CallFlow', inputs, withDefault, handlers)).toEqual({ ok: false, status: 422, message });
  });

  it.each([
    'alpha:Task:..',
    'alpha:Task:%2e%2e',
    'alpha:Task:a/b',
    'alpha:Task:a?b',
    'alpha:Task:a#b',
    'alpha:Task:',
    'alpha:Lead:t1',
    'alpha:constructor:t1',
    'alpha:Task:waytoolongforthisid',
  ])('refuses id %j, which is not of a form the source hands out (422)', (id) => {
    expect(routeWorkflow('CallFlow', { id }, tenant, handlers)).toEqual({ ok: false, status: 422, message: 'inputs.id is not an id this gateway issued' });
    expect(routeWorkflow('CallFlow', { contactCrmId: id }, tenant, handlers)).toEqual({
      ok: false,
      status: 422,
      message: 'inputs.contactCrmId is not an id this gateway issued',
    });
  });

  describe('with signed ids (RECORD_ID_SECRET)', () => {
    const secret = 'a-gateway-secret-of-at-least-32-characters';
    const acme = { ...tenant, recordIdKey: recordIdKey(secret, 'acme') };
    const task = { sourceId: 'alpha', objectType: 'Task', recordId: 't1' };

    it('routes an id signed for this tenant', () => {
      expect(routeWorkflow('CallFlow', { id: encodeRecordId(task, acme.recordIdKey) }, acme, handlers)).toMatchObject({ ok: true, previous: task });
    });

    it.each([
      ['unsigned', encodeRecordId(task)],
      ["another tenant's", encodeRecordId(task, recordIdKey(secret, 'globex'))],
      ['re-targeted', encodeRecordId(task, recordIdKey(secret, 'acme')).replace(':t1:', ':t2:')],
    ])('refuses an %s id (422)', (_, id) => {
      expect(routeWorkflow('CallFlow', { id }, acme, handlers)).toEqual({ ok: false, status: 422, message: 'inputs.id is not an id this gateway issued' });
    });
  });

  it('refuses a workflow the owning source does not support (422), naming both', () => {
    expect(routeWorkflow('CreateTicket', { contactCrmId: 'beta:Contact:1' }, tenant, handlers)).toEqual({
      ok: false,
      status: 422,
      message: 'Source "beta" does not support workflow "CreateTicket" (it supports: CallFlow).',
    });
    expect(routeWorkflow('CallFlow', { contactCrmId: 'directory:entry:1' }, tenant, handlers)).toMatchObject({
      status: 422,
      message: 'Source "directory" does not support workflow "CallFlow" (it supports: none).',
    });
  });

  it('answers 404 for a name no source of the tenant offers, listing what it can use', () => {
    expect(routeWorkflow('SendFax', { contactCrmId: 'alpha:Contact:1' }, tenant, handlers)).toEqual({
      ok: false,
      status: 404,
      message: 'Unknown workflow "SendFax". This tenant can use: CallFlow, CreateTicket.',
      availableWorkflows: ['CallFlow', 'CreateTicket'],
    });
  });
});

describe('what an earlier request\'s id may name', () => {
  const typed = new WorkflowHandlers([
    { ...handler('alpha', 'CallFlow'), previousTypes: { Task: LOGGED_CALL } },
    { ...handler('alpha', 'CreateTicket'), previousTypes: { Task: LOGGED_CALL, Case: OPENED_TICKET } },
    handler('alpha', 'CreateContact'),
  ]);
  const alpha = factory.tenant({ sources: [factory.tenantSource({ source: { ...source('alpha'), recordIds: { Contact: ID, Task: ID, Case: ID, Account: ID } } })] });

  it.each([
    ['CallFlow', 'alpha:Contact:c1', 'inputs.id alpha:Contact:c1 names a Contact record, not a call logged by CallFlow'],
    ['CallFlow', 'alpha:Case:k1', 'inputs.id alpha:Case:k1 names a Case record, not a call logged by CallFlow'],
    ['CreateTicket', 'alpha:Account:a1', 'inputs.id alpha:Account:a1 names an Account record, not a call logged by CallFlow or a ticket opened by CreateTicket'],
  ])('refuses %s with an id of another type (422), naming what it is', (workflow, id, message) => {
    expect(routeWorkflow(workflow, { id }, alpha, typed)).toEqual({ ok: false, status: 422, message });
  });

  it.each([
    ['CallFlow', 'alpha:Task:t1'],
    ['CreateTicket', 'alpha:Task:t1'],
    ['CreateTicket', 'alpha:Case:k1'],
    ['CreateContact', 'alpha:Case:k1'],
  ])('routes %s with the id %s', (workflow, id) => {
    expect(routeWorkflow(workflow, { id }, alpha, typed)).toMatchObject({ ok: true, previous: { sourceId: 'alpha' } });
  });
});

describe('WorkflowHandlers', () => {
  it('refuses two handlers for one workflow name and source', () => {
    expect(() => new WorkflowHandlers([handler('alpha', 'CallFlow'), handler('alpha', 'callflow')])).toThrow(
      'Two handlers for workflow callflow of source alpha',
    );
  });

  it('allows the same name in different sources, and lists names per source', () => {
    expect(handlers.namesOf('alpha')).toEqual(['CallFlow', 'CreateTicket']);
    expect(handlers.namesOf('directory')).toEqual([]);
    expect(handlers.find('beta', 'CALLFLOW')?.sourceId).toBe('beta');
  });
});
