import type { Tenant, TenantSource } from '../tenants/tenant';

/**
 * A fallback source is asked only with at least this much of the deadline left: a request that cannot
 * answer in time still spends the service's quota.
 */
export const FALLBACK_MIN_MS = 250;

const NONE: readonly TenantSource[] = [];

/** The tenant's sources asked on every lookup, and those asked only when none of the first matched. */
export function tiersOf(tenant: Tenant): { primary: readonly TenantSource[]; fallback: readonly TenantSource[] } {
  if (!tenant.sources.some((s) => s.source.tier === 'fallback')) return { primary: tenant.sources, fallback: NONE };
  const primary: TenantSource[] = [];
  const fallback: TenantSource[] = [];
  for (const tenantSource of tenant.sources) (tenantSource.source.tier === 'fallback' ? fallback : primary).push(tenantSource);
  return { primary, fallback };
}

/**
 * Why the fallback sources are not asked in this lookup, or undefined when they are: only for a caller
 * none of the tenant's other sources knows (`matched`: one has a verified record), and only with at least
 * `FALLBACK_MIN_MS` of the deadline left.
 */
export function whyNoFallback(matched: boolean, leftMs: number): string | undefined {
  if (matched) return 'another source matched (a fallback is asked only for callers no other source knows)';
  if (leftMs < FALLBACK_MIN_MS) return 'too little of the deadline left after the other sources';
  return undefined;
}
