import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisConnection } from '../shared-state/redis-connection';
import { eventually } from '../../test/support/eventually';
import { outboxContract } from '../../test/support/outbox-contract';
import { redisForSpec } from '../../test/support/redis-connections';
import type { NewDelivery } from './outbox';
import { RedisOutbox } from './redis-outbox';
import { SharedOutbox } from './shared-outbox';
import { SqliteOutbox } from './sqlite-outbox';

const redis = redisForSpec({ durable: true });
const connect = redis.connect;
let stores = 0;

interface Replica {
  readonly redis: RedisConnection;
  readonly local: SqliteOutbox;
  readonly outbox: SharedOutbox;
  readonly fallbacks: number[];
}

async function replica(prefix: string, folder: string, name: string): Promise<Replica> {
  const redis = await connect(prefix);
  const local = SqliteOutbox.open(join(folder, name, 'outbox.sqlite'));
  const fallbacks: number[] = [];
  return { redis, local, outbox: new SharedOutbox(new RedisOutbox(redis), local, () => fallbacks.push(Date.now())), fallbacks };
}

outboxContract('SharedOutbox (Redis up)', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'shared-outbox-'));
  const prefix = `shared-spec-${++stores}:`;
  let opened = await replica(prefix, folder, 'a');
  return {
    outbox: opened.outbox,
    reopen: async () => {
      await opened.outbox.close();
      opened = await replica(prefix, folder, 'a');
      return opened.outbox;
    },
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
});

describe('SharedOutbox between replicas', () => {
  let folder: string;
  let count = 0;
  const T0 = Date.UTC(2026, 0, 1);

  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'shared-outbox-'))));
  afterEach(async () => {
    await redis.server().start();
    rmSync(folder, { recursive: true, force: true });
  });

  function delivery(fields: Partial<NewDelivery> = {}): NewDelivery {
    count += 1;
    return { id: `d-${count}`, tenantId: 'acme', sourceId: 'hubspot', workflow: 'callFlow', callKey: `k-${count}`, payload: '{}', nextAttemptAt: T0, ...fields };
  }

  it('keeps a write on Redis, where the other replica finds, merges and claims it, once', async () => {
    const prefix = `shared-two-${++stores}:`;
    const [a, b] = [await replica(prefix, folder, 'a'), await replica(prefix, folder, 'b')];
    const queued = await a.outbox.add(delivery(), T0);
    expect(await a.local.get(queued.id)).toBeUndefined();
    expect(await b.outbox.merge(queued.id, '{"ended":true}', T0 + 1)).toMatchObject({ version: 2 });
    const claims = await Promise.all([a.outbox.claimDue(T0 + 2, 30_000, 5), b.outbox.claimDue(T0 + 2, 30_000, 5)]);
    expect(claims.flat().map((claim) => claim.id)).toEqual([queued.id]);
    expect(claims.flat()[0]).toMatchObject({ payload: '{"ended":true}', attempts: 1 });
    expect(a.fallbacks).toEqual([]);
  });

  it("keeps a write in the replica's own file while Redis is down, delivers it from there, and counts both stores", async () => {
    const prefix = `shared-down-${++stores}:`;
    const a = await replica(prefix, folder, 'a');
    const onRedis = await a.outbox.add(delivery({ sourceId: 'salesforce' }), T0);
    await redis.server().stop();
    await eventually(() => !a.redis.up);

    const inFile = await a.outbox.add(delivery({ sourceId: 'salesforce', nextAttemptAt: T0 + 5 }), T0 + 5);
    expect(a.fallbacks).toHaveLength(1);
    expect(await a.local.get(inFile.id)).toEqual(inFile);
    expect(await a.outbox.get(inFile.id)).toEqual(inFile);
    expect(await a.outbox.get(onRedis.id)).toBeUndefined(); // on Redis, out of reach for now
    expect(await a.outbox.merge(inFile.id, '{"ended":true}', T0 + 6)).toMatchObject({ version: 2 });
    expect(await a.outbox.counts()).toEqual([{ tenantId: 'acme', sourceId: 'salesforce', queued: 1, sending: 0, dead: 0, oldestWaitingSince: T0 + 5 }]);
    expect((await a.outbox.claimDue(T0 + 10, 30_000, 5)).map((claim) => claim.id)).toEqual([inFile.id]);

    await redis.server().start();
    await eventually(() => a.redis.up, 10_000);
    expect(await a.outbox.counts()).toEqual([{ tenantId: 'acme', sourceId: 'salesforce', queued: 1, sending: 1, dead: 0, oldestWaitingSince: T0 }]);
    expect(await a.outbox.delivered(inFile.id, 2, '{"id":"00T1"}', T0 + 20)).toBe(true);
    expect((await a.outbox.list('delivered', 10)).map((d) => d.id)).toEqual([inFile.id]);
    expect((await a.outbox.claimDue(T0 + 20, 30_000, 5)).map((claim) => claim.id)).toEqual([onRedis.id]);
  });
});
