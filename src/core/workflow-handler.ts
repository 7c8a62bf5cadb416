import { DiscoveryService } from '@nestjs/core';
import type { CountryCode } from 'libphonenumber-js/max';
import type { RecordRef } from './record-id';
import type { SourceError } from './source-error';
import type { CallFacts } from '../calls/call-facts';

/** CRM writes may take longer than a lookup; the core answers the CONNECTOR in time and keeps waiting. */
const CRM_WRITE_TIMEOUT_MS = 60_000;

/** The deadline a handler gives one CRM write it starts now. */
export function crmWriteDeadline(): number {
  return Date.now() + CRM_WRITE_TIMEOUT_MS;
}

/** The workflows the contract names; a source may add others of its own. */
export const CALL_FLOW = 'CallFlow';
export const CREATE_TICKET = 'CreateTicket';
export const CREATE_CONTACT = 'CreateContact';

export interface WorkflowCall<S extends object = object> {
  readonly tenantId: string;
  readonly settings: S;
  readonly region: CountryCode;
  /** The tenant's zone, for dates such as a task's due date. */
  readonly timezone: string;
  readonly facts: CallFacts;
  /** The contact or company the lookup returned (`contactCrmId`), when it belongs to this source. */
  readonly contact?: RecordRef;
  /**
   * What an earlier request of the same call created (our `id`). When it is of the type this workflow
   * writes, update it rather than create another; another type (a CallFlow's activity sent to
   * CreateTicket) is context only.
   */
  readonly previous?: RecordRef;
  /** The CRM user the call belongs to, from `userCrmId`. */
  readonly userId?: string;
  /**
   * The key of this write (a UUID's form, the same for every try of it): a source that puts it into the
   * record it creates can find that record again (`findWritten`) when a try's answer was lost.
   */
  readonly callKey?: string;
}

/**
 * A record the request named (`id`, `contactCrmId`) that the source cannot use, found before anything
 * was written: the caller's mistake, answered 422 with this message.
 */
export class WorkflowInputError extends Error {
  override readonly name = 'WorkflowInputError';
}

/**
 * The CRM refused a write because of its owner (`userCrmId`: no such user, or not one a record can be
 * assigned to) and wrote nothing. Throw it only for such a refusal, never after a timeout or a reset
 * connection: the core then writes the record once more without an owner (the CRM's default, mostly the
 * integration user) and warns, naming the id.
 */
export class OwnerRefusedError extends Error {
  override readonly name = 'OwnerRefusedError';

  constructor(
    readonly userId: string,
    refusal: SourceError,
  ) {
    super(refusal.message, { cause: refusal });
  }
}

/** The record the workflow created or updated; becomes our `id` and the answer's `url`. */
export interface WorkflowResult {
  readonly objectType: string;
  readonly recordId: string;
  readonly url?: string;
}

/** What the record an earlier request of the call created is, in the words of a refusal naming another. */
export const LOGGED_CALL = 'a call logged by CallFlow';
export const OPENED_TICKET = 'a ticket opened by CreateTicket';

/**
 * One workflow of one source. Mark the class `@WorkflowHandlerProvider()` and provide it in the
 * source's module: the registry finds it at start.
 */
export interface WorkflowHandler<S extends object = object> {
  readonly sourceId: string;
  readonly workflow: string;
  /**
   * The object types an earlier request's `id` may name here, each with what it is (`{ Task: LOGGED_CALL }`):
   * the record this workflow updates, and those it takes as context (CreateTicket after CallFlow gets the
   * call's id). An `id` of another type is refused with 422. Absent: any type the source hands out.
   */
  readonly previousTypes?: Readonly<Record<string, string>>;
  /**
   * The object types this workflow updates when an earlier request's `id` names one (CallFlow: the call
   * it logged). Such a request writes every time (an update is idempotent); any other request, with an
   * `id` taken as context or none, runs once per call within the repeat window.
   */
  readonly updates?: readonly string[];
  run(call: WorkflowCall<S>): Promise<WorkflowResult>;
  /**
   * The record an earlier try of this create wrote, found by `call.callKey`; undefined when there is
   * none. Only sources whose creates carry the key offer it: for them a create whose answer was lost (a
   * time-out or a cut connection after sending) is looked for, and adopted or sent again; for the others
   * it is never sent again blindly.
   */
  findWritten?(call: WorkflowCall<S>): Promise<WorkflowResult | undefined>;
  /**
   * Whether `findWritten` can find this tenant's records. A source whose creates carry the key only with
   * a setting (a Salesforce Case: `SALESFORCE_CASE_KEY_FIELD`) says no for the other tenants: their
   * creates are treated as a handler's without `findWritten`, never sent again blindly. Absent: always.
   */
  findsWritten?(settings: S): boolean;
  /**
   * How long after a write the source's `findWritten` can see it (a search index that lags behind the
   * writes, as HubSpot's does). A create that may have been written is looked for, and sent again, no
   * sooner: a look made earlier would miss it and write the call twice. Absent: at once.
   */
  readonly findableAfterMs?: number;
}

export const WorkflowHandlerProvider = DiscoveryService.createDecorator<void>();

/** Handlers made at start rather than declared as classes (one per template file and workflow): mark the provider `@WorkflowHandlerSetProvider()`. */
export interface WorkflowHandlerSet {
  readonly handlers: readonly WorkflowHandler[];
}

export const WorkflowHandlerSetProvider = DiscoveryService.createDecorator<void>();
