import { Inject, Injectable, type InjectionToken } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { maskPhoneNumber } from '../logging/mask';
import { SourceHealth } from '../observability/source-health';
import type { IncomingNumber } from '../phone';
import { RedisConnection } from '../shared-state/redis-connection';
import { SourceBreakers } from '../source-access/source-breakers';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { TenantRegistry } from '../tenants/tenant-registry';
import type { RecentLookup, RecentSourceOutcome, SourceMinute, SourceOverview } from './lookup-insight';

/** The newest lookups kept per tenant. */
export const RECENT_PER_TENANT = 300;
/**
 * The lookups kept in all, whatever the number of tenants: about 400 bytes each (8 MB). With 10,000 busy
 * tenants each keeps its last two or so; a tenant's own ring never holds more than `RECENT_PER_TENANT`.
 */
export const RECENT_IN_ALL = 20_000;
/**
 * Tenant sources whose last hour is counted: the most recently asked ones, about 7 KB each (14 MB). A
 * source not asked since this many others were loses its counts and shows as idle.
 */
export const TRACKED_SOURCES = 2_000;
/** The overview's states look at this many last minutes (the chart shows the hour). */
export const STATE_WINDOW_MINUTES = 5;
/** Failing: at least this share of the lookups that asked the source within the window failed (error or time-out). */
export const FAILING_ERROR_RATE = 0.2;
/** Slow: the p95 of its own times within the window is over this share of `LOOKUP_TIMEOUT_MS`. */
export const SLOW_SHARE_OF_DEADLINE = 0.5;

/** Where the history reads the time; `Date.now`, provided by the lookup module. */
export const LOOKUP_HISTORY_CLOCK: InjectionToken<() => number> = Symbol('LOOKUP_HISTORY_CLOCK');

const MINUTE_MS = 60_000;
const HOUR_MINUTES = 60;
const NO_SOURCES: readonly RecentSourceOutcome[] = [];

/**
 * What the admin sees of the lookups: the recent ones, per tenant (a bounded ring in memory, numbers masked,
 * never written anywhere), and per tenant source a count per minute over the last hour with the state it
 * suggests. Recording is on the lookup path: one entry object, a few array writes, nothing awaited.
 */
@Injectable()
export class LookupHistory {
  private readonly rings = new Map<string, TenantRing>();
  /** Every entry kept, oldest overwritten first: the global bound. */
  private readonly all: Entry[] = [];
  private nextSlot = 0;
  private readonly minutes = new LRUCache<object, SourceMinutes>({ max: TRACKED_SOURCES });

  constructor(
    @Inject(TenantRegistry) private readonly tenants: Pick<TenantRegistry, 'all'>,
    @Inject(SourceBreakers) private readonly breakers: Pick<SourceBreakers, 'isOpen'>,
    @Inject(SourceHealth) private readonly health: Pick<SourceHealth, 'lastOf'>,
    @Inject(RedisConnection) private readonly redis: Pick<RedisConnection, 'configured' | 'up'>,
    @Inject(globalSettings.KEY) private readonly settings: Pick<ResolvedGlobalSettings, 'LOOKUP_TIMEOUT_MS' | 'ADMIN_TOKEN'>,
    @Inject(LOOKUP_HISTORY_CLOCK) private readonly now: () => number,
  ) {}

  /**
   * Whether lookups are kept: only while the console that shows them is on (`ADMIN_TOKEN`). Keeping
   * costs a busy gateway about 8 % more CPU per cached lookup (every entry lives long enough to be
   * promoted to the old heap), which a gateway without a console should not pay.
   */
  get keeping(): boolean {
    return this.settings.ADMIN_TOKEN !== undefined;
  }

  /**
   * One lookup of `tenant`: `number` as read (undefined: withheld or unreadable), masked here; `sources`
   * in the order of `tenant.sources`, as the lookup built them.
   */
  record(tenant: Tenant, number: IncomingNumber | undefined, totalMs: number, cards: number, sources: readonly RecentSourceOutcome[] = NO_SOURCES): void {
    if (!this.keeping) return;
    const at = this.now();
    const masked = number === undefined ? 'withheld' : maskPhoneNumber(number.kind === 'phone' ? number.e164 : number.extension);
    const entry = new Entry(at, tenant.id, masked, totalMs, cards, sources);
    this.keep(entry);
    for (let i = 0; i < sources.length; i++) {
      const outcome = sources[i]!;
      const tenantSource = tenant.sources[i]?.source.id === outcome.source ? tenant.sources[i] : tenant.sources.find((s) => s.source.id === outcome.source);
      if (tenantSource) this.count(tenantSource.settings, at, outcome);
    }
  }

