import { factory } from '../../test/support/factory';
import { openDoor, samples, type Door } from '../../test/support/door';
import { eventually } from '../../test/support/eventually';
import { RedisServer } from '../../test/support/redis-server';
import { ScriptedSource } from '../../test/support/scripted-source';
import type { Candidate, SourceSearch } from '../core/source';
import { SourceError } from '../core/source-error';
import { overBudget } from '../resilience/rate-budget';
import { MatchStrength, normalizeIncoming, type IncomingNumber } from '../phone';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { CIRCUIT_OPEN, QUOTA_USED, verify, type SourcePlan } from './source-access';

const ANNA = factory.candidate({ sourceId: 'alpha', recordId: 'anna', phones: ['+41 78 907 22 28'] });
const OTHER = factory.candidate({ sourceId: 'alpha', recordId: 'other', phones: ['+41 44 111 22 33'] });
const DOWN = { kind: 'throw', error: new SourceError('UNAVAILABLE', 'CRM answered 503') } as const;
const POLICY = { ttlMs: 60_000, missTtlMs: 30_000, staleMs: 3_600_000 };

function phone(raw: string): IncomingNumber {
  const number = normalizeIncoming(raw, 'CH');
  if (!number) throw new Error(`not a number: ${raw}`);
  return number;
}
const CALLER = phone('41789072228');
const SOMEONE_ELSE = phone('41791112233');

/** A source that says its answer lacks part of what it asked (one of its searches failed). */
class PartialSource extends ScriptedSource {
  override search(query: SourceSearch<object>): Promise<readonly Candidate[]> {
    query.partial?.('companies not searched');
    return super.search(query);
  }
}

let redisServer: RedisServer;
beforeAll(async () => {
  redisServer = await RedisServer.start();
});
afterAll(async () => {
  await redisServer.stop();
});

