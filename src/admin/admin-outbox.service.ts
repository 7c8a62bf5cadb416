import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { maskPhoneNumber } from '../logging/mask';
import { normalizeIncoming } from '../phone';
import { TenantRegistry } from '../tenants/tenant-registry';
import type { Delivery, DeliveryState, Outbox, OutboxCounts } from '../outbox/outbox';
import { OutboxStore } from '../outbox/outbox-store';
import type { DeliveryView } from './admin-outbox.controller';

/**
 * What the admin may do with the outbox, for the admin API (`/admin/outbox`) and the console alike: list
 * queued writes and dead letters (masked: no payload, the number's last digits), retry one now, drop one.
 * Who may ask is each route's own business.
 */
@Injectable()
export class AdminOutbox {
  constructor(
    private readonly store: OutboxStore,
    private readonly tenants: TenantRegistry,
  ) {}

  /** Newest first, at most `limit`. */
  async list(state: DeliveryState, limit: number): Promise<DeliveryView[]> {
    return (await this.outbox().list(state, limit)).map((delivery) => this.view(delivery));
  }

  /** Queued for now (a dead letter too, its retries counted afresh); 404 when no queued or dead write has this id. */
  async retry(id: string): Promise<DeliveryView> {
    const outbox = this.outbox();
    if (!(await outbox.retryNow(id, Date.now()))) throw new NotFoundException(`No queued or dead write ${id} in the outbox`);
    return this.view((await outbox.get(id))!);
  }

  /** Gone for good; 404 when no write has this id. */
  async drop(id: string): Promise<void> {
    if (!(await this.outbox().remove(id))) throw new NotFoundException(`No write ${id} in the outbox`);
  }

  /** Per tenant and source: queued, sending, dead. */
  async counts(): Promise<OutboxCounts[]> {
    return this.outbox().counts();
  }

  private outbox(): Outbox {
    if (!this.store.outbox) throw new ServiceUnavailableException(`The outbox ${this.store.file} could not be opened: see the log at start (DATA_DIR).`);
    return this.store.outbox;
  }

  /** The call's other party as the logs show it: read in the tenant's region, then masked. */
  private view(delivery: Delivery): DeliveryView {
    const inputs = (JSON.parse(delivery.payload) as { inputs?: Record<string, string | number | undefined> }).inputs ?? {};
    const raw = inputs.direction === 'outgoing' ? inputs.destinationNumber : inputs.originatorNumber;
    const region = this.tenants.all().find((tenant) => tenant.id === delivery.tenantId)?.defaultRegion ?? 'CH';
    const read = typeof raw === 'string' ? normalizeIncoming(raw, region) : undefined;
    const number = typeof raw === 'string' ? maskPhoneNumber(read?.kind === 'phone' ? read.e164 : raw) : undefined;
    return viewOf(delivery, inputs, number);
  }
}

function viewOf(delivery: Delivery, inputs: Record<string, string | number | undefined>, number: string | undefined): DeliveryView {
  const waiting = delivery.state === 'queued' || delivery.state === 'sending';
  return {
    id: delivery.id,
    tenant: delivery.tenantId,
    source: delivery.sourceId,
    workflow: delivery.workflow,
    state: delivery.state,
    version: delivery.version,
    attempts: delivery.attempts,
    createdAt: new Date(delivery.createdAt).toISOString(),
    updatedAt: new Date(delivery.updatedAt).toISOString(),
    nextAttemptAt: waiting ? new Date(delivery.nextAttemptAt).toISOString() : undefined,
    lastError: delivery.lastError,
    call: { direction: inputs.direction as string | undefined, startedTime: inputs.startedTime, number },
  };
}
