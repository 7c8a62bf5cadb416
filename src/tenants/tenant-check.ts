import { Inject, Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { normalizeIncoming } from '../phone';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';
import { SourceError } from '../core/source-error';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { ConfigurationError } from '../config/settings-validation';
import type { Tenant, TenantSource } from './tenant';
import { readTenantFile, TokenOwners } from './tenant-file';
import { listTenantFiles } from './tenant-files';

/** A number valid in the Swiss plan that nobody has: the check's search reads, and finds nothing. */
const UNUSED_NUMBER = '+41 31 000 00 00';
/** Each source's sign-in and read may take this long; a CRM slower than that fails lookups anyway. */
const SOURCE_CHECK_TIMEOUT_MS = 20_000;

export interface CheckRow {
  readonly tenant: string;
  /** A source id, or `(file)` for the tenant file itself. */
  readonly source: string;
  readonly ok: boolean;
  readonly result: string;
}

/**
 * What `npm run check` checks, without starting the server: every tenant file against the same rules as
 * at start, then per enabled source a sign-in and one search for a number nobody has (a read, it writes
 * nothing).
 */
@Injectable()
export class TenantCheck {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
  ) {}

  async run(): Promise<CheckRow[]> {
    const files = await listTenantFiles(resolve(this.settings.TENANTS_DIR));
    if (files.length === 0) return [{ tenant: '(none)', source: '(folder)', ok: false, result: `${this.settings.TENANTS_DIR} holds no <tenant-id>.env file` }];
    const rows: CheckRow[] = [];
    const valid = new TokenOwners();
    for (const file of files) {
      const read = readTenantFile(file.id, file.path, await readFile(file.path, 'utf8'), this.sources, this.settings.RECORD_ID_SECRET, valid);
      if ('problem' in read) {
        rows.push({ tenant: file.id, source: '(file)', ok: false, result: problemsOf(read.problem) });
        continue;
      }
      valid.add(read.tenant);
      if (read.tenant.sources.length === 0) {
        rows.push({ tenant: file.id, source: '(none)', ok: false, result: "no source enabled: every lookup answers [] (set DIRECTORY_FILE or a CRM's keys)" });
        continue;
      }
      rows.push(...(await Promise.all(read.tenant.sources.map((tenantSource) => this.checkSource(read.tenant, tenantSource)))));
    }
    return rows;
  }

  private async checkSource(tenant: Tenant, { source, settings }: TenantSource): Promise<CheckRow> {
    const row = (ok: boolean, result: string): CheckRow => ({ tenant: tenant.id, source: source.id, ok, result });
    const started = performance.now();
    try {
      await source.attachTenant?.({ tenantId: tenant.id, tenantFile: tenant.file, region: tenant.defaultRegion, settings });
    } catch (error) {
      return row(false, error instanceof ConfigurationError ? problemsOf(error) : reasonOf(error));
    }
    try {
      const deadlineAt = Date.now() + SOURCE_CHECK_TIMEOUT_MS;
      await source.warmUp?.(settings);
      const number = normalizeIncoming(UNUSED_NUMBER, tenant.defaultRegion)!;
      const missing: string[] = [];
      const partial = (why: string): void => void missing.push(why);
      await source.search({ tenantId: tenant.id, number, region: tenant.defaultRegion, settings, signal: AbortSignal.timeout(SOURCE_CHECK_TIMEOUT_MS), deadlineAt, partial });
      if (missing.length > 0) return row(false, `answers only in part: ${missing.join('; ')}`);
      return row(true, `ok: ${source.warmUp ? 'signed in and ' : ''}searched in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      return row(false, reasonOf(error));
    } finally {
      source.detachTenant?.(settings);
    }
  }
}

/** The rows as a table for a terminal, and the last line's verdict. */
export function formatCheck(rows: readonly CheckRow[]): string {
  const header: CheckRow = { tenant: 'TENANT', source: 'SOURCE', ok: true, result: 'RESULT' };
  const widths = { tenant: Math.max(...[header, ...rows].map((r) => r.tenant.length)), source: Math.max(...[header, ...rows].map((r) => r.source.length)) };
  const line = (r: CheckRow): string => {
    const [first = '', ...more] = r.result.split('\n');
    const indent = ' '.repeat(widths.tenant + widths.source + 4);
    return [`${r.tenant.padEnd(widths.tenant)}  ${r.source.padEnd(widths.source)}  ${first}`, ...more.map((m) => `${indent}${m}`)].join('\n');
  };
  const problems = rows.filter((r) => !r.ok).length;
  const verdict = problems === 0 ? 'Everything checked is ok.' : `${problems} problem(s): the lines above say what to fix.`;
  return [line(header), ...rows.map(line), '', verdict].join('\n');
}

function problemsOf(error: ConfigurationError): string {
  return error.problems.map((p) => `${p.key}: ${p.problem}`).join('\n');
}

function reasonOf(error: unknown): string {
  if (error instanceof SourceError) return `${error.code}${error.vendorCode ? ` (${error.vendorCode})` : ''}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
