import { Controller, Get, Header, Headers, Inject, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { metricsAccess } from './metrics-token';

/**
 * Prometheus exposition, behind `Authorization: Bearer <METRICS_TOKEN>`. Off without `METRICS_TOKEN`: its
 * series name tenants and sources, and the gateway faces the internet.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  async expose(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<string> {
    if (this.settings.METRICS_TOKEN === undefined) {
      throw new NotFoundException('Metrics are off: set METRICS_TOKEN (16+ characters) and scrape with Authorization: Bearer <METRICS_TOKEN>.');
    }
    if (metricsAccess(this.settings.METRICS_TOKEN, authorization) !== 'granted') throw new UnauthorizedException('Missing or invalid metrics token.');
    // Prometheus 3 refuses a scrape whose content type it does not know (Express would say text/html).
    response.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
