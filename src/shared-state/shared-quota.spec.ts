import { Logger } from '@nestjs/common';
import { eventually } from '../../test/support/eventually';
import { RedisServer } from '../../test/support/redis-server';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RedisConnection } from './redis-connection';
import { SharedQuota } from './shared-quota';

/** Two replicas counting one tenant's searches of one source: one quota over Redis, each its own while Redis is away. */
describe('SharedQuota (a real Redis)', () => {
  let server: RedisServer;
  const opened: RedisConnection[] = [];
  let now = Date.parse('2026-12-06T10:00:00Z');

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = await RedisServer.start();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await server.dispose();
  });

  async function replica(prefix: string): Promise<SharedQuota> {
    const settings = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
    const redis = new RedisConnection(settings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return new SharedQuota(redis, 'quota:acme:searchch', () => now);
  }

  it("spends one quota from two replicas, names what is used up, and keeps the counts under the tenant's day and month", async () => {
    const prefix = `quota-${Date.now()}:`;
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const limits = { perDay: 3, perMonth: 4 };
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push((await (i % 2 === 0 ? a : b).tryTake(limits, 'Europe/Zurich')).taken);
    expect(taken).toEqual([true, true, true, false]);
    expect(await b.tryTake(limits, 'Europe/Zurich')).toEqual({ taken: false, reason: "today's share of the quota (3 searches) is used" });
    now += 86_400_000;
    expect((await a.tryTake(limits, 'Europe/Zurich')).taken).toBe(true);
    expect(await b.tryTake(limits, 'Europe/Zurich')).toEqual({ taken: false, reason: "the month's quota of 4 searches is used" });
    const keys = await server.command(`KEYS ${prefix}*`);
    expect(keys).toContain(`${prefix}quota:acme:searchch:day:2026-12-06`);
    expect(keys).toContain(`${prefix}quota:acme:searchch:month:2026-12`);
    expect(await server.command(`GET ${prefix}quota:acme:searchch:month:2026-12`)).toContain('4');
  });

  it("spreads the month's rest over its days left, as the memory count does", async () => {
    const quota = await replica(`quota-spread-${Date.now()}:`);
    now = Date.parse('2026-12-29T10:00:00Z'); // 3 days left: ceil(10 / 3) = 4 today
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push((await quota.tryTake({ perMonth: 10 }, 'Europe/Zurich')).taken);
    expect(taken).toEqual([true, true, true, true, false]);
    now = Date.parse('2026-12-30T10:00:00Z'); // 6 left over 2 days: 3 today
    taken.length = 0;
    for (let i = 0; i < 4; i++) taken.push((await quota.tryTake({ perMonth: 10 }, 'Europe/Zurich')).taken);
    expect(taken).toEqual([true, true, true, false]);
  });

  it("counts on its own while Redis is down, and Redis's count again once it is back", async () => {
    const prefix = `quota-down-${Date.now()}:`;
    const quota = await replica(prefix);
    now = Date.parse('2026-12-10T10:00:00Z');
    expect((await quota.tryTake({ perDay: 2 }, 'UTC')).taken).toBe(true);
    await server.stop();
    try {
      // Redis away: this replica's own memory count, which has seen none today.
      expect((await quota.tryTake({ perDay: 2 }, 'UTC')).taken).toBe(true);
      expect((await quota.tryTake({ perDay: 2 }, 'UTC')).taken).toBe(true);
      expect((await quota.tryTake({ perDay: 2 }, 'UTC')).taken).toBe(false);
    } finally {
      await server.start();
    }
    // Back, empty (it kept nothing on disk): the next search is counted there again, from 0.
    const key = `${prefix}quota:acme:searchch:day:2026-12-10`;
    await eventually(async () => (await quota.tryTake({ perDay: 2 }, 'UTC')).taken && /^\$1\r\n1\r\n$/.test(await server.command(`GET ${key}`)));
  });
});
