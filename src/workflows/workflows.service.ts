import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { maskPhoneNumber } from '../logging/mask';
import { normalizeIncoming, type IncomingNumber } from '../phone';
import { encodeRecordId, type RecordRef } from '../core/record-id';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';
import { SourceError } from '../core/source-error';
import { computeCallFacts, type CallFacts, type CallInputs } from '../calls/call-facts';
import { parseCallTime, timesOutOfOrder } from '../calls/call-time';
import { settleWithin } from '../resilience/deadline';
import { RepeatGuard } from './idempotency';
import { FirstRequests } from './first-requests';
import { RedisConnection } from '../shared-state/redis-connection';
import { routeWorkflow, unknownWorkflow, type UnknownWorkflow } from './routing';
import { userIdForSource } from './user-crm-id';
import { CREATE_CONTACT, OwnerRefusedError, WorkflowInputError, type WorkflowHandler, type WorkflowResult } from '../core/workflow-handler';
import { WorkflowRegistry } from '../sources/workflow-registry';
import { SourceAccess } from '../source-access/source-access';
import { GatewayMetrics } from '../observability/gateway-metrics';
import type { WorkflowInputs } from './workflow-request.dto';

/** What the CONNECTOR gets back: our id of the record, and where to open it. */
export interface WorkflowAnswer {
  readonly id: string;
  readonly url?: string;
}

const DEADLINE_PASSED = Symbol('deadline passed');

