import { describeValue } from '../config/settings-validation';
import type { Tenant, TenantSource } from '../tenants/tenant';
import type { SourceReadiness, TenantFileStatus } from '../tenants/tenant-registry';

export const HIDDEN = '(hidden)';

/** Key names that hold a secret even where a schema forgot to say so: hidden all the same. */
const SECRET_LOOKING_KEY = /TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE|API_?KEY|CREDENTIAL/i;

export interface SettingView {
  readonly key: string;
  readonly value: string;
}

export interface SourceView {
  readonly source: string;
  readonly displayName: string;
  readonly settings: readonly SettingView[];
  readonly readiness?: SourceReadiness;
}

/** One tenant as the console shows it: its settings with every secret hidden, and what the registry knows of its file. */
export interface TenantView {
  readonly id: string;
  readonly file: string;
  readonly appliedAt?: Date;
  /** A later version of its file (or the file itself) that was not applied, and why. */
  readonly refused?: { readonly at: Date; readonly problem: string };
  /** Undefined for a file that was never valid (no tenant serves from it). */
  readonly settings?: readonly SettingView[];
  readonly sources: readonly SourceView[];
}

/**
 * A setting's value as the console may show it: hidden when the source's schema marks it `@Secret()` or
 * its name looks like a secret's; a URL without the user and password it may carry.
 */
export function shownValue(schema: (new () => object) | undefined, key: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '(not set)';
  const secret = SECRET_LOOKING_KEY.test(key) || (schema !== undefined && describeValue(schema, key, value).endsWith('(value hidden)'));
  if (secret) return HIDDEN;
  const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return withoutUrlCredentials(text);
}

function withoutUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${HIDDEN}@`);
}

function sourceView(tenantSource: TenantSource, readinessOf: (tenantSource: TenantSource) => SourceReadiness | undefined): SourceView {
  const schema = tenantSource.source.settingsSchema;
  const values = tenantSource.settings as Record<string, unknown>;
  const settings = Object.keys(values)
    .sort()
    .map((key) => ({ key, value: shownValue(schema, key, values[key]) }));
  if (tenantSource.maxRps !== undefined) settings.push({ key: `${tenantSource.source.keyPrefix}_MAX_RPS`, value: String(tenantSource.maxRps) });
  return { source: tenantSource.source.id, displayName: tenantSource.displayName, settings, readiness: readinessOf(tenantSource) };
}

/** The tenant-wide settings a `Tenant` keeps (its tokens only as a count: the registry keeps digests, never the tokens). */
function tenantSettings(tenant: Tenant): SettingView[] {
  const tokens = tenant.tokenDigests.length;
  return [
    { key: 'TOKEN', value: `${tokens} token${tokens === 1 ? '' : 's'} ${HIDDEN}` },
    { key: 'AUTH_HEADER', value: tenant.authHeader },
    { key: 'DEFAULT_REGION', value: tenant.defaultRegion },
    { key: 'RESPONSE_CASE', value: tenant.responseCase },
    { key: 'CRM_ORDER', value: tenant.sourceOrder.join(', ') },
    { key: 'CUSTOM_DATA_FIELDS', value: tenant.customDataFields.join(', ') || '(none)' },
    { key: 'TIMEZONE', value: tenant.timezone },
    { key: 'LANGUAGE', value: tenant.language },
    { key: 'WORKFLOW_DEFAULT_CRM', value: tenant.workflowDefaultSource ?? '(not set)' },
    { key: 'CACHE_TTL_S', value: String(tenant.cache.ttlMs / 1000) },
    { key: 'CACHE_MISS_TTL_S', value: String(tenant.cache.missTtlMs / 1000) },
    { key: 'CACHE_STALE_S', value: String(tenant.cache.staleMs / 1000) },
    { key: 'record ids', value: tenant.recordIdKey ? 'signed (RECORD_ID_SECRET)' : 'not signed' },
  ];
}

/** Every tenant serving, and every tenant file that was refused without one, by id. */
export function tenantViews(
  tenants: readonly Tenant[],
  statuses: ReadonlyMap<string, TenantFileStatus>,
  readinessOf: (tenantSource: TenantSource) => SourceReadiness | undefined,
): TenantView[] {
  const views: TenantView[] = tenants.map((tenant) => {
    const status = statuses.get(tenant.id);
    return {
      id: tenant.id,
      file: tenant.file,
      appliedAt: status?.appliedAt,
      refused: status?.refused,
      settings: tenantSettings(tenant),
      sources: tenant.sources.map((tenantSource) => sourceView(tenantSource, readinessOf)),
    };
  });
  const serving = new Set(tenants.map((tenant) => tenant.id));
  for (const [id, status] of statuses) {
    if (!serving.has(id)) views.push({ id, file: status.file, appliedAt: status.appliedAt, refused: status.refused, sources: [] });
  }
  return views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
