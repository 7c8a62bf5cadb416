import { ReplyError, type Redis } from 'ioredis';
import { REDIS_UNAVAILABLE, RedisScript, type RedisConnection } from '../shared-state/redis-connection';
import type { Delivery, DeliveryState, NewDelivery, Outbox, OutboxCounts } from './outbox';

/**
 * Under the prefix `P` (`<REDIS_KEY_PREFIX>outbox:`): a hash per delivery (`P d:<id>`), the due set
 * (`P due`: queued ones by `nextAttemptAt`, sending ones by `leaseUntil`), one set per state by
 * `updatedAt` (`P s:<state>`, for lists and pruning), and per tenant and source one set per waiting or
 * dead state by `createdAt` (`P g:<group>:<state>`, for the counts). Every change is one script, so it
 * is atomic like the SQLite store's transactions; times are the caller's, as there.
 */
const PRELUDE = `
local P = ARGV[1]
local function dk(id) return P .. 'd:' .. id end
local function setState(id, k, to, now)
  local f = redis.call('HMGET', k, 'state', 'createdAt', 'tenantId', 'sourceId')
  local from, created, g = f[1], f[2], cjson.encode({f[3], f[4]})
  redis.call('ZREM', P .. 's:' .. from, id)
  if from ~= 'delivered' then redis.call('ZREM', P .. 'g:' .. g .. ':' .. from, id) end
  redis.call('ZADD', P .. 's:' .. to, now, id)
  if to ~= 'delivered' then
    redis.call('ZADD', P .. 'g:' .. g .. ':' .. to, created, id)
    redis.call('SADD', P .. 'groups', g)
  end
  if to == 'delivered' or to == 'dead' then redis.call('ZREM', P .. 'due', id) end
  redis.call('HSET', k, 'state', to, 'updatedAt', now)
end
local function queueAgain(id, k, at, now)
  setState(id, k, 'queued', now)
  redis.call('HSET', k, 'nextAttemptAt', at)
  redis.call('HDEL', k, 'leaseUntil')
  redis.call('ZADD', P .. 'due', at, id)
end
local function claimOne(id, k, now, leaseUntil)
  setState(id, k, 'sending', now)
  redis.call('HSET', k, 'leaseUntil', leaseUntil)
  redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('ZADD', P .. 'due', leaseUntil, id)
  return redis.call('HGETALL', k)
end
local function removeOne(id)
  local k = dk(id)
  local f = redis.call('HMGET', k, 'state', 'tenantId', 'sourceId')
  if not f[1] then return 0 end
  redis.call('ZREM', P .. 's:' .. f[1], id)
  redis.call('ZREM', P .. 'g:' .. cjson.encode({f[2], f[3]}) .. ':' .. f[1], id)
  redis.call('ZREM', P .. 'due', id)
  return redis.call('DEL', k)
end
`;

const script = (body: string): RedisScript => new RedisScript(PRELUDE + body);

const ADD = script(`
local id, now = ARGV[2], ARGV[10]
local k = dk(id)
if redis.call('EXISTS', k) == 1 then return redis.error_reply('the outbox already holds delivery ' .. id) end
redis.call('HSET', k, 'id', id, 'tenantId', ARGV[3], 'sourceId', ARGV[4], 'workflow', ARGV[5], 'callKey', ARGV[6], 'payload', ARGV[7],
  'nextAttemptAt', ARGV[8], 'state', 'queued', 'version', 1, 'attempts', 0, 'createdAt', now, 'updatedAt', now, 'retryingSince', now)
if ARGV[9] ~= '' then redis.call('HSET', k, 'lastError', string.sub(ARGV[9], 2)) end
local g = cjson.encode({ARGV[3], ARGV[4]})
redis.call('ZADD', P .. 's:queued', now, id)
redis.call('ZADD', P .. 'g:' .. g .. ':queued', now, id)
redis.call('SADD', P .. 'groups', g)
redis.call('ZADD', P .. 'due', ARGV[8], id)
return redis.call('HGETALL', k)
`);

const MERGE = script(`
local id, now = ARGV[2], ARGV[4]
local k = dk(id)
local state = redis.call('HGET', k, 'state')
if not state then return false end
redis.call('HSET', k, 'payload', ARGV[3])
redis.call('HINCRBY', k, 'version', 1)
if state == 'delivered' then
  queueAgain(id, k, now, now)
  redis.call('HSET', k, 'retryingSince', now)
else
  setState(id, k, state, now)
end
return redis.call('HGETALL', k)
`);

const CLAIM_DUE = script(`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))) do
  out[#out + 1] = claimOne(id, dk(id), ARGV[2], ARGV[3])
end
return out
`);

