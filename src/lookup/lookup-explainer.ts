import { Inject, Injectable } from '@nestjs/common';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { performance } from 'node:perf_hooks';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import type { Candidate, VerifiedCandidate } from '../core/source';
import { MatchStrength, normalizeIncoming, MAX_NUMBER_LENGTH, tooLongForANumber, type IncomingNumber } from '../phone';
import { CIRCUIT_OPEN, QUOTA_USED, SourceAccess, type DoorTraceEvent, type SourcePlan } from '../source-access/source-access';
import { WorkflowRegistry } from '../sources/workflow-registry';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { TenantRegistry } from '../tenants/tenant-registry';
import { presentCard } from './card.presenter';
import { fanOut, type SourceOutcome, type SourceTask } from './fan-out';
import type { ExplainedCandidate, ExplainedSource, LookupExplanation, SourceOutcomeName } from './lookup-insight';
import { rankCandidates } from './rank';
import { tiersOf, whyNoFallback } from './source-tiers';

/** Asked for a tenant the registry does not have. */
export class UnknownTenantError extends Error {
  constructor(readonly tenantId: string) {
    super(`No tenant "${tenantId}": no <tenant-id>.env file of that name is applied`);
    this.name = 'UnknownTenantError';
  }
}

export const STRENGTH_NAMES: Readonly<Record<MatchStrength, string>> = {
  [MatchStrength.Exact]: 'exact',
  [MatchStrength.MainNumberOfExtension]: 'main number of an extension',
  [MatchStrength.PossibleNumber]: 'possible number',
  [MatchStrength.AssumedCountryCode]: 'assumed country code',
  [MatchStrength.None]: 'none',
};

export const DROPPED_NO_MATCH = 'none of its stored phones is this number';
export const DROPPED_DUPLICATE = 'duplicate: the same record is shown once, with its strongest match';
export const DROPPED_TOO_LATE = "answered after the lookup's deadline";

/** Setting keys whose values are credentials, in any source's settings. */
const SECRET_KEY = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE/i;
/** Shorter values are not searched for in the text (they would mask ordinary words). */
const SHORTEST_SECRET = 6;

/** What one source's traced lookup gathered, up to the moment the explanation is made. */
class SourceTrace {
  readonly queries: string[] = [];
  readonly notes: string[] = [];
  readonly checked: Array<{ readonly candidate: Candidate; readonly strength: MatchStrength }> = [];
  private closed = false;

  add = (event: DoorTraceEvent): void => {
    if (this.closed) return; // a late source still going after the deadline: not part of this lookup
    if (event.kind === 'query') this.queries.push(event.text);
    else if (event.kind === 'note') this.notes.push(event.text);
    else this.checked.push({ candidate: event.candidate, strength: event.strength });
  };

  close(): void {
    this.closed = true;
  }
}

interface SourceResult {
  readonly outcome: SourceOutcomeName;
  readonly ms?: number;
  readonly reason?: string;
  /** What this source puts before ranking. */
  readonly verified: readonly VerifiedCandidate[];
  /** Candidates the explanation lists for it: all it returned when asked live, its cached or stale answer otherwise. */
  readonly listed: ReadonlyArray<{ readonly candidate: Candidate; readonly strength: MatchStrength }>;
  readonly queries: readonly string[];
  readonly notes: readonly string[];
}

/**
 * One lookup of a tenant, run for real through the door (the same circuit, budget and verification as the
 * CONNECTOR's, the cache optionally bypassed), explained: how the number was read, what each source was
 * sent and answered, what verification and ranking made of every candidate, and the cards the CONNECTOR
 * would get. Not counted as one of the CONNECTOR's lookups (not in the recent lookups or their figures).
 */
