import type { InjectionToken } from '@nestjs/common';
import type { TemplateSource } from './template.source';

/** One source per template file: the shipped ones (`templates/`), then those of `TEMPLATES_DIR`. */
export const TEMPLATE_SOURCES: InjectionToken<readonly TemplateSource[]> = Symbol('TEMPLATE_SOURCES');