/** Every behaviour of the door holds for one replica alone and for replicas sharing a Redis. */
describe.each([
  ['in its own memory', false],
  ['sharing a Redis', true],
])('SourceAccess (the door to the sources), %s', (_, shared) => {
  let now: number;
  let alpha: ScriptedSource;
  let ctx: Door;
  let source: TenantSource;
  let tenant: Tenant;

  beforeEach(async () => {
    now = 0;
    alpha = new ScriptedSource('alpha', { kind: 'answer', candidates: [ANNA] });
    ctx = openDoor({ env: { BREAKER_FAILURES: '2', ...(shared && { REDIS_URL: redisServer.url }) }, now: () => now });
    if (shared) {
      await redisServer.command('FLUSHALL');
      await ctx.redis.onModuleInit();
      expect(ctx.redis.up).toBe(true);
    }
    source = factory.tenantSource({ source: alpha, settings: { ALPHA_ENABLED: 'on' } });
    tenant = factory.tenant({ sources: [source], sourceOrder: ['alpha'], cache: POLICY });
    ctx.tenants.change(undefined, tenant);
  });
  afterEach(async () => {
    await ctx.redis.onApplicationShutdown();
  });

  const planOf = (number = CALLER, t = tenant, s = source): Promise<SourcePlan> => ctx.door.plan(t, s, number);
  /** Runs a plan that must be live, as the fan-out does. */
  const run = (plan: SourcePlan): Promise<readonly unknown[]> => {
    if (plan.kind !== 'live') throw new Error(`expected a live plan, got ${plan.kind}`);
    return plan.run(new AbortController().signal, Date.now() + 1000);
  };
  const ask = async (number = CALLER, t = tenant, s = source): Promise<readonly unknown[]> => run(await planOf(number, t, s));
  const verifiedAs = (...candidates: Candidate[]) => candidates.map((candidate) => ({ candidate, strength: MatchStrength.Exact }));
  /** Caches the caller's answer, lets it go stale, then fails BREAKER_FAILURES (2) times through `asker`; the searches made. */
  async function openCircuitOverStaleAnswer(asker: (number: IncomingNumber) => Promise<unknown>): Promise<number> {
    await ask();
    now = POLICY.ttlMs;
    alpha.script = DOWN;
    for (const number of [phone('41790000001'), phone('41790000002')]) await expect(asker(number)).rejects.toThrow('CRM answered 503');
    return alpha.searches.length;
  }

  describe('cache', () => {
    it.each([
      ['a match, just before the TTL', [ANNA], 59_999, { kind: 'cached', verified: verifiedAs(ANNA) }],
      ['a match, at the TTL: asked, the answer kept as a stand-in', [ANNA], 60_000, { kind: 'live', stale: verifiedAs(ANNA) }],
      ['"no match", just before its shorter TTL', [], 29_999, { kind: 'cached', verified: [] }],
      ['"no match", at its TTL', [], 30_000, { kind: 'live', stale: [] }],
      ['a match past the stale limit: no stand-in left', [ANNA], 3_600_000, { kind: 'live', stale: undefined }],
    ])('%s', async (_, candidates, age, expected) => {
      alpha.script = { kind: 'answer', candidates };
      await ask();
      now = age;
      expect(await planOf()).toMatchObject(expected);
      expect(alpha.searches).toHaveLength(1);
    });

    it('counts hits and misses per source', async () => {
      await ask();
      await planOf();
      await planOf();
      expect(await samples(ctx.metrics, 'gateway_cache_events_total')).toEqual({ 'alpha|miss': 1, 'alpha|hit': 2 });
    });

    it('neither reads nor writes for a tenant with the cache off, nor for a source that answers from memory', async () => {
      const off = factory.tenant({ id: 'off', sources: [source], cache: { ...POLICY, ttlMs: 0 } });
      await ask(CALLER, off);
      expect(await planOf(CALLER, off)).toMatchObject({ kind: 'live', stale: undefined });
      const memory = new ScriptedSource('memory', { kind: 'answer', candidates: [{ ...ANNA, sourceId: 'memory' }] });
      Object.assign(memory, { cacheable: false });
      const book = factory.tenantSource({ source: memory });
      await ask(CALLER, tenant, book);
      expect(await planOf(CALLER, tenant, book)).toMatchObject({ kind: 'live', stale: undefined });
      expect(await samples(ctx.metrics, 'gateway_cache_events_total')).toEqual({});
    });

    it('keeps a partial answer out of the cache: it serves its asker, the next one asks again', async () => {
      const partly = new PartialSource('alpha', { kind: 'answer', candidates: [ANNA] });
      const partial = factory.tenantSource({ source: partly, settings: { ALPHA_ENABLED: 'on' } });
      expect(await ask(CALLER, tenant, partial)).toEqual(verifiedAs(ANNA));
      expect(await planOf(CALLER, tenant, partial)).toMatchObject({ kind: 'live', stale: undefined });
    });

    it('forgets the number for every source of the tenant when told a record was added', async () => {
      const beta = factory.tenantSource({ source: new ScriptedSource('beta', { kind: 'answer', candidates: [] }) });
      const both = factory.tenant({ sources: [source, beta], cache: POLICY });
      await ask(CALLER, both, source);
      await ask(CALLER, both, beta);
      await ask(SOMEONE_ELSE, both, source);
      await ctx.door.invalidate(both, CALLER);
      const plans = await Promise.all([planOf(CALLER, both, source), planOf(CALLER, both, beta), planOf(SOMEONE_ELSE, both, source)]);
      expect(plans.map((plan) => plan.kind)).toEqual(['live', 'live', 'cached']);
    });
  });

  describe('verification', () => {
    it('keeps only candidates whose own phones prove the number, whatever the source claimed', async () => {
      alpha.script = { kind: 'answer', candidates: [ANNA, OTHER] };
      expect(await ask()).toEqual(verifiedAs(ANNA));
    });

    it.each([
      ['+41 78 907 22 28', MatchStrength.Exact],
      ['078 907 22 28', MatchStrength.Exact],
      ['+41 78 907 22 28 ext. 12', MatchStrength.MainNumberOfExtension],
      ['+49 78 907 22 28', MatchStrength.None],
      ['+41 44 111 22 33', MatchStrength.None],
      ['', MatchStrength.None],
    ])('verifies a record storing %j against +41 78 907 22 28 with strength %s (0: dropped)', (stored, strength) => {
      const verified = verify([{ ...ANNA, phones: [stored] }], CALLER, tenant);
      expect(verified.map((v) => v.strength)).toEqual(strength === MatchStrength.None ? [] : [strength]);
    });
  });

  describe('circuit breaker', () => {
    it('skips a source whose circuit opened, with the last good answer as the stand-in, and does not ask it', async () => {
      const searches = await openCircuitOverStaleAnswer(ask);
      expect(await planOf()).toEqual({ kind: 'skipped', reason: 'circuit open', stale: verifiedAs(ANNA) });
      expect(alpha.searches).toHaveLength(searches);
      expect(ctx.logged.filter((line) => line.startsWith('warn'))).toEqual(['warn: Circuit of source alpha for tenant acme is now open after 2 failures in a row; skipped for 30 s']);
    });
  });

  describe('circuit breaker and our own budgets', () => {
    it("does not count a request the source's own budget kept back (nothing was sent) as a failure", async () => {
      alpha.script = { kind: 'throw', error: overBudget(5, 1000) };
      for (const number of [phone('41790000001'), phone('41790000002'), phone('41790000003')]) await expect(ask(number)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      expect(ctx.breakers.isOpen(tenant.id, 'alpha')).toBe(false);
      alpha.script = DOWN;
      for (const number of [phone('41790000004'), phone('41790000005')]) await expect(ask(number)).rejects.toThrow('503');
      expect(ctx.breakers.isOpen(tenant.id, 'alpha')).toBe(true);
    });
  });

  describe('budget', () => {
    beforeEach(() => {
      source = { ...source, maxRps: 1 };
    });

    it('skips a source over its requests per second, and asks it again the next second', async () => {
      await ask();
      expect(await planOf(SOMEONE_ELSE)).toEqual({ kind: 'skipped', reason: 'over budget', stale: undefined });
      now = 1000;
      // A shared budget counts on Redis's clock: its next second comes in real time.
      if (shared) await eventually(async () => (await planOf(SOMEONE_ELSE)).kind === 'live', 3000);
      else expect((await planOf(SOMEONE_ELSE)).kind).toBe('live');
    });

    it('lets a lookup join a query already running for the number without spending budget', async () => {
      alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 300 };
      const first = ask();
      await eventually(() => alpha.searches.length === 1);
      const joined = await planOf();
      expect(joined.kind).toBe('live');
      expect((await planOf(SOMEONE_ELSE)).kind).toBe('skipped');
      expect(await Promise.all([first, run(joined)])).toEqual([verifiedAs(ANNA), verifiedAs(ANNA)]);
    });
  });

  describe('quota (<PREFIX>_QUOTA_PER_DAY / _PER_MONTH)', () => {
    const THIRD = phone('41793334455');
    const QUOTA_REFUSAL = { code: 'RATE_LIMITED', vendorCode: QUOTA_USED, message: "today's share of the quota (2 searches) is used (ALPHA_QUOTA_PER_DAY, _PER_MONTH): not asked" };

    it("refuses a search over the day's share without sending it, naming it, and asks again the next day (in the tenant's time zone)", async () => {
      now = Date.parse('2026-12-06T10:00:00Z');
      source = { ...source, quota: { perDay: 2 } };
      tenant = { ...tenant, sources: [source], cache: { ...POLICY, ttlMs: 0 } };
      await ask(CALLER);
      await ask(SOMEONE_ELSE);
      await expect(ask(THIRD)).rejects.toMatchObject(QUOTA_REFUSAL);
      expect(alpha.searches).toHaveLength(2);
      await expect(ctx.door.findByNumber(tenant, source, THIRD, Date.now() + 1000)).rejects.toMatchObject(QUOTA_REFUSAL);
      // Not a failure of the source: its circuit stays closed.
      expect(ctx.breakers.isOpen(tenant.id, 'alpha')).toBe(false);
      now = Date.parse('2026-12-06T23:30:00Z'); // 00:30 on the 7th in Zurich
      await ask(THIRD);
      expect(alpha.searches).toHaveLength(3);
    });

    it('spends none for a lookup that joins a search already running, nor for a planned search never run (no time left)', async () => {
      now = Date.parse('2026-12-06T10:00:00Z');
      source = { ...source, quota: { perDay: 1 }, maxRps: 2 };
      tenant = { ...tenant, sources: [source], cache: { ...POLICY, ttlMs: 0 } };
      alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 100 };
      // Two lookups of the same number planned together (one call ringing two phones): one search, one unit.
      const [first, second] = [await planOf(), await planOf()];
      expect(await Promise.all([run(first), run(second)])).toEqual([verifiedAs(ANNA), verifiedAs(ANNA)]);
      expect(alpha.searches).toHaveLength(1);
      // Planned, then never run (the fan-out found no time left): nothing spent, so the refusal below is the quota's.
      now += 1000;
      await eventually(async () => (await planOf(SOMEONE_ELSE)).kind === 'live', 3000);
      await expect(ask(SOMEONE_ELSE)).rejects.toMatchObject({ vendorCode: QUOTA_USED });
      expect(alpha.searches).toHaveLength(1);
    });

    it('does not ask a source for a number it does not cover, spends nothing on it, and finds no duplicate there', async () => {
      source = { ...source, quota: { perDay: 1 } };
      Object.assign(alpha, { covers: (number: IncomingNumber) => number.kind === 'phone' && number.country === 'CH' });
      expect(await planOf(phone('+4930123456'))).toEqual({ kind: 'skipped', reason: 'not its numbers' });
      expect(await ctx.door.findByNumber(tenant, source, phone('+4930123456'), Date.now() + 1000)).toEqual([]);
      await ask();
      expect(alpha.searches).toHaveLength(1);
    });
  });

  describe('single-flight', () => {
    it('lets concurrent askers of one number share one query', async () => {
      alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 20 };
      const plans = await Promise.all([planOf(), planOf(), planOf()]);
      const answers = await Promise.all(plans.map(run));
      expect(answers).toEqual([verifiedAs(ANNA), verifiedAs(ANNA), verifiedAs(ANNA)]);
      expect(alpha.searches).toHaveLength(1);
    });

    it('never joins a query still running on settings a reload replaced, and lets it fill no cache', async () => {
      alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 20 };
      const old = ask();
      await eventually(() => alpha.searches.length === 1);
      const replaced = { ...source, settings: { ALPHA_ENABLED: 'on', ALPHA_NAME: 'Alpha, reloaded' } };
      const reloaded = { ...tenant, sources: [replaced] };
      ctx.tenants.change(tenant, reloaded);
      alpha.script = { kind: 'answer', candidates: [] };
      const fresh = ask(CALLER, reloaded, replaced);
      expect(await Promise.all([old, fresh])).toEqual([verifiedAs(ANNA), []]);
      expect(alpha.searches).toHaveLength(2);
      expect(await planOf(CALLER, reloaded, replaced)).toMatchObject({ kind: 'cached', verified: [] });
    });
  });

  describe('a tenant change', () => {
    /** Fills the cache, spends the budget and opens the circuit of `source` for `tenant`. */
    async function useUp(): Promise<void> {
      await ask();
      for (let i = 0; i < 2; i++) await ctx.breakers.for(tenant.id, 'alpha').execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
      expect(ctx.breakers.isOpen(tenant.id, 'alpha')).toBe(true);
    }

    it.each([
      ['other settings for the source', (t: Tenant, s: TenantSource) => ({ ...t, sources: [{ ...s, settings: { ALPHA_ENABLED: 'on', ALPHA_NAME: 'Other' } }] })],
      ['another budget', (t: Tenant, s: TenantSource) => ({ ...t, sources: [{ ...s, maxRps: 5 }] })],
      ['the source removed', (t: Tenant) => ({ ...t, sources: [] })],
      ['the tenant removed', () => undefined],
    ])("forgets the replaced source's answers, circuit and budget: %s", async (change, reload) => {
      // In Redis, answers are kept per settings: other replicas may still serve the same settings. Only
      // other settings make them unreachable; the others expire with their windows.
      const forgetsAnswers = !shared || change === 'other settings for the source';
      source = { ...source, maxRps: 1 };
      tenant = { ...tenant, sources: [source] };
      await useUp();
      const after = reload(tenant, source);
      ctx.tenants.change(tenant, after);
      const kept = after?.sources[0] ?? source;
      expect(ctx.breakers.isOpen(tenant.id, 'alpha')).toBe(false);
      const plan = await planOf(CALLER, after ?? tenant, kept);
      if (!shared) expect(plan).toMatchObject({ kind: 'live', stale: undefined });
      // The shared budget is the CRM's, for every replica: a reload on one does not reset it.
      else if (forgetsAnswers) expect(plan).toMatchObject({ kind: 'skipped', reason: 'over budget', stale: undefined });
      else expect(plan).toMatchObject({ kind: 'cached' });
    });

    it('keeps them for a source whose settings the reload left as they were', async () => {
      source = { ...source, maxRps: 1 };
      tenant = { ...tenant, sources: [source] };
      await useUp();
      ctx.tenants.change(tenant, { ...tenant, language: 'de' });
      expect(await planOf()).toMatchObject({ kind: 'cached' });
      expect(await planOf(SOMEONE_ELSE)).toMatchObject({ kind: 'skipped', reason: 'circuit open' });
    });
  });

  describe('findByNumber (a workflow asking through the door)', () => {
    const find = (number = CALLER, deadlineAt = Date.now() + 1000) => ctx.door.findByNumber(tenant, source, number, deadlineAt);

    it('answers with a fresh cached match without asking the source', async () => {
      await ask();
      alpha.script = DOWN;
      expect(await find()).toEqual(verifiedAs(ANNA));
      expect(alpha.searches).toHaveLength(1);
    });

    it('asks again when the cached answer is "no match", verifies the answer, and caches it for the next lookup', async () => {
      alpha.script = { kind: 'answer', candidates: [] };
      await ask();
      alpha.script = { kind: 'answer', candidates: [OTHER, ANNA] };
      expect(await find()).toEqual(verifiedAs(ANNA));
      expect(alpha.searches).toHaveLength(2);
      expect(await planOf()).toMatchObject({ kind: 'cached', verified: verifiedAs(ANNA) });
    });

    it('refuses with UNAVAILABLE (circuit open) without asking a source whose circuit is open, stale answer or not', async () => {
      const searches = await openCircuitOverStaleAnswer(find);
      await expect(find()).rejects.toMatchObject({ code: 'UNAVAILABLE', vendorCode: CIRCUIT_OPEN });
      expect(alpha.searches).toHaveLength(searches);
    });

    it('spends the budget lookups spend, and refuses with RATE_LIMITED naming <PREFIX>_MAX_RPS when it is spent', async () => {
      source = { ...source, maxRps: 1 };
      await find();
      expect(await planOf(SOMEONE_ELSE)).toMatchObject({ kind: 'skipped', reason: 'over budget' });
      await expect(find(SOMEONE_ELSE)).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('ALPHA_MAX_RPS') });
      expect(alpha.searches).toHaveLength(1);
    });

    it('gives up with TIMEOUT at its deadline, and tells the source to stop', async () => {
      alpha.script = { kind: 'hang' };
      await expect(find(CALLER, Date.now() + 20)).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(alpha.abortedSearches).toHaveLength(1);
    });

    it('joins a lookup already asking for the number', async () => {
      alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 20 };
      const lookup = ask();
      expect(await Promise.all([find(), lookup])).toEqual([verifiedAs(ANNA), verifiedAs(ANNA)]);
      expect(alpha.searches).toHaveLength(1);
    });
  });
});
