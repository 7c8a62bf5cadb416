import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
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

  it('lets the gateway connect and use every shared store: budget script, sign-in lock and tokens, claims', async () => {
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
  });

  it('keeps the gateway out of keys outside its prefix and from dangerous commands', async () => {
    const redis = await connectAsAdvised();
    expect(await redis.attempt((client) => client.set('someone-else:key', 'x'))).toBe(REDIS_UNAVAILABLE);
    expect(await redis.attempt((client) => client.flushall())).toBe(REDIS_UNAVAILABLE);
    expect(await redis.attempt((client) => client.get(redis.key('still-allowed')))).toBeNull();
  });
});