  /** Newest first: one tenant's, or every tenant's; at most `limit` (default and most: a tenant's ring). */
  recent(tenantId?: string, limit: number = RECENT_PER_TENANT): RecentLookup[] {
    const wanted = Math.max(0, Math.min(Math.floor(limit), RECENT_IN_ALL));
    if (tenantId !== undefined) return (this.rings.get(tenantId)?.newestFirst(wanted) ?? []).map(toRecentLookup);
    const found: RecentLookup[] = [];
    for (let i = 1; i <= this.all.length && found.length < wanted; i++) {
      const entry = this.all[(this.nextSlot - i + this.all.length) % this.all.length]!;
      if (!entry.evicted) found.push(toRecentLookup(entry));
    }
    return found;
  }

  /** Every source of every tenant (of one tenant when `tenantId` is given), in the registry's order, with its last hour and state. */
  overview(tenantId?: string): SourceOverview[] {
    const now = this.now();
    const currentMinute = Math.floor(now / MINUTE_MS);
    const tenants = tenantId === undefined ? this.tenants.all() : this.tenants.all().filter((t) => t.id === tenantId);
    // Sources not asked within the hour share one hour of zeros: 10,000 idle tenants cost no more than one.
    let idleHour: readonly SourceMinute[] | undefined;
    const rows: SourceOverview[] = [];
    for (const tenant of tenants) {
      for (const tenantSource of tenant.sources) {
        const counted = this.minutes.peek(tenantSource.settings);
        const lastHour = counted?.hour(currentMinute) ?? (idleHour ??= emptyHour(currentMinute));
        rows.push({ tenant: tenant.id, source: tenantSource.source.id, ...this.stateOf(tenant, tenantSource, counted, currentMinute, lastHour) });
      }
    }
    return rows;
  }

  private stateOf(
    tenant: Tenant,
    tenantSource: TenantSource,
    counted: SourceMinutes | undefined,
    currentMinute: number,
    lastHour: readonly SourceMinute[],
  ): Pick<SourceOverview, 'state' | 'reason' | 'lastHour'> {
    const last = this.health.lastOf(tenantSource.settings);
    const lastFailure = last && (last.outcome === 'error' || last.outcome === 'timeout' || last.outcome === 'stale') && last.reason ? `last: ${last.reason}` : undefined;
    if (this.breakers.isOpen(tenant.id, tenantSource.source.id)) {
      return { state: 'circuit open', reason: ['skipped after repeated failures', lastFailure].filter(Boolean).join('; '), lastHour };
    }
    const recent = counted?.window(currentMinute, STATE_WINDOW_MINUTES);
    if (recent && recent.errors > 0 && recent.errors >= FAILING_ERROR_RATE * recent.asked) {
      const share = `${recent.errors} of ${recent.asked} lookups failed in the last ${STATE_WINDOW_MINUTES} minutes`;
      return { state: 'failing', reason: [share, lastFailure].filter(Boolean).join('; '), lastHour };
    }
    if (this.redis.configured && !this.redis.up && tenantSource.source.cacheable !== false) {
      return { state: 'Redis down', reason: "Redis is down: this replica answers from its own cache and budgets until it is back", lastHour };
    }
    const slowOver = SLOW_SHARE_OF_DEADLINE * this.settings.LOOKUP_TIMEOUT_MS;
    if (recent?.p95Ms !== undefined && recent.p95Ms > slowOver) {
      return {
        state: 'slow',
        reason: `p95 ${recent.p95Ms} ms in the last ${STATE_WINDOW_MINUTES} minutes, over half the ${this.settings.LOOKUP_TIMEOUT_MS} ms deadline`,
        lastHour,
      };
    }
    if (!lastHour.some((m) => m.lookups > 0)) return { state: 'idle', lastHour };
    return { state: 'ok', lastHour };
  }

