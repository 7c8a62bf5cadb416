import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { Secret, type SettingProblem } from '../../config/settings-validation';
import type { Template } from './template-format';

/** The tenant key that turns templates on: `TEMPLATES=pipedrive,zoho`. Declared by the core's tenant keys too. */
export const TEMPLATES_KEY = 'TEMPLATES';

/** One tenant's settings for one template: its `<PREFIX>_…` keys by full name, and the `TEMPLATES` list. */
export type TemplateSettings = Record<string, string | undefined>;

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const trimSlash = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.replace(/\/+$/, '') : value);

export function templateKey(template: Template, name: string): string {
  return `${template.prefix}_${name}`;
}

/** The ids a `TEMPLATES` value lists, lower-cased. */
export function listedTemplates(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter((id) => id !== '');
}

/**
 * The class-validator schema of one template's tenant keys, built once per template at start (as
 * `sourceCommonSchema` builds its classes: never per tenant file, so class-validator's registry does not
 * grow with reloads): `<PREFIX>_BASE_URL`, `<PREFIX>_TOKEN_URL` when it signs in with OAuth, each
 * declared parameter (its pattern, secret when it says so, its default), and `TEMPLATES`, read to know
 * whether the tenant turned it on. Required parameters are checked in `templateSettingProblems`, only
 * for tenants that use the template.
 */
export function templateSettingsSchema(template: Template): new () => TemplateSettings {
  const defaults: Record<string, string> = { [templateKey(template, 'BASE_URL')]: template.baseUrl };
  // A default token address with parameters ({{param.TENANT_ID}}) is rendered when signing in, unless the tenant sets its own.
  if (template.auth.type === 'oauth2' && !template.auth.tokenUrl.includes('{{')) defaults[templateKey(template, 'TOKEN_URL')] = template.auth.tokenUrl;
  for (const parameter of template.parameters) if (parameter.default !== undefined) defaults[templateKey(template, parameter.name)] = parameter.default;

  class TemplateTenantSettings {
    [key: string]: string | undefined;
    constructor() {
      Object.assign(this, defaults);
    }
  }
  const prototype = TemplateTenantSettings.prototype as object;
  const urlKeys = [templateKey(template, 'BASE_URL'), ...(template.auth.type === 'oauth2' ? [templateKey(template, 'TOKEN_URL')] : [])];
  for (const key of urlKeys) {
    Transform(trimSlash)(prototype, key);
    if (defaults[key] === undefined) IsOptional()(prototype, key);
    IsUrl(URL_RULE, { message: `must be an absolute http(s) URL${defaults[key] === undefined ? '' : ` (default ${defaults[key]})`}` })(prototype, key);
  }
  for (const parameter of template.parameters) {
    const key = templateKey(template, parameter.name);
    if (parameter.secret) Secret()(prototype, key);
    IsOptional()(prototype, key);
    IsString()(prototype, key);
    if (parameter.pattern !== undefined) {
      Matches(new RegExp(`^(?:${parameter.pattern})$`), { message: parameter.description ? `must be ${parameter.description}` : `must match ${parameter.pattern}` })(prototype, key);
    }
  }
  IsOptional()(prototype, TEMPLATES_KEY);
  IsString()(prototype, TEMPLATES_KEY);
  return TemplateTenantSettings;
}

export function isTemplateEnabled(template: Template, settings: TemplateSettings): boolean {
  return listedTemplates(settings[TEMPLATES_KEY]).includes(template.id);
}

/**
 * For a tenant that turned the template on: its required parameters that are missing. For one that did
 * not: the template's own keys it sets anyway (a template left out of `TEMPLATES` by mistake would
 * otherwise be silently off).
 */
export function templateSettingProblems(template: Template, settings: TemplateSettings): SettingProblem[] {
  const where = `template ${template.id} (${template.file})`;
  if (isTemplateEnabled(template, settings)) {
    return template.parameters
      .filter((p) => p.required && settings[templateKey(template, p.name)] === undefined)
      .map((p) => ({ key: `${templateKey(template, p.name)} (not set)`, problem: `missing: ${where} needs it${p.description ? ` (${p.description})` : ''}` }));
  }
  return template.parameters
    .filter((p) => p.default === undefined && settings[templateKey(template, p.name)] !== undefined)
    .map((p) => ({
      key: `${templateKey(template, p.name)}${p.secret ? ' (value hidden)' : ''}`,
      problem: `set, but ${template.id} is not in ${TEMPLATES_KEY}: add it (${TEMPLATES_KEY}=${template.id}) or remove this key`,
    }));
}
