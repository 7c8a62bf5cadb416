import { factory } from '../../test/support/factory';
import { ScriptedSource } from '../../test/support/scripted-source';
import type { LastOutcome } from '../observability/source-health';
import { normalizeIncoming, type IncomingNumber } from '../phone';
import type { Tenant } from '../tenants/tenant';
import {
  LookupHistory,
  RECENT_IN_ALL,
  RECENT_PER_TENANT,
  SourceMinutes,
  STATE_WINDOW_MINUTES,
  TenantRing,
  timeBucketOf,
  timeOfBucket,
  TRACKED_SOURCES,
} from './lookup-history';
import type { RecentSourceOutcome, SourceOverview } from './lookup-insight';

const MINUTE = 60_000;
/** A minute boundary, so that `now + k * MINUTE` falls in the k-th next minute. */
const START = Date.UTC(2025, 0, 6, 9, 0, 0);
const ANNA: IncomingNumber = normalizeIncoming('+41789072228', 'CH')!;
const EXTENSION: IncomingNumber = normalizeIncoming('201', 'CH')!;

const ok = (source: string, ms: number): RecentSourceOutcome => ({ source, outcome: 'ok', ms, matches: 1 });
const failed = (source: string, ms: number): RecentSourceOutcome => ({ source, outcome: 'error', ms, matches: 0, reason: 'UNAVAILABLE: HTTP 503' });

