import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WorkflowRegistry } from './workflow-registry';

@Module({ imports: [DiscoveryModule], providers: [WorkflowRegistry], exports: [WorkflowRegistry] })
export class WorkflowRegistryModule {}
