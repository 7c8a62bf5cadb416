import { Logger } from '@nestjs/common';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { RedisConnection } from '../shared-state/redis-connection';
import { eventually } from '../../test/support/eventually';
import { outboxContract } from '../../test/support/outbox-contract';
import { RedisServer } from '../../test/support/redis-server';
import { OutboxUnavailableError, RedisOutbox } from './redis-outbox';

let server: RedisServer;
const connections: RedisConnection[] = [];
let stores = 0;

beforeAll(async () => {
  server = await RedisServer.start();
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.onApplicationShutdown()));
  await server.stop();
  jest.restoreAllMocks();
});

async function connect(prefix: string): Promise<RedisConnection> {
  const settings = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
  const connection = new RedisConnection(settings, new GatewayMetrics());
  connections.push(connection);
  await connection.onModuleInit();
  return connection;
}

outboxContract('RedisOutbox', async () => {
  const prefix = `outbox-spec-${++stores}:`;
  let outbox = new RedisOutbox(await connect(prefix));
  return {
    outbox,
    // A restart: another process's connection to the same Redis and prefix.
    reopen: async () => {
      await outbox.close();
      outbox = new RedisOutbox(await connect(prefix));
      return outbox;
    },
    cleanup: async () => undefined,
  };
});

describe('RedisOutbox on Redis', () => {
  it('keeps everything under the prefix, and leaves no key behind a removed delivery', async () => {
    const keys = async (): Promise<string[]> => (await server.command('KEYS *')).split('\r\n').filter((line) => line.includes(':'));
    const before = new Set(await keys());
    const connection = await connect('outbox-keys:');
    const outbox = new RedisOutbox(connection);
    const delivery = { id: 'd-1', tenantId: 'acme', sourceId: 'hubspot', workflow: 'callFlow', callKey: 'k', payload: '{}', nextAttemptAt: 1000 };
    await outbox.add(delivery, 1000);
    await outbox.claimDue(1000, 30_000, 1);
    await outbox.dead('d-1', 'REFUSED', 2000);
    const added = (await keys()).filter((key) => !before.has(key));
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter((key) => !key.startsWith('outbox-keys:outbox:'))).toEqual([]);
    expect(await outbox.remove('d-1')).toBe(true);
    expect(await outbox.counts()).toEqual([]);
    const left = (await server.command('KEYS outbox-keys:*')).split('\r\n').filter((line) => line.startsWith('outbox-keys:'));
    expect(left).toEqual([]);
  });

  it('refuses a second delivery with the same id, without counting it against Redis', async () => {
    const connection = await connect('outbox-twice:');
    const outbox = new RedisOutbox(connection);
    const delivery = { id: 'd-2', tenantId: 'acme', sourceId: 'hubspot', workflow: 'callFlow', callKey: 'k', payload: '{}', nextAttemptAt: 1000 };
    await outbox.add(delivery, 1000);
    for (let i = 0; i < 4; i += 1) await expect(outbox.add(delivery, 1000)).rejects.toThrow('already holds delivery d-2');
    expect(connection.up).toBe(true);
  });

  it('fails with OutboxUnavailableError while Redis is down, then works again', async () => {
    const connection = await connect('outbox-down:');
    const outbox = new RedisOutbox(connection);
    await server.stop();
    await expect(outbox.get('d-3')).rejects.toBeInstanceOf(OutboxUnavailableError);
    await server.start();
    await eventually(() => connection.up, 10_000);
    expect(await outbox.get('d-3')).toBeUndefined();
  });
});
