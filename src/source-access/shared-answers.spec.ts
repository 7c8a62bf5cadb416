import { Redis } from 'ioredis';
import { openDoor, type Door } from '../../test/support/door';
import { eventually } from '../../test/support/eventually';
import { factory } from '../../test/support/factory';
import { RedisServer } from '../../test/support/redis-server';
import { ScriptedSource } from '../../test/support/scripted-source';
import { MatchStrength, normalizeIncoming, type IncomingNumber } from '../phone';
import type { Tenant } from '../tenants/tenant';
import type { SourcePlan } from './source-access';

const ANNA = factory.candidate({ sourceId: 'alpha', recordId: 'anna', phones: ['+41 78 907 22 28'], modifiedAt: new Date('2026-11-30T10:00:00Z'), customData: { segment: 'A' } });
const POLICY = { ttlMs: 60_000, missTtlMs: 30_000, staleMs: 3_600_000 };

function phone(raw: string): IncomingNumber {
  const number = normalizeIncoming(raw, 'CH');
  if (!number) throw new Error(`not a number: ${raw}`);
  return number;
}
const CALLER = phone('+41789072228');
const NEWCOMER = phone('+41791112233');

/** One replica: its own door and its own copy of the tenant (as read from the same file), sharing the Redis. */
interface Replica {
  readonly ctx: Door;
  readonly alpha: ScriptedSource;
  readonly tenant: Tenant;
}

describe('Replicas sharing a Redis through the door', () => {
  let server: RedisServer;
  /** The test's own look into Redis. */
  let inspect: Redis;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    server = await RedisServer.start();
    inspect = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    inspect.disconnect();
    await server.stop();
  });

  /** Both replicas' clock: real time plus what a test skips ahead. */
  let skipped = 0;
  const now = (): number => Date.now() + skipped;

  async function replica(maxRps?: number): Promise<Replica> {
    const ctx = openDoor({ env: { REDIS_URL: server.url, REDIS_TIMEOUT_MS: '50' }, now });
    await ctx.redis.onModuleInit();
    const alpha = new ScriptedSource('alpha', { kind: 'answer', candidates: [ANNA] });
    const source = factory.tenantSource({ source: alpha, settings: { ALPHA_ENABLED: 'on' }, maxRps });
    const tenant = factory.tenant({ sources: [source], sourceOrder: ['alpha'], cache: POLICY });
    ctx.tenants.change(undefined, tenant);
    return { ctx, alpha, tenant };
  }

  beforeEach(async () => {
    skipped = 0;
    await server.start();
    await server.command('FLUSHALL');
    [a, b] = await Promise.all([replica(), replica()]);
  });
  afterEach(async () => {
    await Promise.all([a.ctx.redis.onApplicationShutdown(), b.ctx.redis.onApplicationShutdown()]);
  });

  const planOn = (r: Replica, number = CALLER): Promise<SourcePlan> => r.ctx.door.plan(r.tenant, r.tenant.sources[0]!, number);
  const askOn = async (r: Replica, number = CALLER): Promise<unknown> => {
    const plan = await planOn(r, number);
    if (plan.kind !== 'live') throw new Error(`expected a live plan, got ${plan.kind}`);
    const answer = await plan.run(new AbortController().signal, Date.now() + 1000);
    await eventually(async () => (await inspect.dbsize()) > 0); // written after the answer, not awaited by the lookup
    return answer;
  };

  it('answers a number asked on one replica from the cache on the other: same card, no second search', async () => {
    await askOn(a);
    const plan = await planOn(b);
    const { phones: _kept, ...card } = ANNA;
    expect(plan).toEqual({ kind: 'cached', verified: [{ candidate: { ...card, phones: [] }, strength: MatchStrength.Exact }] });
    expect(b.alpha.searches).toHaveLength(0);
  });

  it('shares "no match" as well', async () => {
    a.alpha.script = { kind: 'answer', candidates: [] };
    await askOn(a);
    expect(await planOn(b)).toEqual({ kind: 'cached', verified: [] });
  });

  it("lets one replica's CreateContact invalidation reach the other, whose own copy then only stands in", async () => {
    await askOn(a);
    await b.ctx.door.invalidate(b.tenant, CALLER);
    expect(await planOn(a)).toMatchObject({ kind: 'live', stale: [{ candidate: ANNA }] });
  });

  it('keeps no phone number in a key, and gives every key an expiry within the stale window', async () => {
    await askOn(a);
    const keys = await inspect.keys('*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^connector-gateway:answer:acme:[\w-]{43}$/);
    expect(keys[0]).not.toMatch(/789|2228/);
    const ttl = await inspect.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(POLICY.staleMs);
    expect(await inspect.get(keys[0]!)).not.toContain('907 22 28');
  });

  it('spends one <PREFIX>_MAX_RPS budget over both replicas', async () => {
    await Promise.all([a.ctx.redis.onApplicationShutdown(), b.ctx.redis.onApplicationShutdown()]);
    [a, b] = await Promise.all([replica(2), replica(2)]);
    const kinds = [];
    for (const [r, n] of [[a, '+41790000001'], [b, '+41790000002'], [a, '+41790000003'], [b, '+41790000004']] as const) kinds.push((await planOn(r, phone(n))).kind);
    expect(kinds.filter((kind) => kind === 'live')).toHaveLength(2);
    expect(kinds.slice(2)).toEqual(['skipped', 'skipped']);
  });

  it('answers from its own memory while Redis is down, and shares again once it is back', async () => {
    await askOn(a);
    await server.stop();
    await eventually(() => !a.ctx.redis.up && !b.ctx.redis.up);
    expect(await planOn(a)).toMatchObject({ kind: 'cached' });
    expect(await planOn(b)).toMatchObject({ kind: 'live' });
    await server.start();
    await eventually(() => a.ctx.redis.up && b.ctx.redis.up);
    await askOn(b, NEWCOMER);
    expect(await planOn(a, NEWCOMER)).toMatchObject({ kind: 'cached' });
    expect(a.alpha.searches).toHaveLength(1);
  });

  it("ages its own copy of another replica's answer from when that replica got it, not from when it was copied", async () => {
    await askOn(a);
    skipped = POLICY.ttlMs - 10_000;
    expect(await planOn(b)).toMatchObject({ kind: 'cached' }); // copied into b's memory, 50 s old
    await server.stop();
    await eventually(() => !b.ctx.redis.up);
    skipped = POLICY.ttlMs + 10_000;
    expect(await planOn(b)).toMatchObject({ kind: 'live', stale: [{ candidate: { recordId: 'anna' } }] });
  });

  it('does not wait for a Redis that accepts but never answers: its own memory answers', async () => {
    await askOn(a);
    server.pause();
    try {
      expect(await planOn(a)).toMatchObject({ kind: 'cached' });
      expect(await planOn(b, NEWCOMER)).toMatchObject({ kind: 'live' });
    } finally {
      server.resume();
    }
  });
});
