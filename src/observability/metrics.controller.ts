import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from './gateway-metrics';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Prometheus exposition; behind `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  async expose(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const expected = this.settings.METRICS_TOKEN;
    if (expected !== undefined) {
      const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(digest(given), digest(expected))) throw new UnauthorizedException('Missing or invalid metrics token.');
    }
    return this.metrics.registry.metrics();
  }
}
