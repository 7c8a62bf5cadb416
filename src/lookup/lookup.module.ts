import { Module } from '@nestjs/common';
import { WorkflowRegistryModule } from '../workflows/workflow-registry.module';
import { LookupGuardModule } from './lookup-guard.module';
import { LookupController } from './lookup.controller';
import { LookupService } from './lookup.service';

@Module({ imports: [WorkflowRegistryModule, LookupGuardModule], controllers: [LookupController], providers: [LookupService] })
export class LookupModule {}
