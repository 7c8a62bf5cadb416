import { HttpModule, HttpService } from '@nestjs/axios';
import { Logger, Module } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { globalSettings, type ResolvedGlobalSettings } from '../../config/global-settings';
import { RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { loadTemplates, SHIPPED_TEMPLATES_DIR } from './template-loader';
import { TemplateSource } from './template.source';
import { TEMPLATE_SOURCES } from './template-sources.token';
import { TemplateWorkflowHandlers } from './template-workflows';

/** Open sockets per CRM host, at most, for all templates together: a hanging CRM cannot pile up more. */
export const TEMPLATE_MAX_SOCKETS = 128;

export { TEMPLATE_SOURCES };

/**
 * Reads the template files at start: a file that is not a valid template stops the start, naming the
 * file, the line and column, and the problem.
 */
@Module({
  imports: [HttpModule.register(crmHttpOptions(TEMPLATE_MAX_SOCKETS))],
  providers: [
    {
      provide: TEMPLATE_SOURCES,
      inject: [HttpService, globalSettings.KEY, RedisConnection],
      useFactory: (http: HttpService, settings: ResolvedGlobalSettings, redis: RedisConnection): readonly TemplateSource[] => {
        if (!existsSync(SHIPPED_TEMPLATES_DIR)) {
          new Logger('Templates').warn(`No shipped templates: ${SHIPPED_TEMPLATES_DIR} is missing (copy templates/ beside dist/, docs/deploying.md)`);
        }
        return loadTemplates(settings.TEMPLATES_DIR).map((loaded) => new TemplateSource(loaded, http, redis));
      },
    },
    TemplateWorkflowHandlers,
  ],
  exports: [TEMPLATE_SOURCES],
})
export class TemplateModule {}
