import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import axios from 'axios';
import { FakeHubSpot } from '../../../test/fakes/hubspot/fake-hubspot';
import { eventually } from '../../../test/support/eventually';
import { RedisServer } from '../../../test/support/redis-server';
import type { ResolvedGlobalSettings } from '../../config/global-settings';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { HubSpotClient } from './hubspot.client';

const SEARCH = { method: 'POST', path: '/crm/v3/objects/contacts/search', body: { filterGroups: [], limit: 1 }, search: true } as const;

/** Two replicas of the gateway with one tenant's HubSpot token: one search budget over Redis. */
describe('HubSpotClient search budget shared over Redis', () => {
  const http = new HttpService(axios.create(crmHttpOptions(16)));
  const hubspot = new FakeHubSpot();
  let server: RedisServer;
  const opened: RedisConnection[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    [server] = await Promise.all([RedisServer.start(), hubspot.start()]);
  });
  beforeEach(() => hubspot.reset());
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await Promise.all([server.stop(), hubspot.stop()]);
    jest.restoreAllMocks();
  });

  async function replica(prefix: string, searchesPerSecond = 5): Promise<HubSpotClient> {
    const settings = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
    const redis = new RedisConnection(settings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return new HubSpotClient(http, hubspot.url, hubspot.token, { portalId: '4711', appUrl: 'https://app-eu1.hubspot.com' }, searchesPerSecond, redis);
  }

  it('lets twelve searches from two replicas through without one 429, five per second at most', async () => {
    const prefix = `hs-${Date.now()}:`;
    // A budget of 4 under HubSpot's 5: a loaded CI machine delays requests after their slot by more than
    // the client's 50 ms margin, which would let six reach the fake within one of its seconds. Each replica
    // spending its own budget would still send 8 in the first second.
    const replicas = [await replica(prefix, 4), await replica(prefix, 4)];
    const deadlineAt = Date.now() + 4000;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => replicas[i % 2]!.request<{ total: number }>(SEARCH, deadlineAt)));
    expect(answers).toHaveLength(12);
    expect(hubspot.searchArrivals).toHaveLength(12); // none was answered 429 (and sent again)
    expect(hubspot.searchTimes).toHaveLength(12);
    expect(hubspot.maxSearchesPerSecond()).toBeLessThanOrEqual(5);
  });

  it('keeps the budget under a digest of the token, never the token', async () => {
    const prefix = `hs-key-${Date.now()}:`;
    await (await replica(prefix)).request(SEARCH, Date.now() + 2000);
    const keys = await server.command(`KEYS ${prefix}*`);
    expect(keys).toMatch(new RegExp(`${prefix}budget:hubspot-search:[0-9a-f]{16}\\r\\n`));
    expect(keys).not.toContain(hubspot.token);
  });

  it('with Redis stopped, each replica still searches, within its own budget', async () => {
    const prefix = `hs-down-${Date.now()}:`;
    const [a, b, c] = [await replica(prefix), await replica(prefix), await replica(prefix)];
    await server.stop();
    try {
      await eventually(() => opened.every((redis) => !redis.up));
      await expect(Promise.all([a.request(SEARCH, Date.now() + 2000), b.request(SEARCH, Date.now() + 2000)])).resolves.toHaveLength(2);
      hubspot.reset();
      // A replica's own budget: five now, the sixth refused before it is sent (no slot before its deadline).
      const settled = await Promise.allSettled(Array.from({ length: 6 }, () => c.request(SEARCH, Date.now() + 400)));
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
      expect(settled.find((s) => s.status === 'rejected')).toMatchObject({ reason: { code: 'RATE_LIMITED' } });
      expect(hubspot.searchArrivals).toHaveLength(5);
    } finally {
      await server.start();
    }
  });
});