describe('LookupHistory', () => {
  let now: number;
  let tenants: Tenant[];
  let open: Set<string>;
  let last: Map<object, LastOutcome>;
  let redis: { configured: boolean; up: boolean };
  let history: LookupHistory;

  const tenantWith = (id: string, ...sourceIds: string[]): Tenant =>
    factory.tenant({ id, sources: sourceIds.map((sourceId) => factory.tenantSource({ source: new ScriptedSource(sourceId, { kind: 'hang' }), settings: { id: `${id}/${sourceId}` } })) });

  beforeEach(() => {
    now = START;
    tenants = [tenantWith('acme', 'alpha', 'beta'), tenantWith('globex', 'alpha')];
    open = new Set();
    last = new Map();
    redis = { configured: false, up: false };
    history = new LookupHistory(
      { all: () => tenants },
      { isOpen: (tenant, source) => open.has(`${tenant}/${source}`) },
      { lastOf: (settings) => last.get(settings) },
      redis,
      { LOOKUP_TIMEOUT_MS: 1000, ADMIN_TOKEN: 'admin-token-0123456789abcdef' },
      () => now,
    );
  });

  const acme = (): Tenant => tenants[0]!;
  const globex = (): Tenant => tenants[1]!;
  const row = (tenant: string, source: string): SourceOverview => history.overview().find((r) => r.tenant === tenant && r.source === source)!;

  describe('the recent lookups', () => {
    it('keeps nothing while the console is off (no ADMIN_TOKEN): nobody could see it', () => {
      const off = new LookupHistory({ all: () => tenants }, { isOpen: () => false }, { lastOf: () => undefined }, redis, { LOOKUP_TIMEOUT_MS: 1000 }, () => now);
      expect(off.keeping).toBe(false);
      off.record(acme(), ANNA, 12, 1, [ok('alpha', 10)]);
      expect(off.recent()).toEqual([]);
      expect(off.overview('acme').map((r) => r.state)).toEqual(['idle', 'idle']);
      expect(history.keeping).toBe(true);
    });

    it('lists them newest first, with the time, the masked number, the cards and how each source took part', () => {
      history.record(acme(), ANNA, 12.34, 1, [ok('alpha', 10), failed('beta', 11)]);
      now += 1000;
      history.record(acme(), undefined, 0.2, 0);
      now += 1000;
      history.record(acme(), EXTENSION, 3, 0, [ok('alpha', 2)]);
      expect(history.recent('acme')).toEqual([
        { at: new Date(START + 2000).toISOString(), tenant: 'acme', number: '***', totalMs: 3, cards: 0, sources: [ok('alpha', 2)] },
        { at: new Date(START + 1000).toISOString(), tenant: 'acme', number: 'withheld', totalMs: 0.2, cards: 0, sources: [] },
        { at: new Date(START).toISOString(), tenant: 'acme', number: '+41******228', totalMs: 12.3, cards: 1, sources: [ok('alpha', 10), failed('beta', 11)] },
      ]);
    });

    it('never holds a whole number', () => {
      for (const raw of ['+41789072228', '0041 44 668 18 00', '+1 415 555 1212']) history.record(acme(), normalizeIncoming(raw, 'CH'), 1, 0);
      const numbers = history.recent().map((l) => l.number);
      expect(numbers).toEqual(['+14******212', '+41******800', '+41******228']);
      expect(JSON.stringify(history.recent())).not.toMatch(/789072228|4466818|4155551/);
    });

    it('keeps each tenant apart, and every tenant together newest first', () => {
      history.record(acme(), ANNA, 1, 1);
      now += 1;
      history.record(globex(), ANNA, 2, 0);
      now += 1;
      history.record(acme(), ANNA, 3, 0);
      expect(history.recent('acme').map((l) => l.totalMs)).toEqual([3, 1]);
      expect(history.recent('globex').map((l) => l.totalMs)).toEqual([2]);
      expect(history.recent('initech')).toEqual([]);
      expect(history.recent().map((l) => `${l.tenant} ${l.totalMs}`)).toEqual(['acme 3', 'globex 2', 'acme 1']);
      expect(history.recent(undefined, 2).map((l) => l.totalMs)).toEqual([3, 2]);
      expect(history.recent('acme', 1).map((l) => l.totalMs)).toEqual([3]);
    });

    it(`keeps a tenant's last ${RECENT_PER_TENANT}, and drops its older ones from the list of all too`, () => {
      history.record(globex(), ANNA, -1, 0);
      for (let i = 0; i < RECENT_PER_TENANT + 50; i++) history.record(acme(), ANNA, i, 0);
      const kept = history.recent('acme', 10_000);
      expect(kept).toHaveLength(RECENT_PER_TENANT);
      expect(kept[0]!.totalMs).toBe(RECENT_PER_TENANT + 49);
      expect(kept.at(-1)!.totalMs).toBe(50);
      const all = history.recent(undefined, 10_000);
      expect(all).toHaveLength(RECENT_PER_TENANT + 1);
      expect(all.at(-1)).toMatchObject({ tenant: 'globex', totalMs: -1 });
    });

    it(`keeps ${RECENT_IN_ALL} in all, whatever the number of tenants: the oldest of all go first`, () => {
      const many = Array.from({ length: 1000 }, (_, i) => tenantWith(`t${i}`));
      for (let i = 0; i < RECENT_IN_ALL + 500; i++) history.record(many[i % many.length]!, ANNA, i, 0);
      const all = history.recent(undefined, Number.MAX_SAFE_INTEGER);
      expect(all).toHaveLength(RECENT_IN_ALL);
      expect(all[0]!.totalMs).toBe(RECENT_IN_ALL + 499);
      expect(all.at(-1)!.totalMs).toBe(500);
      // t0 had 21 lookups (0, 1000, …, 20000); the first went with the oldest of all.
      expect(history.recent('t0', 1000).map((l) => l.totalMs)).toEqual(Array.from({ length: 20 }, (_, i) => 20_000 - i * 1000));
      // Its ring still takes new ones in order after losing its oldest.
      history.record(many[0]!, ANNA, 99_999, 0);
      expect(history.recent('t0', 2).map((l) => l.totalMs)).toEqual([99_999, 20_000]);
    });
  });

  describe('TenantRing', () => {
    it('grows up to its capacity, then pushes out its oldest, and drops its oldest on demand', () => {
      const ring = new TenantRing<number>(5);
      for (let i = 1; i <= 3; i++) expect(ring.push(i)).toBeUndefined();
      expect(ring.newestFirst(10)).toEqual([3, 2, 1]);
      ring.dropOldest();
      expect(ring.oldest()).toBe(2);
      for (let i = 4; i <= 6; i++) expect(ring.push(i)).toBeUndefined();
      expect(ring.push(7)).toBe(2);
      expect(ring.push(8)).toBe(3);
      expect(ring.newestFirst(10)).toEqual([8, 7, 6, 5, 4]);
      expect(ring.newestFirst(2)).toEqual([8, 7]);
      expect(ring.size).toBe(5);
    });
  });

  describe('the time buckets', () => {
    it('reads any time back within 12 %', () => {
      for (const ms of [1.5, 3, 7, 42, 180, 999, 1500, 12_000, 30_000]) {
        const read = timeOfBucket(timeBucketOf(ms));
        expect(Math.abs(read - ms) / ms).toBeLessThan(0.125);
      }
      expect(timeOfBucket(timeBucketOf(0.3))).toBe(1);
    });
  });

  describe('SourceMinutes', () => {
    const minuteOf = (t: number): number => Math.floor(t / MINUTE);

    it('counts lookups, errors and the p50/p95 of the times per minute, with zeros for empty minutes', () => {
      const minutes = new SourceMinutes();
      const m = minuteOf(START);
      for (let ms = 1; ms <= 100; ms++) minutes.add(m, { outcome: 'ok', ms });
      minutes.add(m, { outcome: 'cached' });
      minutes.add(m + 2, { outcome: 'timeout', ms: 1500 });
      minutes.add(m + 2, { outcome: 'stale', ms: 20 });
      minutes.add(m + 2, { outcome: 'skipped' });
      const hour = minutes.hour(m + 2);
      expect(hour).toHaveLength(60);
      expect(hour[0]!.minute).toBe((m - 57) * MINUTE);
      expect(hour.slice(0, 57).every((minute) => minute.lookups === 0 && minute.p50Ms === undefined)).toBe(true);
      const first = hour[57]!;
      expect(first).toMatchObject({ minute: m * MINUTE, lookups: 101, errors: 0 });
      expect(Math.abs(first.p50Ms! - 50) / 50).toBeLessThan(0.125);
      expect(Math.abs(first.p95Ms! - 95) / 95).toBeLessThan(0.125);
      expect(hour[58]).toEqual({ minute: (m + 1) * MINUTE, lookups: 0, errors: 0 });
      expect(hour[59]).toMatchObject({ minute: (m + 2) * MINUTE, lookups: 3, errors: 2 });
      expect(minutes.window(m + 2, 3)).toMatchObject({ lookups: 104, asked: 102, errors: 2 });
    });

    it('forgets a minute once it is more than an hour old, and reuses its slot for the new one', () => {
      const minutes = new SourceMinutes();
      const m = minuteOf(START);
      minutes.add(m, { outcome: 'error', ms: 900 });
      expect(minutes.hour(m + 59)[0]).toMatchObject({ minute: m * MINUTE, lookups: 1, errors: 1 });
      expect(minutes.hour(m + 60).some((minute) => minute.lookups > 0)).toBe(false);
      minutes.add(m + 60, { outcome: 'ok', ms: 5 });
      const hour = minutes.hour(m + 60);
      expect(hour.filter((minute) => minute.lookups > 0)).toEqual([
        { minute: (m + 60) * MINUTE, lookups: 1, errors: 0, p50Ms: timeOfBucket(timeBucketOf(5)), p95Ms: timeOfBucket(timeBucketOf(5)) },
      ]);
      // A record late for a slot already reused is not counted into the new minute.
      minutes.add(m, { outcome: 'error', ms: 900 });
      expect(minutes.hour(m + 60).at(-1)).toMatchObject({ lookups: 1, errors: 0 });
    });
  });

  describe('the overview', () => {
    it('has a row per tenant and source of the registry, with the hour up to now, oldest first', () => {
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 4), ok('beta', 3)]);
      now += 2 * MINUTE;
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 8), ok('beta', 3)]);
      const rows = history.overview();
      expect(rows.map((r) => `${r.tenant}/${r.source}: ${r.state}`)).toEqual(['acme/alpha: ok', 'acme/beta: ok', 'globex/alpha: idle']);
      const alpha = rows[0]!.lastHour;
      expect(alpha).toHaveLength(60);
      expect(alpha.at(-1)).toMatchObject({ minute: now, lookups: 1, errors: 0 });
      expect(alpha.at(-3)).toMatchObject({ minute: now - 2 * MINUTE, lookups: 1 });
      expect(rows[2]!.lastHour.every((m) => m.lookups === 0)).toBe(true);
      expect(history.overview('globex').map((r) => r.source)).toEqual(['alpha']);
    });

    it('says circuit open while the breaker skips the source, with its last failure', () => {
      last.set(acme().sources[0]!.settings, { outcome: 'error', reason: 'AUTH: invalid client credentials', at: now });
      open.add('acme/alpha');
      expect(row('acme', 'alpha')).toMatchObject({ state: 'circuit open', reason: 'skipped after repeated failures; last: AUTH: invalid client credentials' });
    });

    it(`says failing when at least a fifth of the lookups that asked it within ${STATE_WINDOW_MINUTES} minutes failed`, () => {
      for (let i = 0; i < 4; i++) history.record(acme(), ANNA, 5, 1, [ok('alpha', 4), ok('beta', 4)]);
      history.record(acme(), ANNA, 5, 1, [failed('alpha', 4), { source: 'beta', outcome: 'cached', matches: 1 }]);
      expect(row('acme', 'alpha')).toMatchObject({ state: 'failing', reason: `1 of 5 lookups failed in the last ${STATE_WINDOW_MINUTES} minutes` });
      // Cached answers are not asks: one failure in six lookups is still one in five asked.
      expect(row('acme', 'beta').state).toBe('ok');
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 4), ok('beta', 4)]);
      expect(row('acme', 'alpha').state).toBe('ok');
      // Out of the window, a failure no longer counts; the hour still shows it.
      history.record(acme(), ANNA, 5, 1, [failed('alpha', 4)]);
      expect(row('acme', 'alpha').state).toBe('failing');
      now += STATE_WINDOW_MINUTES * MINUTE;
      expect(row('acme', 'alpha').state).toBe('ok');
      expect(row('acme', 'alpha').lastHour.reduce((sum, m) => sum + m.errors, 0)).toBe(2);
    });

    it('says slow when the p95 of its own times within the window is over half the lookup deadline', () => {
      for (let i = 0; i < 19; i++) history.record(acme(), ANNA, 5, 1, [ok('alpha', 40)]);
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 900)]);
      expect(row('acme', 'alpha').state).toBe('ok');
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 900)]);
      expect(row('acme', 'alpha')).toMatchObject({ state: 'slow', reason: expect.stringMatching(/^p95 \d+ ms in the last 5 minutes, over half the 1000 ms deadline$/) });
    });

    it('says Redis down for the sources that share through Redis while it is configured and down', () => {
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 4)]);
      redis.configured = true;
      expect(row('acme', 'alpha').state).toBe('Redis down');
      redis.up = true;
      expect(row('acme', 'alpha').state).toBe('ok');
    });

    it('says idle when the source took part in no lookup within the hour', () => {
      history.record(acme(), ANNA, 5, 1, [ok('alpha', 4)]);
      expect(row('acme', 'alpha').state).toBe('ok');
      now += 60 * MINUTE;
      expect(row('acme', 'alpha').state).toBe('idle');
    });

    it(`counts the ${TRACKED_SOURCES} most recently asked sources: one not asked since then shows idle`, () => {
      const many = Array.from({ length: TRACKED_SOURCES + 1 }, (_, i) => tenantWith(`t${i}`, 'alpha'));
      tenants = many;
      for (const tenant of many) history.record(tenant, ANNA, 5, 1, [ok('alpha', 4)]);
      const rows = history.overview();
      expect(rows[0]!.state).toBe('idle');
      expect(rows.slice(1).every((r) => r.state === 'ok')).toBe(true);
    });
  });
});
