import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOOKUP_SOURCES, type LookupSource } from '../sources/source';
import { globalSettings, type ResolvedGlobalSettings } from './global-settings';
import { ConfigurationError, type SettingProblem } from './settings-validation';
import type { Tenant } from './tenant';
import { digestToken, parseTenantFile, TENANT_ID_PATTERN } from './tenant-file';

const TENANT_FILE_SUFFIX = '.env';

export interface TokenMatch {
  readonly tenant: Tenant;
  /** Which token of the tenant's `TOKEN` list matched: 1 is the first. */
  readonly tokenPosition: number;
}

export class NoTenantsError extends Error {
  constructor(dir: string) {
    super(
      `No tenants configured: ${dir} holds no <tenant-id>.env file.\n` +
        `  Add one:      cp tenants/example.env.example tenants/my-company.env  (then set TOKEN and a source)\n` +
        `  Or try it:    npm run demo   (starts the gateway with the demo tenant in examples/tenants)`,
    );
    this.name = 'NoTenantsError';
  }
}

/** The tenants read at start from `TENANTS_DIR`, and the token check that tells who is calling. */
@Injectable()
export class TenantRegistry implements OnModuleInit {
  private readonly logger = new Logger(TenantRegistry.name);
  private tenants: readonly Tenant[] = [];
  private headerNames: readonly string[] = [];

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
  ) {}

  async onModuleInit(): Promise<void> {
    const dir = resolve(this.settings.TENANTS_DIR);
    this.tenants = this.readTenants(dir);
    this.headerNames = [...new Set(this.tenants.map((t) => t.authHeader))];
    if (this.settings.RECORD_ID_SECRET === undefined) {
      this.logger.warn(
        'RECORD_ID_SECRET is not set: workflows accept any record id of the right form for the owning CRM, not only ids this gateway issued. ' +
          'Set it (32+ random characters, the same on every instance) to sign them; see docs/security.md.',
      );
    }
    for (const tenant of this.tenants) {
      for (const { source, settings } of tenant.sources) {
        await source.attachTenant?.({ tenantId: tenant.id, tenantFile: tenant.file, region: tenant.defaultRegion, settings });
      }
      const names = tenant.sources.map((s) => s.source.id).join(', ') || 'none';
      this.logger.log(`Tenant ${tenant.id} ready (sources: ${names})`);
    }
  }

  all(): readonly Tenant[] {
    return this.tenants;
  }

  /**
   * The tenant whose header carries one of its tokens, and that token's position in its `TOKEN` list
   * (1 is the first), so the admin can see which token of a rotation is still in use. Every token of
   * every tenant is compared in constant time, without stopping at the first hit, so timing reveals
   * nothing about tenants.
   */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): TokenMatch | undefined {
    const presented = new Map<string, Buffer>();
    for (const name of this.headerNames) {
      const value = headers[name];
      if (typeof value === 'string' && value !== '') presented.set(name, digestToken(value.trim()));
    }
    let found: TokenMatch | undefined;
    for (const tenant of this.tenants) {
      const digest = presented.get(tenant.authHeader);
      if (!digest) continue;
      tenant.tokenDigests.forEach((expected, i) => {
        if (timingSafeEqual(digest, expected) && found === undefined) found = { tenant, tokenPosition: i + 1 };
      });
    }
    return found;
  }

  private readTenants(dir: string): Tenant[] {
    const files =
      existsSync(dir) && statSync(dir).isDirectory()
        ? readdirSync(dir)
            .filter((name) => name.endsWith(TENANT_FILE_SUFFIX))
            .sort()
        : [];
    if (files.length === 0) throw new NoTenantsError(this.settings.TENANTS_DIR);

    const tenants: Tenant[] = [];
    for (const name of files) {
      const file = join(dir, name);
      const id = name.slice(0, -TENANT_FILE_SUFFIX.length);
      if (!TENANT_ID_PATTERN.test(id)) {
        throw new ConfigurationError(file, [
          { key: '(file name)', problem: 'the tenant id must start with a letter or digit and hold only letters, digits, - and _' },
        ]);
      }
      const result = parseTenantFile(id, file, readFileSync(file, 'utf8'), this.sources, this.settings.RECORD_ID_SECRET);
      if (result.tenant === undefined) throw new ConfigurationError(file, result.problems);
      tenants.push(result.tenant);
    }
    assertTokensUnique(tenants);
    return tenants;
  }
}

function assertTokensUnique(tenants: readonly Tenant[]): void {
  const owners = new Map<string, Tenant>();
  for (const tenant of tenants) {
    for (const digest of tenant.tokenDigests) {
      const key = digest.toString('hex');
      const owner = owners.get(key);
      if (owner && owner !== tenant) {
        const problem: SettingProblem = {
          key: 'TOKEN (value hidden)',
          problem: `the same token is also used by tenant ${owner.id} (${owner.file}); every tenant needs its own`,
        };
        throw new ConfigurationError(tenant.file, [problem]);
      }
      owners.set(key, tenant);
    }
  }
}
