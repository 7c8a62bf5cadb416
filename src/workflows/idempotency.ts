import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';

export const REPEAT_WINDOW_MS = 10 * 60 * 1000;
/**
 * First requests remembered per tenant; past it the least recently seen call is forgotten first. A
 * tenant's calls in one repeat window stay far below it; a tenant flooding first requests only ever
 * evicts its own.
 */
export const REPEATS_PER_TENANT = 10_000;

interface Entry<T> {
  readonly result: Promise<T>;
  expiresAt: number;
}

/**
 * Runs the first request of a call once. A repeat of it (the CONNECTOR retries on its timeout) within
 * the window gets the first one's result, also while the first is still running. A first request that
 * failed is forgotten, so its retry may write; one still running when the caller gave up is not.
 * Bounded per tenant: an LRU each, no sweep over all entries.
 */
export class RepeatGuard<T> {
  private readonly tenants = new Map<string, LRUCache<string, Entry<T>>>();

  constructor(
    private readonly windowMs: number = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
    private readonly perTenant: number = REPEATS_PER_TENANT,
  ) {}

  static keyOf(parts: readonly (string | undefined)[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
  }

  /** `isRepeat` tells whether this call shared an earlier run instead of starting one. */
  run(tenantId: string, key: string, work: () => Promise<T>): { result: Promise<T>; isRepeat: boolean } {
    const entries = this.entriesOf(tenantId);
    const existing = entries.get(key);
    if (existing && existing.expiresAt > this.now()) return { result: existing.result, isRepeat: true };

    const result = Promise.resolve().then(work);
    const entry: Entry<T> = { result, expiresAt: Number.POSITIVE_INFINITY };
    entries.set(key, entry);
    result.then(
      () => {
        entry.expiresAt = this.now() + this.windowMs;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return { result, isRepeat: false };
  }

  /** First requests remembered for this tenant, expired ones not yet evicted included. */
  sizeOf(tenantId: string): number {
    return this.tenants.get(tenantId)?.size ?? 0;
  }

  private entriesOf(tenantId: string): LRUCache<string, Entry<T>> {
    let entries = this.tenants.get(tenantId);
    if (!entries) {
      entries = new LRUCache<string, Entry<T>>({ max: this.perTenant });
      this.tenants.set(tenantId, entries);
    }
    return entries;
  }
}
