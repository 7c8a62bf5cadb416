import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { settleWithinOrArrived } from '../resilience/deadline';

/** What an attempt answers when Redis could not be used: the caller goes on with the replica's own memory. */
export const REDIS_UNAVAILABLE = Symbol('Redis unavailable');
export type RedisAttempt<T> = T | typeof REDIS_UNAVAILABLE;

/**
 * Commands failed in a row after which Redis is left alone for `REDIS_PAUSE_MS`: a stalled Redis costs
 * each caller its short wait for about `COMMAND_GIVE_UP_MS`, then nothing.
 */
const FAILURES_BEFORE_PAUSE = 3;
/**
 * A command without a reply by then has failed (and counts towards the pause). A caller stops waiting
 * much earlier (`REDIS_TIMEOUT_MS`), but a reply that comes after that is no failure of Redis: in a burst
 * it is this process's own event loop that is late, and pausing Redis then would split the shared budgets.
 */
const COMMAND_GIVE_UP_MS = 1000;
const REDIS_PAUSE_MS = 1000;
/** How long the start waits for Redis before it serves without it (it keeps connecting in the background). */
const CONNECT_AT_START_MS = 2000;
/** Between reconnection attempts while Redis is away: soon enough that sharing resumes within a second or two. */
const RECONNECT_MAX_MS = 1000;

/**
 * The shared Redis (`REDIS_URL`): one connection per process, commands pipelined automatically when a
 * lookup sends several in one turn. Redis is an accelerator, never a requirement: every command is an
 * `attempt` with its own time-out, and when Redis is down, slow or refusing, the attempt answers
 * `REDIS_UNAVAILABLE` at once and the caller uses the replica's memory. One line when Redis goes down,
 * one when it is back, and the `gateway_redis_up` gauge.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly client: Redis | undefined;
  private readonly breaker: CircuitBreakerPolicy;
  private reported: 'up' | 'down' | undefined;
  private lastFailure = 'not connected yet';
  private stopping = false;

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: REDIS_PAUSE_MS, breaker: new ConsecutiveBreaker(FAILURES_BEFORE_PAUSE) });
    this.breaker.onStateChange(() => this.report());
    if (!settings.REDIS_URL) return;
    this.client = new Redis(settings.REDIS_URL, {
      lazyConnect: true,
      // A command while disconnected fails at once instead of waiting in a queue past the lookup's deadline.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_GIVE_UP_MS,
      enableAutoPipelining: true,
      connectTimeout: CONNECT_AT_START_MS,
      retryStrategy: (attempts) => (this.stopping ? null : Math.min(attempts * 100, RECONNECT_MAX_MS)),
    });
    this.client.on('ready', () => this.report());
    this.client.on('close', () => this.report());
    this.client.on('error', (error: Error) => {
      this.lastFailure = error.message;
      this.report();
    });
  }

  /** True when `REDIS_URL` is set: state is shared with the other replicas whenever Redis answers. */
  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Connected, and not paused after failures. */
  get up(): boolean {
    return this.client?.status === 'ready' && this.breaker.state !== CircuitState.Open && this.breaker.state !== CircuitState.Isolated;
  }

  /** The key under `REDIS_KEY_PREFIX`: `prefix` + the parts joined by `:`. */
  key(...parts: readonly string[]): string {
    return this.settings.REDIS_KEY_PREFIX + parts.join(':');
  }

  /**
   * Runs `work` on Redis, giving up waiting after `timeoutMs` (default `REDIS_TIMEOUT_MS`, for the lookup
   * path). Answers `REDIS_UNAVAILABLE` without sending anything when Redis is not configured, not
   * connected or paused, and when `work` fails or is late (its command still completes or fails on its own).
   */
  async attempt<T>(work: (redis: Redis) => Promise<T>, timeoutMs: number = this.settings.REDIS_TIMEOUT_MS): Promise<RedisAttempt<T>> {
    const client = this.client;
    if (client?.status !== 'ready') return REDIS_UNAVAILABLE;
    const command = this.breaker.execute(() => work(client)).catch((error: unknown): typeof REDIS_UNAVAILABLE => {
      if (!(error instanceof BrokenCircuitError)) this.lastFailure = error instanceof Error ? error.message : String(error);
      return REDIS_UNAVAILABLE;
    });
    return settleWithinOrArrived(command, timeoutMs, (): typeof REDIS_UNAVAILABLE => REDIS_UNAVAILABLE);
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    this.metrics.redisUp(false);
    const connected = this.client.connect().then(
      () => true,
      () => false,
    );
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, CONNECT_AT_START_MS).unref())]);
    this.report();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client) return;
    this.stopping = true;
    await this.client.quit().catch(() => this.client?.disconnect());
  }

  private report(): void {
    if (!this.client || this.stopping) return;
    const now = this.up ? 'up' : 'down';
    this.metrics.redisUp(now === 'up');
    if (now === this.reported) return;
    const before = this.reported;
    this.reported = now;
    if (now === 'up') {
      this.logger.log(before === undefined ? `Connected to Redis (${this.where()}): state is shared with every replica using it` : `Redis is back (${this.where()}): sharing resumed`);
    } else if (before !== undefined || this.client.status !== 'connecting') {
      this.logger.error(`Redis is down (${this.where()}: ${this.lastFailure}): each replica answers from its own memory until it is back`);
    }
  }

  /** Host and port only: the URL holds the password. */
  private where(): string {
    const { host, port } = this.client!.options;
    return `${host ?? 'localhost'}:${port ?? 6379}`;
  }
}

/** A Lua script sent by its digest, and whole only when Redis does not know it yet (after a restart). */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** Deletes a lock or claim only while it still holds the owner's value (it may have expired and gone to another). */
export const RELEASE_IF_OWNED = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
