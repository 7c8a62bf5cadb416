import { Logger } from '@nestjs/common';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RedisConnection } from '../shared-state/redis-connection';
import { eventually } from '../../test/support/eventually';
import { RedisServer } from '../../test/support/redis-server';
import { FirstRequests } from './first-requests';
import { RepeatGuard } from './idempotency';

const KEY = RepeatGuard.keyOf(['acme', 'callflow', 'incoming', '41789072228', '41446681800', '2026-11-24T09:15:00.000Z']);

/** A write the test finishes or fails when it chooses. */
function pendingWrite(): { work: jest.Mock<Promise<string>, []>; finish: (id: string) => void; fail: (error: Error) => void } {
  let finish: (id: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const work = jest.fn(
    () =>
      new Promise<string>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
  );
  return { work, finish: (id) => finish(id), fail: (error) => fail(error) };
}

describe('FirstRequests (a first workflow request, once over all replicas)', () => {
  let server: RedisServer;
  const connections: RedisConnection[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await server.start();
    await server.command('FLUSHALL');
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(connections.splice(0).map((c) => c.onApplicationShutdown()));
  });

  /** One replica's guard; `url` undefined: no REDIS_URL. */
  async function replica(options: { waitMs?: number; claimMs?: number; url?: string | null } = {}): Promise<FirstRequests<string>> {
    const url = options.url === null ? undefined : (options.url ?? server.url);
    const redis = new RedisConnection({ REDIS_URL: url, REDIS_KEY_PREFIX: 'spec:', REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings, new GatewayMetrics());
    connections.push(redis);
    await redis.onModuleInit();
    return new FirstRequests<string>(redis, { waitMs: options.waitMs ?? 5000, claimMs: options.claimMs });
  }

  it('writes the same first request sent to two replicas at once once; both answer with its id', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const onA = pendingWrite();
    const onB = jest.fn(async () => 'second-write');
    const repeated = jest.fn();
    const first = a.run('acme', KEY, onA.work, repeated);
    await eventually(() => onA.work.mock.calls.length === 1);
    const second = b.run('acme', KEY, onB, repeated);
    onA.finish('task-1');
    expect(await Promise.all([first, second])).toEqual(['task-1', 'task-1']);
    expect(onB).not.toHaveBeenCalled();
    expect(repeated).toHaveBeenCalledTimes(1);
  });

  it("answers a later repeat on another replica with the first answer, after the first's replica is gone", async () => {
    const a = await replica();
    expect(await a.run('acme', KEY, async () => 'task-1', jest.fn())).toBe('task-1');
    await connections[0]!.onApplicationShutdown();
    const b = await replica();
    const write = jest.fn(async () => 'second-write');
    expect(await b.run('acme', KEY, write, jest.fn())).toBe('task-1');
    expect(write).not.toHaveBeenCalled();
  });

  it('lets the retry of a failed first request write (the claim is given up)', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    await expect(a.run('acme', KEY, () => Promise.reject(new Error('CRM answered 503')), jest.fn())).rejects.toThrow('503');
    expect(await b.run('acme', KEY, async () => 'task-2', jest.fn())).toBe('task-2');
  });

  it('keeps the claim while a long write goes on, and lets it expire when its replica died', async () => {
    const [a, b] = await Promise.all([replica({ claimMs: 300 }), replica({ claimMs: 300, waitMs: 10_000 })]);
    const slow = pendingWrite();
    void a.run('acme', KEY, slow.work, jest.fn());
    await eventually(() => slow.work.mock.calls.length === 1);
    const onB = jest.fn(async () => 'written-by-b');
    const waiting = b.run('acme', KEY, onB, jest.fn());
    // Renewed past several claim lengths: b still waits and has not written.
    const claim = `spec:first-request:acme:${KEY}`;
    let renewals = 0;
    let ttlBefore = Number.POSITIVE_INFINITY;
    await eventually(async () => {
      const ttl = Number((await server.command(`PTTL ${claim}`)).slice(1));
      if (ttl > ttlBefore) renewals++;
      ttlBefore = ttl;
      return renewals >= 3;
    });
    expect(onB).not.toHaveBeenCalled();
    // The writer dies: nothing renews its claim any more.
    await connections[0]!.onApplicationShutdown();
    expect(await waiting).toBe('written-by-b');
    expect(onB).toHaveBeenCalledTimes(1);
    slow.finish('too-late');
  });

  it('gives up waiting at its limit with TIMEOUT, and the retry gets the answer once written', async () => {
    const [a, b] = await Promise.all([replica(), replica({ waitMs: 100 })]);
    const slow = pendingWrite();
    const first = a.run('acme', KEY, slow.work, jest.fn());
    await eventually(() => slow.work.mock.calls.length === 1);
    const write = jest.fn(async () => 'second-write');
    await expect(b.run('acme', KEY, write, jest.fn())).rejects.toMatchObject({ code: 'TIMEOUT' });
    slow.finish('task-1');
    await first;
    expect(await b.run('acme', KEY, write, jest.fn())).toBe('task-1');
    expect(write).not.toHaveBeenCalled();
  });

  it("keeps one tenant's calls apart from another's", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    await a.run('acme', KEY, async () => 'acme-task', jest.fn());
    expect(await b.run('globex', KEY, async () => 'globex-task', jest.fn())).toBe('globex-task');
  });

  it('guards with its own memory when Redis is down: a repeat on the same replica writes nothing', async () => {
    const a = await replica();
    await server.stop();
    await eventually(() => !connections[0]!.up);
    const write = jest.fn(async () => 'task-1');
    const repeated = jest.fn();
    expect(await a.run('acme', KEY, write, repeated)).toBe('task-1');
    expect(await a.run('acme', KEY, write, repeated)).toBe('task-1');
    expect(write).toHaveBeenCalledTimes(1);
    expect(repeated).toHaveBeenCalledTimes(1);
  });

  it('without REDIS_URL guards as a single instance does', async () => {
    const a = await replica({ url: null });
    const write = jest.fn(async () => 'task-1');
    await a.run('acme', KEY, write, jest.fn());
    await a.run('acme', KEY, write, jest.fn());
    expect(write).toHaveBeenCalledTimes(1);
    expect(await server.command('DBSIZE')).toBe(':0\r\n');
  });

  it('keeps an answer no longer than the repeat window', async () => {
    const a = await replica();
    await a.run('acme', KEY, async () => 'task-1', jest.fn());
    const ttl = Number((await server.command(`PTTL spec:first-request:acme:${KEY}`)).slice(1));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * 60 * 1000);
  });
});
