import { randomUUID } from 'node:crypto';
import { overBudget, RateBudget } from '../resilience/rate-budget';
import { REDIS_UNAVAILABLE, RedisScript, type RedisConnection } from './redis-connection';

/**
 * The sliding log of `RateBudget`, kept in a sorted set on Redis's own clock so that every replica
 * spends one budget: drops slots older than the window, then reserves the earliest free slot if it
 * comes within `maxWait` ms. Answers the wait in ms, or -1 when there is no slot in time. A fixed
 * window (rate-limiter-flexible's Redis limiter) would let twice the limit through across a window's
 * edge, which HubSpot answers with 429.
 */
const RESERVE = new RedisScript(`
local key, limit, window, maxWait, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local slot = now
if count >= limit then
  local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  slot = math.max(now, tonumber(blocking[2]) + window)
end
if slot - now > maxWait then return -1 end
redis.call('ZADD', key, slot, member)
redis.call('PEXPIRE', key, slot - now + window + 1000)
return slot - now
`);

/**
 * A budget's answer may be waited for longer than a cache read: the request it guards may wait for its
 * slot anyway, and a replica that gave up on Redis here would spend a budget of its own beside the shared one.
 */
const BUDGET_REDIS_MS = 250;

const replica = randomUUID().slice(0, 8);
let reservations = 0;

/**
 * At most `perWindow` requests in any window over all replicas using the Redis; while Redis is down,
 * slow or refusing, this replica's own `RateBudget` (so each replica then spends up to the whole budget).
 */
export class SharedRateBudget {
  private readonly local: RateBudget;

  constructor(
    private readonly redis: RedisConnection,
    /** The budget's key under the prefix, e.g. `budget:<tenant>:<source>`. */
    private readonly key: string,
    private readonly perWindow: number,
    private readonly windowMs: number = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new RateBudget(perWindow, windowMs, now);
  }

  /** Takes a slot if one is free right now. */
  async tryTake(): Promise<boolean> {
    return (await this.reserveWait(this.now())) === 0;
  }

  /** Waits for the earliest slot no later than `latestAt` (a `Date.now()` time); refuses at once when there is none. */
  async acquire(latestAt: number): Promise<void> {
    const wait = await this.reserveWait(latestAt);
    if (wait === undefined) throw overBudget(this.perWindow, this.windowMs);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Ms to wait for the reserved slot, or undefined when none is free by `latestAt`. */
  private async reserveWait(latestAt: number): Promise<number | undefined> {
    const maxWait = Math.max(0, latestAt - this.now());
    const member = `${replica}:${++reservations}`;
    const shared = await this.redis.attempt((client) =>
      RESERVE.run(client, [this.redis.key(this.key)], [this.perWindow, this.windowMs, maxWait, member]),
      BUDGET_REDIS_MS,
    );
    if (shared !== REDIS_UNAVAILABLE) return Number(shared) < 0 ? undefined : Number(shared);
    // The same wait as asked, from now: time has passed while Redis was tried.
    const now = this.now();
    const slot = this.local.reserve(now + maxWait);
    return slot === undefined ? undefined : Math.max(0, slot - now);
  }
}
