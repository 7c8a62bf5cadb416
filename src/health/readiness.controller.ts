import { Controller, Get, Headers, HttpCode, Inject, Res, UnauthorizedException } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { TenantRegistry, type TenantFileStatus } from '../tenants/tenant-registry';
import { metricsAccess } from './metrics-token';
import { SourceHealth } from '../observability/source-health';
import { RedisConnection } from '../shared-state/redis-connection';
import { OutboxStore } from '../outbox/outbox-store';

interface SourceDetails {
  /** The sign-in and first reads made when these settings were applied; later lookups are in `lastLookup`. */
  readonly warmUp?: { readonly state: string; readonly reason?: string; readonly at: string };
  readonly lastLookup?: { readonly outcome: string; readonly reason?: string; readonly at: string };
}

interface TenantDetails {
  readonly file: string;
  readonly appliedAt?: string;
  /** The file's last version that was not applied, and why. */
  readonly refused?: { readonly at: string; readonly problem: string };
  readonly sources: Record<string, SourceDetails>;
}

export interface Readiness {
  readonly status: 'ready' | 'not ready';
  /**
   * With `REDIS_URL` only: whether this replica shares its state through Redis right now. Redis down
   * leaves the replica ready (it answers from its own memory), so a balancer must not take it out.
   */
  readonly redis?: 'up' | 'down';
  /** With the token: workflow writes waiting in the outbox, given up, and the oldest waiting one's age. */
  readonly outbox?: OutboxBacklog | 'unavailable';
  readonly tenants?: Record<string, TenantDetails>;
}

interface OutboxBacklog {
  readonly queued: number;
  readonly sending: number;
  readonly dead: number;
  readonly oldestWaitingSeconds?: number;
}

/**
 * Ready once tenants are loaded. Open to load balancers, it says only that (and whether Redis is up, when
 * one is configured); with `METRICS_TOKEN` as a bearer token it also shows per tenant its file's state and
 * per source its sign-in and last lookup.
 */
@Controller('health/ready')
export class ReadinessController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly tenants: TenantRegistry,
    private readonly health: SourceHealth,
    private readonly redis: RedisConnection,
    private readonly outboxStore: OutboxStore,
  ) {}

  @Public()
  @Get()
  @HttpCode(200)
  async ready(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const access = metricsAccess(this.settings.METRICS_TOKEN, authorization);
    if (access === 'refused') throw new UnauthorizedException('Invalid token: the details need Authorization: Bearer <METRICS_TOKEN>.');
    const ready = this.tenants.all().length > 0;
    if (!ready) response.status(503);
    const status = ready ? 'ready' : 'not ready';
    const redis = this.redis.configured ? { redis: this.redis.up ? ('up' as const) : ('down' as const) } : {};
    return access === 'granted' ? { status, ...redis, outbox: await this.backlog(), tenants: this.details() } : { status, ...redis };
  }

  private async backlog(): Promise<OutboxBacklog | 'unavailable'> {
    const outbox = this.outboxStore.outbox;
    if (!outbox) return 'unavailable';
    const counts = await outbox.counts();
    const sum = (key: 'queued' | 'sending' | 'dead'): number => counts.reduce((total, c) => total + c[key], 0);
    const oldest = Math.min(...counts.map((c) => c.oldestWaitingSince ?? Number.POSITIVE_INFINITY));
    return { queued: sum('queued'), sending: sum('sending'), dead: sum('dead'), oldestWaitingSeconds: Number.isFinite(oldest) ? Math.round((Date.now() - oldest) / 1000) : undefined };
  }

  private details(): Record<string, TenantDetails> {
    const details: Record<string, TenantDetails> = {};
    const files = this.tenants.fileStatuses();
    for (const tenant of this.tenants.all()) {
      const sources: Record<string, SourceDetails> = {};
      for (const tenantSource of tenant.sources) {
        const warmUp = this.tenants.readinessOf(tenantSource);
        const last = this.health.lastOf(tenantSource.settings);
        sources[tenantSource.source.id] = {
          warmUp: warmUp && { state: warmUp.state, reason: warmUp.reason, at: warmUp.at.toISOString() },
          lastLookup: last && { outcome: last.outcome, reason: last.reason, at: new Date(last.at).toISOString() },
        };
      }
      details[tenant.id] = { ...fileDetails(files.get(tenant.id), tenant.file), sources };
    }
    for (const [id, status] of files) {
      if (!details[id]) details[id] = { ...fileDetails(status, status.file), sources: {} };
    }
    return details;
  }
}

function fileDetails(status: TenantFileStatus | undefined, file: string): Omit<TenantDetails, 'sources'> {
  return {
    file,
    appliedAt: status?.appliedAt?.toISOString(),
    refused: status?.refused && { at: status.refused.at.toISOString(), problem: status.refused.problem },
  };
}
