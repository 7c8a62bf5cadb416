import { MemoryQuota, quotaRefusal, quotaPeriod, type QuotaDecision, type QuotaLimits } from '../resilience/call-quota';
import { REDIS_UNAVAILABLE, RedisScript, type RedisConnection } from './redis-connection';

/**
 * `decideQuota` on Redis, in one step for every replica: reads today's and the month's counts, refuses
 * when the month is used or today's share is (a fixed `perDay`, or the month's rest spread over its days
 * left), else counts the search in both. Answers {1} when taken, {0, reason} when not: 1 the month, 2 the day.
 */
const TAKE = new RedisScript(`
local perDay, perMonth, daysLeft = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local today = tonumber(redis.call('GET', KEYS[1]) or '0')
local month = tonumber(redis.call('GET', KEYS[2]) or '0')
if perMonth > 0 and month >= perMonth then return {0, 1, perMonth} end
local share = perDay
if share == 0 and perMonth > 0 then share = math.ceil(math.max(0, perMonth - (month - today)) / math.max(1, daysLeft)) end
if (perDay > 0 or perMonth > 0) and today >= share then return {0, 2, share} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 3 * 86400)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 35 * 86400)
return {1}
`);

const QUOTA_REDIS_MS = 250;

/**
 * One quota for every replica sharing the Redis (`quota:<tenant>:<source>:day:<date>` and `…:month:<yyyy-MM>`,
 * kept a few days past their period); this replica's own count while Redis is down, slow or refusing.
 * Without Redis the counts live in memory, so a restart starts them afresh.
 */
export class SharedQuota {
  private readonly local: MemoryQuota;

  constructor(
    private readonly redis: RedisConnection,
    /** `quota:<tenant>:<source>`. */
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new MemoryQuota(now);
  }

  async tryTake(limits: QuotaLimits, timezone: string): Promise<QuotaDecision> {
    const period = quotaPeriod(this.now(), timezone);
    const answer = await this.redis.attempt(
      (client) =>
        TAKE.run(client, [this.redis.key(`${this.key}:day:${period.day}`), this.redis.key(`${this.key}:month:${period.month}`)], [limits.perDay ?? 0, limits.perMonth ?? 0, period.daysLeft]),
      QUOTA_REDIS_MS,
    );
    if (answer === REDIS_UNAVAILABLE) return this.local.tryTake(limits, timezone);
    const [taken, which, limit] = answer as number[];
    return taken === 1 ? { taken: true } : quotaRefusal(which === 1 ? 'month' : 'day', limit ?? 0);
  }
}
