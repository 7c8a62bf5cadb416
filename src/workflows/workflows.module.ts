import { Module } from '@nestjs/common';
import { WorkflowRegistryModule } from './workflow-registry.module';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({ imports: [WorkflowRegistryModule], controllers: [WorkflowsController], providers: [WorkflowsService] })
export class WorkflowsModule {}
