import { randomUUID } from 'node:crypto';
import { SourceError } from '../core/source-error';
import { REDIS_UNAVAILABLE, RedisScript, RELEASE_IF_OWNED, type RedisAttempt, type RedisConnection } from './redis-connection';

/**
 * How long one replica may hold a sign-in: its login or refresh must be stored by then. A replica that
 * dies holding it delays the others this long at most.
 */
export const SIGN_IN_LOCK_MS = 10_000;
/** Left between a sign-in's end and the lock's, for storing what it got. */
const STORE_MARGIN_MS = 1_000;
/** A sign-in is off the lookup's hot path: its Redis commands may take longer than `REDIS_TIMEOUT_MS`. */
const SIGN_IN_REDIS_MS = 300;
/** Between two looks at Redis while another replica signs in. */
const POLL_MS = 25;

/** Stores the sign-in and releases the lock, only while the lock is still this replica's. */
const STORE_AND_RELEASE = new RedisScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
`);

/** What a sign-in got, and how long it can serve (e.g. the refresh token's lifetime). */
export interface SignedIn<T> {
  readonly value: T;
  readonly keepMs: number;
}

export interface SharedSignInOptions<T> {
  /** The key under the prefix: names the account, never holds a secret (use a digest). */
  readonly key: string;
  /** What Redis holds (parsed JSON) as a sign-in, or undefined when it is none. */
  readonly parse: (stored: unknown) => T | undefined;
  /** Whether two sign-ins are the same one (e.g. the same access token). */
  readonly same: (a: T, b: T) => boolean;
  readonly lockMs?: number;
}

/**
 * One sign-in (tokens) for every replica using the Redis, for CRMs that keep one session per user: a
 * second login by another replica would end the first one's session. The tokens are kept under one key;
 * a login or refresh is done by one replica at a time, under a lock (SET NX PX, released by
 * compare-and-delete); the others wait for what it stores and use that. Every method answers
 * `REDIS_UNAVAILABLE` when Redis could not be used: the caller then signs in on its own, as without Redis.
 * The values are secrets: nothing here logs them.
 */
export class SharedSignIn<T> {
  private readonly lockMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: SharedSignInOptions<T>,
  ) {
    this.lockMs = options.lockMs ?? SIGN_IN_LOCK_MS;
  }

  /** The sign-in every replica uses; undefined when there is none yet. */
  async read(): Promise<RedisAttempt<T | undefined>> {
    const text = await this.redis.attempt((client) => client.get(this.valueKey), SIGN_IN_REDIS_MS);
    if (text === REDIS_UNAVAILABLE) return REDIS_UNAVAILABLE;
    if (text === null) return undefined;
    try {
      return this.options.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  /**
   * A sign-in other than `stale` (undefined: any sign-in): the one stored, when another replica already
   * replaced `stale`; else `signIn` run here under the lock, given the latest sign-in known and when it
   * must have ended, and stored. While another replica holds the lock, waits for what it stores (until
   * `latestAt`, when given), and takes the lock when it is released or has expired without one.
   */
  async renew(stale: T | undefined, signIn: (latest: T | undefined, endBy: number) => Promise<SignedIn<T>>, latestAt?: number): Promise<RedisAttempt<T>> {
    // A holder that keeps failing releases the lock each time: this replica then tries itself; a chain of
    // holders that each let the lock expire stops here, and a caller with a deadline waits no longer than it.
    const giveUpAt = Math.min(Date.now() + 2 * this.lockMs, latestAt ?? Infinity);
    for (;;) {
      const stored = await this.read();
      if (stored === REDIS_UNAVAILABLE) return REDIS_UNAVAILABLE;
      if (this.replaces(stored, stale)) return stored;
      const owner = await this.lock();
      if (owner === REDIS_UNAVAILABLE) return REDIS_UNAVAILABLE;
      if (owner !== undefined) return this.signInHolding(owner, stale, signIn);
      if (Date.now() >= giveUpAt) throw new SourceError('TIMEOUT', 'another replica has been signing in for too long');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async signInHolding(owner: string, stale: T | undefined, signIn: (latest: T | undefined, endBy: number) => Promise<SignedIn<T>>): Promise<T> {
    const endBy = Date.now() + this.lockMs - STORE_MARGIN_MS;
    try {
      // Another replica may have stored a sign-in between the read and the lock.
      const stored = await this.read();
      if (stored !== REDIS_UNAVAILABLE && this.replaces(stored, stale)) {
        await this.release(owner);
        return stored;
      }
      const latest = stored === REDIS_UNAVAILABLE ? stale : (stored ?? stale);
      const signedIn = await signIn(latest, endBy);
      // Not stored when the lock was lost meanwhile: the replica that took it stores the newer sign-in.
      await this.redis.attempt(
        (client) => STORE_AND_RELEASE.run(client, [this.valueKey, this.lockKey], [owner, JSON.stringify(signedIn.value), Math.max(1, Math.round(signedIn.keepMs))]),
        SIGN_IN_REDIS_MS,
      );
      return signedIn.value;
    } catch (error) {
      await this.release(owner);
      throw error;
    }
  }

  /** The owner's mark when this replica got the lock; undefined when another replica holds it. */
  private async lock(): Promise<RedisAttempt<string | undefined>> {
    const owner = randomUUID();
    const answer = await this.redis.attempt((client) => client.set(this.lockKey, owner, 'PX', this.lockMs, 'NX'), SIGN_IN_REDIS_MS);
    if (answer === REDIS_UNAVAILABLE) return REDIS_UNAVAILABLE;
    return answer === 'OK' ? owner : undefined;
  }

  /** Left to expire by itself when Redis cannot be told. */
  private async release(owner: string): Promise<void> {
    await this.redis.attempt((client) => RELEASE_IF_OWNED.run(client, [this.lockKey], [owner]), SIGN_IN_REDIS_MS);
  }

  private replaces(stored: T | undefined, stale: T | undefined): stored is T {
    return stored !== undefined && (stale === undefined || !this.options.same(stored, stale));
  }

  private get valueKey(): string {
    return this.redis.key(this.options.key);
  }

  private get lockKey(): string {
    return this.redis.key(this.options.key, 'lock');
  }
}
