import 'reflect-metadata';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMissing } from './config/file-errors';
import { globalSettings, unknownGlobalKeys, type ResolvedGlobalSettings } from './config/global-settings';
import { GlobalSettingsModule } from './config/global-settings.module';
import { ConfigurationError } from './config/settings-validation';
import { readEnvFile } from './config/unknown-settings';
import { LOOKUP_SOURCES, type LookupSource } from './core/source';
import { LookupExplainer } from './lookup/lookup-explainer';
import type { ExplainedSource, LookupExplanation } from './lookup/lookup-insight';
import { ObservabilityModule } from './observability/observability.module';
import { SharedStateModule } from './shared-state/shared-state.module';
import { SourceAccessModule } from './source-access/source-access.module';
import { SourcesModule } from './sources/sources.module';
import { WorkflowRegistryModule } from './sources/workflow-registry.module';
import type { Tenant } from './tenants/tenant';
import { readTenantFile, TENANT_ID_PATTERN, TokenOwners } from './tenants/tenant-file';
import { listTenantFiles, TENANT_FILE_SUFFIX } from './tenants/tenant-files';
import { TenantRegistry, type TenantChange } from './tenants/tenant-registry';

const USAGE = [
  'Usage: npm run lookup -- --tenant <tenant-id> [--no-cache] [--json] <number>',
  '',
  '  Runs one lookup of <number> for the tenant, as the CONNECTOR would, and explains it: how the number',
  '  is read, what each source is sent and answers, which candidates match and why the others are dropped,',
  '  and the cards the CONNECTOR would get.',
  '',
  '  --tenant <id>   the tenant (its file is <TENANTS_DIR>/<id>.env)',
  '  --no-cache      ask every source now: the cache is neither read nor written',
  '  --json          print the explanation as JSON',
].join('\n');
/** Each source may sign in this long before the lookup (a running gateway has signed in already). */
const SIGN_IN_TIMEOUT_MS = 20_000;

/** A refusal to explain, said on stderr with exit code 1. */
class CliProblem extends Error {}

/**
 * The one tenant asked about, read and attached alone: the registry would read, attach and sign in every
 * tenant of the folder (a storm of sign-ins with thousands), and refuse to start for another tenant's problem.
 */
@Injectable()
class OneTenant implements Pick<TenantRegistry, 'all' | 'onChange'> {
  private tenants: readonly Tenant[] = [];

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
  ) {}

  all(): readonly Tenant[] {
    return this.tenants;
  }

  onChange(listener: (change: TenantChange) => void): void {
    void listener; // read once, never reloaded
  }

  async load(id: string): Promise<Tenant> {
    const dir = resolve(this.settings.TENANTS_DIR);
    if (!TENANT_ID_PATTERN.test(id)) throw new CliProblem(`"${id}" is no tenant id: it starts with a letter or digit and holds only letters, digits, - and _`);
    const path = join(dir, `${id}${TENANT_FILE_SUFFIX}`);
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (error) {
      if (!isMissing(error)) throw error;
      const known = (await listTenantFiles(dir).catch(() => [])).map((f) => f.id);
      const listed = known.length === 0 ? `${dir} holds no tenant file` : `tenants in ${dir}: ${known.slice(0, 20).join(', ')}${known.length > 20 ? `, … (${known.length})` : ''}`;
      throw new CliProblem(`No tenant "${id}": ${path} does not exist (${listed})`);
    }
    const read = readTenantFile(id, path, content, this.sources, this.settings.RECORD_ID_SECRET, new TokenOwners());
    if ('problem' in read) throw new CliProblem(read.problem.message);
    const tenant = read.tenant;
    for (const { source, settings } of tenant.sources) {
      try {
        await source.attachTenant?.({ tenantId: tenant.id, tenantFile: tenant.file, region: tenant.defaultRegion, settings });
      } catch (error) {
        throw new CliProblem(error instanceof ConfigurationError ? error.message : `${source.defaultDisplayName} cannot be set up: ${messageOf(error)}`);
      }
    }
    this.tenants = [tenant];
    return tenant;
  }

  /** Signs in as a running gateway would have (in the background, before lookups); failures are the lookup's to show. */
  async warmUp(tenant: Tenant): Promise<void> {
    const signIns = tenant.sources.flatMap(({ source, settings }) => (source.warmUp ? [source.warmUp(settings).catch(() => undefined)] : []));
    await Promise.race([Promise.all(signIns), new Promise((done) => setTimeout(done, SIGN_IN_TIMEOUT_MS).unref())]);
  }

  detach(): void {
    for (const tenant of this.tenants) for (const { source, settings } of tenant.sources) source.detachTenant?.(settings);
  }
}

