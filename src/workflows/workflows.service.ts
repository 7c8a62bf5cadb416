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
import { decodeRecordId, encodeRecordId, isQueuedRef, QUEUED_OBJECT_TYPE, type RecordRef } from '../core/record-id';
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
import { CALL_FLOW, CREATE_CONTACT, OwnerRefusedError, WorkflowInputError, type WorkflowCall, type WorkflowHandler, type WorkflowResult } from '../core/workflow-handler';
import { WorkflowRegistry } from '../sources/workflow-registry';
import { SourceAccess } from '../source-access/source-access';
import { TenantRegistry } from '../tenants/tenant-registry';
import { GatewayMetrics } from '../observability/gateway-metrics';
import type { WorkflowInputs } from './workflow-request.dto';
import { OutboxStore } from '../outbox/outbox-store';
import type { Delivery, Outbox } from '../outbox/outbox';
import { nextTryAt, type RetryPolicy } from '../resilience/retry-schedule';
import { crmWriteDeadline } from '../core/workflow-handler';
import { classifyWriteFailure, leastRetryWaitMs } from './write-failure';
import { createHash } from 'node:crypto';

/** What the CONNECTOR gets back: our id of the record, and where to open it. */
export interface WorkflowAnswer {
  readonly id: string;
  readonly url?: string;
}

const DEADLINE_PASSED = Symbol('deadline passed');

/** Kept for the answer when a write is queued at the deadline: storing it takes a few milliseconds. */
const QUEUE_MARGIN_MS = 250;
/** A write still running when its request was answered is left to it this much past its own time-out. */
const IN_FLIGHT_LEASE_MARGIN_MS = 10_000;

/** What a queued delivery runs: the workflow request, as the CONNECTOR sent its latest version. */
export interface DeliveryPayload {
  readonly workflow: string;
  readonly inputs: WorkflowInputs;
  /**
   * A later request of a call whose write another replica queued (each replica keeps its own outbox):
   * it only updates the record that write makes, once it is found by the call's key; it never creates one.
   */
  readonly followUp?: true;
}

/** The record a write made or found, and where to open it. */
export interface Written {
  readonly ref: RecordRef;
  readonly url?: string;
}

/** A workflow request ready to write: the handler that takes it and the call in its terms. */
interface Prepared {
  readonly handler: WorkflowHandler;
  readonly tenantSource: TenantSource;
  readonly call: { facts: CallFacts; contact?: RecordRef; previous?: RecordRef; userId?: string };
  readonly logged: Record<string, unknown>;
}