  private keep(entry: Entry): void {
    let ring = this.rings.get(entry.tenant);
    if (!ring) {
      ring = new TenantRing(RECENT_PER_TENANT);
      this.rings.set(entry.tenant, ring);
    }
    const pushedOut = ring.push(entry);
    if (pushedOut) pushedOut.evicted = true;
    if (this.all.length < RECENT_IN_ALL) {
      this.all.push(entry);
      return;
    }
    const oldest = this.all[this.nextSlot]!;
    if (!oldest.evicted) {
      // The oldest entry of all is the oldest of its tenant's ring: every older one of that tenant went before it.
      const itsRing = this.rings.get(oldest.tenant);
      if (itsRing?.oldest() === oldest) {
        itsRing.dropOldest();
        if (itsRing.size === 0) this.rings.delete(oldest.tenant);
      }
      oldest.evicted = true;
    }
    this.all[this.nextSlot] = entry;
    this.nextSlot = (this.nextSlot + 1) % RECENT_IN_ALL;
  }

  private count(settings: object, at: number, outcome: RecentSourceOutcome): void {
    let minutes = this.minutes.get(settings);
    if (!minutes) {
      minutes = new SourceMinutes();
      this.minutes.set(settings, minutes);
    }
    minutes.add(Math.floor(at / MINUTE_MS), outcome);
  }
}

class Entry {
  /** Pushed out of its tenant's ring, or of the global bound: no longer listed. */
  evicted = false;

  constructor(
    readonly at: number,
    readonly tenant: string,
    readonly number: string,
    readonly totalMs: number,
    readonly cards: number,
    readonly sources: readonly RecentSourceOutcome[],
  ) {}
}

function toRecentLookup(entry: Entry): RecentLookup {
  return {
    at: new Date(entry.at).toISOString(),
    tenant: entry.tenant,
    number: entry.number,
    totalMs: Math.round(entry.totalMs * 10) / 10,
    cards: entry.cards,
    sources: entry.sources,
  };
}

/** A tenant's newest entries, oldest first, in a circular array that grows (doubling) up to its capacity. */
export class TenantRing<T = Entry> {
  private items: Array<T | undefined> = [];
  private start = 0;
  size = 0;

  constructor(private readonly capacity: number) {}

  /** Adds `item`; answers the item it pushed out when the ring was full. */
  push(item: T): T | undefined {
    if (this.size === this.items.length && this.size < this.capacity) this.grow();
    if (this.size < this.items.length) {
      this.items[(this.start + this.size) % this.items.length] = item;
      this.size++;
      return undefined;
    }
    const pushedOut = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.items.length;
    return pushedOut;
  }

  oldest(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.start];
  }

  dropOldest(): void {
    if (this.size === 0) return;
    this.items[this.start] = undefined;
    this.start = (this.start + 1) % this.items.length;
    this.size--;
  }

  newestFirst(limit: number): T[] {
    const count = Math.min(limit, this.size);
    const found: T[] = [];
    for (let i = 1; i <= count; i++) found.push(this.items[(this.start + this.size - i) % this.items.length]!);
    return found;
  }

  private grow(): void {
    const grown: Array<T | undefined> = new Array<T | undefined>(Math.min(this.capacity, Math.max(4, this.items.length * 2)));
    for (let i = 0; i < this.size; i++) grown[i] = this.items[(this.start + i) % this.items.length];
    this.items = grown;
    this.start = 0;
  }
}

/**
 * Time buckets of a source's own answer times: bucket 0 holds up to 1 ms, bucket `i` up to 1.25^i ms
 * (the last one everything longer, from about 36 s). A percentile read from them is within about 12 %.
 */
const TIME_BUCKETS = 48;
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);

export function timeBucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(TIME_BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_GROWTH));
}

/** The time a bucket stands for: the geometric middle of its bounds, to 0.1 ms under 10 ms, else whole. */
export function timeOfBucket(bucket: number): number {
  if (bucket === 0) return 1;
  const ms = GROWTH ** (bucket - 0.5);
  return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
}

/** What `window` sums over the last minutes. */
export interface SourceWindow {
  readonly lookups: number;
  /** Lookups that asked the source itself (not answered from the cache, not skipped). */
  readonly asked: number;
  readonly errors: number;
  readonly p95Ms?: number;
}

