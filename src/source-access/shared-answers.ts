import { createHash } from 'node:crypto';
import type { Candidate, VerifiedCandidate } from '../core/source';
import { REDIS_UNAVAILABLE, type RedisAttempt, type RedisConnection } from '../shared-state/redis-connection';
import type { CachePolicy } from '../tenants/tenant';
import type { CacheRead } from './source-cache';

/** One source's answer for one number, under the source's current settings: a reload makes old answers unreachable. */
export interface SharedAnswerKey {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly settings: object;
  readonly number: string;
}

type StoredCandidate = Omit<Candidate, 'modifiedAt' | 'phones'> & { readonly modifiedAt?: string };

/**
 * What Redis holds per answer: what a card and the ranking need, and when it was asked. Not the
 * record's phone numbers: they were verified before the answer was kept, and a card does not show them.
 */
/** An answer read from Redis, with when the replica that got it stored it. */
export type SharedRead = NonNullable<CacheRead> & { readonly storedAt: number };

interface StoredAnswer {
  readonly storedAt: number;
  readonly verified: ReadonlyArray<{ readonly candidate: StoredCandidate; readonly strength: number }>;
}

/**
 * The lookup cache the replicas share in Redis: a number one replica asked is answered from Redis on
 * every other, fresh, "no match" and stale as in `SourceCache`. Each answer expires in Redis when it
 * could no longer stand in for a failing source. Keys name the tenant and a digest (the number and
 * the settings never appear in a key).
 */
export class SharedAnswers {
  private readonly fingerprints = new WeakMap<object, string>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number,
  ) {}

  /** `REDIS_URL` is set: answers are read from and written to Redis whenever it answers. */
  get active(): boolean {
    return this.redis.configured;
  }

  /** The answer in Redis (undefined: none, or too old), or `REDIS_UNAVAILABLE`: the caller reads its own memory. */
  async read(key: SharedAnswerKey, policy: CachePolicy): Promise<RedisAttempt<SharedRead | undefined>> {
    const text = await this.redis.attempt((client) => client.get(this.redisKey(key)));
    if (text === REDIS_UNAVAILABLE) return REDIS_UNAVAILABLE;
    if (text === null) return undefined;
    const stored = JSON.parse(text) as StoredAnswer;
    const verified = stored.verified.map(({ candidate, strength }) => ({ candidate: revive(candidate), strength }));
    const age = this.now() - stored.storedAt;
    const freshFor = verified.length > 0 ? policy.ttlMs : policy.missTtlMs;
    if (age < freshFor) return { state: 'fresh', verified, storedAt: stored.storedAt };
    if (age < Math.max(freshFor, policy.staleMs)) return { state: 'stale', verified, storedAt: stored.storedAt };
    return undefined;
  }

  /** Kept until it can no longer stand in; not awaited by the lookup (a slow Redis costs nothing then). */
  write(key: SharedAnswerKey, verified: readonly VerifiedCandidate[], policy: CachePolicy): Promise<unknown> {
    const keepMs = Math.max(verified.length > 0 ? policy.ttlMs : policy.missTtlMs, policy.staleMs);
    const stored: StoredAnswer = { storedAt: this.now(), verified: verified.map(({ candidate, strength }) => ({ candidate: storable(candidate), strength })) };
    return this.redis.attempt((client) => client.set(this.redisKey(key), JSON.stringify(stored), 'PX', Math.max(1, keepMs)));
  }

  /** Gone for every replica; answers `REDIS_UNAVAILABLE` when Redis could not be told. */
  async delete(keys: readonly SharedAnswerKey[]): Promise<RedisAttempt<number>> {
    if (keys.length === 0) return 0;
    return this.redis.attempt((client) => client.del(...keys.map((key) => this.redisKey(key))));
  }

  private redisKey({ tenantId, sourceId, settings, number }: SharedAnswerKey): string {
    const digest = createHash('sha256').update(`${sourceId}\n${this.fingerprintOf(settings)}\n${number}`).digest('base64url');
    return this.redis.key('answer', tenantId, digest);
  }

  private fingerprintOf(settings: object): string {
    let fingerprint = this.fingerprints.get(settings);
    if (fingerprint === undefined) {
      fingerprint = createHash('sha256').update(JSON.stringify(settings)).digest('base64url');
      this.fingerprints.set(settings, fingerprint);
    }
    return fingerprint;
  }
}

function storable({ phones: _verified, modifiedAt, ...card }: Candidate): StoredCandidate {
  return modifiedAt === undefined ? card : { ...card, modifiedAt: modifiedAt.toISOString() };
}

function revive({ modifiedAt, ...card }: StoredCandidate): Candidate {
  return modifiedAt === undefined ? { ...card, phones: [] } : { ...card, phones: [], modifiedAt: new Date(modifiedAt) };
}
