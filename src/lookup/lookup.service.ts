import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { performance } from 'node:perf_hooks';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { maskPhoneNumber } from '../logging/mask';
import type { LookupSummary } from '../logging/request-log';
import { GatewayMetrics, type SourceOutcomeLabel } from '../observability/gateway-metrics';
import { RecentNumbers, type IncomingNumber } from '../phone';
import { WorkflowRegistry } from '../sources/workflow-registry';
import { presentCard, type Card } from './card.presenter';
import { fanOut, type SourceOutcome, type SourceTask } from './fan-out';
import type { VerifiedCandidate } from '../core/source';
import { rankCandidates } from './rank';
import { tiersOf, whyNoFallback } from './source-tiers';
import { CIRCUIT_OPEN, QUOTA_USED, SourceAccess, type SourcePlan } from '../source-access/source-access';
import { SourceHealth } from '../observability/source-health';
import { LookupHistory } from './lookup-history';
import type { RecentSourceOutcome } from './lookup-insight';

export interface LookupAnswer {
  readonly cards: Card[];
  readonly summary: LookupSummary;
}

/** Which request a lookup answers. */
export interface LookupRequest {
  /** Goes on the lines this lookup logs, so the admin can join them to the request line. */
  readonly reqId: string;
  /** When the request arrived (`performance.now()`): the deadline counts from here (from now if unknown). */
  readonly receivedAt: number | undefined;
}

interface SourceResult {
  readonly outcome: SourceOutcomeLabel;
  /** Why the source did not answer, for the readiness details. */
  readonly reason?: string;
  readonly ms?: number;
  readonly verified: readonly VerifiedCandidate[];
}

