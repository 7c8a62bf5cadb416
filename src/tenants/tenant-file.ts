import { hash } from 'node:crypto';
import { parse as parseEnv } from 'dotenv';
import type { CountryCode } from 'libphonenumber-js/max';
import { recordIdKey } from '../core/record-id';
import type { LookupSource, QuotaLimits } from '../core/source';
import { ConfigurationError, declaredKeys, describeValue, unknownKeyProblem, validateSettings, type SettingProblem } from '../config/settings-validation';
import { TemplateSource } from '../sources/template/template.source';
import { listedTemplates, TEMPLATES_KEY } from '../sources/template/template-settings';
import type { CustomDataField, Tenant, TenantSource } from './tenant';
import { sourceCommonSchema, TenantCoreSettings } from './tenant-settings';

export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Runs on every request (the guard digests what the caller presents): the one-shot `hash` is the cheap form. */
export function digestToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

interface SourceKeys {
  readonly source: LookupSource;
  readonly settingsSchema: new () => object;
  readonly displaySchema: new () => object;
}

/** A tenant file refused: why, and whether the reason lies in another file (a token that tenant uses). */
export interface RefusedTenantFile {
  readonly problem: ConfigurationError;
  readonly becauseOfAnotherFile?: boolean;
}

/**
 * Which tenant uses each token (by its digest): the check that no two tenants share a token is one look
 * per token, however many tenants there are.
 */
export class TokenOwners {
  private readonly owners = new Map<string, Tenant>();

  constructor(tenants: Iterable<Tenant> = []) {
    for (const tenant of tenants) this.add(tenant);
  }

  add(tenant: Tenant): void {
    for (const digest of tenant.tokenDigests) this.owners.set(digest.toString('base64'), tenant);
  }

  remove(tenant: Tenant): void {
    for (const digest of tenant.tokenDigests) {
      const key = digest.toString('base64');
      if (this.owners.get(key) === tenant) this.owners.delete(key);
    }
  }

  /** A tenant other than `tenant` (by id) that uses one of its tokens. */
  otherOwner(tenant: Tenant): Tenant | undefined {
    for (const digest of tenant.tokenDigests) {
      const owner = this.owners.get(digest.toString('base64'));
      if (owner && owner.id !== tenant.id) return owner;
    }
    return undefined;
  }
}

/**
 * Reads `<id>.env` as a tenant beside the tenants of `owners`: a valid file name, valid keys, and tokens
 * no other tenant uses.
 */
export function readTenantFile(
  id: string,
  path: string,
  content: string,
  sources: readonly LookupSource[],
  recordIdSecret: string | undefined,
  owners: TokenOwners,
): { tenant: Tenant } | RefusedTenantFile {
  if (!TENANT_ID_PATTERN.test(id)) {
    return { problem: new ConfigurationError(path, [{ key: '(file name)', problem: 'the tenant id must start with a letter or digit and hold only letters, digits, - and _' }]) };
  }
  const parsed = parseTenantFile(id, path, content, sources, recordIdSecret);
  if (parsed.tenant === undefined) return { problem: new ConfigurationError(path, parsed.problems) };
  const other = owners.otherOwner(parsed.tenant);
  if (other) {
    const problem = { key: 'TOKEN (value hidden)', problem: `the same token is also used by tenant ${other.id} (${other.file}); every tenant needs its own` };
    return { problem: new ConfigurationError(path, [problem]), becauseOfAnotherFile: true };
  }
  return { tenant: parsed.tenant };
}

export type TenantFileResult = { tenant: Tenant; problems: [] } | { tenant: undefined; problems: SettingProblem[] };

/**
 * Reads one `<tenant-id>.env` file: the core keys, then each source's own keys (declared by its schema).
 * Any key no schema declares is a problem, so a typo never silently disables a source.
 */
