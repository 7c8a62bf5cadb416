import { DateTime } from 'luxon';
import { splitName, type CallFacts } from '../../calls/call-facts';
import {
  CALL_FLOW,
  CREATE_CONTACT,
  CREATE_TICKET,
  crmWriteDeadline,
  LOGGED_CALL,
  OPENED_TICKET,
  type WorkflowCall,
  type WorkflowResult,
} from '../../core/workflow-handler';
import type { RecordRef } from '../../core/record-id';
import { recordUrl } from './sugar.mapper';
import { SourceError } from '../../core/source-error';
import type { SugarSettings } from './sugar.settings';
import { sourceWorkflows } from '../source-workflows';
import { SugarSource, type SugarTenant } from './sugar.source';

/** Sugar's `name` of Calls and Cases is a short varchar. */
const NAME_LENGTH = 50;

/**
 * Creates a record; with `key`, the record's own id is that key (Sugar takes a client's id of up to 36
 * characters), so a try whose answer was lost can be found again (`findByKey`), and a second create of
 * it is refused by Sugar ("Record already exists") instead of written twice: then it is that record.
 */
async function create(tenant: SugarTenant, module: string, fields: Record<string, unknown>, key?: string): Promise<WorkflowResult> {
  try {
    const created = await tenant.client.request<{ id: string }>({ method: 'POST', path: `/${module}`, body: key ? { id: key, ...fields } : fields }, crmWriteDeadline());
    return { objectType: module, recordId: created.id, url: recordUrl(tenant.client.siteUrl, module, created.id) };
  } catch (error) {
    const existing = key && error instanceof SourceError && error.vendorCode === 'invalid_parameter' && /already exists/i.test(error.message) ? await findByKey(tenant, module, key) : undefined;
    if (existing) return existing;
    throw error;
  }
}

/** The record whose id is `key`, read by its id (the database, not a search index: seen at once); undefined when Sugar has none. */
async function findByKey(tenant: SugarTenant, module: string, key: string): Promise<WorkflowResult | undefined> {
  try {
    const found = await tenant.client.request<{ id: string }>({ method: 'GET', path: `/${module}/${encodeURIComponent(key)}`, params: { fields: 'id' } }, crmWriteDeadline());
    return { objectType: module, recordId: found.id, url: recordUrl(tenant.client.siteUrl, module, found.id) };
  } catch (error) {
    if (error instanceof SourceError && error.vendorCode === 'not_found') return undefined;
    throw error;
  }
}

async function update(tenant: SugarTenant, module: string, id: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
  await tenant.client.request<{ id: string }>({ method: 'PUT', path: `/${module}/${encodeURIComponent(id)}`, body: fields }, crmWriteDeadline());
  return { objectType: module, recordId: id, url: recordUrl(tenant.client.siteUrl, module, id) };
}

/** The Account of a Contact (the Call's parent, the Case's account); an Account is its own. */
async function accountOf(tenant: SugarTenant, record: RecordRef | undefined): Promise<string | undefined> {
  if (record?.objectType === 'Accounts') return record.recordId;
  if (record?.objectType !== 'Contacts') return undefined;
  const contact = await tenant.client.request<{ account_id?: string | null }>(
    { method: 'GET', path: `/Contacts/${encodeURIComponent(record.recordId)}`, params: { fields: 'account_id' } },
    crmWriteDeadline(),
  );
  return contact.account_id || undefined;
}

function sugarTime(date: Date): string {
  return DateTime.fromJSDate(date, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

function callProgress(facts: CallFacts): Record<string, unknown> {
  const minutes = Math.round(facts.talkSeconds / 60);
  const ended = facts.endedAt ?? facts.answeredAt ?? facts.startedAt;
  return {
    name: facts.subject.slice(0, NAME_LENGTH),
    description: facts.description,
    status: facts.outcome === 'answered' ? 'Held' : 'Not Held',
    date_end: sugarTime(ended),
    duration_hours: Math.floor(minutes / 60),
    duration_minutes: minutes % 60,
  };
}

/** CallFlow: a Calls record under the contact's account (else the contact), the person linked. */
async function logCall(tenant: SugarTenant, { facts, contact, userId, callKey }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
  const account = await accountOf(tenant, contact);
  const person = contact && (contact.objectType === 'Contacts' || contact.objectType === 'Leads') ? contact : undefined;
  const parent = account ? { parent_type: 'Accounts', parent_id: account } : person ? { parent_type: person.objectType, parent_id: person.recordId } : {};
  return create(tenant, 'Calls', {
    ...callProgress(facts),
    direction: facts.direction === 'incoming' ? 'Inbound' : 'Outbound',
    date_start: sugarTime(facts.startedAt),
    ...parent,
    ...(userId ? { assigned_user_id: userId } : {}),
    ...(person ? { [person.objectType === 'Contacts' ? 'contacts' : 'leads']: { add: [person.recordId] } } : {}),
    // The person is linked above; Sugar would otherwise invite the parent a second time.
    auto_invite_parent: false,
  }, callKey);
}

/** CreateTicket: a Cases record linked to the contact and its account. */
async function openCase(tenant: SugarTenant, { facts, contact, userId, callKey }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
  const account = await accountOf(tenant, contact);
  return create(tenant, 'Cases', {
    name: facts.subject.slice(0, NAME_LENGTH),
    description: facts.description,
    status: 'New',
    priority: 'P2',
    ...(account ? { account_id: account } : {}),
    ...(contact?.objectType === 'Contacts' ? { contacts: { add: [contact.recordId] } } : {}),
    ...(userId ? { assigned_user_id: userId } : {}),
  }, callKey);
}

/** CreateContact: a Leads record with the caller's number (E.164) and name (the core checked none exists). */
async function createLead(tenant: SugarTenant, { facts, userId }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
  const { first, last } = splitName(facts.external.name);
  return create(tenant, 'Leads', {
    ...(first ? { first_name: first } : {}),
    last_name: last ?? 'Unknown caller',
    ...(facts.external.number ? { phone_work: facts.external.number } : {}),
    lead_source: 'Cold Call',
    ...(userId ? { assigned_user_id: userId } : {}),
  });
}

/** Sugar's workflows; a later CallFlow request of the same call updates the Calls record it wrote. */
export const SUGAR_WORKFLOWS = sourceWorkflows(SugarSource, [
  {
    workflow: CALL_FLOW,
    previousTypes: { Calls: LOGGED_CALL },
    update: { types: ['Calls'], write: (tenant, call, { facts }) => update(tenant, 'Calls', call.recordId, callProgress(facts)) },
    create: logCall,
    findWritten: (tenant, { callKey }) => (callKey ? findByKey(tenant, 'Calls', callKey) : Promise.resolve(undefined)),
  },
  {
    workflow: CREATE_TICKET,
    previousTypes: { Calls: LOGGED_CALL, Cases: OPENED_TICKET },
    create: openCase,
    findWritten: (tenant, { callKey }) => (callKey ? findByKey(tenant, 'Cases', callKey) : Promise.resolve(undefined)),
  },
  { workflow: CREATE_CONTACT, create: createLead },
]);
