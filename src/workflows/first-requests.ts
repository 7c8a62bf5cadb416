import { randomUUID } from 'node:crypto';
import { SourceError } from '../core/source-error';
import { REDIS_UNAVAILABLE, RedisScript, RELEASE_IF_OWNED, type RedisConnection } from '../shared-state/redis-connection';
import { REPEAT_WINDOW_MS, RepeatGuard } from './idempotency';

/** How long a claim holds without its replica renewing it: a replica that died blocks its call this long at most. */
export const CLAIM_MS = 5000;
/** Redis is asked off the lookup path here: a little more patience than a lookup's `REDIS_TIMEOUT_MS`. */
const WORKFLOW_REDIS_MS = 250;
/** Between looks at the claim of a first request another replica is writing. */
const POLL_MS = 25;

/** Extends the claim only while it is still this writer's. */
const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

interface Outcome<T> {
  readonly answer: T;
  /** Answered with an earlier request's answer, on this replica or another. */
  readonly repeated: boolean;
}

/** What a first request's key holds in Redis: the writer's claim while it writes, then its answer for the repeat window. */
type Claim<T> = { readonly writing: string } | { readonly answer: T };

export interface FirstRequestOptions {
  /** How long a repeat waits for the first request's answer (`WORKFLOW_TIMEOUT_MS`). */
  readonly waitMs: number;
  readonly windowMs?: number;
  readonly claimMs?: number;
}

/**
 * Runs the first request of a call once over every replica sharing the Redis: the first to claim the
 * call writes it and keeps its answer for the repeat window; a repeat anywhere gets that answer, and one
 * arriving while the first is written waits for it (up to `waitMs`). A claim is renewed while its
 * writer works and expires when the writer dies, so the call is then written by the next request. A
 * write that failed gives its claim up, so its retry writes. Without Redis, or while it is away, this
 * replica's memory guards alone (`RepeatGuard`), as a single instance does.
 */
export class FirstRequests<T> {
  private readonly local: RepeatGuard<Outcome<T>>;
  private readonly windowMs: number;
  private readonly claimMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: FirstRequestOptions,
  ) {
    this.windowMs = options.windowMs ?? REPEAT_WINDOW_MS;
    this.claimMs = options.claimMs ?? CLAIM_MS;
    this.local = new RepeatGuard<Outcome<T>>(this.windowMs);
  }

  /** The first request's answer; `repeated` is told when this request was a repeat and wrote nothing. */
  async run(tenantId: string, key: string, work: () => Promise<T>, repeated: () => void): Promise<T> {
    const { result, isRepeat } = this.local.run(tenantId, key, () => this.onceAnywhere(this.redis.key('first-request', tenantId, key), work));
    const { answer, repeated: elsewhere } = await result;
    if (isRepeat || elsewhere) repeated();
    return answer;
  }

  private async onceAnywhere(claimKey: string, work: () => Promise<T>): Promise<Outcome<T>> {
    if (!this.redis.configured) return { answer: await work(), repeated: false };
    const until = Date.now() + this.options.waitMs;
    for (;;) {
      const writing = JSON.stringify({ writing: randomUUID() } satisfies Claim<T>);
      const claimed = await this.redis.attempt((client) => client.set(claimKey, writing, 'PX', this.claimMs, 'NX'), WORKFLOW_REDIS_MS);
      // Redis away: this replica's memory guards alone; a concurrent repeat on another replica may write too.
      if (claimed === REDIS_UNAVAILABLE) return { answer: await work(), repeated: false };
      if (claimed === 'OK') return { answer: await this.writeUnderClaim(claimKey, writing, work), repeated: false };
      const answer = await this.answerOfOther(claimKey, until);
      if (answer !== undefined) return { answer, repeated: true };
      // The claim is gone without an answer (its writer failed or died): this request writes the call.
    }
  }

  private async writeUnderClaim(claimKey: string, writing: string, work: () => Promise<T>): Promise<T> {
    const renewal = setInterval(() => void this.redis.attempt((client) => RENEW.run(client, [claimKey], [writing, this.claimMs]), WORKFLOW_REDIS_MS), this.claimMs / 3);
    try {
      const answer = await work();
      await this.redis.attempt((client) => client.set(claimKey, JSON.stringify({ answer } satisfies Claim<T>), 'PX', this.windowMs), WORKFLOW_REDIS_MS);
      return answer;
    } catch (error) {
      await this.redis.attempt((client) => RELEASE_IF_OWNED.run(client, [claimKey], [writing]), WORKFLOW_REDIS_MS);
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * Waits for the answer of the replica holding the claim; undefined when the claim is gone without one.
   * While Redis is away the claim's state is unknown, so this keeps waiting rather than writing twice;
   * at `until` it gives up with TIMEOUT, and the CONNECTOR's retry finds the answer or writes the call.
   */
  private async answerOfOther(claimKey: string, until: number): Promise<T | undefined> {
    for (;;) {
      const text = await this.redis.attempt((client) => client.get(claimKey), WORKFLOW_REDIS_MS);
      if (text === null) return undefined;
      if (text !== REDIS_UNAVAILABLE) {
        const claim = JSON.parse(text) as Claim<T>;
        if ('answer' in claim) return claim.answer;
      }
      if (Date.now() + POLL_MS > until) {
        throw new SourceError('TIMEOUT', 'the first request of this call is still being written by another replica; a retry gets its answer');
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