/** Runs a business workflow on the source that owns the record, each call written once. */
@Injectable()
export class WorkflowsService {
  private readonly firstRequests: FirstRequests<WorkflowAnswer>;
  private readonly outbox: Outbox | undefined;
  /** `REDIS_URL` is set: other replicas may have queued a call this one is asked about. */
  private readonly sharedWithReplicas: boolean;
  readonly retryPolicy: RetryPolicy;

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
    private readonly registry: WorkflowRegistry,
    private readonly door: SourceAccess,
    private readonly tenants: TenantRegistry,
    private readonly metrics: GatewayMetrics,
    private readonly logger: PinoLogger,
    redis: RedisConnection,
    outboxStore: OutboxStore,
  ) {
    this.sharedWithReplicas = redis.configured;
    logger.setContext(WorkflowsService.name);
    this.firstRequests = new FirstRequests(redis, { waitMs: settings.WORKFLOW_TIMEOUT_MS });
    this.outbox = outboxStore.outbox;
    this.retryPolicy = {
      firstMs: settings.WORKFLOW_RETRY_FIRST_S * 1000,
      maxMs: settings.WORKFLOW_RETRY_MAX_S * 1000,
      forMs: settings.WORKFLOW_RETRY_FOR_H * 3_600_000,
    };
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
    sent: WorkflowInputs,
    reqId: string,
    routedTo: (sourceId: string) => void,
  ): Promise<WorkflowAnswer> {
    const call = readCall(sent, tenant.timezone);
    const disorder = timesOutOfOrder(
      { startedTime: call.startedAt, answeredTime: call.answeredAt, endedTime: call.endedAt, declinedTime: call.declinedAt },
      (field) => String(sent[field]),
    );
    // Answered the way the validation pipe answers a bad field: the call is refused, not written with 0:00.
    if (disorder.length > 0) throw new BadRequestException(disorder);
    const queued = await this.resolveQueuedId(tenant, workflow, sent, reqId);
    if (queued.kind === 'merged') {
      routedTo(queued.sourceId);
      return queued.answer;
    }
    const inputs = queued.inputs;
    const prepared = this.prepare(tenant, workflow, inputs, reqId);
    routedTo(prepared.handler.sourceId);
    const { handler, call: { previous } } = prepared;
    const request: DeliveryPayload = { workflow: handler.workflow, inputs };

    if (previous && this.isUpdate(prepared)) {
      return this.answerInTime(handler, prepared.logged, this.writeOrQueue(tenant, prepared, request, updateDeliveryId(tenant.id, previous)));
    }
    // A first request, or one whose `id` is context (CreateTicket after CallFlow): a retry must not write again.
    const key = RepeatGuard.keyOf([
      tenant.id,
      handler.workflow.toLowerCase(),
      prepared.call.facts.direction,
      inputs.originatorNumber,
      inputs.destinationNumber,
      prepared.call.facts.startedAt.toISOString(),
      inputs.id ?? undefined,
    ]);
    const result = this.firstRequests.run(tenant.id, key, () => this.writeOrQueue(tenant, prepared, request, deliveryIdOf(['first', tenant.id, key])), () =>
      this.logger.info(prepared.logged, 'Repeated request of a call: answered with the first one, nothing written'),
    );
    return this.answerInTime(handler, prepared.logged, result);
  }

  /** Routes a request to the handler that takes it, and reads the call in the tenant's terms (refusals as HTTP errors). */
  private prepare(tenant: Tenant, workflow: string, inputs: WorkflowInputs, reqId: string): Prepared {
    const route = routeWorkflow(workflow, inputs, tenant, this.registry);
    if (!route.ok) {
      if (route.status === 404) throw notFound(route);
      throw new UnprocessableEntityException(route.message);
    }
    const { handler, contact, previous } = route;
    const tenantSource = tenant.sources.find((s) => s.source.id === handler.sourceId)!;
    const facts = computeCallFacts(readCall(inputs, tenant.timezone), {
      region: tenant.defaultRegion,
      language: tenant.language,
      timezone: tenant.timezone,
    });
    const userId = userIdForSource(inputs.userCrmId, handler.sourceId, this.sources.map((s) => s.id));
    return { handler, tenantSource, call: { facts, contact, previous, userId }, logged: { reqId, ...this.describe(tenant, handler, facts) } };
  }

  /**
   * A request naming our id of a queued write (`<source>:queued:<id>`): while that write waits, this newer
   * request of the same call replaces it (one record, with the latest facts) and is answered with the same
   * id; once delivered, the id stands for the record written, and the request goes on as one naming it.
   */
  private async resolveQueuedId(
    tenant: Tenant,
    workflow: string,
    inputs: WorkflowInputs,
    reqId: string,
  ): Promise<{ kind: 'merged'; answer: WorkflowAnswer; sourceId: string } | { kind: 'inputs'; inputs: WorkflowInputs }> {
    const named = inputs.id === undefined ? undefined : decodeRecordId(inputs.id, tenant.recordIdKey);
    if (!named || !isQueuedRef(named) || !this.outbox) return { kind: 'inputs', inputs };
    const delivery = await this.outbox.get(named.recordId);
    if (!delivery && this.sharedWithReplicas && workflow.toLowerCase() === CALL_FLOW.toLowerCase()) return this.keepFollowUp(tenant, named, inputs, reqId);
    if (!delivery || delivery.tenantId !== tenant.id || delivery.sourceId !== named.sourceId) {
      throw new UnprocessableEntityException('inputs.id names a queued write this gateway does not know (delivered and forgotten long ago, or never issued)');
    }
    const written = writtenBy(delivery);
    if (written) return { kind: 'inputs', inputs: { ...inputs, id: encodeRecordId(written.ref, tenant.recordIdKey) } };
    const payload = JSON.parse(delivery.payload) as DeliveryPayload;
    if (payload.workflow.toLowerCase() !== workflow.toLowerCase()) {
      // Another workflow of the call (CreateTicket after a queued CallFlow): the call's record does not exist yet.
      const { id: _queued, ...withoutId } = inputs;
      return { kind: 'inputs', inputs: withoutId };
    }
    await this.outbox.merge(delivery.id, JSON.stringify({ workflow: payload.workflow, inputs: { ...inputs, id: payload.inputs.id } } satisfies DeliveryPayload), Date.now());
    this.logger.info(
      { reqId, tenant: tenant.id, workflow: payload.workflow, source: delivery.sourceId, delivery: delivery.id, state: delivery.state },
      'Newer request of a queued call: merged into its queued write',
    );
    return { kind: 'merged', answer: { id: inputs.id! }, sourceId: delivery.sourceId };
  }

  /**
   * The next request of a call another replica queued: kept here as an update of the record that write
   * will make (found by the call's key, which is the queued id), answered with the same id.
   */
  private async keepFollowUp(
    tenant: Tenant,
    named: RecordRef,
    inputs: WorkflowInputs,
    reqId: string,
  ): Promise<{ kind: 'merged'; answer: WorkflowAnswer; sourceId: string }> {
    const outbox = this.outbox!;
    const now = Date.now();
    const payload: DeliveryPayload = { workflow: CALL_FLOW, inputs: { ...inputs, id: undefined }, followUp: true };
    const kept = await outbox.get(named.recordId);
    if (kept) await outbox.merge(kept.id, JSON.stringify(payload), now);
    else {
      await outbox.add(
        { id: named.recordId, tenantId: tenant.id, sourceId: named.sourceId, workflow: CALL_FLOW, callKey: named.recordId, payload: JSON.stringify(payload), nextAttemptAt: now + this.retryPolicy.firstMs },
        now,
      );
    }
    this.logger.info({ reqId, tenant: tenant.id, source: named.sourceId, delivery: named.recordId }, 'Newer request of a call queued on another replica: kept here as an update of the record it will make');
    return { kind: 'merged', answer: { id: inputs.id! }, sourceId: named.sourceId };
  }

  /**
   * Writes now; a write that fails for a reason that can pass, or is still running at the deadline, is
   * kept in the outbox and answered with our id of it (`<source>:queued:<id>`, or the record's own id for
   * an update), to be delivered later. The outbox id is the call's (or the record's): a repeat the repeat
   * guard no longer knows (after a restart, on another replica) finds it there instead of writing again.
   * Not queued: CreateContact (the CONNECTOR needs the contact now), and a write that may have been carried
   * out though no answer came (sending it again blindly could write the call twice): answered as before.
   */
  private async writeOrQueue(tenant: Tenant, prepared: Prepared, request: DeliveryPayload, deliveryId: string): Promise<WorkflowAnswer> {
    const outbox = this.outbox;
    const isCreateContact = prepared.handler.workflow.toLowerCase() === CREATE_CONTACT.toLowerCase();
    if (!outbox || isCreateContact) return this.answerOf(tenant, await this.write(tenant, prepared));
    const isUpdate = this.isUpdate(prepared);
    const answer = { id: this.idOfQueued(tenant, prepared, deliveryId) };
    const pending = await outbox.get(deliveryId);
    if (pending?.state === 'queued' || pending?.state === 'sending') {
      // This call (or this record's earlier update) still waits: the newer request joins it, in order.
      await outbox.merge(deliveryId, JSON.stringify(request), Date.now());
      this.logger.info({ ...prepared.logged, delivery: deliveryId }, `Workflow ${prepared.handler.workflow} joined its call's queued write`);
      return answer;
    }
    if (pending?.state === 'delivered' && !isUpdate && pending.result !== undefined) {
      this.logger.info({ ...prepared.logged, delivery: deliveryId }, 'Repeated request of a call: answered with the record its queued write made, nothing written');
      return this.answerOf(tenant, writtenBy(pending)!);
    }
    const writing = this.write(tenant, prepared, isUpdate ? undefined : deliveryId);
    const base = { id: deliveryId, tenantId: tenant.id, sourceId: prepared.handler.sourceId, workflow: prepared.handler.workflow, callKey: deliveryId, payload: JSON.stringify(request) };
    let outcome: Written | typeof DEADLINE_PASSED;
    try {
      outcome = await settleWithin(writing, Math.max(0, this.settings.WORKFLOW_TIMEOUT_MS - QUEUE_MARGIN_MS), (): typeof DEADLINE_PASSED => DEADLINE_PASSED);
    } catch (error) {
      const failure = classifyWriteFailure(error);
      const now = Date.now();
      if (failure.kind === 'refused') {
        await this.keepDeadLetter(outbox, { ...base, nextAttemptAt: now, lastError: failure.reason }, pending, now);
        throw error;
      }
      // Sent again later only when that is safe (an update, or a create the source can find by its key), and no sooner than it can be found.
      const wait = leastRetryWaitMs(failure, this.sendAgainAfter(prepared));
      if (wait === undefined) throw error;
      const at = nextTryAt(this.retryPolicy, 1, now, now, wait) ?? now + wait;
      await this.queue(outbox, { ...base, nextAttemptAt: at, lastError: failure.reason }, pending, now);
      this.metrics.delivery(tenant.id, prepared.handler.sourceId, 'queued');
      this.logger.warn(
        { ...prepared.logged, delivery: deliveryId, reason: failure.reason, nextTryAt: new Date(at).toISOString() },
        `Workflow ${prepared.handler.workflow} kept in the outbox: ${prepared.handler.sourceId} refused it for now`,
      );
      return answer;
    }
    if (outcome !== DEADLINE_PASSED) {
      if (pending) await outbox.remove(deliveryId); // a dead letter of this call, written after all
      return this.answerOf(tenant, outcome);
    }
    // Still running: kept, but due only once the write's own time is over, so no worker sends it meanwhile.
    const now = Date.now();
    await this.queue(outbox, { ...base, nextAttemptAt: crmWriteDeadline() + IN_FLIGHT_LEASE_MARGIN_MS, lastError: 'TIMEOUT: not answered by the workflow deadline' }, pending, now);
    this.metrics.delivery(tenant.id, prepared.handler.sourceId, 'queued');
    this.logger.warn({ ...prepared.logged, delivery: deliveryId }, `Workflow ${prepared.handler.workflow} not done by the deadline: answered from the outbox, the write goes on`);
    this.settleLateWrite(outbox, tenant, prepared, deliveryId, writing).catch((error: unknown) =>
      // The outbox closed meanwhile (a shutdown): the write stays due, and the next start sends it.
      this.logger.error({ ...prepared.logged, delivery: deliveryId, reason: String(error) }, `Workflow ${prepared.handler.workflow}: the end of a late write could not be recorded`),
    );
    return answer;
  }

  /**
   * The end of a write answered from the outbox at the deadline: delivered (a newer request merged
   * meanwhile is then sent as an update), tried again later when it failed for a reason that can pass,
   * or a dead letter when it was refused or may have been carried out without an answer.
   */
  private async settleLateWrite(outbox: Outbox, tenant: Tenant, prepared: Prepared, deliveryId: string, writing: Promise<Written>): Promise<void> {
    const { sourceId, workflow } = prepared.handler;
    try {
      const written = await writing;
      if (await outbox.claim(deliveryId, Date.now(), IN_FLIGHT_LEASE_MARGIN_MS)) await outbox.delivered(deliveryId, 1, JSON.stringify(written), Date.now());
      this.metrics.delivery(tenant.id, sourceId, 'delivered');
      this.logger.info({ ...prepared.logged, delivery: deliveryId }, `Workflow ${workflow} written after its answer`);
    } catch (error) {
      const failure = classifyWriteFailure(error);
      const now = Date.now();
      if (!(await outbox.claim(deliveryId, now, IN_FLIGHT_LEASE_MARGIN_MS))) return;
      const wait = failure.kind === 'retry' ? leastRetryWaitMs(failure, this.sendAgainAfter(prepared)) : undefined;
      if (wait !== undefined) {
        await outbox.retryLater(deliveryId, nextTryAt(this.retryPolicy, 1, now, now, wait) ?? now + wait, failure.reason, now);
        return;
      }
      const why = failure.kind === 'refused' ? failure.reason : `${failure.reason} (it may have been written: not sent again; check ${sourceId}, then retry or drop it)`;
      await outbox.dead(deliveryId, why, now);
      this.metrics.delivery(tenant.id, sourceId, 'dead');
      this.logger.error({ ...prepared.logged, delivery: deliveryId, reason: why }, `Workflow ${workflow} answered from the outbox failed: a dead letter for the admin`);
    }
  }

  private async queue(outbox: Outbox, delivery: Parameters<Outbox['add']>[0], pending: Delivery | undefined, now: number): Promise<void> {
    if (pending) await outbox.remove(delivery.id);
    await outbox.add(delivery, now);
  }

  /** A refusal the CRM will repeat: answered at once as before, and kept as a dead letter for the admin. */
  private async keepDeadLetter(outbox: Outbox, delivery: Parameters<Outbox['add']>[0], pending: Delivery | undefined, now: number): Promise<void> {
    await this.queue(outbox, delivery, pending, now);
    await outbox.claim(delivery.id, now, IN_FLIGHT_LEASE_MARGIN_MS);
    await outbox.dead(delivery.id, delivery.lastError ?? 'refused', now);
    this.metrics.delivery(delivery.tenantId, delivery.sourceId, 'dead');
  }

  /** Our id of a queued write: the record's own for an update, else `<source>:queued:<delivery id>`. */
  private idOfQueued(tenant: Tenant, prepared: Prepared, deliveryId: string): string {
    const { previous } = prepared.call;
    if (previous && this.isUpdate(prepared)) return encodeRecordId(previous, tenant.recordIdKey);
    return encodeRecordId({ sourceId: prepared.handler.sourceId, objectType: QUEUED_OBJECT_TYPE, recordId: deliveryId }, tenant.recordIdKey);
  }

  /**
   * A queued delivery's try, for the worker: the latest request of the call, as an update of the record
   * once an earlier version was delivered. Throws what the write throws.
   */
  async deliver(delivery: Delivery): Promise<Written> {
    const tenant = this.tenants.all().find((t) => t.id === delivery.tenantId);
    if (!tenant) throw new SourceError('CONFIG', `tenant ${delivery.tenantId} is no longer configured`);
    const payload = JSON.parse(delivery.payload) as DeliveryPayload;
    const written = writtenBy(delivery);
    const inputs = written ? { ...payload.inputs, id: encodeRecordId(written.ref, tenant.recordIdKey) } : payload.inputs;
    const prepared = this.prepareDelivery(tenant, payload.workflow, inputs, delivery.id);
    if (payload.followUp && !written) return this.deliverFollowUp(tenant, prepared, payload, delivery);
    const isUpdate = this.isUpdate(prepared);
    const callKey = isUpdate ? undefined : delivery.id;
    // An earlier try may have been written though its answer was lost (or this process died during it).
    const findWritten = this.finderOf(prepared);
    const found = callKey && findWritten ? await findWritten(this.handlerCall(tenant, prepared, callKey)) : undefined;
    if (found) {
      this.logger.warn({ ...prepared.logged, delivery: delivery.id }, `Queued ${prepared.handler.workflow} found already written in ${prepared.handler.sourceId}: adopted, not sent again`);
      return { ref: { sourceId: prepared.handler.sourceId, objectType: found.objectType, recordId: found.recordId }, ...(found.url === undefined ? {} : { url: found.url }) };
    }
    return this.write(tenant, prepared, callKey);
  }

  /** A follow-up of another replica's queued write: updates that write's record once it exists, else waits for it. */
  private async deliverFollowUp(tenant: Tenant, prepared: Prepared, payload: DeliveryPayload, delivery: Delivery): Promise<Written> {
    const { handler } = prepared;
    const findWritten = this.finderOf(prepared);
    if (!findWritten) {
      throw new SourceError('CONFIG', `the call was queued on another replica, and ${handler.sourceId} records cannot be found by its key: this later request is not written`);
    }
    const found = await findWritten(this.handlerCall(tenant, prepared, delivery.id));
    if (!found) throw new SourceError('UNAVAILABLE', `the replica that queued this call has not written it yet, or ${handler.sourceId} does not show it yet`);
    const ref = { sourceId: handler.sourceId, objectType: found.objectType, recordId: found.recordId };
    return this.write(tenant, this.prepareDelivery(tenant, payload.workflow, { ...payload.inputs, id: encodeRecordId(ref, tenant.recordIdKey) }, delivery.id));
  }

  /** `sendAgainAfter` of a queued delivery, for the worker; undefined when its tenant or its request no longer resolves. */
  sendAgainAfterMs(delivery: Delivery): number | undefined {
    const tenant = this.tenants.all().find((t) => t.id === delivery.tenantId);
    if (!tenant) return undefined;
    try {
      const payload = JSON.parse(delivery.payload) as DeliveryPayload;
      return this.sendAgainAfter(this.prepareDelivery(tenant, payload.workflow, payload.inputs, delivery.id));
    } catch {
      return undefined;
    }
  }

  /**
   * How long after a try that may have been carried out it can safely be sent again: at once for an
   * update; for a create, once its source can find it by its key (`findableAfterMs`); never (undefined)
   * when its source cannot.
   */
  private sendAgainAfter(prepared: Prepared): number | undefined {
    if (this.isUpdate(prepared)) return 0;
    return this.finderOf(prepared) ? (prepared.handler.findableAfterMs ?? 0) : undefined;
  }

  /** The handler's look-up of a create by its key, when it can find this tenant's records (`findWritten`, `findsWritten`). */
  private finderOf({ handler, tenantSource }: Prepared): WorkflowHandler['findWritten'] {
    if (!handler.findWritten || handler.findsWritten?.(tenantSource.settings) === false) return undefined;
    return (call) => handler.findWritten!(call);
  }

  private isUpdate(prepared: Prepared): boolean {
    const { previous } = prepared.call;
    return previous !== undefined && (prepared.handler.updates?.includes(previous.objectType) ?? false);
  }

  private handlerCall(tenant: Tenant, prepared: Prepared, callKey?: string): WorkflowCall {
    const { tenantSource, call } = prepared;
    return { tenantId: tenant.id, settings: tenantSource.settings, region: tenant.defaultRegion, timezone: tenant.timezone, ...call, callKey };
  }

  private prepareDelivery(tenant: Tenant, workflow: string, inputs: WorkflowInputs, deliveryId: string): Prepared {
    try {
      return this.prepare(tenant, workflow, inputs, `outbox-${deliveryId}`);
    } catch (error) {
      throw new SourceError('CONFIG', error instanceof HttpException ? JSON.stringify(error.getResponse()) : String(error));
    }
  }

  private answerOf(tenant: Tenant, written: Written): WorkflowAnswer {
    const id = encodeRecordId(written.ref, tenant.recordIdKey);
    return written.url === undefined ? { id } : { id, url: written.url };
  }

  private async write(tenant: Tenant, prepared: Prepared, callKey?: string): Promise<Written> {
    const { handler, tenantSource, call, logged } = prepared;
    const isCreateContact = handler.workflow.toLowerCase() === CREATE_CONTACT.toLowerCase();
    const caller = isCreateContact ? callerNumber(tenant, call.facts) : undefined;
    if (isCreateContact) {
      const existing = call.contact ? { ref: call.contact } : caller && (await this.findExistingContact(tenant, tenantSource, caller));
      if (existing) return existing;
    }
    const run = (userId: string | undefined): Promise<WorkflowResult> =>
      handler.run({ ...this.handlerCall(tenant, prepared, callKey), userId });
    const owner = this.ownerOfForm(tenantSource.source, call.userId, handler, logged);
    // Sent again only when the CRM refused the owner and wrote nothing (never after a timeout or a reset).
    const result = await run(owner).catch((error: unknown) => {
      if (!(error instanceof OwnerRefusedError)) throw error;
      this.warnWithoutOwner(handler, logged, error.userId, `${handler.sourceId} refused it as the owner (${error.message})`);
      return run(undefined);
    });
    // The new contact's number may be cached as "no match" by any source: the next call must find it.
    if (caller) await this.door.invalidate(tenant, caller);
    this.logger.info(logged, `Workflow ${handler.workflow} written`);
    const ref = { sourceId: handler.sourceId, objectType: result.objectType, recordId: result.recordId };
    return result.url === undefined ? { ref } : { ref, url: result.url };
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
  private async findExistingContact(tenant: Tenant, tenantSource: TenantSource, caller: IncomingNumber): Promise<Written | undefined> {
    const [match] = await this.door.findByNumber(tenant, tenantSource, caller, Date.now() + this.settings.LOOKUP_TIMEOUT_MS);
    if (!match) return undefined;
    const { sourceId, objectType, recordId, contactUri } = match.candidate;
    return contactUri ? { ref: { sourceId, objectType, recordId }, url: contactUri } : { ref: { sourceId, objectType, recordId } };
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

/** The outbox id of the updates of one record: the same for every update, so a newer one joins an older one still waiting. */
function updateDeliveryId(tenantId: string, record: RecordRef): string {
  return deliveryIdOf(['update', tenantId, record.sourceId, record.objectType, record.recordId]);
}

/** A delivery id in a UUID's form, from a digest of what names the write. */
function deliveryIdOf(parts: readonly string[]): string {
  const hex = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The record a delivered write made; undefined before. */
function writtenBy(delivery: Delivery): Written | undefined {
  return delivery.result === undefined ? undefined : (JSON.parse(delivery.result) as Written);
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