/**
 * One tenant source's last hour, a slot per minute (the minute's number modulo 60): lookups it took part
 * in, those that failed (error or time-out, also when a stale answer stood in), and a histogram of its own
 * answer times. Fixed size, allocated once; a slot is reset when a new minute reaches it.
 */
export class SourceMinutes {
  private readonly minuteOfSlot = new Float64Array(HOUR_MINUTES).fill(-1);
  private readonly lookups = new Uint32Array(HOUR_MINUTES);
  private readonly asked = new Uint32Array(HOUR_MINUTES);
  private readonly errors = new Uint32Array(HOUR_MINUTES);
  private readonly times = new Uint16Array(HOUR_MINUTES * TIME_BUCKETS);

  /** `minute`: minutes since the epoch. */
  add(minute: number, { outcome, ms }: Pick<RecentSourceOutcome, 'outcome' | 'ms'>): void {
    const slot = minute % HOUR_MINUTES;
    if (this.minuteOfSlot[slot] !== minute) {
      if (minute < this.minuteOfSlot[slot]!) return; // a late record of a minute already reused
      this.minuteOfSlot[slot] = minute;
      this.lookups[slot] = 0;
      this.asked[slot] = 0;
      this.errors[slot] = 0;
      this.times.fill(0, slot * TIME_BUCKETS, (slot + 1) * TIME_BUCKETS);
    }
    this.lookups[slot]!++;
    if (ms === undefined) return; // cached, or not asked
    this.asked[slot]!++;
    if (outcome === 'error' || outcome === 'timeout' || outcome === 'stale') this.errors[slot]!++;
    const index = slot * TIME_BUCKETS + timeBucketOf(ms);
    if (this.times[index]! < 0xffff) this.times[index]!++;
  }

  /** The 60 minutes up to `currentMinute`, oldest first, zeros where nothing was counted. */
  hour(currentMinute: number): SourceMinute[] {
    const minutes: SourceMinute[] = [];
    for (let minute = currentMinute - HOUR_MINUTES + 1; minute <= currentMinute; minute++) {
      const slot = minute % HOUR_MINUTES;
      if (this.minuteOfSlot[slot] !== minute) {
        minutes.push({ minute: minute * MINUTE_MS, lookups: 0, errors: 0 });
        continue;
      }
      const histogram = this.times.subarray(slot * TIME_BUCKETS, (slot + 1) * TIME_BUCKETS);
      const p50Ms = percentile(histogram, 0.5);
      const p95Ms = percentile(histogram, 0.95);
      minutes.push({
        minute: minute * MINUTE_MS,
        lookups: this.lookups[slot]!,
        errors: this.errors[slot]!,
        ...(p50Ms === undefined ? {} : { p50Ms, p95Ms }),
      });
    }
    return minutes;
  }

  /** Sums of the last `count` minutes up to `currentMinute`, with the p95 of their times together. */
  window(currentMinute: number, count: number): SourceWindow {
    let lookups = 0;
    let asked = 0;
    let errors = 0;
    const histogram = new Uint32Array(TIME_BUCKETS);
    for (let minute = currentMinute - count + 1; minute <= currentMinute; minute++) {
      const slot = minute % HOUR_MINUTES;
      if (this.minuteOfSlot[slot] !== minute) continue;
      lookups += this.lookups[slot]!;
      asked += this.asked[slot]!;
      errors += this.errors[slot]!;
      for (let b = 0; b < TIME_BUCKETS; b++) histogram[b]! += this.times[slot * TIME_BUCKETS + b]!;
    }
    const p95Ms = percentile(histogram, 0.95);
    return p95Ms === undefined ? { lookups, asked, errors } : { lookups, asked, errors, p95Ms };
  }
}

/** The nearest-rank percentile of a histogram's times; undefined when it is empty. */
function percentile(histogram: ArrayLike<number>, share: number): number | undefined {
  let total = 0;
  for (let b = 0; b < histogram.length; b++) total += histogram[b]!;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(share * total));
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b]!;
    if (seen >= rank) return timeOfBucket(b);
  }
  return undefined;
}

function emptyHour(currentMinute: number): SourceMinute[] {
  const minutes: SourceMinute[] = [];
  for (let minute = currentMinute - HOUR_MINUTES + 1; minute <= currentMinute; minute++) minutes.push({ minute: minute * MINUTE_MS, lookups: 0, errors: 0 });
  return minutes;
}