const CLAIM = script(`
local id = ARGV[2]
local k = dk(id)
local f = redis.call('HMGET', k, 'state', 'leaseUntil')
if f[1] == 'queued' or (f[1] == 'sending' and tonumber(f[2]) <= tonumber(ARGV[3])) then return claimOne(id, k, ARGV[3], ARGV[4]) end
return false
`);

const DELIVERED = script(`
local id, version, now = ARGV[2], ARGV[3], ARGV[5]
local k = dk(id)
if redis.call('HGET', k, 'state') ~= 'sending' then return 0 end
redis.call('HSET', k, 'deliveredVersion', version, 'result', ARGV[4])
if tonumber(version) < tonumber(redis.call('HGET', k, 'version')) then
  queueAgain(id, k, now, now)
  redis.call('HSET', k, 'retryingSince', now)
else
  setState(id, k, 'delivered', now)
  redis.call('HDEL', k, 'leaseUntil')
end
return 1
`);

const RETRY_LATER = script(`
local id = ARGV[2]
local k = dk(id)
if redis.call('HGET', k, 'state') ~= 'sending' then return 0 end
queueAgain(id, k, ARGV[3], ARGV[5])
redis.call('HSET', k, 'lastError', ARGV[4])
return 1
`);

const DEAD = script(`
local id = ARGV[2]
local k = dk(id)
if redis.call('HGET', k, 'state') ~= 'sending' then return 0 end
setState(id, k, 'dead', ARGV[4])
redis.call('HSET', k, 'lastError', ARGV[3])
redis.call('HDEL', k, 'leaseUntil')
return 1
`);

const RETRY_NOW = script(`
local id, now = ARGV[2], ARGV[3]
local k = dk(id)
local state = redis.call('HGET', k, 'state')
if state ~= 'queued' and state ~= 'dead' then return 0 end
queueAgain(id, k, now, now)
redis.call('HSET', k, 'retryingSince', now)
return 1
`);

const REMOVE = script(`return removeOne(ARGV[2])`);

/** At most this many forgotten per state and call, so that one script never holds Redis for long. */
const PRUNE_BATCH = 1000;

const PRUNE = script(`
local n = 0
for _, pair in ipairs({{'delivered', ARGV[2]}, {'dead', ARGV[3]}}) do
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 's:' .. pair[1], '-inf', '(' .. pair[2], 'LIMIT', 0, ${PRUNE_BATCH})) do
    n = n + removeOne(id)
  end
end
return n
`);

const COUNTS = script(`
local out = {}
for _, g in ipairs(redis.call('SMEMBERS', P .. 'groups')) do
  local q = redis.call('ZCARD', P .. 'g:' .. g .. ':queued')
  local s = redis.call('ZCARD', P .. 'g:' .. g .. ':sending')
  local d = redis.call('ZCARD', P .. 'g:' .. g .. ':dead')
  if q + s + d == 0 then
    redis.call('SREM', P .. 'groups', g)
  else
    local oldest = ''
    for _, state in ipairs({'queued', 'sending'}) do
      local first = redis.call('ZRANGE', P .. 'g:' .. g .. ':' .. state, 0, 0, 'WITHSCORES')
      if first[2] and (oldest == '' or tonumber(first[2]) < tonumber(oldest)) then oldest = first[2] end
    end
    out[#out + 1] = {g, q, s, d, oldest}
  end
end
return out
`);

/** Longer than a lookup's Redis wait: a workflow's write is not on the ringing path, and a store that gave up early would keep a copy elsewhere. */
const OUTBOX_REDIS_MS = 1000;

export class OutboxUnavailableError extends Error {
  constructor() {
    super('Redis is down, slow or refusing: the shared outbox cannot be used now');
    this.name = 'OutboxUnavailableError';
  }
}

/**
 * The outbox every replica shares, on the Redis of `REDIS_URL` (which must keep what it is given:
 * `appendonly yes`, `maxmemory-policy noeviction`). Each operation fails with `OutboxUnavailableError`
 * while Redis cannot be used; `SharedOutbox` then turns to the instance's own file.
 */
export class RedisOutbox implements Outbox {
  private readonly prefix: string;

  constructor(private readonly redis: RedisConnection) {
    this.prefix = redis.key('outbox', '');
  }

  async add(delivery: NewDelivery, now: number): Promise<Delivery> {
    const { id, tenantId, sourceId, workflow, callKey, payload, nextAttemptAt, lastError } = delivery;
    // The error is sent behind a marker so that an empty one is kept apart from none.
    const error = lastError === undefined ? '' : `:${lastError}`;
    return toDelivery(await this.run(ADD, id, tenantId, sourceId, workflow, callKey, payload, nextAttemptAt, error, now));
  }

