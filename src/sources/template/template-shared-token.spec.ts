import { Logger } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDynamics } from '../../../test/fakes/dynamics/fake-dynamics';
import { RedisServer } from '../../../test/support/redis-server';
import type { ResolvedGlobalSettings } from '../../config/global-settings';
import { normalizeIncoming, type PhoneIncomingNumber } from '../../phone';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { numberForm } from './number-forms';
import { prepareRequest, TemplateClient } from './template-client';
import { loadTemplateText, SHIPPED_TEMPLATES_DIR } from './template-loader';

/** Replicas of the gateway signing in to one Dataverse with the same app registration: one Entra ID token over Redis. */
describe('OAuth tokens of a template shared over Redis (the Dynamics template, a real Redis)', () => {
  const http = new HttpService(axios.create(crmHttpOptions(16)));
  const loaded = loadTemplateText(readFileSync(join(SHIPPED_TEMPLATES_DIR, 'dynamics.yaml'), 'utf8'), 'templates/dynamics.yaml');
  const fake = new FakeDynamics();
  let server: RedisServer;
  const opened: RedisConnection[] = [];
  const number = normalizeIncoming('+41446681800', 'CH') as PhoneIncomingNumber;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    [server] = await Promise.all([RedisServer.start(), fake.start()]);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await Promise.all(opened.map((c) => c.onApplicationShutdown()));
    await Promise.all([server.dispose(), fake.stop()]);
  });

  const settings = () => ({
    TEMPLATES: 'dynamics',
    DYNAMICS_BASE_URL: fake.url,
    DYNAMICS_TOKEN_URL: fake.tokenUrl,
    DYNAMICS_TENANT_ID: fake.tenantId,
    DYNAMICS_CLIENT_ID: fake.clientId,
    DYNAMICS_CLIENT_SECRET: fake.clientSecret,
  });

  async function replica(prefix: string | undefined): Promise<TemplateClient> {
    if (prefix === undefined) return new TemplateClient(http, loaded, settings());
    const redis = new RedisConnection({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings, new GatewayMetrics());
    opened.push(redis);
    await redis.onModuleInit();
    return new TemplateClient(http, loaded, settings(), redis);
  }

  const search = (client: TemplateClient) => {
    const contacts = loaded.requests[0]!;
    const prepared = prepareRequest(contacts, (p) => (p.source === 'param' ? client.paramValue(p.name) : p.source === 'number' ? numberForm(number, p.name) : undefined));
    return client.fetch(contacts, prepared, Date.now() + 3000);
  };

  it('signs in once for three replicas, and once more for all of them when Dataverse refuses the token', async () => {
    const prefix = `tok-${Date.now()}:`;
    const before = fake.tokenRequests.length;
    const replicas = [await replica(prefix), await replica(prefix), await replica(prefix)];
    await Promise.all(replicas.map((r) => r.warmUp(Date.now() + 3000)));
    await Promise.all(replicas.map(search));
    expect(fake.tokenRequests.length - before).toBe(1);
    fake.expireTokens();
    await Promise.all(replicas.map(search));
    expect(fake.tokenRequests.length - before).toBe(2);
    // Kept under a digest of the credentials, never a secret.
    const keys = await server.command(`KEYS ${prefix}*`);
    expect(keys).toMatch(new RegExp(`${prefix}template-token:dynamics:[0-9a-f]{16}\\r\\n`));
    expect(keys).not.toContain(fake.clientSecret);
  });

  it('signs in on its own without Redis, each replica once', async () => {
    const before = fake.tokenRequests.length;
    const replicas = [await replica(undefined), await replica(undefined)];
    await Promise.all(replicas.map(search));
    expect(fake.tokenRequests.length - before).toBe(2);
  });
});
