import type { PublicObjectSearchRequest, SimplePublicObjectInputForCreate } from '@hubspot/api-client/lib/codegen/crm/objects/calls';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/calls/models/AssociationSpec';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/calls/models/Filter';
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
} from '../../core/workflow-handler';
import { splitName, type CallFacts } from '../../calls/call-facts';
import { OBJECT_TYPE_IDS, recordLink, type HubSpotRecord } from './hubspot.mapper';
import type { HubSpotSettings } from './hubspot.settings';
import { sourceWorkflows } from '../source-workflows';
import { HubSpotSource, type HubSpotTenant } from './hubspot.source';

/** The property naming a record's owner (a HubSpot owner id, not a user id). */
const OWNER = 'hubspot_owner_id';
/** The call property HubSpot defines for "the ID of the call in the external system": a CallFlow's key goes there. */
const CALL_KEY = 'hs_call_external_id';

/** HubSpot-defined association types (crm-apis.md §2.6). */
const ASSOCIATION = { callToContact: 194, callToCompany: 182, ticketToContact: 16, ticketToCompany: 26 } as const;

/** The default call outcomes ("dispositions") every portal has. */
export const CALL_DISPOSITIONS = { connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7', noAnswer: '73a0d17f-1163-4015-bdd5-ec830791da20' } as const;

type HubSpotObjectPath = 'calls' | 'tickets' | 'contacts';
const RECORD_TYPE: Readonly<Record<HubSpotObjectPath, { objectType: string; typeId: string }>> = {
  calls: { objectType: 'call', typeId: '0-48' },
  tickets: { objectType: 'ticket', typeId: OBJECT_TYPE_IDS.tickets },
  contacts: { objectType: 'contact', typeId: OBJECT_TYPE_IDS.contacts },
};

/** Creates a record; never retried: a retry could write the call twice. */
async function create(tenant: HubSpotTenant, object: HubSpotObjectPath, body: SimplePublicObjectInputForCreate): Promise<WorkflowResult> {
  const owner = body.properties[OWNER];
  const created = await tenant.client
    .request<HubSpotRecord>({ method: 'POST', path: `/crm/v3/objects/${object}`, body }, crmWriteDeadline())
    .catch((error: unknown) => {
      // A 400 validation error naming the owner property: HubSpot wrote nothing.
      const refused = owner !== undefined && error instanceof SourceError && error.code === 'BAD_REQUEST' && error.fields.includes(OWNER);
      throw refused ? new OwnerRefusedError(owner, error) : error;
    });
  return result(tenant, object, created.id);
}

async function update(tenant: HubSpotTenant, object: HubSpotObjectPath, id: string, properties: Record<string, string>): Promise<WorkflowResult> {
  await tenant.client.request<HubSpotRecord>({ method: 'PATCH', path: `/crm/v3/objects/${object}/${encodeURIComponent(id)}`, body: { properties } }, crmWriteDeadline());
  return result(tenant, object, id);
}

async function result(tenant: HubSpotTenant, object: HubSpotObjectPath, id: string): Promise<WorkflowResult> {
  const { objectType, typeId } = RECORD_TYPE[object];
  const links = await tenant.client.portalLinks(crmWriteDeadline()).catch(() => undefined);
  const url = recordLink(links, typeId, id);
  return url ? { objectType, recordId: id, url } : { objectType, recordId: id };
}

function associate(record: RecordRef | undefined, toContact: number, toCompany: number): SimplePublicObjectInputForCreate['associations'] {
  if (!record || (record.objectType !== 'contact' && record.objectType !== 'company')) return [];
  const associationTypeId = record.objectType === 'contact' ? toContact : toCompany;
  return [{ to: { id: record.recordId }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId }] }];
}

function callProgress(facts: CallFacts): Record<string, string> {
  return {
    hs_call_title: facts.subject,
    hs_call_body: facts.description,
    hs_call_status: facts.outcome === 'answered' ? 'COMPLETED' : 'NO_ANSWER',
    hs_call_disposition: facts.outcome === 'answered' ? CALL_DISPOSITIONS.connected : CALL_DISPOSITIONS.noAnswer,
    hs_call_duration: String(facts.talkSeconds * 1000),
  };
}

