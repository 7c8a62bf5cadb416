import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReadinessController } from './readiness.controller';

/** What monitors and the admin read: liveness, readiness (details with `METRICS_TOKEN`), Prometheus metrics. */
@Module({ controllers: [HealthController, MetricsController, ReadinessController] })
export class HealthModule {}
