import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { SourceAccessModule } from '../source-access/source-access.module';
import { WorkflowBodyReader } from './workflow-body.middleware';
import { WorkflowRegistryModule } from '../sources/workflow-registry.module';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';
import { DeliveryWorker } from './delivery-worker';

@Module({
  imports: [WorkflowRegistryModule, SourceAccessModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, DeliveryWorker],
  exports: [DeliveryWorker],
})
export class WorkflowsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WorkflowBodyReader).forRoutes({ path: 'lookup/:workflow', method: RequestMethod.POST });
  }
}
