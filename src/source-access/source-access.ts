import { deadlineIn } from '../resilience/deadline';
import { Inject, Injectable, type InjectionToken } from '@nestjs/common';
import { BrokenCircuitError } from 'cockatiel';
import { performance } from 'node:perf_hooks';
import type { CachePolicy, Tenant, TenantSource } from '../tenants/tenant';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { MatchStrength, scoreStoredPhones, type IncomingNumber } from '../phone';
import { RateBudget } from '../resilience/rate-budget';
import { MemoryQuota, type QuotaDecision } from '../resilience/call-quota';
import { SharedQuota } from '../shared-state/shared-quota';
import { REDIS_UNAVAILABLE, RedisConnection } from '../shared-state/redis-connection';
import { SharedRateBudget } from '../shared-state/shared-rate-budget';
import { SharedAnswers, type SharedAnswerKey } from './shared-answers';
import { SingleFlight } from '../resilience/single-flight';
import { SourceBreakers } from './source-breakers';
import { CACHE_MAX_BYTES, SourceCache, type CacheRead } from './source-cache';
import { sourceKey } from './source-key';
import { TenantRegistry, type TenantChange } from '../tenants/tenant-registry';
import type { Candidate, QuotaLimits, SourceTraceEvent, VerifiedCandidate } from '../core/source';
import { SourceError } from '../core/source-error';

/** How one source takes part in one lookup (or one workflow's search). */
export type SourcePlan =
  | { readonly kind: 'cached'; readonly verified: readonly VerifiedCandidate[] }
  | { readonly kind: 'skipped'; readonly reason: SkipReason; readonly stale?: readonly VerifiedCandidate[] }
  | {
      readonly kind: 'live';
      run(signal: AbortSignal, deadlineAt: number): Promise<readonly VerifiedCandidate[]>;
      readonly stale?: readonly VerifiedCandidate[];
    };

/** What a traced search tells: the source's own events, then each candidate it returned as verification judged it. */
export type DoorTraceEvent =
  | SourceTraceEvent
  /** `strength` is `MatchStrength.None` for a candidate none of whose stored phones is the number: dropped here. */
  | { readonly kind: 'checked'; readonly candidate: Candidate; readonly strength: MatchStrength };

/**
 * A lookup an admin looks into (`LookupExplainer`): asked on its own (it never joins another asker's
 * query, so its trace is complete), under the same circuit and budget as any lookup.
 */
export interface TracedLookup {
  /** Neither read from the cache nor written to it: the answer is the source's now, and leaves the CONNECTOR's cache as it was. */
  readonly bypassCache: boolean;
  readonly trace: (event: DoorTraceEvent) => void;
}

/** Why the door does not ask a source now. */
export type SkipReason = 'circuit open' | 'over budget' | 'not its numbers';

/** The vendor code of a search the source's quota refused (`<PREFIX>_QUOTA_PER_DAY`, `_PER_MONTH`): nothing was sent. */
export const QUOTA_USED = 'QUOTA_USED';

/** The vendor code of the failure a source gets while its circuit is open. */
export const CIRCUIT_OPEN = 'CIRCUIT_OPEN';

/** Where the door reads the time for its cache's ages and its budgets' seconds: `Date.now`, provided by its module. */
export const SOURCE_ACCESS_CLOCK: InjectionToken<() => number> = Symbol('SOURCE_ACCESS_CLOCK');

export function numberKey(number: IncomingNumber): string {
  return number.kind === 'phone' ? number.e164 : `ext:${number.extension}`;
}

/**
 * The one door to a source, for lookups and workflows alike: answers from the cache while fresh, keeps
 * a stale answer for when the source fails, refuses to ask a source whose circuit is open or whose
 * budget is spent, and lets concurrent askers of one number share one query per source. Candidates are
 * verified here, once.
 */
