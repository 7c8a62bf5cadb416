import { DateTime } from 'luxon';
import { splitName, type CallFacts } from '../../calls/call-facts';
import type { RecordRef } from '../../core/record-id';
import { SourceError } from '../../core/source-error';
import {
  CALL_FLOW,
  CREATE_CONTACT,
  CREATE_TICKET,
  crmWriteDeadline,
  LOGGED_CALL,
  OPENED_TICKET,
  OwnerRefusedError,
  type WorkflowCall,
  type WorkflowResult,
  WorkflowInputError,
} from '../../core/workflow-handler';
import { recordUrl, SALESFORCE_ID } from './salesforce.mapper';
import type { SalesforceSettings } from './salesforce.settings';
import { sourceWorkflows } from '../source-workflows';
import { SalesforceSource, type SalesforceTenant } from './salesforce.source';

interface CreateResult {
  readonly id: string;
}

async function create(tenant: SalesforceTenant, object: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
  const owner = typeof fields.OwnerId === 'string' ? fields.OwnerId : undefined;
  try {
    const created = await tenant.client.request<CreateResult>({ method: 'POST', url: `/sobjects/${object}`, body: JSON.stringify(withoutEmpty(fields)) }, crmWriteDeadline());
    return result(tenant, object, created.id);
  } catch (error) {
    if (owner !== undefined && error instanceof SourceError && (await refusedOwner(tenant, owner, error))) throw new OwnerRefusedError(owner, error);
    throw error;
  }
}

async function update(tenant: SalesforceTenant, object: string, id: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
  await tenant.client.request<unknown>({ method: 'PATCH', url: `/sobjects/${object}/${checkedId(id)}`, body: JSON.stringify(withoutEmpty(fields)) }, crmWriteDeadline());
  return result(tenant, object, id);
}

/** The Account a Contact belongs to (a Task's `WhatId`, a Case's `AccountId`). */
async function accountOf(tenant: SalesforceTenant, record: RecordRef | undefined): Promise<string | undefined> {
  if (!record) return undefined;
  if (record.objectType === 'Account') return record.recordId;
  if (record.objectType !== 'Contact') return undefined;
  const soql = `SELECT AccountId FROM Contact WHERE Id = '${checkedId(record.recordId)}'`;
  const found = await tenant.client.request<{ records: Array<{ AccountId?: string | null }> }>({ method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` }, crmWriteDeadline());
  return found.records[0]?.AccountId ?? undefined;
}

/**
 * Whether Salesforce refused the record for its `OwnerId` (a 400: nothing written): `MALFORMED_ID`,
 * `FIELD_INTEGRITY_EXCEPTION` (not a user) or `INVALID_CROSS_REFERENCE_KEY` (no such user), naming the
 * field in `fields`, or, when it lists none, in its message ("Assigned To ID: id value of incorrect type: …").
 * An `INVALID_CROSS_REFERENCE_KEY` that names nothing is the owner's when Salesforce has no such user.
 */
async function refusedOwner(tenant: SalesforceTenant, owner: string, error: SourceError): Promise<boolean> {
  if (error.code !== 'BAD_REQUEST') return false;
  if (error.fields.length > 0) return error.fields.includes('OwnerId');
  if (/: (Owner ID|Assigned To ID): /.test(error.message)) return true;
  if (error.vendorCode !== 'INVALID_CROSS_REFERENCE_KEY') return false;
  const soql = `SELECT Id FROM User WHERE Id = '${checkedId(owner)}'`;
  const users = await tenant.client.request<{ records: unknown[] }>({ method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` }, crmWriteDeadline()).catch(() => undefined);
  return users?.records.length === 0;
}

function result(tenant: SalesforceTenant, object: string, id: string): WorkflowResult {
  return { objectType: object, recordId: id, url: recordUrl(tenant.client.instanceUrl ?? '', object, id) };
}

/** A person the call can be attached to (`WhoId`, `ContactId`): a Contact or a Lead. */
function person(record: RecordRef | undefined): RecordRef | undefined {
  return record && (record.objectType === 'Contact' || record.objectType === 'Lead') ? record : undefined;
}

/** Routing let only ids of Salesforce's form through; this keeps any other out of a URL or a query. */
function checkedId(id: string): string {
  if (!SALESFORCE_ID.test(id)) throw new WorkflowInputError(`"${id}" is not a Salesforce record id`);
  return id;
}

function withoutEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ''));
}

/** What a later request of the call updates on its Task: the call's subject, notes, duration and result. */
function callProgress(facts: CallFacts): Record<string, unknown> {
  return { Subject: facts.subject.slice(0, 255), Description: facts.description, CallDurationInSeconds: facts.talkSeconds, CallDisposition: facts.outcomeLabel };
}

/** How far back a Task written with a key is looked for: past the longest retry window (`WORKFLOW_RETRY_FOR_H` ≤ 720 h). */
const KEYED_TASKS_DAYS = 31;
/** Our keys have a UUID's form; nothing else is put into the query that looks for one. */
const CALL_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The Task an earlier try of this CallFlow wrote, found by the key it carries in `CallObject` (a
 * standard Task field integrations use for the phone system's call id; filterable, not indexed: the
 * query is kept to recent Tasks by `CreatedDate`).
 */
