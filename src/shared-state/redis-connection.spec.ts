import { Logger } from '@nestjs/common';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { eventually } from '../../test/support/eventually';
import { RedisServer } from '../../test/support/redis-server';
import { REDIS_UNAVAILABLE, RedisConnection } from './redis-connection';
import { SharedRateBudget } from './shared-rate-budget';

function settings(url: string | undefined, prefix = 'spec:'): ResolvedGlobalSettings {
  return { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
}

async function gauge(metrics: GatewayMetrics): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric('gateway_redis_up')?.get();
  return metric?.values[0]?.value;
}

describe('RedisConnection', () => {
  let server: RedisServer;
  const opened: RedisConnection[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    logs.length = 0;
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logs.push(`log ${String(message)}`));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logs.push(`error ${String(message)}`));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(opened.splice(0).map((c) => c.onApplicationShutdown()));
    await server.start(); // after a test that stopped it
  });

  async function connect(url: string | undefined, prefix?: string): Promise<{ redis: RedisConnection; metrics: GatewayMetrics }> {
    const metrics = new GatewayMetrics();
    const redis = new RedisConnection(settings(url, prefix), metrics);
    opened.push(redis);
    await redis.onModuleInit();
    return { redis, metrics };
  }

  it('without REDIS_URL sends nothing and answers unavailable at once', async () => {
    const { redis, metrics } = await connect(undefined);
    expect(redis.configured).toBe(false);
    expect(await redis.attempt(async () => 'never')).toBe(REDIS_UNAVAILABLE);
    expect(await gauge(metrics)).toBeUndefined();
  });

  it('connects at start, puts keys under the prefix and reports itself up', async () => {
    const { redis, metrics } = await connect(server.url, 'gw-a:');
    expect(redis.up).toBe(true);
    expect(redis.key('cache', 't1')).toBe('gw-a:cache:t1');
    expect(await redis.attempt((client) => client.set(redis.key('k'), 'v'))).toBe('OK');
    expect(await redis.attempt((client) => client.get('gw-a:k'))).toBe('v');
    expect(await gauge(metrics)).toBe(1);
    expect(logs.filter((l) => l.startsWith('log Connected to Redis (127.0.0.1:'))).toHaveLength(1);
  });

  it('logs once when Redis goes down and once when it is back; attempts fall back meanwhile; the URL password never shows', async () => {
    const { redis, metrics } = await connect(`redis://:not-a-real-secret@127.0.0.1:${server.port}`);
    // The server has no password: Redis accepts AUTH with any password then only when one is set, so set it.
    await redis.attempt((client) => client.ping());
    await server.stop();
    await eventually(async () => (await gauge(metrics)) === 0);
    expect(await redis.attempt((client) => client.get('x'))).toBe(REDIS_UNAVAILABLE);
    await server.start();
    await eventually(() => redis.up, 10_000);
    expect(await redis.attempt((client) => client.ping())).toBe('PONG');
    expect(await gauge(metrics)).toBe(1);
    expect(logs.filter((l) => l.startsWith('error Redis is down (127.0.0.1:'))).toHaveLength(1);
    expect(logs.filter((l) => l.startsWith('log Redis is back'))).toHaveLength(1);
    expect(logs.join('\n')).not.toContain('not-a-real-secret');
  });

  it('a Redis that stops answering costs each attempt its wait, then is paused once its commands have failed', async () => {
    const { redis } = await connect(server.url);
    server.pause();
    try {
      const waits = await Promise.all([0, 1, 2].map(() => redis.attempt((client) => client.get('x'))));
      expect(waits).toEqual([REDIS_UNAVAILABLE, REDIS_UNAVAILABLE, REDIS_UNAVAILABLE]);
      // The three commands give up after a second without a reply: Redis is then paused, and reported down once.
      await eventually(() => !redis.up, 5000);
      const started = Date.now();
      expect(await redis.attempt((client) => client.get('x'), 10_000)).toBe(REDIS_UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(logs.filter((l) => l.startsWith('error Redis is down'))).toHaveLength(1);
    } finally {
      server.resume();
    }
    await eventually(async () => (await redis.attempt((client) => client.ping())) === 'PONG', 10_000);
  });

  it('counts a reply that comes after the caller stopped waiting as no failure: Redis stays up', async () => {
    const { redis } = await connect(server.url);
    const late = await Promise.all([0, 1, 2, 3].map(() => redis.attempt((client) => client.eval('local t = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - t[1]) * 1000000 + n[2] - t[2] > 80000 then return 1 end end', 0), 10)));
    expect(late).toEqual(Array(4).fill(REDIS_UNAVAILABLE));
    expect(await redis.attempt((client) => client.ping(), 1000)).toBe('PONG');
    expect(redis.up).toBe(true);
  });

  it('takes a reply that arrived while this process was blocked past the wait: its late timer is no slow Redis', async () => {
    const { redis } = await connect(server.url);
    await redis.attempt((client) => client.set(redis.key('blocked'), 'v'));
    const answer = await new Promise((resolve) => {
      setImmediate(() => {
        const attempt = redis.attempt((client) => client.get(redis.key('blocked')), 20);
        // Queued after the command's own write (auto-pipelining writes in the next check phase).
        setImmediate(() => {
          const until = Date.now() + 100;
          while (Date.now() < until); // blocked, as by a burst: the reply waits in the socket, the timer expires
          resolve(attempt);
        });
      });
    });
    expect(answer).toBe('v');
  });

  it('starts without Redis (it is an accelerator) and connects when Redis comes', async () => {
    await server.stop();
    const { redis, metrics } = await connect(server.url);
    expect(redis.up).toBe(false);
    expect(await gauge(metrics)).toBe(0);
    await server.start();
    await eventually(() => redis.up, 10_000);
    expect(await redis.attempt((client) => client.ping())).toBe('PONG');
  });
});

