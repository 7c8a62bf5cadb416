import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import axios from 'axios';
import { FakeSugar } from '../../../test/fakes/sugar/fake-sugar';
import { eventually } from '../../../test/support/eventually';
import { RedisServer } from '../../../test/support/redis-server';
import type { ResolvedGlobalSettings } from '../../config/global-settings';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { REDIS_UNAVAILABLE, RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { SugarClient } from './sugar.client';
import { SugarSettings } from './sugar.settings';

interface Replica {
  readonly client: SugarClient;
  readonly redis: RedisConnection;
}

/**
 * Two replicas of the gateway with one tenant's Sugar on a registered platform, which keeps one session
 * per user (crm-apis.md §3.2.5): a login by one replica would end the other's session.
 */
describe('SugarClient tokens shared over Redis', () => {
  const http = new HttpService(axios.create(crmHttpOptions(8)));
  const sugar = new FakeSugar();
  let server: RedisServer;
  let prefix: string;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    [server] = await Promise.all([RedisServer.start(), sugar.start()]);
  });
  beforeEach(() => {
    sugar.reset();
    prefix = `sugar-${Date.now()}:`;
  });
  afterEach(() => server.start()); // after a test that stopped it
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await Promise.all([server.stop(), sugar.stop()]);
    jest.restoreAllMocks();
  });

  async function replica(): Promise<Replica> {
    const redis = new RedisConnection({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    const settings = Object.assign(new SugarSettings(), { SUGAR_URL: sugar.url, SUGAR_USERNAME: sugar.username, SUGAR_PASSWORD: sugar.password, SUGAR_PLATFORM: 'phone_gateway' });
    return { client: new SugarClient(http, 'acme', settings, redis), redis };
  }

  const read = ({ client }: Replica): Promise<{ id: string }> => client.request({ method: 'GET', path: '/Contacts/c-anna', params: { fields: 'name' } }, Date.now() + 3000);
  const logins = () => sugar.tokenRequests('password').length;
  const refreshes = () => sugar.tokenRequests('refresh_token').length;
  /** Requests other than token requests: one per read unless Sugar refused a token (401) and the read was sent again. */
  const apiRequests = () => sugar.requests.filter((r) => !r.path.endsWith('/oauth2/token'));

  it('signs in once for both replicas: reads alternating between them never meet a 401', async () => {
    const replicas = [await replica(), await replica()];
    for (let i = 0; i < 8; i++) expect(await read(replicas[i % 2]!)).toMatchObject({ id: 'c-anna' });
    expect(logins()).toBe(1);
    expect(refreshes()).toBe(0);
    expect(apiRequests()).toHaveLength(8);
    expect(new Set(apiRequests().map((r) => r.token)).size).toBe(1);
  });

  it('signs in once when both replicas start at the same moment: the one without the lock waits for the tokens', async () => {
    const [a, b] = [await replica(), await replica()];
    const answers = await Promise.all([read(a), read(b), read(a), read(b)]);
    expect(answers).toHaveLength(4);
    expect(logins()).toBe(1);
    expect(apiRequests()).toHaveLength(4);
  });

  it('refreshes an expired token once in all: the other replica takes the refreshed token from Redis', async () => {
    const [a, b] = [await replica(), await replica()];
    await Promise.all([read(a), read(b)]);
    sugar.expireTokens();
    await read(a);
    await read(b);
    expect(refreshes()).toBe(1);
    sugar.expireTokens();
    await Promise.all([read(a), read(b), read(a), read(b)]);
    expect(refreshes()).toBe(2);
    for (let i = 0; i < 4; i++) await read(i % 2 === 0 ? a : b);
    expect(logins()).toBe(1);
    expect(refreshes()).toBe(2);
  });

  it('keeps the tokens under the tenant and a digest of its settings, with the refresh token lifetime, and no lock left', async () => {
    await read(await replica());
    const keys = (await server.command(`KEYS ${prefix}*`)).split('\r\n').filter((line) => line.startsWith(prefix));
    expect(keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}sugar-session:acme:[0-9a-f]{16}$`))]);
    expect(keys[0]).not.toContain(sugar.username);
    const ttlMs = Number((await server.command(`PTTL ${keys[0]}`)).slice(1));
    expect(ttlMs).toBeGreaterThan(1_209_600_000 - 60_000);
    expect(ttlMs).toBeLessThanOrEqual(1_209_600_000);
  });

  it('signs in itself, within the same request, when the tokens in Redis are refused too', async () => {
    const a = await replica();
    await read(a);
    const [key] = (await server.command(`KEYS ${prefix}*`)).split('\r\n').filter((line) => line.startsWith(prefix));
    // Tokens another replica stored that Sugar has ended since (say, kept in Redis while it was unreachable).
    const ended = JSON.stringify({ accessToken: 'ended-access-token', refreshToken: 'ended-refresh-token' });
    expect(await a.redis.attempt((client) => client.set(key!, ended, 'KEEPTTL'))).toBe('OK');
    sugar.expireTokens();
    expect(await read(a)).toMatchObject({ id: 'c-anna' });
    expect(sugar.tokenRequests('refresh_token').map((r) => (r.body as { refresh_token: string }).refresh_token)).toEqual(['ended-refresh-token']);
    expect(logins()).toBe(2);
    const stored = await a.redis.attempt((client) => client.get(key!));
    expect(stored).not.toBe(REDIS_UNAVAILABLE);
    expect(stored).not.toBe(ended);
  });

  it('goes on answering on both replicas when Redis stops (each signing in on its own), and shares again when it is back', async () => {
    const [a, b] = [await replica(), await replica()];
    await Promise.all([read(a), read(b)]);
    await server.stop();
    await eventually(() => !a.redis.up && !b.redis.up);
    for (let i = 0; i < 4; i++) expect(await read(i % 2 === 0 ? a : b)).toMatchObject({ id: 'c-anna' });
    sugar.expireTokens();
    for (let i = 0; i < 4; i++) expect(await read(i % 2 === 0 ? a : b)).toMatchObject({ id: 'c-anna' });
    expect(logins()).toBeGreaterThan(1); // without Redis they end each other's session, as before

    await server.start();
    await eventually(() => a.redis.up && b.redis.up, 10_000);
    for (let i = 0; i < 4; i++) expect(await read(i % 2 === 0 ? a : b)).toMatchObject({ id: 'c-anna' });
    const settled = logins();
    for (let i = 0; i < 6; i++) expect(await read(i % 2 === 0 ? a : b)).toMatchObject({ id: 'c-anna' });
    expect(logins()).toBe(settled);
  });
});
