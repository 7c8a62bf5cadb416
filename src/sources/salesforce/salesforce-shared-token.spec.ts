import { Logger } from '@nestjs/common';
import { FakeSalesforce } from '../../../test/fakes/salesforce/fake-salesforce';
import { eventually } from '../../../test/support/eventually';
import { RedisServer } from '../../../test/support/redis-server';
import type { ResolvedGlobalSettings } from '../../config/global-settings';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { REDIS_UNAVAILABLE, RedisConnection } from '../../shared-state/redis-connection';
import { SalesforceClient, SHARED_TOKEN_KEEP_MS } from './salesforce.client';
import type { SalesforceAuth } from './salesforce.settings';

interface Replica {
  readonly client: SalesforceClient;
  readonly redis: RedisConnection;
}

/**
 * Replicas (and restarts) of the gateway with one tenant's Salesforce: the token is obtained once and
 * kept in Redis, so a second replica or the next start does not sign in again.
 */
describe('SalesforceClient tokens shared over Redis', () => {
  const salesforce = new FakeSalesforce();
  let server: RedisServer;
  let prefix: string;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    [server] = await Promise.all([RedisServer.start(), salesforce.start()]);
  });
  beforeEach(() => {
    salesforce.reset();
    salesforce.tokensIssued = 0;
    salesforce.refuseAllTokens = false;
    prefix = `sf-${Date.now()}:`;
  });
  afterEach(() => server.start()); // after a test that stopped it
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await Promise.all([server.stop(), salesforce.stop()]);
    jest.restoreAllMocks();
  });

  const passwordAuth = (): SalesforceAuth => ({
    kind: 'password',
    loginUrl: salesforce.url,
    clientId: 'fake-client-id',
    clientSecret: 'fake-client-secret',
    username: 'integration@acme.example',
    password: 'password+securitytoken',
  });

  async function replica(auth: SalesforceAuth = passwordAuth()): Promise<Replica> {
    const redis = new RedisConnection({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return { client: new SalesforceClient('acme', auth, '62.0', Date.now, redis), redis };
  }

  const read = ({ client }: Replica): Promise<{ name: string }> => client.request({ method: 'GET', url: '/sobjects/Contact/describe' }, Date.now() + 3000);
  const storedKeys = async (): Promise<string[]> => (await server.command(`KEYS ${prefix}*`)).split('\r\n').filter((line) => line.startsWith(prefix));
  /** Requests other than token requests: one per read unless Salesforce refused a token and the read was sent again. */
  const apiRequests = () => salesforce.requests.filter((r) => r.path.startsWith('/services/data/')).length;

  it('signs in once for two replicas and for the next start: the token is taken from Redis', async () => {
    const [a, b] = [await replica(), await replica()];
    await Promise.all([read(a), read(b), read(a), read(b)]);
    expect(salesforce.tokensIssued).toBe(1);

    const restarted = await replica();
    expect(await read(restarted)).toMatchObject({ name: 'Contact' });
    expect(salesforce.tokensIssued).toBe(1);
    expect(apiRequests()).toBe(5);
  });

  it('renews an expired token once in all: the other replica takes the new token from Redis', async () => {
    const [a, b] = [await replica(), await replica()];
    await Promise.all([read(a), read(b)]);
    salesforce.expireTokens();
    await read(a);
    await read(b);
    expect(salesforce.tokensIssued).toBe(2);
    salesforce.expireTokens();
    await Promise.all([read(a), read(b), read(a), read(b)]);
    expect(salesforce.tokensIssued).toBe(3);
  });

  it('keeps the token under the tenant and a digest of the account, for two hours, and no lock left', async () => {
    await read(await replica());
    const keys = await storedKeys();
    expect(keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}salesforce-token:acme:[0-9a-f]{16}$`))]);
    expect(keys[0]).not.toContain('integration');
    const ttlMs = Number((await server.command(`PTTL ${keys[0]}`)).slice(1));
    expect(ttlMs).toBeGreaterThan(SHARED_TOKEN_KEEP_MS - 60_000);
    expect(ttlMs).toBeLessThanOrEqual(SHARED_TOKEN_KEEP_MS);
  });

  it('signs in itself, within the same request, when the token in Redis is refused too', async () => {
    const a = await replica();
    await read(a);
    const [key] = await storedKeys();
    // A token another replica stored that Salesforce has ended since (say, kept while Salesforce was unreachable).
    const ended = JSON.stringify({ instanceUrl: salesforce.url, accessToken: '00D000000000001!ended' });
    expect(await a.redis.attempt((client) => client.set(key!, ended, 'KEEPTTL'))).toBe('OK');
    salesforce.expireTokens();
    expect(await read(a)).toMatchObject({ name: 'Contact' });
    expect(salesforce.tokensIssued).toBe(2);
    const stored = await a.redis.attempt((client) => client.get(key!));
    expect(stored).not.toBe(REDIS_UNAVAILABLE);
    expect(stored).not.toBe(ended);
  });

  it('goes on answering when Redis stops (each replica signing in on its own), and shares again when it is back', async () => {
    const [a, b] = [await replica(), await replica()];
    await Promise.all([read(a), read(b)]);
    await server.stop();
    await eventually(() => !a.redis.up && !b.redis.up);
    salesforce.expireTokens();
    for (let i = 0; i < 4; i++) expect(await read(i % 2 === 0 ? a : b)).toMatchObject({ name: 'Contact' });
    expect(salesforce.tokensIssued).toBe(3); // one each

    await server.start();
    await eventually(() => a.redis.up && b.redis.up, 10_000);
    const restarted = await replica();
    await read(restarted);
    const settled = salesforce.tokensIssued;
    await read(await replica());
    expect(salesforce.tokensIssued).toBe(settled);
  });

  it('keeps nothing in Redis for a fixed SALESFORCE_ACCESS_TOKEN', async () => {
    const fixed = await replica({ kind: 'fixed-token', instanceUrl: salesforce.url, accessToken: salesforce.issueToken() });
    expect(await read(fixed)).toMatchObject({ name: 'Contact' });
    expect(await storedKeys()).toEqual([]);
    expect(salesforce.tokensIssued).toBe(0);
  });
});