describe('SharedRateBudget', () => {
  let server: RedisServer;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await server.stop();
    jest.restoreAllMocks();
  });

  async function replica(): Promise<RedisConnection> {
    const redis = new RedisConnection(settings(server.url), new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return redis;
  }

  it('is one budget for every replica: 5 per second over two, the sixth refused', async () => {
    const [a, b] = [await replica(), await replica()];
    const key = `budget:t-${Date.now()}`;
    const budgets = [new SharedRateBudget(a, key, 5), new SharedRateBudget(b, key, 5)];
    const taken = await Promise.all(Array.from({ length: 8 }, (_, i) => budgets[i % 2]!.tryTake()));
    expect(taken.filter(Boolean)).toHaveLength(5);
  });

  it('waits for a slot that comes before the deadline, on Redis clock, and refuses one that does not', async () => {
    const redis = await replica();
    const budget = new SharedRateBudget(redis, `budget:w-${Date.now()}`, 2, 300);
    await budget.acquire(Date.now());
    await budget.acquire(Date.now());
    const started = Date.now();
    await budget.acquire(Date.now() + 1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    // The first two slots leave the window within a few ms of the third's (Redis counts whole ms).
    await budget.acquire(Date.now() + 50);
    await expect(budget.acquire(Date.now() + 10)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('keeps every key with a time to live', async () => {
    const redis = await replica();
    const key = `budget:ttl-${Date.now()}`;
    await new SharedRateBudget(redis, key, 3).tryTake();
    const ttl = await redis.attempt((client) => client.pttl(redis.key(key)));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('falls back to the replica own budget while Redis is down', async () => {
    const redis = await replica();
    const budget = new SharedRateBudget(redis, `budget:down-${Date.now()}`, 3);
    await server.stop();
    await eventually(() => !redis.up);
    const taken = await Promise.all(Array.from({ length: 5 }, () => budget.tryTake()));
    expect(taken.filter(Boolean)).toHaveLength(3);
    await server.start();
    await eventually(() => redis.up, 10_000);
  });
});
