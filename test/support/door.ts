import { Logger, type LogLevel } from '@nestjs/common';
import { loadGlobalSettings, type ResolvedGlobalSettings } from '../../src/config/global-settings';
import { GatewayMetrics } from '../../src/observability/gateway-metrics';
import { SourceAccess } from '../../src/source-access/source-access';
import { SourceBreakers } from '../../src/source-access/source-breakers';
import { RedisConnection } from '../../src/shared-state/redis-connection';
import type { Tenant } from '../../src/tenants/tenant';
import type { TenantChange, TenantRegistry } from '../../src/tenants/tenant-registry';

/** The registry as the door sees it: the tenants, and their changes, announced when a test says so. */
export class TenantsStub implements Pick<TenantRegistry, 'all' | 'onChange'> {
  private readonly listeners: Array<(change: TenantChange) => void> = [];

  constructor(private tenants: readonly Tenant[] = []) {}

  all(): readonly Tenant[] {
    return this.tenants;
  }

  onChange(listener: (change: TenantChange) => void): void {
    this.listeners.push(listener);
  }

  /** As a reload does: `after` replaces `before` (either may be undefined: added, removed). */
  change(before: Tenant | undefined, after: Tenant | undefined): void {
    const id = (before ?? after)!.id;
    this.tenants = [...this.tenants.filter((t) => t.id !== id), ...(after ? [after] : [])];
    for (const listener of this.listeners) listener({ id, before, after });
  }
}

export interface Door {
  /** What the door's parts logged through Nest's logger (the breakers), as `warn: message`. */
  readonly logged: string[];
  readonly settings: ResolvedGlobalSettings;
  readonly metrics: GatewayMetrics;
  readonly breakers: SourceBreakers;
  readonly tenants: TenantsStub;
  readonly door: SourceAccess;
  /** Configured when `env` has `REDIS_URL`; `connect` it before use and `close` it after. */
  readonly redis: RedisConnection;
}

/** The source-access door with its real collaborators, on global settings from `env` and the clock `now`. */
export function openDoor(options: { env?: Readonly<Record<string, string>>; now?: () => number } = {}): Door {
  const logged: string[] = [];
  const keep = (level: LogLevel) => (message: unknown): void => void logged.push(`${level}: ${String(message)}`);
  Logger.overrideLogger({ log: keep('log'), warn: keep('warn'), error: keep('error'), debug: keep('debug'), verbose: keep('verbose'), fatal: keep('fatal') });
  const settings = loadGlobalSettings({ ...options.env });
  const metrics = new GatewayMetrics();
  const breakers = new SourceBreakers(settings, metrics);
  const tenants = new TenantsStub();
  const redis = new RedisConnection(settings, metrics);
  return { logged, settings, metrics, breakers, tenants, redis, door: new SourceAccess(breakers, metrics, tenants, options.now ?? Date.now, redis) };
}

/** A counter's or histogram's samples as `{ 'label|label': value }` (histograms: their `_count`). */
export async function samples(metrics: GatewayMetrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = (await metric.get()) as { values: Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }> };
  return Object.fromEntries(
    values
      .filter((v) => v.metricName === undefined || v.metricName === `${name}_count`)
      .map((v) => [Object.entries(v.labels).filter(([label]) => label !== 'le').map(([, value]) => String(value)).join('|'), v.value]),
  );
}
