import { eventually } from '../../test/support/eventually';
import { outboxContract } from '../../test/support/outbox-contract';
import { redisForSpec } from '../../test/support/redis-connections';
import { OutboxUnavailableError, RedisOutbox } from './redis-outbox';

const redis = redisForSpec();
const connect = redis.connect;
let stores = 0;

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
    const keys = async (): Promise<string[]> => (await redis.server().command('KEYS *')).split('\r\n').filter((line) => line.includes(':'));
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
    const left = (await redis.server().command('KEYS outbox-keys:*')).split('\r\n').filter((line) => line.startsWith('outbox-keys:'));
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
    await redis.server().stop();
    await expect(outbox.get('d-3')).rejects.toBeInstanceOf(OutboxUnavailableError);
    await redis.server().start();
    await eventually(() => connection.up, 10_000);
    expect(await outbox.get('d-3')).toBeUndefined();
  });
});
