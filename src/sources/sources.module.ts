import { Module } from '@nestjs/common';
import { DirectoryModule } from './directory/directory.module';
import { DirectorySource } from './directory/directory.source';
import { LOOKUP_SOURCES, type LookupSource } from './source';

/** Every lookup source the gateway knows, in default priority order. A new CRM adds one line here. */
@Module({
  imports: [DirectoryModule],
  providers: [
    {
      provide: LOOKUP_SOURCES,
      inject: [DirectorySource],
      useFactory: (...sources: LookupSource[]): readonly LookupSource[] => sources,
    },
  ],
  exports: [LOOKUP_SOURCES],
})
export class SourcesModule {}
