import { Module } from '@nestjs/common';
import { SourceBreakers } from '../resilience/source-breakers';
import { SourceGuard } from './source-guard';

/** The cache, circuit breakers and budgets between lookups (and workflows) and the sources. */
@Module({ providers: [SourceGuard, SourceBreakers], exports: [SourceGuard] })
export class LookupGuardModule {}