@Injectable()
export class LookupExplainer {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly door: SourceAccess,
    @Inject(TenantRegistry) private readonly tenants: Pick<TenantRegistry, 'all'>,
    @Inject(WorkflowRegistry) private readonly workflows: Pick<WorkflowRegistry, 'namesOf'>,
  ) {}

  /** Rejects with `UnknownTenantError` for a tenant the registry does not have. */
  async explain(tenantId: string, input: string, options: { bypassCache: boolean }): Promise<LookupExplanation> {
    const tenant = this.tenants.all().find((t) => t.id === tenantId);
    if (!tenant) throw new UnknownTenantError(tenantId);
    const started = performance.now();
    const number = normalizeIncoming(input, tenant.defaultRegion);
    const base = { tenant: tenant.id, input, readAs: readingOf(input, number, tenant.defaultRegion), bypassedCache: options.bypassCache };
    if (!number) return { ...base, totalMs: elapsedSince(started), sources: [], cards: [] };

    const results = new Map<TenantSource, SourceResult>();
    const { primary, fallback } = tiersOf(tenant);
    await this.ask(tenant, primary, number, options, started, results);
    if (fallback.length > 0) {
      const why = whyNoFallback([...results.values()].some((r) => r.verified.length > 0), this.settings.LOOKUP_TIMEOUT_MS - (performance.now() - started));
      if (why === undefined) await this.ask(tenant, fallback, number, options, started, results);
      else for (const tenantSource of fallback) results.set(tenantSource, { outcome: 'skipped', reason: `not asked: ${why}`, verified: [], listed: [], queries: [], notes: [] });
    }
    const verified = [...results.values()].flatMap((r) => r.verified);
    const order = { sourceOrder: tenant.sourceOrder, maxResults: this.settings.LOOKUP_MAX_RESULTS };
    const ranked = rankCandidates(verified, order);
    const deduplicated = new Set(rankCandidates(verified, { ...order, maxResults: Number.POSITIVE_INFINITY }));
    const shown = new Set(ranked);
    const cutReason = `cut: only the best ${this.settings.LOOKUP_MAX_RESULTS} cards are answered (LOOKUP_MAX_RESULTS)`;
    const verdictOf = (item: VerifiedCandidate): string | undefined => (shown.has(item) ? undefined : deduplicated.has(item) ? cutReason : DROPPED_DUPLICATE);

    const sources = tenant.sources.map((tenantSource) => explainSource(tenantSource, results.get(tenantSource)!, verdictOf));
    const cards = ranked.map(({ candidate }) => presentCard(candidate, tenant, this.settings.publicUrl, this.workflows.namesOf(candidate.sourceId)));
    const explanation: LookupExplanation = { ...base, totalMs: elapsedSince(started), sources, cards };
    return redactSecrets(explanation, secretsOf(tenant));
  }

  /** These sources asked at once through the door, traced, under the deadline counted from `started`. */
  private async ask(tenant: Tenant, sources: readonly TenantSource[], number: IncomingNumber, options: { bypassCache: boolean }, started: number, results: Map<TenantSource, SourceResult>): Promise<void> {
    const traces = sources.map(() => new SourceTrace());
    const plans = await Promise.all(sources.map((tenantSource, i) => this.door.plan(tenant, tenantSource, number, { bypassCache: options.bypassCache, trace: traces[i]!.add })));
    const tasks: SourceTask<VerifiedCandidate>[] = [];
    plans.forEach((plan, i) => {
      if (plan.kind === 'live') tasks.push({ sourceId: sources[i]!.source.id, run: (signal, deadlineAt) => plan.run(signal, deadlineAt) });
    });
    const outcomes = new Map((await fanOut(tasks, this.settings.LOOKUP_TIMEOUT_MS, started)).map((o) => [o.sourceId, o]));
    for (const trace of traces) trace.close();
    sources.forEach((tenantSource, i) => results.set(tenantSource, resultOf(plans[i]!, outcomes.get(tenantSource.source.id), traces[i]!)));
  }
}

function resultOf(plan: SourcePlan, outcome: SourceOutcome<VerifiedCandidate> | undefined, trace: SourceTrace): SourceResult {
  const notes = [...trace.notes];
  const queries = [...trace.queries];
  const asked = (outcome: SourceOutcomeName, extra: { ms?: number; reason?: string }, verified: readonly VerifiedCandidate[]): SourceResult => ({
    outcome,
    ...extra,
    verified,
    listed: [...trace.checked],
    queries,
    notes,
  });
  if (plan.kind === 'cached') {
    const note = 'answered from the cache, without asking the source (the cache keeps the verified records only)';
    return { outcome: 'cached', verified: plan.verified, listed: plan.verified, queries: [], notes: [...notes, note] };
  }
  const failed = (outcome: SourceOutcomeName, extra: { ms?: number; reason?: string }): SourceResult => {
    const stale = plan.stale;
    if (!stale) return asked(outcome, extra, []);
    return {
      outcome: 'stale',
      ...extra,
      verified: stale,
      listed: [...trace.checked, ...stale],
      queries,
      notes: [...notes, `its last good answer (from the cache) stands in: ${extra.reason ?? outcome}`],
    };
  };
  if (plan.kind === 'skipped') return failed('skipped', { reason: plan.reason });
  if (outcome?.status === 'ok') return asked('ok', { ms: outcome.elapsedMs }, outcome.candidates);
  if (outcome?.status === 'timeout') return failed('timeout', { ms: outcome.elapsedMs, reason: 'no answer within the lookup deadline' });
  if (outcome?.status === 'error' && outcome.vendorCode === CIRCUIT_OPEN) return failed('skipped', { reason: 'circuit open' });
  if (outcome?.status === 'error' && outcome.vendorCode === QUOTA_USED) return failed('skipped', { reason: `quota used: ${outcome.reason}` });
  if (outcome?.status === 'error') return failed('error', { ms: outcome.elapsedMs, reason: `${outcome.code}${outcome.vendorCode ? ` (${outcome.vendorCode})` : ''}: ${outcome.reason}` });
  return asked('error', { reason: 'no outcome' }, []);
}

