import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsController } from './metrics.controller';
import { ReadinessController } from './readiness.controller';
import { SourceHealth } from './source-health';

/** Metrics (`/metrics`) and readiness (`/health/ready`), available to every module. */
@Global()
@Module({
  controllers: [MetricsController, ReadinessController],
  providers: [GatewayMetrics, SourceHealth],
  exports: [GatewayMetrics, SourceHealth],
})
export class ObservabilityModule {}