@Global()
@Module({ imports: [SourcesModule], providers: [OneTenant, { provide: TenantRegistry, useExisting: OneTenant }], exports: [OneTenant, TenantRegistry] })
class OneTenantModule {}

/** The settings, the sources and the door, without the server, the registry's watching or the workflows. */
@Module({
  imports: [GlobalSettingsModule, ObservabilityModule, SharedStateModule, SourcesModule, OneTenantModule, SourceAccessModule, WorkflowRegistryModule],
  providers: [LookupExplainer],
})
class LookupCliModule {}

interface CliArguments {
  readonly tenant: string;
  readonly number: string;
  readonly bypassCache: boolean;
  readonly json: boolean;
}

function readArguments(argv: readonly string[]): CliArguments | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { tenant: { type: 'string', short: 't' }, 'no-cache': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliProblem(`${messageOf(error)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (!values.tenant) throw new CliProblem(`Which tenant? --tenant <tenant-id> is missing.\n\n${USAGE}`);
  // `078 907 22 28` unquoted arrives as four words: they are one number.
  const number = positionals.join(' ').trim();
  if (number === '') throw new CliProblem(`Which number? Give it after the options, e.g. 41789072228 or "+41 78 907 22 28".\n\n${USAGE}`);
  return { tenant: values.tenant, number, bypassCache: values['no-cache'] === true, json: values.json === true };
}

async function lookupCli(argv: readonly string[]): Promise<number> {
  const args = readArguments(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let app;
  try {
    app = await NestFactory.createApplicationContext(LookupCliModule, { logger: false, abortOnError: false });
  } catch (error) {
    throw new CliProblem(`Global settings: ${messageOf(error)}`);
  }
  for (const warning of unknownGlobalKeys(readEnvFile(), process.env)) process.stderr.write(`Unknown setting ignored: ${warning}\n`);
  const tenants = app.get(OneTenant);
  try {
    const tenant = await tenants.load(args.tenant);
    await tenants.warmUp(tenant);
    const explanation = await app.get(LookupExplainer).explain(tenant.id, args.number, { bypassCache: args.bypassCache });
    process.stdout.write(args.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    return 0;
  } finally {
    tenants.detach();
    await app.close();
  }
}

/** The explanation for a terminal: the reading, then per source its queries and candidates, then the cards. */
function formatExplanation(explanation: LookupExplanation): string {
  const lines: string[] = [];
  const cache = explanation.bypassedCache ? 'cache bypassed' : 'cache used';
  lines.push(`Lookup of ${JSON.stringify(explanation.input)} for tenant ${explanation.tenant} (${cache}): ${explanation.totalMs} ms`, '');
  const { kind, ...reading } = explanation.readAs;
  lines.push(`Read as: ${kind ?? 'unknown'}`);
  for (const [key, value] of Object.entries(reading)) lines.push(`  ${key}: ${value}`);
  for (const source of explanation.sources) lines.push('', ...formatSource(source));
  lines.push('', `Cards the CONNECTOR receives (${explanation.cards.length}):`, JSON.stringify(explanation.cards, null, 2));
  return `${lines.join('\n')}\n`;
}

function formatSource(source: ExplainedSource): string[] {
  const time = source.ms === undefined ? '' : ` in ${source.ms} ms`;
  const lines = [`${source.displayName} (${source.source}): ${source.outcome}${time}${source.reason ? `: ${source.reason}` : ''}`];
  for (const query of source.queries) lines.push(`  sent: ${query}`);
  for (const note of source.notes ?? []) lines.push(`  note: ${note}`);
  if (source.candidates.length === 0) lines.push('  no candidates');
  for (const candidate of source.candidates) {
    const company = candidate.company ? ` (${candidate.company})` : '';
    const verdict = candidate.dropped ? `dropped: ${candidate.dropped}` : 'on the cards';
    lines.push(`  - ${candidate.objectType} ${candidate.recordId}: ${candidate.name}${company}`);
    lines.push(`    phones: ${candidate.phones.length > 0 ? candidate.phones.join(' | ') : '(none)'}`);
    lines.push(`    match: ${candidate.strength}; ${verdict}`);
  }
  return lines;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Kept-alive connections to the CRMs would hold the process open for their idle time.
lookupCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliProblem) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`The lookup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
