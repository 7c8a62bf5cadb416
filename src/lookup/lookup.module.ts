import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { WorkflowRegistryModule } from '../sources/workflow-registry.module';
import { LookupBodyReader } from './lookup-body.middleware';
import { SourceAccessModule } from '../source-access/source-access.module';
import { LookupController } from './lookup.controller';
import { LookupService } from './lookup.service';
import { LOOKUP_HISTORY_CLOCK, LookupHistory } from './lookup-history';
import { LookupExplainer } from './lookup-explainer';

/** The CONNECTOR's lookups, and what the admin sees of them (`LookupHistory`, `LookupExplainer`, exported for the console). */
@Module({
  imports: [WorkflowRegistryModule, SourceAccessModule],
  controllers: [LookupController],
  providers: [LookupService, LookupHistory, LookupExplainer, { provide: LOOKUP_HISTORY_CLOCK, useValue: Date.now }],
  exports: [LookupHistory, LookupExplainer],
})
export class LookupModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Not on `GET /lookup`, the CONNECTOR's own form: its number is in the query, and the hot path skips a middleware.
    consumer.apply(LookupBodyReader).forRoutes({ path: 'lookup', method: RequestMethod.POST }, { path: 'lookup/Lookup', method: RequestMethod.ALL });
  }
}