@Injectable()
export class SourceAccess {
  private readonly cache: SourceCache;
  /** Per settings object: a lookup after a reload never joins a query still running on the replaced settings. */
  private readonly inFlight = new WeakMap<object, SingleFlight<readonly VerifiedCandidate[]>>();
  /** Settings a reload replaced: their queries still running answer their lookups but write no cache. */
  private readonly retired = new WeakSet<object>();
  private readonly budgets = new Map<string, Budget>();
  /** Per tenant and source; kept across reloads (the counts are the CRM's, whatever the file says now). */
  private readonly quotas = new Map<string, SharedQuota | MemoryQuota>();
  /** The cache the replicas share when `REDIS_URL` is set; `cache` is then this replica's stand-in for when Redis is away. */
  private readonly shared: SharedAnswers;

  constructor(
    private readonly breakers: SourceBreakers,
    private readonly metrics: GatewayMetrics,
    @Inject(TenantRegistry) private readonly tenants: Pick<TenantRegistry, 'all' | 'onChange'>,
    @Inject(SOURCE_ACCESS_CLOCK) private readonly now: () => number,
    private readonly redis: RedisConnection,
  ) {
    this.cache = new SourceCache(() => Math.floor(CACHE_MAX_BYTES / Math.max(1, this.tenants.all().length)), now);
    this.shared = new SharedAnswers(redis, now);
    tenants.onChange((change) => this.forgetReplaced(change));
  }

  /**
   * For a lookup: a fresh answer, a reason not to ask (with the stale stand-in), or the query to run.
   * `traced` is an admin's look into the lookup; the CONNECTOR's lookups leave it out.
   */
  plan(tenant: Tenant, tenantSource: TenantSource, number: IncomingNumber, traced?: TracedLookup): Promise<SourcePlan> {
    return this.planWith(tenant, tenantSource, number, () => true, traced);
  }

  /**
   * For a workflow (CreateContact's duplicate check): the records of this source whose phones prove the
   * number, from a fresh cached match or asked by `deadlineAt` (a `Date.now()` time). A cached "no match"
   * is asked again: a duplicate contact costs more than a query. Rejects with a `SourceError` when the
   * source is not asked (circuit open: UNAVAILABLE; over budget: RATE_LIMITED) or fails; no stale stand-in.
   */
  async findByNumber(tenant: Tenant, tenantSource: TenantSource, number: IncomingNumber, deadlineAt: number): Promise<readonly VerifiedCandidate[]> {
    const plan = await this.planWith(tenant, tenantSource, number, (verified) => verified.length > 0);
    if (plan.kind === 'cached') return plan.verified;
    // A source that cannot know the number has no record of it: nothing to check.
    if (plan.kind === 'skipped' && plan.reason === 'not its numbers') return [];
    if (plan.kind === 'skipped') throw refusal(plan.reason, tenantSource);
    const controller = new AbortController();
    const timeoutMs = Math.max(0, deadlineAt - Date.now());
    const deadline = deadlineIn(timeoutMs, () => controller.abort(new SourceError('TIMEOUT', `no answer within ${timeoutMs} ms`)));
    try {
      return await plan.run(controller.signal, deadlineAt);
    } finally {
      deadline.clear();
    }
  }

