import { LRUCache } from 'lru-cache';
import type { CachePolicy } from '../tenants/tenant';
import type { VerifiedCandidate } from '../core/source';
import { sourceKey } from './source-key';

/** About this many bytes (estimated per entry) of cached answers over all tenants, so the heap limit in `npm start` holds. */
export const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const ENTRY_BYTES = 200;
const CANDIDATE_BYTES = 1500;

export type CacheRead = { readonly state: 'fresh' | 'stale'; readonly verified: readonly VerifiedCandidate[] } | undefined;

/** One source's answer for one number of one tenant. */
export interface CacheKey {
  readonly tenantId: string;
  /** Unique over tenants, sources and numbers: also the key of the single-flight. */
  readonly text: string;
}

interface Entry {
  readonly verified: readonly VerifiedCandidate[];
  readonly storedAt: number;
}

/**
 * One source's verified answer for one number of one tenant: fresh for the tenant's TTL (shorter for
 * "no match"), then usable only as a stand-in when the source fails, up to the stale limit.
 *
 * Each tenant has its own least-recently-used store with an equal share of the bytes: a tenant asking
 * for endless distinct numbers evicts only its own answers, never another tenant's fresh or stale ones
 * (their stand-ins in an outage).
 */
export class SourceCache {
  private readonly tenants = new Map<string, LRUCache<string, Entry>>();

  /** `shareBytes`: what one tenant's store may hold, asked when that store is first written. */
  constructor(
    private readonly shareBytes: () => number = () => CACHE_MAX_BYTES,
    private readonly now: () => number = Date.now,
  ) {}

  static key(tenantId: string, sourceId: string, number: string): CacheKey {
    return { tenantId, text: `${sourceKey(tenantId, sourceId)}\n${number}` };
  }

  read(key: CacheKey, policy: CachePolicy): CacheRead {
    if (policy.ttlMs === 0) return undefined;
    const entries = this.tenants.get(key.tenantId);
    const entry = entries?.get(key.text);
    if (!entries || !entry) return undefined;
    const age = this.now() - entry.storedAt;
    const freshFor = entry.verified.length > 0 ? policy.ttlMs : policy.missTtlMs;
    if (age < freshFor) return { state: 'fresh', verified: entry.verified };
    if (age < Math.max(freshFor, policy.staleMs)) return { state: 'stale', verified: entry.verified };
    entries.delete(key.text);
    return undefined;
  }

  /** `storedAt`: when the answer was got, if earlier than now (a copy of another replica's answer ages from then). */
  write(key: CacheKey, verified: readonly VerifiedCandidate[], policy: CachePolicy, storedAt: number = this.now()): void {
    if (policy.ttlMs === 0) return;
    let entries = this.tenants.get(key.tenantId);
    if (!entries) {
      // Only `maxSize`: with `max`, lru-cache would allocate that many slots for every tenant up front.
      entries = new LRUCache<string, Entry>({ maxSize: Math.max(ENTRY_BYTES, this.shareBytes()), sizeCalculation: entryBytes });
      this.tenants.set(key.tenantId, entries);
    }
    entries.set(key.text, { verified, storedAt });
  }

  delete(key: CacheKey): void {
    this.tenants.get(key.tenantId)?.delete(key.text);
  }

  /** Every answer of one source for one tenant; the tenant's store goes with its last answer. */
  deleteSource(tenantId: string, sourceId: string): void {
    const entries = this.tenants.get(tenantId);
    if (!entries) return;
    const prefix = SourceCache.key(tenantId, sourceId, '').text;
    for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    if (entries.size === 0) this.tenants.delete(tenantId);
  }

  /** Answers kept for this tenant. */
  sizeOf(tenantId: string): number {
    return this.tenants.get(tenantId)?.size ?? 0;
  }
}

function entryBytes(entry: Entry): number {
  return ENTRY_BYTES + entry.verified.length * CANDIDATE_BYTES;
}
