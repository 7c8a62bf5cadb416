import { Controller, Get, Headers, HttpCode, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, ApiTags, type SchemaObject } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorAnswer, errorBody, SECURITY } from '../http/openapi-answers';
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

const DETAILS_REFUSED = 'Invalid token: the details need Authorization: Bearer <METRICS_TOKEN>.';

const AT: SchemaObject = { type: 'string', format: 'date-time' };
const SOURCE_DETAILS: SchemaObject = {
  type: 'object',
  properties: {
    warmUp: { type: 'object', required: ['state', 'at'], properties: { state: { type: 'string' }, reason: { type: 'string' }, at: AT } },
    lastLookup: { type: 'object', required: ['outcome', 'at'], properties: { outcome: { type: 'string' }, reason: { type: 'string' }, at: AT } },
  },
};

/** `Readiness` as the OpenAPI document describes it; `implements` keeps the two in step. */
class ReadinessAnswer implements Readiness {
  @ApiProperty({ enum: ['ready', 'not ready'], description: 'Ready once the tenants are loaded.' })
  status!: 'ready' | 'not ready';

  @ApiPropertyOptional({ enum: ['up', 'down'], description: 'With REDIS_URL only: whether this replica shares its state through Redis now (down, it answers from its own memory and stays ready).' })
  redis?: 'up' | 'down';

  @ApiPropertyOptional({
    description: 'With the token: workflow writes waiting in the outbox, being sent, given up, and the oldest waiting one\'s age; `unavailable` when the outbox could not be opened.',
    oneOf: [
      {
        type: 'object',
        required: ['queued', 'sending', 'dead'],
        properties: { queued: { type: 'integer' }, sending: { type: 'integer' }, dead: { type: 'integer' }, oldestWaitingSeconds: { type: 'integer' } },
      },
      { type: 'string', enum: ['unavailable'] },
    ],
  })
  outbox?: OutboxBacklog | 'unavailable';

  @ApiPropertyOptional({
    description: "With the token: per tenant, its file's state (applied, or its last refused version and why) and per source its sign-in and last lookup.",
    type: 'object',
    additionalProperties: {
      type: 'object',
      required: ['file', 'sources'],
      properties: {
        file: { type: 'string' },
        appliedAt: AT,
        refused: { type: 'object', required: ['at', 'problem'], properties: { at: AT, problem: { type: 'string' } } },
        sources: { type: 'object', additionalProperties: SOURCE_DETAILS },
      },
    },
  })
  tenants?: Record<string, TenantDetails>;
}

/**
 * Ready once tenants are loaded. Open to load balancers, it says only that (and whether Redis is up, when
 * one is configured); with `METRICS_TOKEN` as a bearer token it also shows per tenant its file's state and
 * per source its sign-in and last lookup.
 */
@ApiTags('monitoring')
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
  @ApiOperation({
    summary: 'Readiness',
    description:
      'For load balancers: 200 once the tenants are loaded, 503 before. Open without a token, it says only that (and, with REDIS_URL, whether Redis is up). With `Authorization: Bearer <METRICS_TOKEN>` it also shows the outbox and, per tenant and source, the sign-in and the last lookup; a tenant\'s token never opens them.',
  })
  @ApiSecurity({})
  @ApiSecurity(SECURITY.metricsToken)
  @ApiOkResponse({
    description: 'Ready; with the token, the details.',
    type: ReadinessAnswer,
    examples: {
      anonymous: { summary: 'Without a token', value: { status: 'ready' } },
      details: {
        summary: 'With METRICS_TOKEN',
        value: {
          status: 'ready',
          outbox: { queued: 0, sending: 0, dead: 0 },
          tenants: {
            acme: {
              file: '/etc/connector-gateway/tenants/acme.env',
              appliedAt: '2026-11-24T09:00:00.000Z',
              sources: { directory: { warmUp: { state: 'ready', at: '2026-11-24T09:00:00.000Z' }, lastLookup: { outcome: 'ok', at: '2026-11-24T09:15:00.120Z' } } },
            },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 503, description: 'Not ready yet: no tenant loaded.', type: ReadinessAnswer, example: { status: 'not ready' } })
  @ApiErrorAnswer(401, 'An `Authorization` header that is not `Bearer <METRICS_TOKEN>` (also any, while METRICS_TOKEN is unset).', {
    invalidToken: { summary: 'A wrong token', value: errorBody(401, DETAILS_REFUSED) },
  })
  async ready(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const access = metricsAccess(this.settings.METRICS_TOKEN, authorization);
    if (access === 'refused') throw new UnauthorizedException(DETAILS_REFUSED);
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
