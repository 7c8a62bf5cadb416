import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';
import { SourceHealth } from './source-health';

/** The metrics and each source's last outcomes, recorded by every module (served by the health routes). */
@Global()
@Module({
  providers: [GatewayMetrics, SourceHealth],
  exports: [GatewayMetrics, SourceHealth],
})
export class ObservabilityModule {}
