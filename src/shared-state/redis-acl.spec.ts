import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RedisOutbox } from '../outbox/redis-outbox';
import { RedisServer } from '../../test/support/redis-server';
import { REDIS_UNAVAILABLE, RedisConnection, RELEASE_IF_OWNED } from './redis-connection';
import { SharedRateBudget } from './shared-rate-budget';
import { SharedSignIn } from './shared-sign-in';

/** The ACL user the README advises for production, read from the README itself so the advice stays true. */
function advisedAcl(): { command: string[]; user: string; password: string } {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const line = /`(ACL SETUSER [^`]+)`/.exec(readme)?.[1];
  if (!line) throw new Error('the README no longer shows an `ACL SETUSER …` line');
  const command = line.split(/\s+/);
  const password = command.find((part) => part.startsWith('>'))?.slice(1);
  if (!password) throw new Error(`no password (>…) in the README's ACL line: ${line}`);
  return { command: command.slice(1), user: command[2]!, password };
}

describe("The README's ACL user for Redis", () => {
  let server: RedisServer;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    const { command } = advisedAcl();
    expect(await server.command(['ACL', ...command].join(' '))).toMatch(/^\+OK/);
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await server.stop();
  });

  async function connectAsAdvised(): Promise<RedisConnection> {
    const { user, password } = advisedAcl();
    const url = `redis://${user}:${password}@127.0.0.1:${server.port}`;
    const settings = { REDIS_URL: url, REDIS_KEY_PREFIX: 'connector-gateway:', REDIS_TIMEOUT_MS: 200 } as ResolvedGlobalSettings;
    const redis = new RedisConnection(settings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return redis;
  }

  it('lets the gateway connect and use every shared store: budget script, sign-in lock and tokens, claims, the outbox', async () => {
    const [a, b] = await Promise.all([connectAsAdvised(), connectAsAdvised()]);
    expect(a.up && b.up).toBe(true);

    const budgets = [new SharedRateBudget(a, 'budget:acl', 1, 60_000), new SharedRateBudget(b, 'budget:acl', 1, 60_000)];
    expect([await budgets[0]!.tryTake(), await budgets[1]!.tryTake()]).toEqual([true, false]);

    const options = { key: 'sugar-session:acl', parse: (stored: unknown) => stored as string, same: (x: string, y: string) => x === y };
    const signedIn = await new SharedSignIn<string>(a, options).renew(undefined, async () => ({ value: 'token-1', keepMs: 60_000 }));
    expect(signedIn).toBe('token-1');
    expect(await new SharedSignIn<string>(b, options).read()).toBe('token-1');

    const claim = a.key('first-request', 'acl', 'call-1');
    expect(await a.attempt((client) => client.set(claim, 'writer-a', 'PX', 5000, 'NX'))).toBe('OK');
    expect(await b.attempt((client) => client.set(claim, 'writer-b', 'PX', 5000, 'NX'))).toBeNull();
    expect(await a.attempt((client) => RELEASE_IF_OWNED.run(client, [claim], ['writer-a']))).toBe(1);

    const [outboxA, outboxB] = [new RedisOutbox(a), new RedisOutbox(b)];
    await outboxA.add({ id: 'acl-1', tenantId: 'acme', sourceId: 'salesforce', workflow: 'callFlow', callKey: 'acl-1', payload: '{}', nextAttemptAt: 1000 }, 1000);
    expect(await outboxB.merge('acl-1', '{"ended":true}', 1001)).toMatchObject({ version: 2 });
    expect((await outboxB.claimDue(2000, 30_000, 5)).map((delivery) => delivery.id)).toEqual(['acl-1']);
    expect(await outboxB.delivered('acl-1', 2, '{}', 2001)).toBe(true);
    expect(await outboxA.list('delivered', 5)).toMatchObject([{ id: 'acl-1' }]);
    expect(await outboxA.counts()).toEqual([]);
    expect(await outboxA.prune(3000, 3000)).toBe(1);
    // What the gateway reads at start to warn about a Redis that would lose or evict the outbox.
    expect(await a.attempt((client) => client.info('persistence'))).toMatch(/aof_enabled:/);
  });

  it('keeps the gateway out of keys outside its prefix and from dangerous commands', async () => {
    const redis = await connectAsAdvised();
    expect(await redis.attempt((client) => client.set('someone-else:key', 'x'))).toBe(REDIS_UNAVAILABLE);
    expect(await redis.attempt((client) => client.flushall())).toBe(REDIS_UNAVAILABLE);
    expect(await redis.attempt((client) => client.get(redis.key('still-allowed')))).toBeNull();
  });
});
