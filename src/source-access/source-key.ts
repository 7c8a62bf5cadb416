/**
 * One source of one tenant, as a map key: its budget, its circuit breaker and its cached answers are
 * all found by it. Neither id can hold a newline (`TENANT_ID_PATTERN`; source ids are ours).
 */
export function sourceKey(tenantId: string, sourceId: string): string {
  return `${tenantId}\n${sourceId}`;
}
