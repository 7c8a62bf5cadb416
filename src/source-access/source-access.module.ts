import { Module } from '@nestjs/common';
import { SourceBreakers } from './source-breakers';
import { SourceAccess } from './source-access';

/** The cache, circuit breakers and budgets between lookups (and workflows) and the sources. */
@Module({ providers: [SourceAccess, SourceBreakers], exports: [SourceAccess] })
export class SourceAccessModule {}
