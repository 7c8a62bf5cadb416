import { Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { TenantTokenGuard } from './auth/tenant-token.guard';
import { GlobalSettingsModule } from './config/global-settings.module';
import { HealthModule } from './health/health.module';
import { GatewayExceptionFilter } from './http/exception.filter';
import { GracefulStop } from './lifecycle';
import { LoggingModule } from './logging/logging.module';
import { LogosController } from './logos/logos.controller';
import { LookupModule } from './lookup/lookup.module';
import { ObservabilityModule } from './observability/observability.module';
import { SharedStateModule } from './shared-state/shared-state.module';
import { OutboxModule } from './outbox/outbox.module';
import { AdminModule } from './admin/admin.module';
import { TenantsModule } from './tenants/tenants.module';
import { VALIDATION_OPTIONS } from './validation/validation-options';
import { WorkflowsModule } from './workflows/workflows.module';

@Module({
  // LookupModule before WorkflowsModule: `POST /lookup/Lookup` must win over `POST /lookup/:workflow`.
  imports: [GlobalSettingsModule, SharedStateModule, OutboxModule, TenantsModule, LoggingModule, ObservabilityModule, AuthModule, HealthModule, LookupModule, WorkflowsModule, AdminModule],
  controllers: [LogosController],
  providers: [
    GracefulStop,
    { provide: APP_GUARD, useClass: TenantTokenGuard },
    { provide: APP_PIPE, useValue: new ValidationPipe(VALIDATION_OPTIONS) },
    { provide: APP_FILTER, useClass: GatewayExceptionFilter },
  ],
})
export class AppModule {}
