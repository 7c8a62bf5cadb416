import { Module } from '@nestjs/common';
import { LookupGuardModule } from '../lookup/lookup-guard.module';
import { WorkflowRegistryModule } from './workflow-registry.module';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({ imports: [WorkflowRegistryModule, LookupGuardModule], controllers: [WorkflowsController], providers: [WorkflowsService] })
export class WorkflowsModule {}
