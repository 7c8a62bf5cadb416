import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { LookupGuardModule } from '../lookup/lookup-guard.module';
import { WorkflowBodyReader } from './workflow-body.middleware';
import { WorkflowRegistryModule } from './workflow-registry.module';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({ imports: [WorkflowRegistryModule, LookupGuardModule], controllers: [WorkflowsController], providers: [WorkflowsService] })
export class WorkflowsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WorkflowBodyReader).forRoutes({ path: 'lookup/:workflow', method: RequestMethod.POST });
  }
}