async function findLoggedCall(tenant: SalesforceTenant, { callKey }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult | undefined> {
  if (!callKey || !CALL_KEY.test(callKey)) return undefined;
  return firstFound(tenant, 'Task', `SELECT Id FROM Task WHERE CallObject = '${callKey}' AND CreatedDate = LAST_N_DAYS:${KEYED_TASKS_DAYS}`);
}

/** The first record of `object` a `SELECT Id …` query finds, as a workflow's result. */
async function firstFound(tenant: SalesforceTenant, object: 'Task' | 'Case', soql: string): Promise<WorkflowResult | undefined> {
  const found = await tenant.client.request<{ records: Array<{ Id: string }> }>({ method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` }, crmWriteDeadline());
  const id = found.records[0]?.Id;
  return id === undefined ? undefined : result(tenant, object, id);
}

/** CallFlow: the call as a Task (`TaskSubtype` Call) on the Contact or Lead, carrying the write's key in `CallObject`. */
async function logCall(tenant: SalesforceTenant, { facts, contact, userId, timezone, callKey }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
  const who = person(contact);
  return create(tenant, 'Task', {
    ...callProgress(facts),
    TaskSubtype: 'Call',
    CallType: facts.direction === 'incoming' ? 'Inbound' : 'Outbound',
    Status: 'Completed',
    ActivityDate: DateTime.fromJSDate(facts.startedAt, { zone: timezone }).toISODate(),
    WhoId: who?.recordId,
    // Salesforce refuses an Account as WhatId beside a Lead.
    WhatId: who?.objectType === 'Lead' ? undefined : await accountOf(tenant, contact),
    OwnerId: userId,
    CallObject: callKey,
  });
}

/**
 * The Case an earlier try of this CreateTicket wrote, found by the key it carries in the tenant's
 * `SALESFORCE_CASE_KEY_FIELD` (a custom field: Case has no standard one for an outside key); undefined
 * when there is none, or when the tenant sets no such field (its Cases carry no key). The field's name
 * was checked at start to be a custom field's API name, and the key to have our keys' form: neither can
 * change the query.
 */
export async function findOpenedCase(tenant: SalesforceTenant, { settings, callKey }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult | undefined> {
  const keyField = settings.SALESFORCE_CASE_KEY_FIELD;
  if (!keyField || !callKey || !CALL_KEY.test(callKey)) return undefined;
  return firstFound(tenant, 'Case', `SELECT Id FROM Case WHERE ${keyField} = '${callKey}' LIMIT 1`);
}

/**
 * Whether Salesforce refused a create because another record holds the same value in the unique field
 * `keyField`: `DUPLICATE_VALUE`, naming the field in `fields` or, as it mostly does, only in its message
 * ("duplicate value found: Call_Key__c duplicates value on record with id: 500…"). API names are
 * case-insensitive in Salesforce.
 */
function refusedAsDuplicateKey(error: unknown, keyField: string): boolean {
  if (!(error instanceof SourceError) || error.vendorCode !== 'DUPLICATE_VALUE') return false;
  const field = keyField.toLowerCase();
  return error.fields.some((named) => named.toLowerCase() === field) || error.message.toLowerCase().includes(`found: ${field} duplicates value`);
}

/**
 * CreateTicket: a Case from the call, linked to the Contact and its Account; with `SALESFORCE_CASE_KEY_FIELD`
 * it carries the write's key there. A Case refused because that (unique) field already holds the key
 * is the one an earlier try wrote: it is found by the key and answered, not written twice.
 */
async function openCase(tenant: SalesforceTenant, call: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
  const { facts, contact, settings, callKey } = call;
  const keyField = settings.SALESFORCE_CASE_KEY_FIELD;
  try {
    return await create(tenant, 'Case', {
      Subject: facts.subject.slice(0, 255),
      Description: facts.description,
      Origin: 'Phone',
      SuppliedPhone: facts.external.number,
      ContactId: contact?.objectType === 'Contact' ? contact.recordId : undefined,
      AccountId: await accountOf(tenant, contact),
      ...(keyField ? { [keyField]: callKey } : {}),
    });
  } catch (error) {
    const existing = keyField && callKey && refusedAsDuplicateKey(error, keyField) ? await findOpenedCase(tenant, call) : undefined;
    if (existing) return existing;
    throw error;
  }
}

/** CreateContact: a Lead with the caller's name and number (the core has checked none exists yet). */
async function createLead(tenant: SalesforceTenant, { facts, settings }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
  const { first, last } = splitName(facts.external.name);
  return create(tenant, 'Lead', {
    FirstName: first,
    LastName: last ?? 'Unknown caller',
    Company: settings.SALESFORCE_LEAD_COMPANY ?? 'Unknown',
    Phone: facts.external.number,
    LeadSource: 'Phone Inquiry',
  });
}

/** Salesforce's workflows; a later CallFlow request of the same call updates the Task it wrote. */
export const SALESFORCE_WORKFLOWS = sourceWorkflows(SalesforceSource, [
  {
    workflow: CALL_FLOW,
    previousTypes: { Task: LOGGED_CALL },
    update: { types: ['Task'], write: (tenant, task, { facts }) => update(tenant, 'Task', task.recordId, callProgress(facts)) },
    create: logCall,
    findWritten: findLoggedCall,
  },
  {
    workflow: CREATE_TICKET,
    previousTypes: { Task: LOGGED_CALL, Case: OPENED_TICKET },
    create: openCase,
    // Only the Cases of tenants with SALESFORCE_CASE_KEY_FIELD carry the key: the others' are never looked for, nor sent again blindly.
    findWritten: findOpenedCase,
    findsWritten: (settings) => settings.SALESFORCE_CASE_KEY_FIELD !== undefined,
  },
  { workflow: CREATE_CONTACT, create: createLead },
]);
