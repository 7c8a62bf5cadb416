import { Injectable } from '@nestjs/common';
import { BrokenCircuitError } from 'cockatiel';
import { performance } from 'node:perf_hooks';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { MatchStrength, scoreStoredPhones, type IncomingNumber } from '../phone';
import { RateBudget } from '../resilience/rate-budget';
import { SingleFlight } from '../resilience/single-flight';
import { SourceBreakers } from './source-breakers';
import { CACHE_MAX_BYTES, SourceCache } from './source-cache';
import { sourceKey } from './source-key';
import { TenantRegistry, type TenantChange } from '../tenants/tenant-registry';
import type { Candidate } from '../core/source';
import { SourceError } from '../core/source-error';
import type { VerifiedCandidate } from '../core/source';

/** How one source takes part in one lookup. */
export type SourcePlan =
  | { readonly kind: 'cached'; readonly verified: readonly VerifiedCandidate[] }
  | { readonly kind: 'skipped'; readonly reason: 'circuit open' | 'over budget'; readonly stale?: readonly VerifiedCandidate[] }
  | {
      readonly kind: 'live';
      run(signal: AbortSignal, deadlineAt: number): Promise<readonly VerifiedCandidate[]>;
      readonly stale?: readonly VerifiedCandidate[];
    };

/** The vendor code of the failure a source gets while its circuit is open. */
export const CIRCUIT_OPEN = 'CIRCUIT_OPEN';

export function numberKey(number: IncomingNumber): string {
  return number.kind === 'phone' ? number.e164 : `ext:${number.extension}`;
}

/**
 * Stands between the lookup and each source: answers from the cache while fresh, keeps a stale answer
 * for when the source fails, skips a source whose circuit is open or whose budget is spent, and lets
 * concurrent lookups of one number share one query per source. Candidates are verified here, once.
 */
@Injectable()
export class SourceAccess {
  private readonly cache = new SourceCache(() => Math.floor(CACHE_MAX_BYTES / Math.max(1, this.tenants.all().length)));
  /** Per settings object: a lookup after a reload never joins a query still running on the replaced settings. */
  private readonly inFlight = new WeakMap<object, SingleFlight<readonly VerifiedCandidate[]>>();
  /** Settings a reload replaced: their queries still running answer their lookups but write no cache. */
  private readonly retired = new WeakSet<object>();
  private readonly budgets = new Map<string, RateBudget>();

  constructor(
    private readonly breakers: SourceBreakers,
    private readonly metrics: GatewayMetrics,
    private readonly tenants: TenantRegistry,
  ) {
    tenants.onChange((change) => this.forgetReplaced(change));
  }

  plan(tenant: Tenant, tenantSource: TenantSource, number: IncomingNumber): SourcePlan {
    const sourceId = tenantSource.source.id;
    const key = SourceCache.key(tenant.id, sourceId, numberKey(number));
    const cacheable = tenantSource.source.cacheable !== false && tenant.cache.ttlMs > 0;
    const policy = cacheable ? tenant.cache : NO_CACHE;
    const cached = this.cache.read(key, policy);
    if (cached?.state === 'fresh') {
      this.metrics.cache(sourceId, 'hit');
      return { kind: 'cached', verified: cached.verified };
    }
    if (cacheable) this.metrics.cache(sourceId, 'miss');
    const stale = cached?.verified;
    if (this.breakers.isOpen(tenant.id, sourceId)) return { kind: 'skipped', reason: 'circuit open', stale };
    const flights = this.flightsOf(tenantSource.settings);
    if (!flights.has(key.text) && !this.budgetFor(tenant.id, tenantSource).tryTake()) return { kind: 'skipped', reason: 'over budget', stale };
    return {
      kind: 'live',
      stale,
      run: (signal, deadlineAt) =>
        flights.run(key.text, async () => {
          const started = performance.now();
          let complete = true;
          const partial = (): void => void (complete = false);
          try {
            const candidates = await this.breakers
              .for(tenant.id, sourceId)
              .execute(() => tenantSource.source.search({ tenantId: tenant.id, number, region: tenant.defaultRegion, settings: tenantSource.settings, signal, deadlineAt, partial }))
              .catch((error: unknown) => {
                if (error instanceof BrokenCircuitError) throw new SourceError('UNAVAILABLE', 'circuit open: a probe request is deciding', { vendorCode: CIRCUIT_OPEN });
                throw error;
              });
            const verified = verify(candidates, number, tenant);
            // A partial answer serves this lookup; the next one asks again (and an earlier complete answer stays the stand-in).
            if (complete && !this.retired.has(tenantSource.settings)) this.cache.write(key, verified, policy);
            return verified;
          } finally {
            this.metrics.sourceQuery(sourceId, (performance.now() - started) / 1000);
          }
        }),
    };
  }

  /** A stale answer stands in for a source that failed; counted as a stale hit. */
  usedStale(sourceId: string): void {
    this.metrics.cache(sourceId, 'stale');
  }

  /** A new record for this number: every source's cached answer for it is out of date. */
  invalidate(tenant: Tenant, number: IncomingNumber): void {
    for (const { source } of tenant.sources) this.cache.delete(SourceCache.key(tenant.id, source.id, numberKey(number)));
  }

  /**
   * A source whose settings a reload changed (another org, other credentials, another budget) or removed
   * starts afresh: no answers of the old settings, no open circuit of the old credentials, a new budget.
   */
  private forgetReplaced({ id, before, after }: TenantChange): void {
    for (const old of before?.sources ?? []) {
      const now = after?.sources.find((s) => s.source === old.source);
      if (now && now.settings === old.settings && now.maxRps === old.maxRps) continue;
      if (now?.settings !== old.settings) this.retired.add(old.settings);
      this.cache.deleteSource(id, old.source.id);
      this.breakers.forget(id, old.source.id);
      this.budgets.delete(sourceKey(id, old.source.id));
    }
  }

  private flightsOf(settings: object): SingleFlight<readonly VerifiedCandidate[]> {
    let flights = this.inFlight.get(settings);
    if (!flights) {
      flights = new SingleFlight();
      this.inFlight.set(settings, flights);
    }
    return flights;
  }

  private budgetFor(tenantId: string, tenantSource: TenantSource): { tryTake(): boolean } {
    if (!tenantSource.maxRps) return UNLIMITED;
    const key = sourceKey(tenantId, tenantSource.source.id);
    let budget = this.budgets.get(key);
    if (!budget) {
      budget = new RateBudget(tenantSource.maxRps, 1000);
      this.budgets.set(key, budget);
    }
    return budget;
  }
}

const UNLIMITED = { tryTake: (): boolean => true };
const NO_CACHE = { ttlMs: 0, missTtlMs: 0, staleMs: 0 };

/** Keeps only candidates whose own stored phones prove the match, whatever the source claimed. */
export function verify(candidates: readonly Candidate[], number: IncomingNumber, tenant: Tenant): VerifiedCandidate[] {
  const verified: VerifiedCandidate[] = [];
  for (const candidate of candidates) {
    const strength = scoreStoredPhones(candidate.phones, number, tenant.defaultRegion);
    if (strength !== MatchStrength.None) verified.push({ candidate, strength });
  }
  return verified;
}
