import { Module } from '@nestjs/common';
import { WorkflowRegistryModule } from '../workflows/workflow-registry.module';
import { DispatchGate } from './dispatch-gate';
import { LookupGuardModule } from './lookup-guard.module';
import { LookupController } from './lookup.controller';
import { LookupService } from './lookup.service';

@Module({
  imports: [WorkflowRegistryModule, LookupGuardModule],
  controllers: [LookupController],
  // One gate for the whole server: `configureApp` tells it of every accepted connection.
  providers: [LookupService, { provide: DispatchGate, useFactory: (): DispatchGate => new DispatchGate() }],
  exports: [DispatchGate],
})
export class LookupModule {}