  /**
   * Cache (fresh when `usable` accepts the cached answer), then circuit, then budget: what stands between
   * this number and the source. A query another asker already runs is joined without spending budget.
   */
  private async planWith(
    tenant: Tenant,
    tenantSource: TenantSource,
    number: IncomingNumber,
    usable: (verified: readonly VerifiedCandidate[]) => boolean,
    traced?: TracedLookup,
  ): Promise<SourcePlan> {
    const sourceId = tenantSource.source.id;
    if (tenantSource.source.covers?.(number) === false) return { kind: 'skipped', reason: 'not its numbers' };
    const key = SourceCache.key(tenant.id, sourceId, numberKey(number));
    const sharedKey: SharedAnswerKey = { tenantId: tenant.id, sourceId, settings: tenantSource.settings, number: numberKey(number) };
    const cacheable = tenantSource.source.cacheable !== false && tenant.cache.ttlMs > 0 && !traced?.bypassCache;
    const policy = cacheable ? tenant.cache : NO_CACHE;
    const cached = cacheable ? await this.read(key, sharedKey, policy) : undefined;
    if (cached?.state === 'fresh' && usable(cached.verified)) {
      this.metrics.cache(sourceId, 'hit');
      return { kind: 'cached', verified: cached.verified };
    }
    if (cacheable) this.metrics.cache(sourceId, 'miss');
    const stale = cached?.verified;
    if (this.breakers.isOpen(tenant.id, sourceId)) return { kind: 'skipped', reason: 'circuit open', stale };
    const flights = this.flightsOf(tenantSource.settings);
    const joins = !traced && flights.has(key.text);
    if (!joins && !(await this.budgetFor(tenant.id, tenantSource).tryTake())) return { kind: 'skipped', reason: 'over budget', stale };
    const query = async (signal: AbortSignal, deadlineAt: number): Promise<readonly VerifiedCandidate[]> => {
      // Counted by the one asker that sends (others join it), and only when it is run: a search the
      // deadline leaves no time for spends nothing.
      if (tenantSource.quota) await this.takeQuota(tenant, tenantSource, tenantSource.quota);
      const started = performance.now();
      let complete = true;
      const trace = traced?.trace;
      const partial = (why: string): void => {
        complete = false;
        trace?.({ kind: 'note', text: `answered in part, not cached: ${why}` });
      };
      try {
        const candidates = await this.breakers
          .for(tenant.id, sourceId)
          .execute(() =>
            tenantSource.source.search({ tenantId: tenant.id, number, region: tenant.defaultRegion, settings: tenantSource.settings, signal, deadlineAt, partial, trace }),
          )
          .catch((error: unknown) => {
            if (error instanceof BrokenCircuitError) throw new SourceError('UNAVAILABLE', 'circuit open: a probe request is deciding', { vendorCode: CIRCUIT_OPEN });
            throw error;
          });
        const verified = verify(candidates, number, tenant, trace);
        // A partial answer serves this asker; the next one asks again (and an earlier complete answer stays the stand-in).
        if (complete && !this.retired.has(tenantSource.settings) && cacheable) {
          this.cache.write(key, verified, policy);
          if (this.shared.active) void this.shared.write(sharedKey, verified, policy);
        }
        return verified;
      } finally {
        this.metrics.sourceQuery(sourceId, (performance.now() - started) / 1000);
      }
    };
    return {
      kind: 'live',
      stale,
      // Traced: asked on its own, so what it shows is this query's, whoever else asks the number now.
      run: traced ? query : (signal, deadlineAt) => flights.run(key.text, () => query(signal, deadlineAt)),
    };
  }

  /** A stale answer stands in for a source that failed; counted as a stale hit. */
  usedStale(sourceId: string): void {
    this.metrics.cache(sourceId, 'stale');
  }

  /**
   * Redis's answer when Redis answers (another replica's CreateContact may have removed it there); this
   * replica's own when Redis is away. An answer only this replica still holds stands in when the source
   * fails, never as fresh.
   */
  private async read(key: ReturnType<typeof SourceCache.key>, sharedKey: SharedAnswerKey, policy: CachePolicy): Promise<CacheRead> {
    const local = this.cache.read(key, policy);
    if (!this.shared.active) return local;
    const shared = await this.shared.read(sharedKey, policy);
    if (shared === REDIS_UNAVAILABLE) return local;
    if (shared === undefined) return local && { state: 'stale', verified: local.verified };
    // Ours when as fresh: it still has the records' phones, which Redis does not keep.
    if (local?.state === shared.state) return local;
    if (shared.state === 'fresh') this.cache.write(key, shared.verified, policy, shared.storedAt);
    return { state: shared.state, verified: shared.verified };
  }

