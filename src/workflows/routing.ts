import type { Tenant } from '../tenants/tenant';
import { decodeRecordId, matchesRecordIdPattern, type RecordRef } from '../core/record-id';
import type { WorkflowHandler } from '../core/workflow-handler';

export interface HandlerIndex {
  find(sourceId: string, workflow: string): WorkflowHandler | undefined;
  namesOf(sourceId: string): readonly string[];
  namesOfAny(sourceIds: readonly string[]): readonly string[];
}

export interface UnknownWorkflow {
  readonly ok: false;
  readonly status: 404;
  readonly message: string;
  readonly availableWorkflows: readonly string[];
}

export type Route =
  | { readonly ok: true; readonly handler: WorkflowHandler; readonly contact?: RecordRef; readonly previous?: RecordRef }
  | UnknownWorkflow
  | { readonly ok: false; readonly status: 422; readonly message: string };

/**
 * The refusal of a workflow name no source of the tenant offers, else undefined. Decided from the name
 * alone, before the body is read: an unknown workflow is 404 whatever its body.
 */
export function unknownWorkflow(workflow: string, tenant: Tenant, handlers: Pick<HandlerIndex, 'namesOfAny'>): UnknownWorkflow | undefined {
  const available = handlers.namesOfAny(tenant.sources.map((s) => s.source.id));
  if (available.some((name) => name.toLowerCase() === workflow.toLowerCase())) return undefined;
  const offer = available.length > 0 ? `This tenant can use: ${available.join(', ')}.` : 'No source of this tenant offers workflows.';
  return { ok: false, status: 404, message: `Unknown workflow "${workflow}". ${offer}`, availableWorkflows: available };
}

/**
 * Which source's handler takes a workflow request: the source of our `id` (an earlier request of the
 * same call), else the source of `contactCrmId` (the record the lookup returned), else the tenant's
 * `WORKFLOW_DEFAULT_CRM`. Ids we did not issue (unsigned or signed for another tenant when the gateway
 * signs its ids, of an object type the source does not hand out, or not of its record ids' form), and an
 * `id` of a type the workflow does not take (a Contact sent to CallFlow as the call), are refused before
 * anything is sent to a CRM.
 */
export function routeWorkflow(
  workflow: string,
  inputs: { readonly id?: string; readonly contactCrmId?: string },
  tenant: Tenant,
  handlers: HandlerIndex,
): Route {
  const unknown = unknownWorkflow(workflow, tenant, handlers);
  if (unknown) return unknown;

  const read = (field: 'id' | 'contactCrmId'): RecordRef | { error: string } | undefined => {
    const value = inputs[field];
    if (value === undefined) return undefined;
    const ref = decodeRecordId(value, tenant.recordIdKey);
    const notOurs = { error: `inputs.${field} is not an id this gateway issued` };
    if (!ref) return notOurs;
    const source = tenant.sources.find((s) => s.source.id === ref.sourceId)?.source;
    if (!source) return { error: `inputs.${field} names source "${ref.sourceId}", which this tenant does not use` };
    return matchesRecordIdPattern(source.recordIds, ref.objectType, ref.recordId) ? ref : notOurs;
  };
  const previous = read('id');
  const contact = read('contactCrmId');
  if (previous && 'error' in previous) return { ok: false, status: 422, message: previous.error };
  if (contact && 'error' in contact) return { ok: false, status: 422, message: contact.error };

  const sourceId = previous?.sourceId ?? contact?.sourceId ?? tenant.workflowDefaultSource;
  if (sourceId === undefined) {
    return {
      ok: false,
      status: 422,
      message: 'No inputs.contactCrmId (the caller is unknown) and no WORKFLOW_DEFAULT_CRM for this tenant: nowhere to write.',
    };
  }
  const handler = handlers.find(sourceId, workflow);
  if (!handler) {
    const supported = handlers.namesOf(sourceId);
    return {
      ok: false,
      status: 422,
      message: `Source "${sourceId}" does not support workflow "${workflow}" (it supports: ${supported.join(', ') || 'none'}).`,
    };
  }
  const takes = handler.previousTypes;
  if (previous && takes && !Object.hasOwn(takes, previous.objectType)) {
    const named = `${previous.sourceId}:${previous.objectType}:${previous.recordId}`;
    return { ok: false, status: 422, message: `inputs.id ${named} names ${withArticle(previous.objectType)} record, not ${Object.values(takes).join(' or ')}` };
  }
  return { ok: true, handler, previous, contact: contact?.sourceId === sourceId ? contact : undefined };
}

function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}
