import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { GatewayMetrics } from '../observability/gateway-metrics';
import type { Delivery, Outbox } from '../outbox/outbox';
import { OutboxStore } from '../outbox/outbox-store';
import { nextTryAt } from '../resilience/retry-schedule';
import { WorkflowsService } from './workflows.service';
import { classifyWriteFailure, leastRetryWaitMs } from './write-failure';

/** How often the outbox is looked at for writes that are due. */
const POLL_MS = 500;
/** Writes tried at once. */
const BATCH = 8;
/** A try's claim: longer than a CRM write may take (60 s), so no other worker takes it meanwhile. */
const LEASE_MS = 75_000;
/** Delivered writes are kept this long, so that late requests naming our queued id reach the record. */
const KEEP_DELIVERED_MS = 7 * 24 * 3_600_000;
/** Dead letters are kept this long for an admin to retry or drop. */
const KEEP_DEAD_MS = 30 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Delivers the outbox: tries the writes that are due, each as the latest request of its call; a write
 * the CRM takes is delivered, one that fails for a reason that can pass is tried again later (back-off
 * with jitter, never before the CRM's Retry-After, for `WORKFLOW_RETRY_FOR_H`), one it refuses for good
 * becomes a dead letter. One log line per try.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly outbox: Outbox | undefined;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private lastPruneAt = 0;

  constructor(
    outboxStore: OutboxStore,
    private readonly workflows: WorkflowsService,
    private readonly metrics: GatewayMetrics,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext('Outbox');
    this.outbox = outboxStore.outbox;
  }

  onApplicationBootstrap(): void {
    const outbox = this.outbox;
    if (!outbox) return;
    this.metrics.outbox(async () => {
      const now = Date.now();
      return (await outbox.counts()).map((c) => ({
        tenant: c.tenantId,
        source: c.sourceId,
        figures: { queued: c.queued, sending: c.sending, dead: c.dead, oldest_waiting_seconds: c.oldestWaitingSince === undefined ? 0 : (now - c.oldestWaitingSince) / 1000 },
      }));
    });
    this.timer = setInterval(() => {
      this.current ??= this.round(outbox)
        // The store failed (Redis gone in the middle of a try, a full disk): the writes stay where they are
        // (a claimed one is free again once its lease is over), and the next round tries again.
        .catch((error: unknown) => this.logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'Outbox round failed; its writes stay queued and are tried again'))
        .finally(() => (this.current = undefined));
    }, POLL_MS);
    this.timer.unref();
  }

  /** Before the outbox is closed (`onApplicationShutdown`): the tries under way are settled first. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.current;
  }

  /** One round: the writes due now; resolves when they are settled. */
  async round(outbox: Outbox): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt > PRUNE_EVERY_MS) {
      this.lastPruneAt = now;
      await outbox.prune(now - KEEP_DELIVERED_MS, now - KEEP_DEAD_MS);
    }
    const due = await outbox.claimDue(now, LEASE_MS, BATCH);
    await Promise.all(due.map((delivery) => this.tryOnce(outbox, delivery)));
  }

  private async tryOnce(outbox: Outbox, delivery: Delivery): Promise<void> {
    const logged = { tenant: delivery.tenantId, source: delivery.sourceId, workflow: delivery.workflow, delivery: delivery.id, attempt: delivery.attempts, version: delivery.version };
    try {
      const written = await this.workflows.deliver(delivery);
      await outbox.delivered(delivery.id, delivery.version, JSON.stringify(written), Date.now());
      this.metrics.delivery(delivery.tenantId, delivery.sourceId, 'delivered');
      this.logger.info(logged, `Queued ${delivery.workflow} delivered to ${delivery.sourceId}`);
    } catch (error) {
      const failure = classifyWriteFailure(error);
      const now = Date.now();
      // A try that may have been carried out without an answer is sent again only when that is safe (an
      // update, or a create its source finds by its key before sending, once it can); else the admin decides.
      const wait = failure.kind === 'retry' ? leastRetryWaitMs(failure, this.workflows.sendAgainAfterMs(delivery)) : undefined;
      const at = wait === undefined ? undefined : nextTryAt(this.workflows.retryPolicy, delivery.attempts + 1, delivery.retryingSince, now, wait);
      if (at === undefined) {
        const why =
          failure.kind === 'refused'
            ? failure.reason
            : wait === undefined
              ? `${failure.reason} (it may have been written: not sent again; check ${delivery.sourceId}, then retry or drop it)`
              : `tried for ${Math.round((now - delivery.retryingSince) / 3_600_000)} h: ${failure.reason}`;
        await outbox.dead(delivery.id, why, now);
        this.metrics.delivery(delivery.tenantId, delivery.sourceId, 'dead');
        this.logger.error({ ...logged, reason: why }, `Queued ${delivery.workflow} given up: a dead letter for the admin`);
        return;
      }
      await outbox.retryLater(delivery.id, at, failure.reason, now);
      this.metrics.delivery(delivery.tenantId, delivery.sourceId, 'retried');
      this.logger.warn({ ...logged, reason: failure.reason, nextTryAt: new Date(at).toISOString() }, `Queued ${delivery.workflow} not taken by ${delivery.sourceId} yet: tried again later`);
    }
  }
}
