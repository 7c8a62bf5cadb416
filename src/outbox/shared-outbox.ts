import type { Delivery, DeliveryState, NewDelivery, Outbox, OutboxCounts } from './outbox';
import { OutboxUnavailableError } from './redis-outbox';

/**
 * With `REDIS_URL`: the outbox all replicas share (any of them delivers a write, none twice), and this
 * instance's own file for while Redis cannot be used, so that Redis down never loses a write. A write
 * queued then stays in the file and this instance delivers it; a delivery is looked for in both.
 */
export class SharedOutbox implements Outbox {
  constructor(
    private readonly shared: Outbox,
    private readonly local: Outbox,
    /** Told each time a write goes to the file because Redis could not be used. */
    private readonly onFallback: (error: OutboxUnavailableError) => void = () => undefined,
  ) {}

  async add(delivery: NewDelivery, now: number): Promise<Delivery> {
    try {
      return await this.shared.add(delivery, now);
    } catch (error) {
      if (!(error instanceof OutboxUnavailableError)) throw error;
      this.onFallback(error);
      return this.local.add(delivery, now);
    }
  }

  async get(id: string): Promise<Delivery | undefined> {
    return (await this.local.get(id)) ?? (await this.fromShared((outbox) => outbox.get(id), undefined));
  }

  async merge(id: string, payload: string, now: number): Promise<Delivery | undefined> {
    return (await this.local.merge(id, payload, now)) ?? this.shared.merge(id, payload, now);
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
    const local = await this.local.claimDue(now, leaseMs, limit);
    const shared = await this.fromShared((outbox) => outbox.claimDue(now, leaseMs, limit - local.length), []);
    return [...local, ...shared];
  }

  async claim(id: string, now: number, leaseMs: number): Promise<Delivery | undefined> {
    return (await this.local.claim(id, now, leaseMs)) ?? this.fromShared((outbox) => outbox.claim(id, now, leaseMs), undefined);
  }

  async delivered(id: string, version: number, result: string, now: number): Promise<boolean> {
    return (await this.local.delivered(id, version, result, now)) || this.shared.delivered(id, version, result, now);
  }

  async retryLater(id: string, nextAttemptAt: number, error: string, now: number): Promise<boolean> {
    return (await this.local.retryLater(id, nextAttemptAt, error, now)) || this.shared.retryLater(id, nextAttemptAt, error, now);
  }

  async dead(id: string, error: string, now: number): Promise<boolean> {
    return (await this.local.dead(id, error, now)) || this.shared.dead(id, error, now);
  }

  async retryNow(id: string, now: number): Promise<boolean> {
    return (await this.local.retryNow(id, now)) || this.shared.retryNow(id, now);
  }

  async remove(id: string): Promise<boolean> {
    const local = await this.local.remove(id);
    return (await this.fromShared((outbox) => outbox.remove(id), false)) || local;
  }

  async list(state: DeliveryState, limit: number): Promise<Delivery[]> {
    const both = [...(await this.local.list(state, limit)), ...(await this.fromShared((outbox) => outbox.list(state, limit), []))];
    return both.sort((a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
  }

  async counts(): Promise<OutboxCounts[]> {
    const byGroup = new Map<string, OutboxCounts>();
    for (const counts of [...(await this.local.counts()), ...(await this.fromShared((outbox) => outbox.counts(), []))]) {
      const key = JSON.stringify([counts.tenantId, counts.sourceId]);
      const seen = byGroup.get(key);
      byGroup.set(key, seen ? addCounts(seen, counts) : counts);
    }
    return [...byGroup.values()];
  }

  async prune(deliveredBefore: number, deadBefore: number): Promise<number> {
    return (await this.local.prune(deliveredBefore, deadBefore)) + (await this.fromShared((outbox) => outbox.prune(deliveredBefore, deadBefore), 0));
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  /**
   * What the shared store answers, or `otherwise` while it cannot be used: for reads, and for removing (a
   * delivery on Redis while Redis is away is out of reach either way). Other changes fail then.
   */
  private async fromShared<T>(read: (outbox: Outbox) => Promise<T>, otherwise: T): Promise<T> {
    try {
      return await read(this.shared);
    } catch (error) {
      if (error instanceof OutboxUnavailableError) return otherwise;
      throw error;
    }
  }
}

function addCounts(a: OutboxCounts, b: OutboxCounts): OutboxCounts {
  const oldest = [a.oldestWaitingSince, b.oldestWaitingSince].filter((at): at is number => at !== undefined);
  return {
    tenantId: a.tenantId,
    sourceId: a.sourceId,
    queued: a.queued + b.queued,
    sending: a.sending + b.sending,
    dead: a.dead + b.dead,
    ...(oldest.length > 0 ? { oldestWaitingSince: Math.min(...oldest) } : {}),
  };
}