  /**
   * A new record for this number: every source's cached answer for it is out of date, on every replica
   * sharing the Redis. Resolves when Redis was told (or could not be).
   */
  async invalidate(tenant: Tenant, number: IncomingNumber): Promise<void> {
    for (const { source } of tenant.sources) this.cache.delete(SourceCache.key(tenant.id, source.id, numberKey(number)));
    if (!this.shared.active) return;
    await this.shared.delete(tenant.sources.map(({ source, settings }) => ({ tenantId: tenant.id, sourceId: source.id, settings, number: numberKey(number) })));
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

  /** Counts one search against the source's quota, or refuses it (RATE_LIMITED, `QUOTA_USED`: nothing was sent). */
  private async takeQuota(tenant: Tenant, tenantSource: TenantSource, limits: QuotaLimits): Promise<void> {
    const decision = await this.quotaFor(tenant.id, tenantSource.source.id).tryTake(limits, tenant.timezone);
    if (!decision.taken) {
      const keys = `${tenantSource.source.keyPrefix}_QUOTA_PER_DAY, _PER_MONTH`;
      throw new SourceError('RATE_LIMITED', `${decision.reason} (${keys}): not asked`, { vendorCode: QUOTA_USED });
    }
  }

  /** `<PREFIX>_QUOTA_PER_DAY` / `_PER_MONTH`: one count for every replica sharing the Redis, this replica's own while Redis is away. */
  private quotaFor(tenantId: string, sourceId: string): { tryTake(limits: QuotaLimits, timezone: string): QuotaDecision | Promise<QuotaDecision> } {
    const key = sourceKey(tenantId, sourceId);
    let quota = this.quotas.get(key);
    if (!quota) {
      quota = this.redis.configured ? new SharedQuota(this.redis, `quota:${tenantId}:${sourceId}`, this.now) : new MemoryQuota(this.now);
      this.quotas.set(key, quota);
    }
    return quota;
  }

  /** `<PREFIX>_MAX_RPS`: one budget for every replica sharing the Redis, this replica's own while Redis is away. */
  private budgetFor(tenantId: string, tenantSource: TenantSource): Budget {
    if (!tenantSource.maxRps) return UNLIMITED;
    const key = sourceKey(tenantId, tenantSource.source.id);
    let budget = this.budgets.get(key);
    if (!budget) {
      budget = this.redis.configured
        ? new SharedRateBudget(this.redis, `budget:max-rps:${tenantId}:${tenantSource.source.id}`, tenantSource.maxRps, 1000, this.now)
        : new RateBudget(tenantSource.maxRps, 1000, this.now);
      this.budgets.set(key, budget);
    }
    return budget;
  }
}

interface Budget {
  tryTake(): boolean | Promise<boolean>;
}

const UNLIMITED: Budget = { tryTake: () => true };

/** Not asked: said as a failure of the source, so a workflow answers as it does when the CRM is down. */
function refusal(reason: SkipReason, tenantSource: TenantSource): SourceError {
  switch (reason) {
    case 'circuit open':
      return new SourceError('UNAVAILABLE', 'circuit open after repeated failures: not asked, nothing written', { vendorCode: CIRCUIT_OPEN });
    case 'over budget':
      return new SourceError('RATE_LIMITED', `over its budget of ${tenantSource.maxRps} requests per second (${tenantSource.source.keyPrefix}_MAX_RPS): not asked, nothing written`);
    case 'not its numbers':
      return new SourceError('BAD_REQUEST', `${tenantSource.displayName} does not know numbers of this kind: not asked`);
  }
}

const NO_CACHE = { ttlMs: 0, missTtlMs: 0, staleMs: 0 };

/**
 * Keeps only candidates whose own stored phones prove the match, whatever the source claimed; a traced
 * lookup is told of every candidate, the dropped ones too.
 */
export function verify(candidates: readonly Candidate[], number: IncomingNumber, tenant: Tenant, trace?: (event: DoorTraceEvent) => void): VerifiedCandidate[] {
  const verified: VerifiedCandidate[] = [];
  for (const candidate of candidates) {
    const strength = scoreStoredPhones(candidate.phones, number, tenant.defaultRegion);
    trace?.({ kind: 'checked', candidate, strength });
    if (strength !== MatchStrength.None) verified.push({ candidate, strength });
  }
  return verified;
}