  async get(id: string): Promise<Delivery | undefined> {
    const fields = await this.call((client) => client.hgetall(this.deliveryKey(id)));
    return fields.id === undefined ? undefined : fromFields(fields);
  }

  async merge(id: string, payload: string, now: number): Promise<Delivery | undefined> {
    return toOptionalDelivery(await this.run(MERGE, id, payload, now));
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
    if (limit <= 0) return [];
    return ((await this.run(CLAIM_DUE, now, now + leaseMs, limit)) as unknown[]).map(toDelivery);
  }

  async claim(id: string, now: number, leaseMs: number): Promise<Delivery | undefined> {
    return toOptionalDelivery(await this.run(CLAIM, id, now, now + leaseMs));
  }

  async delivered(id: string, version: number, result: string, now: number): Promise<boolean> {
    return (await this.run(DELIVERED, id, version, result, now)) === 1;
  }

  async retryLater(id: string, nextAttemptAt: number, error: string, now: number): Promise<boolean> {
    return (await this.run(RETRY_LATER, id, nextAttemptAt, error, now)) === 1;
  }

  async dead(id: string, error: string, now: number): Promise<boolean> {
    return (await this.run(DEAD, id, error, now)) === 1;
  }

  async retryNow(id: string, now: number): Promise<boolean> {
    return (await this.run(RETRY_NOW, id, now)) === 1;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.run(REMOVE, id)) === 1;
  }

  async list(state: DeliveryState, limit: number): Promise<Delivery[]> {
    if (limit <= 0) return [];
    // A few more than asked, so that ties on `updatedAt` at the edge are ordered like the other store's.
    const ids = await this.call((client) => client.zrevrange(`${this.prefix}s:${state}`, 0, limit * 2 + 10));
    const deliveries = await Promise.all(ids.map((id) => this.get(id)));
    return deliveries
      .filter((delivery): delivery is Delivery => delivery !== undefined)
      .sort((a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit);
  }

  async counts(): Promise<OutboxCounts[]> {
    const groups = (await this.run(COUNTS)) as Array<[string, number, number, number, string]>;
    return groups.map(([group, queued, sending, dead, oldest]) => {
      const [tenantId, sourceId] = JSON.parse(group) as [string, string];
      return { tenantId, sourceId, queued, sending, dead, ...(oldest === '' ? {} : { oldestWaitingSince: Number(oldest) }) };
    });
  }

  async prune(deliveredBefore: number, deadBefore: number): Promise<number> {
    return Number(await this.run(PRUNE, deliveredBefore, deadBefore));
  }

  /** The connection is the process's (`RedisConnection`), closed with it. */
  async close(): Promise<void> {}

  private deliveryKey(id: string): string {
    return `${this.prefix}d:${id}`;
  }

  private run(outboxScript: RedisScript, ...args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.call((client) => outboxScript.run(client, [], [this.prefix, ...args]));
  }

  private async call<T>(work: (client: Redis) => Promise<T>): Promise<T> {
    // A refusal by Redis of the command itself is an answer (and a fault to report), not Redis being away.
    const answer = await this.redis.attempt(async (client) => work(client).then(
      (value) => ({ value }),
      (error: unknown) => {
        if (error instanceof ReplyError) return { refused: error as Error };
        throw error;
      },
    ), OUTBOX_REDIS_MS);
    if (answer === REDIS_UNAVAILABLE) throw new OutboxUnavailableError();
    if ('refused' in answer) throw answer.refused;
    return answer.value;
  }
}

function toOptionalDelivery(reply: unknown): Delivery | undefined {
  return reply === null ? undefined : toDelivery(reply);
}

/** A delivery from the flat field list of `HGETALL` as a script answers it. */
function toDelivery(reply: unknown): Delivery {
  const flat = reply as string[];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fromFields(fields);
}

function fromFields(fields: Record<string, string>): Delivery {
  const number = (name: string): number => Number(fields[name]);
  const optional = (name: string, value: (text: string) => unknown): Record<string, unknown> => {
    const text = fields[name];
    return text === undefined ? {} : { [name]: value(text) };
  };
  return {
    id: fields.id!,
    tenantId: fields.tenantId!,
    sourceId: fields.sourceId!,
    workflow: fields.workflow!,
    callKey: fields.callKey!,
    payload: fields.payload!,
    nextAttemptAt: number('nextAttemptAt'),
    state: fields.state as DeliveryState,
    version: number('version'),
    attempts: number('attempts'),
    createdAt: number('createdAt'),
    updatedAt: number('updatedAt'),
    retryingSince: number('retryingSince'),
    ...optional('lastError', String),
    ...optional('deliveredVersion', Number),
    ...optional('leaseUntil', Number),
    ...optional('result', String),
  };
}