/** CallFlow: a call engagement on the contact (or company), carrying the write's key in `hs_call_external_id`. */
async function logCall(tenant: HubSpotTenant, { facts, contact, userId, callKey }: WorkflowCall<HubSpotSettings>): Promise<WorkflowResult> {
  const [from, to] = facts.direction === 'incoming' ? [facts.external, facts.internal] : [facts.internal, facts.external];
  const properties: Record<string, string> = {
    ...callProgress(facts),
    hs_timestamp: facts.startedAt.toISOString(),
    hs_call_direction: facts.direction === 'incoming' ? 'INBOUND' : 'OUTBOUND',
    ...(from.number ? { hs_call_from_number: from.number } : {}),
    ...(to.number ? { hs_call_to_number: to.number } : {}),
    ...(userId ? { [OWNER]: userId } : {}),
    ...(callKey ? { [CALL_KEY]: callKey } : {}),
  };
  return create(tenant, 'calls', { properties, associations: associate(contact, ASSOCIATION.callToContact, ASSOCIATION.callToCompany) });
}

/**
 * The call an earlier try of this CallFlow logged, found by the key it carries in `hs_call_external_id`:
 * one search, counted against the token's search budget as a lookup's searches are. HubSpot's index
 * lags behind its writes, so the outbox looks no sooner than `HUBSPOT_SEARCH_LAG_S` after the try.
 */
async function findLoggedCall(tenant: HubSpotTenant, { callKey }: WorkflowCall<HubSpotSettings>): Promise<WorkflowResult | undefined> {
  if (!callKey) return undefined;
  const body: PublicObjectSearchRequest = {
    filterGroups: [{ filters: [{ propertyName: CALL_KEY, operator: FilterOperatorEnum.Eq, value: callKey }] }],
    properties: [CALL_KEY],
    limit: 1,
  };
  const found = await tenant.client.request<{ results: HubSpotRecord[] }>({ method: 'POST', path: '/crm/v3/objects/calls/search', body, search: true }, crmWriteDeadline());
  const id = found.results[0]?.id;
  return id === undefined ? undefined : result(tenant, 'calls', id);
}

/** CreateTicket: a ticket in the tenant's pipeline, associated with the contact (or company). */
async function openTicket(tenant: HubSpotTenant, { facts, contact, settings, userId }: WorkflowCall<HubSpotSettings>): Promise<WorkflowResult> {
  const properties: Record<string, string> = {
    subject: facts.subject,
    content: facts.description,
    hs_pipeline: settings.HUBSPOT_TICKET_PIPELINE,
    hs_pipeline_stage: settings.HUBSPOT_TICKET_STAGE,
    ...(userId ? { [OWNER]: userId } : {}),
  };
  return create(tenant, 'tickets', { properties, associations: associate(contact, ASSOCIATION.ticketToContact, ASSOCIATION.ticketToCompany) });
}

/** CreateContact: a contact with the caller's number (E.164) and name (the core has checked none exists). */
async function createContact(tenant: HubSpotTenant, { facts, userId }: WorkflowCall<HubSpotSettings>): Promise<WorkflowResult> {
  const { first, last } = splitName(facts.external.name);
  const properties: Record<string, string> = {
    ...(facts.external.number ? { phone: facts.external.number } : {}),
    ...(first ? { firstname: first } : {}),
    ...(last ? { lastname: last } : {}),
    ...(userId ? { [OWNER]: userId } : {}),
  };
  return create(tenant, 'contacts', { properties, associations: [] });
}

/**
 * HubSpot's workflows; a later CallFlow request of the same call updates the call it logged. A ticket
 * carries no key (no ticket property is meant for one), so a CreateTicket whose answer was lost is not
 * sent again.
 */
export const HUBSPOT_WORKFLOWS = sourceWorkflows(HubSpotSource, [
  {
    workflow: CALL_FLOW,
    previousTypes: { call: LOGGED_CALL },
    update: { types: ['call'], write: (tenant, call, { facts }) => update(tenant, 'calls', call.recordId, callProgress(facts)) },
    create: logCall,
    findWritten: findLoggedCall,
    findableAfterMs: (settings) => settings.HUBSPOT_SEARCH_LAG_S * 1000,
  },
  { workflow: CREATE_TICKET, previousTypes: { call: LOGGED_CALL, ticket: OPENED_TICKET }, create: openTicket },
  { workflow: CREATE_CONTACT, create: createContact },
]);
