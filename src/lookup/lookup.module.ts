import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { WorkflowRegistryModule } from '../workflows/workflow-registry.module';
import { LookupBodyReader } from './lookup-body.middleware';
import { LookupGuardModule } from './lookup-guard.module';
import { LookupController } from './lookup.controller';
import { LookupService } from './lookup.service';

@Module({ imports: [WorkflowRegistryModule, LookupGuardModule], controllers: [LookupController], providers: [LookupService] })
export class LookupModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(LookupBodyReader).forRoutes({ path: 'lookup', method: RequestMethod.ALL }, { path: 'lookup/Lookup', method: RequestMethod.ALL });
  }
}
