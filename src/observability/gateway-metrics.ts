import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type SourceOutcomeLabel = 'ok' | 'cached' | 'stale' | 'timeout' | 'error' | 'skipped';
export type CacheEvent = 'hit' | 'miss' | 'stale';
export type BreakerStateLabel = 'closed' | 'half_open' | 'open';

const BREAKER_STATE_VALUE: Readonly<Record<Exclude<BreakerStateLabel, 'closed'>, number>> = { half_open: 1, open: 2 };
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5];

/** Everything `/metrics` exposes, in a registry of its own (not prom-client's global one). */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  private readonly lookupDuration = new Histogram({
    name: 'gateway_lookup_duration_seconds',
    help: 'Lookup duration, by outcome (found, not_found, withheld)',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly sourceDuration = new Histogram({
    name: 'gateway_source_duration_seconds',
    help: 'Duration of live source queries, by source',
    labelNames: ['source'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly sourceOutcomes = new Counter({
    name: 'gateway_source_outcomes_total',
    help: 'Per source and lookup: ok, cached, stale, timeout, error or skipped',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly cacheEvents = new Counter({
    name: 'gateway_cache_events_total',
    help: 'Source cache hits, misses and stale hits',
    labelNames: ['source', 'event'] as const,
    registers: [this.registry],
  });

  /**
   * Per tenant only while not closed: a gateway with thousands of tenants would otherwise expose three
   * series per tenant for breakers that are nearly all closed (and take a noticeable time to render them).
   */
  private readonly breakerState = new Gauge({
    name: 'gateway_breaker_state',
    help: 'Circuit breakers that are not closed, per tenant and source: 1 half-open, 2 open (a closed one has no series)',
    labelNames: ['tenant', 'source'] as const,
    registers: [this.registry],
  });

  /** Every breaker's state, by `tenant\0source`, for the counts per source. */
  private readonly breakerStates = new Map<string, { readonly source: string; readonly state: BreakerStateLabel }>();

  private readonly workflowOutcomes = new Counter({
    name: 'gateway_workflow_outcomes_total',
    help: 'Workflow requests by workflow, source and HTTP status',
    labelNames: ['workflow', 'source', 'status'] as const,
    registers: [this.registry],
  });

  private readonly authFailures = new Counter({
    name: 'gateway_auth_failures_total',
    help: 'Requests without a valid tenant token: refused (401), or throttled (429) after too many from one address',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly deliveryAttempts = new Counter({
    name: 'gateway_outbox_attempts_total',
    help: 'Tries of queued workflow writes, per tenant and source: queued (kept when first asked), delivered, retried (will be tried again) or dead (given up)',
    labelNames: ['tenant', 'source', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Made when the outbox is opened: its figures are read from the store when `/metrics` is scraped. */
  private outboxGauges: Gauge | undefined;

  /** Made on first use: absent from `/metrics` without `REDIS_URL`. */
  private redisUpGauge: Gauge | undefined;

  /** Label-bound children, so the lookup path does not hash label sets on every increment. */
  private readonly bound = new Map<string, { inc(): void } | { observe(value: number): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    const states = this.breakerStates;
    new Gauge({
      name: 'gateway_breakers',
      help: 'Circuit breakers per source and state (closed, half_open, open), over all tenants',
      labelNames: ['source', 'state'] as const,
      registers: [this.registry],
      collect(this: Gauge) {
        this.reset();
        const counts = new Map<string, number>();
        for (const { source, state } of states.values()) counts.set(`${source}\0${state}`, (counts.get(`${source}\0${state}`) ?? 0) + 1);
        for (const [key, count] of counts) {
          const [source, state] = key.split('\0') as [string, string];
          this.labels(source, state).set(count);
        }
      },
    });
  }

  private child<T extends { inc(): void } | { observe(value: number): void }>(key: string, make: () => T): T {
    let child = this.bound.get(key) as T | undefined;
    if (!child) {
      child = make();
      this.bound.set(key, child);
    }
    return child;
  }

  lookup(outcome: 'found' | 'not_found' | 'withheld', seconds: number): void {
    this.child(`lookup|${outcome}`, () => this.lookupDuration.labels(outcome)).observe(seconds);
  }

  sourceQuery(source: string, seconds: number): void {
    this.child(`query|${source}`, () => this.sourceDuration.labels(source)).observe(seconds);
  }

  sourceOutcome(source: string, outcome: SourceOutcomeLabel): void {
    this.child(`outcome|${source}|${outcome}`, () => this.sourceOutcomes.labels(source, outcome)).inc();
  }

  cache(source: string, event: CacheEvent): void {
    this.child(`cache|${source}|${event}`, () => this.cacheEvents.labels(source, event)).inc();
  }

  breaker(tenant: string, source: string, state: BreakerStateLabel): void {
    this.breakerStates.set(`${tenant}\0${source}`, { source, state });
    if (state === 'closed') this.breakerState.remove({ tenant, source });
    else this.breakerState.set({ tenant, source }, BREAKER_STATE_VALUE[state]);
  }

  forgetBreaker(tenant: string, source: string): void {
    this.breakerStates.delete(`${tenant}\0${source}`);
    this.breakerState.remove({ tenant, source });
  }

  authFailure(outcome: 'refused' | 'throttled'): void {
    this.child(`auth|${outcome}`, () => this.authFailures.labels(outcome)).inc();
  }

  delivery(tenant: string, source: string, outcome: 'queued' | 'delivered' | 'retried' | 'dead'): void {
    this.deliveryAttempts.labels(tenant, source, outcome).inc();
  }

  /**
   * `gateway_outbox{tenant, source, figure}`: `queued`, `sending`, `dead` counts and `oldest_waiting_seconds`,
   * read through `read` at each scrape.
   */
  outbox(read: () => Promise<ReadonlyArray<{ tenant: string; source: string; figures: Readonly<Record<string, number>> }>>): void {
    this.outboxGauges ??= new Gauge({
      name: 'gateway_outbox',
      help: 'Queued workflow writes per tenant and source: queued, sending, dead, and oldest_waiting_seconds (age of the oldest one not yet delivered)',
      labelNames: ['tenant', 'source', 'figure'] as const,
      registers: [this.registry],
      async collect(this: Gauge) {
        this.reset();
        for (const { tenant, source, figures } of await read()) {
          for (const [figure, value] of Object.entries(figures)) this.labels(tenant, source, figure).set(value);
        }
      },
    });
  }

  redisUp(up: boolean): void {
    this.redisUpGauge ??= new Gauge({
      name: 'gateway_redis_up',
      help: 'Whether the shared Redis (REDIS_URL) answers: 1 up, 0 down (each replica then answers from its own memory)',
      registers: [this.registry],
    });
    this.redisUpGauge.set(up ? 1 : 0);
  }

  /** `workflow` must come from a closed set (the handlers' names, or `unknown`): a label set is kept for good. */
  workflow(workflow: string, source: string, status: number): void {
    this.workflowOutcomes.inc({ workflow, source, status: String(status) });
  }
}
