import { Module } from '@nestjs/common';
import { DirectoryModule } from './directory/directory.module';
import { DirectorySource } from './directory/directory.source';
import { HubSpotModule } from './hubspot/hubspot.module';
import { HubSpotSource } from './hubspot/hubspot.source';
import { SalesforceModule } from './salesforce/salesforce.module';
import { SalesforceSource } from './salesforce/salesforce.source';
import { SugarModule } from './sugar/sugar.module';
import { SugarSource } from './sugar/sugar.source';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';

/** Every lookup source the gateway knows, in default priority order. A new CRM adds itself here. */
export const SOURCE_CLASSES = [SalesforceSource, HubSpotSource, SugarSource, DirectorySource] as const;

@Module({
  imports: [SalesforceModule, HubSpotModule, SugarModule, DirectoryModule],
  providers: [
    {
      provide: LOOKUP_SOURCES,
      inject: [...SOURCE_CLASSES],
      useFactory: (...sources: LookupSource[]): readonly LookupSource[] => sources,
    },
  ],
  exports: [LOOKUP_SOURCES],
})
export class SourcesModule {}