/** Runs a business workflow on the source that owns the record, each call written once. */
@Injectable()
export class WorkflowsService {
  private readonly firstRequests: FirstRequests<WorkflowAnswer>;

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
    private readonly registry: WorkflowRegistry,
    private readonly door: SourceAccess,
    private readonly metrics: GatewayMetrics,
    private readonly logger: PinoLogger,
    redis: RedisConnection,
  ) {
    logger.setContext(WorkflowsService.name);
    this.firstRequests = new FirstRequests(redis, { waitMs: settings.WORKFLOW_TIMEOUT_MS });
  }

  /**
   * Refuses a workflow name no source of the tenant offers (404, listing those it can use), before its
   * body is read: the route decides first.
   */
  refuseUnknownWorkflow(tenant: Tenant, workflow: string): void {
    const unknown = unknownWorkflow(workflow, tenant, this.registry);
    if (!unknown) return;
    this.metrics.workflow('unknown', 'none', 404);
    throw notFound(unknown);
  }

  /** `reqId` goes on every line this workflow logs, so the admin can join them to the request line. */
  async run(tenant: Tenant, workflow: string, inputs: WorkflowInputs, reqId: string): Promise<WorkflowAnswer> {
    let source = 'none';
    // Labels from closed sets only: a label set is kept for good, and the path segment is the caller's.
    const label = this.registry.canonicalName(workflow) ?? 'unknown';
    try {
      const answer = await this.routeAndRun(tenant, workflow, inputs, reqId, (id) => (source = id));
      this.metrics.workflow(label, source, 200);
      return answer;
    } catch (error) {
      this.metrics.workflow(label, source, error instanceof HttpException ? error.getStatus() : 500);
      throw error;
    }
  }

  private async routeAndRun(
    tenant: Tenant,
    workflow: string,
    inputs: WorkflowInputs,
    reqId: string,
    routedTo: (sourceId: string) => void,
  ): Promise<WorkflowAnswer> {
    const call = readCall(inputs, tenant.timezone);
    const disorder = timesOutOfOrder(
      { startedTime: call.startedAt, answeredTime: call.answeredAt, endedTime: call.endedAt, declinedTime: call.declinedAt },
      (field) => String(inputs[field]),
    );
    // Answered the way the validation pipe answers a bad field: the call is refused, not written with 0:00.
    if (disorder.length > 0) throw new BadRequestException(disorder);
    const route = routeWorkflow(workflow, inputs, tenant, this.registry);
    if (!route.ok) {
      if (route.status === 404) throw notFound(route);
      throw new UnprocessableEntityException(route.message);
    }
    const { handler, contact, previous } = route;
    routedTo(handler.sourceId);
    const tenantSource = tenant.sources.find((s) => s.source.id === handler.sourceId)!;
    const facts = computeCallFacts(call, {
      region: tenant.defaultRegion,
      language: tenant.language,
      timezone: tenant.timezone,
    });
    const userId = userIdForSource(inputs.userCrmId, handler.sourceId, this.sources.map((s) => s.id));
    const logged = { reqId, ...this.describe(tenant, handler, facts) };
    const write = (): Promise<WorkflowAnswer> => this.write(tenant, tenantSource, handler, { facts, contact, previous, userId }, logged);

    if (previous && handler.updates?.includes(previous.objectType)) return this.answerInTime(handler, logged, write());
    // A first request, or one whose `id` is context (CreateTicket after CallFlow): a retry must not write again.
    const key = RepeatGuard.keyOf([
      tenant.id,
      handler.workflow.toLowerCase(),
      facts.direction,
      inputs.originatorNumber,
      inputs.destinationNumber,
      facts.startedAt.toISOString(),
      inputs.id ?? undefined,
    ]);
    const result = this.firstRequests.run(tenant.id, key, write, () =>
      this.logger.info(logged, 'Repeated request of a call: answered with the first one, nothing written'),
    );
    return this.answerInTime(handler, logged, result);
  }

  private async write(
    tenant: Tenant,
    tenantSource: TenantSource,
    handler: WorkflowHandler,
    call: { facts: CallFacts; contact?: RecordRef; previous?: RecordRef; userId?: string },
    logged: Record<string, unknown>,
  ): Promise<WorkflowAnswer> {
    const isCreateContact = handler.workflow.toLowerCase() === CREATE_CONTACT.toLowerCase();
    const caller = isCreateContact ? callerNumber(tenant, call.facts) : undefined;
    if (isCreateContact) {
      const existing = call.contact ? { id: encodeRecordId(call.contact, tenant.recordIdKey) } : caller && (await this.findExistingContact(tenant, tenantSource, caller));
      if (existing) return existing;
    }
    const run = (userId: string | undefined): Promise<WorkflowResult> =>
      handler.run({ tenantId: tenant.id, settings: tenantSource.settings, region: tenant.defaultRegion, timezone: tenant.timezone, ...call, userId });
    const owner = this.ownerOfForm(tenantSource.source, call.userId, handler, logged);
    // Sent again only when the CRM refused the owner and wrote nothing (never after a timeout or a reset).
    const result = await run(owner).catch((error: unknown) => {
      if (!(error instanceof OwnerRefusedError)) throw error;
      this.warnWithoutOwner(handler, logged, error.userId, `${handler.sourceId} refused it as the owner (${error.message})`);
      return run(undefined);
    });
    // The new contact's number may be cached as "no match" by any source: the next call must find it.
    if (caller) await this.door.invalidate(tenant, caller);
    const id = encodeRecordId({ sourceId: handler.sourceId, objectType: result.objectType, recordId: result.recordId }, tenant.recordIdKey);
    this.logger.info(logged, `Workflow ${handler.workflow} written`);
    return result.url === undefined ? { id } : { id, url: result.url };
  }

  /** `userCrmId` when it has the form of the CRM's user ids; else none, with a warning (the call is written all the same). */
  private ownerOfForm(source: LookupSource, userId: string | undefined, handler: WorkflowHandler, logged: Record<string, unknown>): string | undefined {
    if (userId === undefined || !source.userIds || source.userIds.test(userId)) return userId;
    this.warnWithoutOwner(handler, logged, userId, `it is not a ${source.defaultDisplayName} user id`);
    return undefined;
  }

  /** A CRM user id is no secret and no personal data: named, so the admin can mend the CONNECTOR's user mapping. */
  private warnWithoutOwner(handler: WorkflowHandler, logged: Record<string, unknown>, userId: string, why: string): void {
    this.logger.warn(
      { ...logged, userCrmId: userId },
      `Workflow ${handler.workflow}: userCrmId "${userId}" left out, ${why}; written without an owner (the CRM's default)`,
    );
  }

  /**
   * CreateContact for a number a record already has: answer with that record instead of a duplicate.
   * Asked through the door, as a lookup is: a source whose circuit is open or whose budget is spent is
   * not asked, and the workflow fails as it does when the CRM is down (nothing written).
   */
  private async findExistingContact(tenant: Tenant, tenantSource: TenantSource, caller: IncomingNumber): Promise<WorkflowAnswer | undefined> {
    const [match] = await this.door.findByNumber(tenant, tenantSource, caller, Date.now() + this.settings.LOOKUP_TIMEOUT_MS);
    if (!match) return undefined;
    const id = encodeRecordId(match.candidate, tenant.recordIdKey);
    return match.candidate.contactUri ? { id, url: match.candidate.contactUri } : { id };
  }

  /**
   * Past the deadline the CONNECTOR gets 504, but the write is not abandoned: it stays registered,
   * so the CONNECTOR's retry gets its result instead of writing the call a second time.
   */
  private async answerInTime(handler: WorkflowHandler, logged: Record<string, unknown>, result: Promise<WorkflowAnswer>): Promise<WorkflowAnswer> {
    try {
      const outcome = await settleWithin(result, this.settings.WORKFLOW_TIMEOUT_MS, (): typeof DEADLINE_PASSED => DEADLINE_PASSED);
      if (outcome === DEADLINE_PASSED) {
        this.logger.warn({ ...logged, code: 'TIMEOUT' }, `Workflow ${handler.workflow} not done in time`);
        throw new GatewayTimeoutException({
          statusCode: 504,
          error: 'Gateway Timeout',
          source: handler.sourceId,
          message: `${handler.sourceId} did not answer within ${this.settings.WORKFLOW_TIMEOUT_MS} ms; the write goes on, and a retry of this request returns its result.`,
        });
      }
      return outcome;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      if (error instanceof WorkflowInputError) throw new UnprocessableEntityException(error.message);
      throw this.failure(handler, logged, error);
    }
  }

  private failure(handler: WorkflowHandler, logged: Record<string, unknown>, error: unknown): HttpException {
    const code = error instanceof SourceError ? error.code : 'INTERNAL';
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn({ ...logged, code, reason }, `Workflow ${handler.workflow} failed`);
    const body = { source: handler.sourceId, code, message: `${handler.sourceId}: ${reason}` };
    return code === 'TIMEOUT'
      ? new GatewayTimeoutException({ statusCode: 504, error: 'Gateway Timeout', ...body })
      : new BadGatewayException({ statusCode: 502, error: 'Bad Gateway', ...body });
  }

  private describe(tenant: Tenant, handler: WorkflowHandler, facts: CallFacts): Record<string, unknown> {
    return {
      tenant: tenant.id,
      workflow: handler.workflow,
      source: handler.sourceId,
      direction: facts.direction,
      outcome: facts.outcome,
      number: facts.external.number === undefined ? undefined : maskPhoneNumber(facts.external.number),
      startedAt: facts.startedAt.toISOString(),
    };
  }
}

function notFound(unknown: UnknownWorkflow): NotFoundException {
  return new NotFoundException({ statusCode: 404, error: 'Not Found', message: unknown.message, workflows: unknown.availableWorkflows });
}

/** The other party's number, as lookups key it; undefined when the call has none (withheld). */
function callerNumber(tenant: Tenant, facts: CallFacts): IncomingNumber | undefined {
  return facts.external.number === undefined ? undefined : normalizeIncoming(facts.external.number, tenant.defaultRegion);
}

/** The validated inputs, times read in the tenant's zone (their form was checked by the DTO). */
function readCall(inputs: WorkflowInputs, timezone: string): CallInputs {
  const time = (value: unknown): Date | undefined => {
    const reading = parseCallTime(value, timezone);
    return reading.ok ? reading.value : undefined;
  };
  return {
    direction: inputs.direction,
    originatorNumber: inputs.originatorNumber,
    originatorName: inputs.originatorName,
    destinationNumber: inputs.destinationNumber,
    destinationName: inputs.destinationName,
    startedAt: time(inputs.startedTime)!,
    answeredAt: time(inputs.answeredTime),
    endedAt: time(inputs.endedTime),
    declinedAt: time(inputs.declinedTime),
  };
}
