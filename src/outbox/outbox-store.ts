import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { REDIS_UNAVAILABLE, RedisConnection } from '../shared-state/redis-connection';
import type { Outbox } from './outbox';
import { RedisOutbox } from './redis-outbox';
import { SharedOutbox } from './shared-outbox';
import { SqliteOutbox } from './sqlite-outbox';

/** Between two warnings that writes go to the instance's file because Redis cannot be used. */
const FALLBACK_WARNING_EVERY_MS = 60_000;

/**
 * The outbox this process uses: `<DATA_DIR>/outbox.sqlite`, opened at start; with `REDIS_URL`, the
 * outbox all replicas share on Redis, that file kept for while Redis is down. When the file cannot be
 * opened (a folder that cannot be written), the gateway still starts (with the shared outbox alone, or
 * answering workflows as without an outbox: a failed write is a 502), and says so once, loudly: a start
 * refused after an upgrade would be worse.
 */
@Injectable()
export class OutboxStore implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  readonly outbox: Outbox | undefined;
  readonly file: string;
  private readonly problem: string | undefined;
  private lastFallbackWarningAt = 0;

  constructor(
    @Inject(globalSettings.KEY) settings: ResolvedGlobalSettings,
    private readonly redis: RedisConnection,
  ) {
    this.file = resolve(settings.DATA_DIR, 'outbox.sqlite');
    let local: Outbox | undefined;
    try {
      local = SqliteOutbox.open(this.file);
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
    if (!redis.configured) this.outbox = local;
    else this.outbox = local ? new SharedOutbox(new RedisOutbox(redis), local, () => this.warnFallback()) : new RedisOutbox(redis);
  }

  /** Said once the app's logger is in place (the store is opened earlier, when the modules are built). */
  onModuleInit(): void {
    if (this.problem === undefined) return;
    const then = this.redis.configured
      ? 'workflow writes are kept on Redis only, and a write a CRM refuses while Redis is down will be answered 502'
      : 'workflow writes a CRM refuses for now will be answered 502 instead of kept and delivered later';
    this.logger.error(`Cannot open the outbox ${this.file} (${this.problem}): ${then}. Point DATA_DIR to a folder this user can write, on a persistent volume.`);
  }

  /** Redis is connected by now: say when it would lose or evict what the outbox keeps there. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.redis.configured) return;
    const info = await this.redis.attempt((client) => client.info('persistence').then(async (persistence) => persistence + (await client.info('memory'))), 1000);
    if (info === REDIS_UNAVAILABLE) return;
    const value = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const problems = [
      ...(value('aof_enabled') === '1' ? [] : ['appendonly is off (a Redis restart loses the queued writes)']),
      ...(['noeviction', undefined].includes(value('maxmemory_policy')) ? [] : [`maxmemory-policy is ${value('maxmemory_policy')} (Redis may evict queued writes when full)`]),
    ];
    if (problems.length > 0) this.logger.warn(`The Redis of REDIS_URL keeps the outbox of workflow writes, but ${problems.join(' and ')}: set appendonly yes and maxmemory-policy noeviction.`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox?.close();
  }

  private warnFallback(): void {
    const now = Date.now();
    if (now - this.lastFallbackWarningAt < FALLBACK_WARNING_EVERY_MS) return;
    this.lastFallbackWarningAt = now;
    this.logger.warn(`Redis cannot be used: workflow writes are kept in this instance's file ${this.file} meanwhile, and this instance delivers them`);
  }
}
