import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RedisConnection } from '../shared-state/redis-connection';
import { RedisServer } from '../../test/support/redis-server';
import { OutboxStore } from './outbox-store';
import { RedisOutbox } from './redis-outbox';
import { SharedOutbox } from './shared-outbox';
import { SqliteOutbox } from './sqlite-outbox';

describe('OutboxStore', () => {
  const servers: RedisServer[] = [];
  const opened: Array<{ store: OutboxStore; redis: RedisConnection }> = [];
  let folder: string;
  let warnings: string[];
  let errors: string[];

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'outbox-store-'));
    warnings = [];
    errors = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
  });
  afterEach(async () => {
    for (const { store, redis } of opened.splice(0)) {
      await store.onApplicationShutdown();
      await redis.onApplicationShutdown();
    }
    jest.restoreAllMocks();
    rmSync(folder, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });

  async function open(dataDir: string, server?: RedisServer): Promise<OutboxStore> {
    const settings = { DATA_DIR: dataDir, REDIS_URL: server?.url, REDIS_KEY_PREFIX: 'store-spec:', REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
    const redis = new RedisConnection(settings, new GatewayMetrics());
    const store = new OutboxStore(settings, redis);
    opened.push({ store, redis });
    await redis.onModuleInit();
    store.onModuleInit();
    await store.onApplicationBootstrap();
    return store;
  }

  async function redisServer(durable: boolean): Promise<RedisServer> {
    const server = await RedisServer.start({ durable });
    servers.push(server);
    return server;
  }

  it('keeps the outbox in <DATA_DIR>/outbox.sqlite without REDIS_URL', async () => {
    const store = await open(folder);
    expect(store.outbox).toBeInstanceOf(SqliteOutbox);
    expect(store.file).toBe(join(folder, 'outbox.sqlite'));
    expect([...warnings, ...errors]).toEqual([]);
  });

  it('shares the outbox on Redis with REDIS_URL, the file beside it, and is quiet about a Redis that keeps what it is given', async () => {
    const store = await open(folder, await redisServer(true));
    expect(store.outbox).toBeInstanceOf(SharedOutbox);
    expect(warnings).toEqual([]);
  });

  it('warns at start when the Redis would lose the queued writes on a restart', async () => {
    await open(folder, await redisServer(false));
    expect(warnings).toEqual([expect.stringContaining('appendonly is off')]);
    expect(warnings[0]).toContain('set appendonly yes and maxmemory-policy noeviction');
  });

  it('uses the shared outbox alone, and says so, when DATA_DIR cannot be written', async () => {
    const notAFolder = join(folder, 'file');
    writeFileSync(notAFolder, '');
    const store = await open(notAFolder, await redisServer(true));
    expect(store.outbox).toBeInstanceOf(RedisOutbox);
    expect(errors).toEqual([expect.stringContaining('workflow writes are kept on Redis only')]);
  });
});
