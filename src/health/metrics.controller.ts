import { Controller, Get, Header, Headers, Inject, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorAnswer, errorBody, SECURITY } from '../http/openapi-answers';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { metricsAccess } from './metrics-token';

const METRICS_OFF = 'Metrics are off: set METRICS_TOKEN (16+ characters) and scrape with Authorization: Bearer <METRICS_TOKEN>.';
const METRICS_REFUSED = 'Missing or invalid metrics token.';

/**
 * Prometheus exposition, behind `Authorization: Bearer <METRICS_TOKEN>`. Off without `METRICS_TOKEN`: its
 * series name tenants and sources, and the gateway faces the internet.
 */
@ApiTags('monitoring')
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: "The Prometheus exposition: lookups and workflows by outcome and source, source latency, breakers and budgets. Its series name tenants and sources, so it needs METRICS_TOKEN (a tenant's token never opens it); off (404) without it.",
  })
  @ApiSecurity(SECURITY.metricsToken)
  @ApiOkResponse({
    description: 'The metrics, in the Prometheus text format (`text/plain; version=0.0.4`).',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP gateway_lookup_duration_seconds Lookup duration, by outcome (found, not_found, withheld)\n# TYPE gateway_lookup_duration_seconds histogram\ngateway_lookup_duration_seconds_bucket{le="0.005",outcome="found"} 1\n',
      },
    },
  })
  @ApiErrorAnswer(401, 'No `Authorization: Bearer <METRICS_TOKEN>`, or a wrong one.', { invalidToken: { summary: 'Missing or invalid token', value: errorBody(401, METRICS_REFUSED) } })
  @ApiErrorAnswer(404, 'Metrics are off: METRICS_TOKEN is not set.', { off: { summary: 'METRICS_TOKEN unset', value: errorBody(404, METRICS_OFF) } })
  async expose(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<string> {
    if (this.settings.METRICS_TOKEN === undefined) {
      throw new NotFoundException(METRICS_OFF);
    }
    if (metricsAccess(this.settings.METRICS_TOKEN, authorization) !== 'granted') throw new UnauthorizedException(METRICS_REFUSED);
    // Prometheus 3 refuses a scrape whose content type it does not know (Express would say text/html).
    response.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