function explainSource(tenantSource: TenantSource, result: SourceResult, verdictOf: (item: VerifiedCandidate) => string | undefined): ExplainedSource {
  // By candidate, in order: a record a source returned twice is listed twice, each with its own verdict.
  const used = new Map<Candidate, VerifiedCandidate[]>();
  for (const item of result.verified) used.set(item.candidate, [...(used.get(item.candidate) ?? []), item]);
  const candidates = result.listed.map(({ candidate, strength }): ExplainedCandidate => {
    const item = strength === MatchStrength.None ? undefined : used.get(candidate)?.shift();
    const dropped = strength === MatchStrength.None ? DROPPED_NO_MATCH : item ? verdictOf(item) : DROPPED_TOO_LATE;
    return {
      recordId: candidate.recordId,
      objectType: candidate.objectType,
      name: candidate.name,
      ...(candidate.company ? { company: candidate.company } : {}),
      phones: candidate.phones,
      strength: STRENGTH_NAMES[strength],
      ...(dropped ? { dropped } : {}),
    };
  });
  return {
    source: tenantSource.source.id,
    displayName: tenantSource.displayName,
    outcome: result.outcome,
    ...(result.ms === undefined ? {} : { ms: result.ms }),
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    queries: result.queries,
    candidates,
    ...(result.notes.length > 0 ? { notes: result.notes } : {}),
  };
}

/** The number as the gateway reads it for this tenant, or why it cannot. */
export function readingOf(input: string, number: IncomingNumber | undefined, region: CountryCode): Record<string, string> {
  if (number?.kind === 'extension') return { kind: 'extension', extension: number.extension, note: 'up to 6 digits without +: matched against internal extensions only' };
  if (number?.kind === 'phone') {
    const parsed = parsePhoneNumberFromString(number.e164);
    return {
      kind: 'phone',
      e164: number.e164,
      national: parsed?.formatNational() ?? number.national,
      international: parsed?.formatInternational() ?? number.e164,
      region: number.country ?? `unknown (calling code +${number.callingCode})`,
      ...(parsed?.getType() ? { type: parsed.getType()!.toLowerCase().replace(/_/g, ' ') } : {}),
      valid: parsed?.isValid() ? 'yes' : 'no: possible by its length, not valid in the numbering plan',
      readIn: region,
    };
  }
  return { kind: 'unreadable', reason: whyUnreadable(input), readIn: region };
}

function whyUnreadable(input: string): string {
  const trimmed = input.trim();
  if (tooLongForANumber(input)) return `longer than ${MAX_NUMBER_LENGTH} characters: not a phone number`;
  if (trimmed === '') return 'empty: a withheld number';
  if (/[a-z]/i.test(trimmed)) return 'letters: a withheld number (anonymous, unknown) or no phone number';
  if (!/^\+?[\d\s().\-/]+$/.test(trimmed)) return 'characters other than digits, +, spaces and ( ) . - /';
  return 'no valid or possible phone number in any reading (as international, or national in the tenant\'s region)';
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** Every credential among the tenant's source settings (the tenant's own tokens are kept as digests only). */
function secretsOf(tenant: Tenant): string[] {
  const secrets = new Set<string>();
  for (const { settings } of tenant.sources) {
    for (const [key, value] of Object.entries(settings)) {
      if (SECRET_KEY.test(key) && typeof value === 'string' && value.length >= SHORTEST_SECRET) secrets.add(value);
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * Every string of `value` with each secret replaced by `***`. The queries are built without credentials
 * in the first place; this is the second lock, for what a CRM might echo in an error.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.reduce((text, secret) => text.split(secret).join('***'), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  return walk(value) as T;
}
