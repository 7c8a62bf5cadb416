import { Module } from '@nestjs/common';
import { DirectoryModule } from './directory/directory.module';
import { DirectorySource } from './directory/directory.source';
import { HubSpotModule } from './hubspot/hubspot.module';
import { HubSpotSource } from './hubspot/hubspot.source';
import { SalesforceModule } from './salesforce/salesforce.module';
import { SalesforceSource } from './salesforce/salesforce.source';
import { SugarModule } from './sugar/sugar.module';
import { SugarSource } from './sugar/sugar.source';
import { TEMPLATE_SOURCES, TemplateModule } from './template/template.module';
import { checkTemplatesBeside } from './template/template-loader';
import type { TemplateSource } from './template/template.source';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';

/** Every lookup source the gateway knows, in default priority order. A new CRM adds itself here. */
export const SOURCE_CLASSES = [SalesforceSource, HubSpotSource, SugarSource, DirectorySource] as const;

/** The built-in sources, then one per template file (after them in the default order); a template may not take a built-in's id or prefix. */
export function withTemplates(builtIn: readonly LookupSource[], templates: readonly TemplateSource[]): LookupSource[] {
  checkTemplatesBeside(builtIn, templates);
  return [...builtIn, ...templates];
}

@Module({
  imports: [SalesforceModule, HubSpotModule, SugarModule, DirectoryModule, TemplateModule],
  providers: [
    {
      provide: LOOKUP_SOURCES,
      inject: [TEMPLATE_SOURCES, ...SOURCE_CLASSES],
      useFactory: (templates: readonly TemplateSource[], ...sources: LookupSource[]): readonly LookupSource[] => withTemplates(sources, templates),
    },
  ],
  exports: [LOOKUP_SOURCES],
})
export class SourcesModule {}
