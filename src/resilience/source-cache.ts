import { LRUCache } from 'lru-cache';
import type { CachePolicy } from '../config/tenant';
import type { VerifiedCandidate } from '../lookup/rank';

/** Most cached answers kept in memory across all tenants; the least recently used go first. */
export const CACHE_MAX_ENTRIES = 100_000;
/** And at most about this many bytes (estimated per entry), so the heap limit in `npm start` holds. */
export const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const ENTRY_BYTES = 200;
const CANDIDATE_BYTES = 1500;

export type CacheRead = { readonly state: 'fresh' | 'stale'; readonly verified: readonly VerifiedCandidate[] } | undefined;

interface Entry {
  readonly verified: readonly VerifiedCandidate[];
  readonly storedAt: number;
}

/**
 * One source's verified answer for one number of one tenant: fresh for the tenant's TTL (shorter for
 * "no match"), then usable only as a stand-in when the source fails, up to the stale limit.
 */
export class SourceCache {
  private readonly entries = new LRUCache<string, Entry>({
    max: CACHE_MAX_ENTRIES,
    maxSize: CACHE_MAX_BYTES,
    sizeCalculation: (entry) => ENTRY_BYTES + entry.verified.length * CANDIDATE_BYTES,
  });

  constructor(private readonly now: () => number = Date.now) {}

  static key(tenantId: string, sourceId: string, number: string): string {
    return `${tenantId}\n${sourceId}\n${number}`;
  }

  read(key: string, policy: CachePolicy): CacheRead {
    if (policy.ttlMs === 0) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const age = this.now() - entry.storedAt;
    const freshFor = entry.verified.length > 0 ? policy.ttlMs : policy.missTtlMs;
    if (age < freshFor) return { state: 'fresh', verified: entry.verified };
    if (age < Math.max(freshFor, policy.staleMs)) return { state: 'stale', verified: entry.verified };
    this.entries.delete(key);
    return undefined;
  }

  write(key: string, verified: readonly VerifiedCandidate[], policy: CachePolicy): void {
    if (policy.ttlMs === 0) return;
    this.entries.set(key, { verified, storedAt: this.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