/** Who is calling: asks the tenant's sources at once (through the door), ranks what they prove, answers. */
@Injectable()
export class LookupService {
  private readonly numbers = new RecentNumbers();

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly door: SourceAccess,
    @Inject(WorkflowRegistry) private readonly workflows: Pick<WorkflowRegistry, 'namesOf'>,
    private readonly metrics: GatewayMetrics,
    private readonly health: SourceHealth,
    private readonly logger: PinoLogger,
    private readonly history: LookupHistory,
  ) {
    logger.setContext(LookupService.name);
  }

  async lookup(tenant: Tenant, rawNumber: string, request: LookupRequest): Promise<LookupAnswer> {
    const started = performance.now();
    const number = this.numbers.read(rawNumber, tenant.defaultRegion);
    if (!number) {
      const seconds = (performance.now() - started) / 1000;
      this.metrics.lookup('withheld', seconds);
      this.history.record(tenant, undefined, seconds * 1000, 0);
      return { cards: [], summary: { results: 0, sources: {} } };
    }

    const receivedAt = request.receivedAt ?? started;
    const results = new Map<string, SourceResult>();
    const recent: RecentSourceOutcome[] | undefined = this.history.keeping ? [] : undefined;
    const { primary, fallback } = tiersOf(tenant);
    await this.ask(tenant, primary, number, request, receivedAt, results, recent);
    if (fallback.length > 0) {
      const matched = [...results.values()].some((r) => r.verified.length > 0);
      const why = whyNoFallback(matched, this.settings.LOOKUP_TIMEOUT_MS - (performance.now() - receivedAt));
      if (why === undefined) await this.ask(tenant, fallback, number, request, receivedAt, results, recent);
      // Not part of a lookup another source answered: no log line, metric or health record for it then.
      else if (!matched) for (const tenantSource of fallback) this.note(tenantSource, { outcome: 'skipped', reason: why, verified: [] }, results, recent);
    }

    const ranked = rankCandidates(
      [...results.values()].flatMap((r) => r.verified),
      { sourceOrder: tenant.sourceOrder, maxResults: this.settings.LOOKUP_MAX_RESULTS },
    );
    const seconds = (performance.now() - started) / 1000;
    this.metrics.lookup(ranked.length > 0 ? 'found' : 'not_found', seconds);
    this.history.record(tenant, number, seconds * 1000, ranked.length, recent);
    return {
      cards: ranked.map(({ candidate }) => presentCard(candidate, tenant, this.settings.publicUrl, this.workflows.namesOf(candidate.sourceId))),
      summary: {
        number: maskPhoneNumber(numberText(number)),
        results: ranked.length,
        sources: Object.fromEntries([...results].map(([id, r]) => [id, r.ms === undefined ? { outcome: r.outcome } : { outcome: r.outcome, ms: r.ms }])),
      },
    };
  }

  /** Asks these sources at once (through the door, under the lookup's deadline) and notes each one's result. */
  private async ask(
    tenant: Tenant,
    sources: readonly TenantSource[],
    number: IncomingNumber,
    request: LookupRequest,
    receivedAt: number,
    results: Map<string, SourceResult>,
    recent: RecentSourceOutcome[] | undefined,
  ): Promise<void> {
    // Planned together: with Redis, the sources' cache reads go out in one pipeline.
    const plans = await Promise.all(sources.map(async (tenantSource) => ({ tenantSource, sourceId: tenantSource.source.id, plan: await this.door.plan(tenant, tenantSource, number) })));
    const live = plans.filter((p): p is (typeof plans)[number] & { plan: Extract<SourcePlan, { kind: 'live' }> } => p.plan.kind === 'live');
    const tasks: SourceTask<VerifiedCandidate>[] = live.map(({ sourceId, plan }) => ({ sourceId, run: (signal, deadlineAt) => plan.run(signal, deadlineAt) }));
    const outcomes = new Map((await fanOut(tasks, this.settings.LOOKUP_TIMEOUT_MS, receivedAt)).map((o) => [o.sourceId, o]));
    for (const { tenantSource, sourceId, plan } of plans) this.note(tenantSource, this.resultOf(tenant, request, sourceId, plan, outcomes.get(sourceId)), results, recent);
  }

  private note(tenantSource: TenantSource, result: SourceResult, results: Map<string, SourceResult>, recent: RecentSourceOutcome[] | undefined): void {
    const sourceId = tenantSource.source.id;
    results.set(sourceId, result);
    recent?.push({ source: sourceId, outcome: result.outcome, ms: result.ms, matches: result.verified.length, reason: result.reason });
    this.metrics.sourceOutcome(sourceId, result.outcome);
    this.health.record(tenantSource.settings, result.outcome, result.reason);
  }

  private resultOf(
    tenant: Tenant,
    request: LookupRequest,
    sourceId: string,
    plan: SourcePlan,
    outcome: SourceOutcome<VerifiedCandidate> | undefined,
  ): SourceResult {
    if (plan.kind === 'cached') return { outcome: 'cached', verified: plan.verified };
    if (plan.kind === 'skipped') {
      this.logger.debug({ ...logFields(tenant, request, sourceId), reason: plan.reason }, `Source ${sourceId} skipped (${plan.reason})`);
      return this.staleOr(sourceId, plan.stale, { outcome: 'skipped', reason: plan.reason, verified: [] });
    }
    if (outcome?.status === 'ok') return { outcome: 'ok', ms: outcome.elapsedMs, verified: outcome.candidates };
    if (outcome?.status === 'timeout') {
      this.logger.warn(
        { ...logFields(tenant, request, sourceId), code: 'TIMEOUT', elapsedMs: outcome.elapsedMs },
        `Source ${sourceId} did not answer within the lookup deadline; answered without it`,
      );
      return this.staleOr(sourceId, plan.stale, { outcome: 'timeout', reason: 'no answer within the lookup deadline', ms: outcome.elapsedMs, verified: [] });
    }
    if (outcome?.status === 'error' && outcome.vendorCode === CIRCUIT_OPEN) {
      return this.staleOr(sourceId, plan.stale, { outcome: 'skipped', reason: 'circuit open', verified: [] });
    }
    if (outcome?.status === 'error' && outcome.vendorCode === QUOTA_USED) {
      this.logger.debug({ ...logFields(tenant, request, sourceId), reason: outcome.reason }, `Source ${sourceId} skipped (${outcome.reason})`);
      return this.staleOr(sourceId, plan.stale, { outcome: 'skipped', reason: `quota used: ${outcome.reason}`, verified: [] });
    }
    if (outcome?.status === 'error') {
      this.logger.warn(
        { ...logFields(tenant, request, sourceId), code: outcome.code, vendorCode: outcome.vendorCode, reason: outcome.reason, elapsedMs: outcome.elapsedMs },
        `Source ${sourceId} failed (${outcome.code}); answered without it`,
      );
      return this.staleOr(sourceId, plan.stale, { outcome: 'error', reason: `${outcome.code}: ${outcome.reason}`, ms: outcome.elapsedMs, verified: [] });
    }
    return { outcome: 'error', verified: [] };
  }

  /** A source that could not answer now is represented by its last good answer, when there is one. */
  private staleOr(sourceId: string, stale: readonly VerifiedCandidate[] | undefined, otherwise: SourceResult): SourceResult {
    if (!stale) return otherwise;
    this.door.usedStale(sourceId);
    return { outcome: 'stale', reason: otherwise.reason, ms: otherwise.ms, verified: stale };
  }
}

/** What a line about one source in one lookup carries; built only when such a line is logged. */
function logFields(tenant: Tenant, request: LookupRequest, sourceId: string): Record<string, string> {
  return { reqId: request.reqId, tenant: tenant.id, source: sourceId };
}

function numberText(number: IncomingNumber): string {
  return number.kind === 'phone' ? number.e164 : number.extension;
}
