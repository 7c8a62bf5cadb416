import { Logger } from '@nestjs/common';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { eventually } from '../../test/support/eventually';
import { RedisServer } from '../../test/support/redis-server';
import { REDIS_UNAVAILABLE, RedisConnection } from './redis-connection';
import { SharedSignIn, type SignedIn } from './shared-sign-in';

interface Session {
  readonly token: string;
}

describe('SharedSignIn', () => {
  let server: RedisServer;
  let key: string;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = await RedisServer.start();
  });
  beforeEach(() => (key = `session:${Date.now()}`));
  afterEach(() => server.start()); // after a test that stopped it
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await server.stop();
    jest.restoreAllMocks();
  });

  async function replica(lockMs = 10_000): Promise<{ redis: RedisConnection; signIn: SharedSignIn<Session> }> {
    const redis = new RedisConnection({ REDIS_URL: server.url, REDIS_KEY_PREFIX: 'spec:', REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    const parse = (stored: unknown): Session | undefined => (typeof (stored as Session | null)?.token === 'string' ? (stored as Session) : undefined);
    return { redis, signIn: new SharedSignIn<Session>(redis, { key, parse, same: (a, b) => a.token === b.token, lockMs }) };
  }

  /** A sign-in that answers `token` when `finish` is called (or fails when `fail` is). */
  function pendingSignIn(token: string) {
    const calls: Array<Session | undefined> = [];
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const done = new Promise<SignedIn<Session>>((resolve, reject) => {
      finish = () => resolve({ value: { token }, keepMs: 60_000 });
      fail = reject;
    });
    const run = (latest: Session | undefined): Promise<SignedIn<Session>> => {
      calls.push(latest);
      return done;
    };
    return { run, calls, finish: () => finish(), fail: (error: Error) => fail(error) };
  }

  it('signs in once for concurrent renewals on two replicas; the others get what it stored', async () => {
    const [a, b] = [await replica(), await replica()];
    const signIn = pendingSignIn('t1');
    const renewals = [a, b, a, b].map(({ signIn: shared }) => shared.renew(undefined, signIn.run));
    await eventually(() => signIn.calls.length > 0);
    signIn.finish();
    expect(await Promise.all(renewals)).toEqual(Array(4).fill({ token: 't1' }));
    expect(signIn.calls).toEqual([undefined]);
    expect(await b.signIn.read()).toEqual({ token: 't1' });
  });

  it('answers the stored sign-in when it already replaced the stale one, and renews from it when it is the stale one', async () => {
    const { signIn: shared } = await replica();
    await shared.renew(undefined, async () => ({ value: { token: 't1' }, keepMs: 60_000 }));
    const never = jest.fn<Promise<SignedIn<Session>>, [Session | undefined]>();
    expect(await shared.renew({ token: 't0' }, never)).toEqual({ token: 't1' });
    expect(never).not.toHaveBeenCalled();
    const refresh = jest.fn(async (latest: Session | undefined) => ({ value: { token: `${latest?.token}+` }, keepMs: 60_000 }));
    expect(await shared.renew({ token: 't1' }, refresh)).toEqual({ token: 't1+' });
    expect(refresh).toHaveBeenCalledWith({ token: 't1' }, expect.any(Number));
  });

  it('keeps what it stored for the time the sign-in said', async () => {
    const { redis, signIn: shared } = await replica();
    await shared.renew(undefined, async () => ({ value: { token: 't1' }, keepMs: 90_000 }));
    const ttl = await redis.attempt((client) => client.pttl(redis.key(key)));
    expect(ttl).toBeGreaterThan(80_000);
    expect(ttl).toBeLessThanOrEqual(90_000);
    expect(await redis.attempt((client) => client.exists(redis.key(key, 'lock')))).toBe(0);
  });

  it('lets a waiting replica sign in itself at once when the holder fails (its lock released)', async () => {
    const [a, b] = [await replica(), await replica()];
    const failing = pendingSignIn('never');
    const first = a.signIn.renew(undefined, failing.run);
    await eventually(() => failing.calls.length > 0);
    const second = b.signIn.renew(undefined, async () => ({ value: { token: 't2' }, keepMs: 60_000 }));
    const started = Date.now();
    failing.fail(new Error('Sugar refused'));
    await expect(first).rejects.toThrow('Sugar refused');
    expect(await second).toEqual({ token: 't2' });
    expect(Date.now() - started).toBeLessThan(2000); // not the lock's 10 s
  });

  it("waits for another replica's sign-in no longer than the caller's deadline", async () => {
    const [a, b] = [await replica(), await replica()];
    const hanging = pendingSignIn('late');
    const first = a.signIn.renew(undefined, hanging.run);
    await eventually(() => hanging.calls.length > 0);
    const never = jest.fn<Promise<SignedIn<Session>>, [Session | undefined]>();
    await expect(b.signIn.renew(undefined, never, Date.now() + 200)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(never).not.toHaveBeenCalled();
    hanging.finish();
    expect(await first).toEqual({ token: 'late' });
  });

  it('takes over a lock left by a replica that died once it expires', async () => {
    const { redis, signIn: shared } = await replica(400);
    expect(await redis.attempt((client) => client.set(redis.key(key, 'lock'), 'dead-replica', 'PX', 400))).toBe('OK');
    const started = Date.now();
    expect(await shared.renew(undefined, async () => ({ value: { token: 't3' }, keepMs: 60_000 }))).toEqual({ token: 't3' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('neither stores nor releases once its lock expired and went to another replica', async () => {
    const [a, b] = [await replica(200), await replica(200)];
    const slow = pendingSignIn('late');
    const first = a.signIn.renew(undefined, slow.run);
    await eventually(() => slow.calls.length > 0);
    const taken = pendingSignIn('taken-over');
    const second = b.signIn.renew(undefined, taken.run);
    await eventually(() => taken.calls.length > 0);
    slow.finish();
    expect(await first).toEqual({ token: 'late' });
    expect(await a.signIn.read()).toBeUndefined();
    expect(await a.redis.attempt((client) => client.exists(a.redis.key(key, 'lock')))).toBe(1);
    taken.finish();
    expect(await second).toEqual({ token: 'taken-over' });
    expect(await a.signIn.read()).toEqual({ token: 'taken-over' });
  });

  it('answers unavailable when Redis is down: the caller signs in on its own', async () => {
    const { redis, signIn: shared } = await replica();
    await server.stop();
    await eventually(() => !redis.up);
    const signIn = jest.fn<Promise<SignedIn<Session>>, [Session | undefined]>();
    expect(await shared.read()).toBe(REDIS_UNAVAILABLE);
    expect(await shared.renew(undefined, signIn)).toBe(REDIS_UNAVAILABLE);
    expect(signIn).not.toHaveBeenCalled();
  });
});