export function parseTenantFile(
  id: string,
  file: string,
  content: string,
  sources: readonly LookupSource[],
  recordIdSecret?: string,
): TenantFileResult {
  const raw = parseEnv(content);
  const problems: SettingProblem[] = duplicateKeyProblems(content);

  const core = validateSettings(TenantCoreSettings, raw);
  problems.push(...core.problems);

  const perSource: SourceKeys[] = sources.map((source) => ({
    source,
    settingsSchema: source.settingsSchema,
    displaySchema: sourceCommonSchema(source.keyPrefix),
  }));
  const known = new Set([
    ...declaredKeys(TenantCoreSettings),
    ...perSource.flatMap((s) => [...declaredKeys(s.settingsSchema), ...declaredKeys(s.displaySchema)]),
  ]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) problems.push({ key, problem: unknownKeyProblem(key, [...known], 'tenants/example.env.example') });
  }

  const enabled: TenantSource[] = [];
  const rawKeys = Object.keys(raw);
  const listed = listedTemplates(raw[TEMPLATES_KEY]);
  for (const { source, settingsSchema, displaySchema } of perSource) {
    // A template the file neither lists nor sets a key of is off, with nothing to check: skipped, as
    // validating every shipped template's keys for every file made a start of 10,000 tenants 1.5× slower.
    if (isUnusedTemplate(source, listed, rawKeys)) continue;
    const own = validateSettings(settingsSchema, raw);
    const display = validateSettings(displaySchema, raw);
    const crossKey = own.problems.length === 0 ? (source.settingProblems?.(own.settings) ?? []) : [];
    problems.push(...own.problems, ...crossKey, ...display.problems);
    if (own.problems.length > 0 || crossKey.length > 0 || !source.isEnabled(own.settings)) continue;
    const common = display.settings as Record<string, string | number | undefined>;
    const maxRps = common[`${source.keyPrefix}_MAX_RPS`] as number | undefined;
    enabled.push({
      source,
      settings: own.settings,
      displayName: (common[`${source.keyPrefix}_NAME`] as string | undefined) ?? source.defaultDisplayName,
      logoUrl: common[`${source.keyPrefix}_LOGO_URL`] as string | undefined,
      maxRps: maxRps ? maxRps : undefined,
      quota: quotaOf(source, common),
    });
  }

  const sourceOrder = resolveSourceOrder(core.settings.CRM_ORDER, sources, problems);
  if (!core.problems.some((p) => p.key.startsWith('TEMPLATES'))) checkTemplateIds(core.settings.TEMPLATES, sources, problems);
  const defaultCrm = core.settings.WORKFLOW_DEFAULT_CRM;
  if (defaultCrm !== undefined && !enabled.some((s) => s.source.id === defaultCrm)) {
    problems.push({
      key: describeValue(TenantCoreSettings, 'WORKFLOW_DEFAULT_CRM', defaultCrm),
      problem: `must name a source enabled for this tenant (enabled: ${enabled.map((s) => s.source.id).join(', ') || 'none'})`,
    });
  }
  if (problems.length > 0) return { tenant: undefined, problems };

  const settings = core.settings;
  return {
    problems: [],
    tenant: {
      id,
      file,
      authHeader: settings.AUTH_HEADER.toLowerCase(),
      tokenDigests: splitList(settings.TOKEN).map(digestToken),
      defaultRegion: settings.DEFAULT_REGION as CountryCode,
      responseCase: settings.RESPONSE_CASE,
      sourceOrder,
      customDataFields: [...new Set(splitList(settings.CUSTOM_DATA_FIELDS))] as CustomDataField[],
      sources: enabled,
      timezone: settings.TIMEZONE,
      language: settings.LANGUAGE,
      workflowDefaultSource: defaultCrm,
      cache: { ttlMs: settings.CACHE_TTL_S * 1000, missTtlMs: settings.CACHE_MISS_TTL_S * 1000, staleMs: settings.CACHE_STALE_S * 1000 },
      recordIdKey: recordIdSecret === undefined ? undefined : recordIdKey(recordIdSecret, id),
    },
  };
}

/** A template this file does not list in `TEMPLATES` and sets no `<PREFIX>_…` key of. */
function isUnusedTemplate(source: LookupSource, listed: readonly string[], rawKeys: readonly string[]): boolean {
  return source instanceof TemplateSource && !listed.includes(source.id) && !rawKeys.some((key) => key.startsWith(`${source.keyPrefix}_`));
}

/** The tenant's quota keys over the source's defaults; 0 lifts a cap. Undefined when nothing is capped. */
function quotaOf(source: LookupSource, common: Record<string, string | number | undefined>): QuotaLimits | undefined {
  const perDay = (common[`${source.keyPrefix}_QUOTA_PER_DAY`] as number | undefined) ?? source.quota?.perDay;
  const perMonth = (common[`${source.keyPrefix}_QUOTA_PER_MONTH`] as number | undefined) ?? source.quota?.perMonth;
  const quota = { ...(perDay ? { perDay } : {}), ...(perMonth ? { perMonth } : {}) };
  return Object.keys(quota).length > 0 ? quota : undefined;
}

/**
 * A key given twice: dotenv would keep the last value and drop the first without a word (a second
 * `TOKEN=` line written to rotate a token would lock the old one out).
 */
function duplicateKeyProblems(content: string): SettingProblem[] {
  const lines = new Map<string, number[]>();
  content.split(/\r?\n/).forEach((line, i) => {
    for (const key of Object.keys(parseEnv(line))) lines.set(key, [...(lines.get(key) ?? []), i + 1]);
  });
  return [...lines]
    .filter(([, at]) => at.length > 1)
    .map(([key, at]) => ({
      key,
      problem:
        `given ${at.length} times (lines ${at.join(', ')}); keep one line` +
        (key === 'TOKEN' ? ': to rotate, list both tokens in it, comma-separated (TOKEN=new-token,old-token)' : ''),
    }));
}

/** `TEMPLATES` may name only the templates that were loaded (shipped, or in `TEMPLATES_DIR`). */
function checkTemplateIds(templates: string | undefined, sources: readonly LookupSource[], problems: SettingProblem[]): void {
  const known = sources.filter((s) => s instanceof TemplateSource).map((s) => s.id);
  const unknown = listedTemplates(templates).filter((id) => !known.includes(id));
  if (unknown.length === 0) return;
  problems.push({
    key: describeValue(TenantCoreSettings, 'TEMPLATES', templates),
    problem: `names unknown template(s) ${unknown.join(', ')}; known templates: ${known.join(', ') || 'none'} (the shipped ones in templates/ and those of TEMPLATES_DIR; see docs/templates.md)`,
  });
}

function resolveSourceOrder(
  crmOrder: string | undefined,
  sources: readonly LookupSource[],
  problems: SettingProblem[],
): string[] {
  const registered = sources.map((s) => s.id);
  const listed = crmOrder === undefined ? [] : splitList(crmOrder).map((id) => id.toLowerCase());
  const unknown = listed.filter((id) => !registered.includes(id));
  if (unknown.length > 0) {
    problems.push({
      key: describeValue(TenantCoreSettings, 'CRM_ORDER', crmOrder),
      problem: `names unknown source(s) ${unknown.join(', ')}; known sources: ${registered.join(', ')}`,
    });
  }
  return [...new Set([...listed, ...registered])];
}
