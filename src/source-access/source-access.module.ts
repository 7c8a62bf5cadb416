import { Module } from '@nestjs/common';
import { SourceBreakers } from './source-breakers';
import { SOURCE_ACCESS_CLOCK, SourceAccess } from './source-access';

/** The one door to the sources, for lookups and workflows alike: cache, single-flight, circuit breakers, budgets, verification. */
@Module({ providers: [SourceAccess, SourceBreakers, { provide: SOURCE_ACCESS_CLOCK, useValue: Date.now }], exports: [SourceAccess, SourceBreakers] })
export class SourceAccessModule {}
