import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';
import { PacedQueue, SIGN_INS_FOR_REQUESTS } from '../resilience/paced-queue';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { ConfigurationError } from '../config/settings-validation';
import type { Tenant, TenantSource } from './tenant';
import { digestToken, readTenantFile, TokenOwners, type RefusedTenantFile } from './tenant-file';
import { isMissing } from '../config/file-errors';
import { contentDigest, isTenantFileName, listTenantFiles, statTenantFiles, TENANT_FILE_SUFFIX, type ListedTenantFile } from './tenant-files';

/** Changes to the tenants folder are applied this long after the last event, so an editor's save is read whole. */
export const RELOAD_SETTLE_MS = 150;
/** The folder is also read this often, for file systems whose changes are not announced (network shares). */
export const RESCAN_INTERVAL_MS = 5_000;
/** Files read, and tenants built, between two turns of the event loop, so a large reload never holds up lookups. */
const FILES_PER_TURN = 50;
const TENANTS_PER_TURN = 10;
/**
 * Sources signing in at once in the background (after a start, or a reload of many files), counting the
 * sign-ins lookups and workflows are waiting for: a thousand tenants starting together must not look like
 * an attack to the CRMs' login limits, nor hold up the event loop. A lookup never waits for this queue (a
 * tenant not warmed up yet signs in on its first lookup); the queue waits for the lookups' sign-ins. Eight,
 * so that a lookup's own sign-ins (Salesforce and Sugar) arriving while the queue is full keep the whole
 * within ten.
 */
export const WARM_UPS_AT_ONCE = 8;

export interface TokenMatch {
  readonly tenant: Tenant;
  /** Which token of the tenant's `TOKEN` list matched: 1 is the first. */
  readonly tokenPosition: number;
}

/** A tenant added (`before` undefined), changed, or removed (`after` undefined) by a reload. */
export interface TenantChange {
  readonly id: string;
  readonly before: Tenant | undefined;
  readonly after: Tenant | undefined;
}

/** Where a source of a tenant stands with its sign-in (and what else its first lookup needs). */
export interface SourceReadiness {
  readonly state: 'starting' | 'ready' | 'failed';
  readonly reason?: string;
  readonly at: Date;
}

/** What the registry knows of a tenant file: when it was applied, and why its last change was not. */
export interface TenantFileStatus {
  readonly file: string;
  /** Undefined for a file that was never valid. */
  readonly appliedAt?: Date;
  readonly refused?: { readonly at: Date; readonly problem: string };
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

interface KnownFile {
  readonly stamp: string;
  /** Of the content last read: the applied one, or the refused one (not read again until it changes). */
  readonly digest: string;
  readonly status: TenantFileStatus;
  /** Refused for what another file holds (a token it uses): tried again at every reload, not only when it changes. */
  readonly retry?: boolean;
  /** The problem last logged for this file, so each one is logged once. */
  readonly logged?: string;
}

interface ReadFile {
  readonly listed: ListedTenantFile;
  /** Undefined when the file could not be read (permissions): refused, and tried again at every reload. */
  readonly content: string | undefined;
  readonly digest: string;
  readonly readError?: string;
}

/**
 * The tenants of `TENANTS_DIR`, and the token check that tells who is calling.
 *
 * At start every file must be valid, or the gateway does not start. Afterwards the folder is watched:
 * a file added, changed or removed is applied within a second, without a restart and without failing a
 * request in flight (each request keeps the tenant it was authenticated as). A file that no longer
 * validates is not applied: its tenant keeps the previous settings, and the reason is logged once.
 * `reload()` applies the folder on demand (`SIGHUP`).
 */
@Injectable()
export class TenantRegistry implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TenantRegistry.name);
  private readonly dir: string;
  private tenants: readonly Tenant[] = [];
  private headerNames: readonly string[] = [];
  /** Every tenant's tokens, by `tokenKey` of its header and the token's digest. */
  private byToken = new Map<string, TokenMatch>();
  private readonly files = new Map<string, KnownFile>();
  private readonly readiness = new WeakMap<object, SourceReadiness>();
  private readonly listeners: Array<(change: TenantChange) => void> = [];
  private watcher: FSWatcher | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queued: ReloadScope | undefined;
  /** Tenant ids whose files the watcher announced changes of since the last settled reload; undefined: the whole folder. */
  private announced: Set<string> | undefined = new Set();
  private lastFailure: string | undefined;
  private stopped = false;
  private readonly warmUps = new PacedQueue(WARM_UPS_AT_ONCE, () => SIGN_INS_FOR_REQUESTS.value);
  private readonly stopWaking: () => void;

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    @Inject(LOOKUP_SOURCES) private readonly sources: readonly LookupSource[],
  ) {
    this.dir = resolve(settings.TENANTS_DIR);
    this.stopWaking = SIGN_INS_FOR_REQUESTS.onEnd(() => this.warmUps.wake());
  }

  async onModuleInit(): Promise<void> {
    if (this.settings.RECORD_ID_SECRET === undefined) {
      this.logger.warn(
        'RECORD_ID_SECRET is not set: workflows accept any record id of the right form for the owning CRM, not only ids this gateway issued. ' +
          'Set it (32+ random characters, the same on every instance) to sign them; see docs/security.md.',
      );
    }
    await this.apply({ readAll: true, atStart: true });
    if (this.tenants.length === 0) throw new NoTenantsError(this.settings.TENANTS_DIR);
  }

  /** Watching starts once the application is up, so a start that fails leaves nothing behind. */
  onApplicationBootstrap(): void {
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => this.scheduleReload(name));
      this.watcher.on('error', (error) => this.logger.warn(`Tenants folder ${this.dir} no longer watched (${error.message}); still read every ${RESCAN_INTERVAL_MS / 1000} s`));
    } catch (error) {
      this.logger.warn(`Tenants folder ${this.dir} cannot be watched (${messageOf(error)}); it is read every ${RESCAN_INTERVAL_MS / 1000} s instead`);
    }
    this.rescanTimer = setInterval(() => void this.reload(), RESCAN_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.stopWaking();
    this.watcher?.close();
    clearInterval(this.rescanTimer);
    clearTimeout(this.settleTimer);
    for (const tenant of this.tenants) for (const s of tenant.sources) s.source.detachTenant?.(s.settings);
  }

  all(): readonly Tenant[] {
    return this.tenants;
  }

  /** Called after every change a reload applied. */
  onChange(listener: (change: TenantChange) => void): void {
    this.listeners.push(listener);
  }

  /** Per tenant file (by tenant id): when it was applied, and why a later version (or the file itself) was not. */
  fileStatuses(): ReadonlyMap<string, TenantFileStatus> {
    return new Map([...this.files].map(([id, known]) => [id, known.status]));
  }

  /** Where a tenant's source stands with its sign-in; sources with nothing to warm up are ready once attached. */
  readinessOf(tenantSource: TenantSource): SourceReadiness | undefined {
    return this.readiness.get(tenantSource.settings);
  }

  /**
   * Applies the folder as it is now. `readAll` reads every file again (`SIGHUP`), not only those whose
   * size or times changed; `only` looks at those tenants' files alone (the ones the watcher announced),
   * so that one changed file among thousands is applied without listing the folder. Reloads run one at
   * a time; asked during one, another follows it.
   */
  async reload(options: { readAll?: boolean; reason?: string; only?: ReadonlySet<string> } = {}): Promise<void> {
    if (options.reason) this.logger.log(`Reloading the tenants folder (${options.reason})`);
    const wanted: ReloadScope = { readAll: options.readAll ?? false, only: options.only };
    if (this.running) {
      this.queued = this.queued ? widerScope(this.queued, wanted) : wanted;
      return this.running; // its loop runs the queued one too
    }
    this.running = (async () => {
      let next: ReloadScope | undefined = wanted;
      while (next && !this.stopped) {
        this.queued = undefined;
        try {
          await this.apply({ ...next, atStart: false });
          this.lastFailure = undefined;
        } catch (error) {
          // Said once, not at every rescan while the folder stays unreadable.
          const failure = `Tenants folder ${this.dir} not reloaded (the tenants stay as they are): ${messageOf(error)}`;
          if (failure !== this.lastFailure) this.logger.error(failure);
          this.lastFailure = failure;
        }
        next = this.queued;
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * The tenant whose header carries one of its tokens, and that token's position in its `TOKEN` list
   * (1 is the first), so the admin can see which token of a rotation is still in use. Tokens are found by
   * their SHA-256 digest in a map, one look per header name whatever the number of tenants: what the time
   * of that look depends on is the digest of the token presented, which tells nothing about the tokens kept.
   */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): TokenMatch | undefined {
    for (const name of this.headerNames) {
      const value = headers[name];
      if (typeof value !== 'string' || value === '') continue;
      const match = this.byToken.get(tokenKey(name, digestToken(value.trim())));
      if (match) return match;
    }
    return undefined;
  }

  /** A change announced by the watcher: `name` is the file's, when the platform tells it. */
  private scheduleReload(name?: string | null): void {
    if (name && isTenantFileName(name)) this.announced?.add(name.slice(0, -TENANT_FILE_SUFFIX.length));
    else if (name && name.startsWith('.')) return; // an editor's swap file, a hidden .env: no tenant
    else this.announced = undefined;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      const only = this.announced;
      this.announced = new Set();
      void this.reload(only ? { only } : {});
    }, RELOAD_SETTLE_MS).unref();
  }

  /** At start, the first refused file stops the start; later, a refused file keeps its tenant as it was. */
  private async apply({ readAll, atStart, only }: ReloadScope & { atStart: boolean }): Promise<void> {
    let listed: ListedTenantFile[];
    let gone: Iterable<string>;
    if (only) {
      const named = await statTenantFiles(this.dir, [...only]);
      // A file that went away is left to a reading of the whole folder, which tells a removed file from a folder gone.
      if (named.missing.length > 0) return this.apply({ readAll, atStart });
      listed = named.listed;
      gone = [];
    } else {
      // Later, a folder that is gone (a deploy replacing it, a share not mounted) is an error, not "no tenants".
      listed = await listTenantFiles(this.dir, { mustExist: !atStart });
      const listedIds = new Set(listed.map((f) => f.id));
      gone = [...this.files.keys(), ...this.tenants.map((t) => t.id)].filter((id) => !listedIds.has(id));
    }
    const current = new Map(this.tenants.map((t) => [t.id, t]));
    const next = new Map(current);
    const owners = new TokenOwners(current.values());
    const changes: TenantChange[] = [];
    const attached: Array<{ tenantId: string; tenantSource: TenantSource }> = [];
    const applied: Array<[string, KnownFile]> = [];

    for (const id of new Set(gone)) {
      const removed = current.get(id);
      if (!removed) {
        this.files.delete(id); // refused, then removed
        continue;
      }
      owners.remove(removed);
      next.delete(id);
      this.files.delete(id);
      changes.push({ id, before: current.get(id), after: undefined });
    }

    let built = 0;
    for (const file of await this.readChanged(listed, readAll)) {
      // Validating and attaching a tenant takes about half a millisecond: a turn of the event loop now and
      // then lets lookups through during a reload of thousands of files.
      if (++built % TENANTS_PER_TURN === 0) await nextTurn();
      const before = current.get(file.listed.id);
      const outcome = await this.build(file, before, owners);
      if ('problem' in outcome) {
        if (atStart) throw outcome.problem;
        this.refuse(file, before, outcome);
        continue;
      }
      const replaced = next.get(outcome.tenant.id);
      if (replaced) owners.remove(replaced);
      owners.add(outcome.tenant);
      next.set(outcome.tenant.id, outcome.tenant);
      attached.push(...outcome.attached.map((tenantSource) => ({ tenantId: outcome.tenant.id, tenantSource })));
      applied.push([file.listed.id, { stamp: file.listed.stamp, digest: file.digest, status: { file: file.listed.path, appliedAt: new Date() } }]);
      changes.push({ id: outcome.tenant.id, before, after: outcome.tenant });
    }

    if (changes.length === 0) return;
    // By code point: `localeCompare` took 0.15 s for 10,000 tenants, a stall of every lookup in flight.
    this.tenants = [...next.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.headerNames = [...new Set(this.tenants.map((t) => t.authHeader))];
    this.byToken = new Map(this.tenants.flatMap((tenant) => tenant.tokenDigests.map((digest, i) => [tokenKey(tenant.authHeader, digest), { tenant, tokenPosition: i + 1 }] as const)));
    for (const [id, known] of applied) this.files.set(id, known);
    for (const change of changes) {
      this.announce(change, atStart);
      for (const listener of this.listeners) listener(change);
      for (const settings of detachUnused(change)) this.readiness.delete(settings);
    }
    for (const { tenantId, tenantSource } of attached) this.warmUp(tenantId, tenantSource);
    if (this.tenants.length === 0 && !atStart) {
      this.logger.warn(`No tenant files left in ${this.settings.TENANTS_DIR}: every lookup and workflow is refused (401) until one is added`);
    }
  }

  /** The files that are new or whose stamp changed (every file with `readAll`), unless their content did not change. */
  private async readChanged(listed: readonly ListedTenantFile[], readAll: boolean): Promise<ReadFile[]> {
    const changed: ReadFile[] = [];
    let read = 0;
    for (const file of listed) {
      const known = this.files.get(file.id);
      if (!readAll && !known?.retry && known?.stamp === file.stamp) continue;
      if (++read % FILES_PER_TURN === 0) await nextTurn();
      let content: string;
      try {
        content = await readFile(file.path, 'utf8');
      } catch (error) {
        if (isMissing(error)) continue; // removed meanwhile: the next reload removes its tenant
        changed.push({ listed: file, content: undefined, digest: '', readError: messageOf(error) });
        continue;
      }
      const digest = contentDigest(content);
      // A refused file is validated again on SIGHUP even when unchanged: what it needs may have been fixed.
      if (known?.digest === digest && !known.retry && !(readAll && known.status.refused)) {
        this.files.set(file.id, { ...known, stamp: file.stamp });
        continue;
      }
      changed.push({ listed: file, content, digest });
    }
    return changed;
  }

  /** Validates a file against the schemas and the other tenants, then attaches the sources whose settings are new. */
  private async build(
    file: ReadFile,
    before: Tenant | undefined,
    owners: TokenOwners,
  ): Promise<{ tenant: Tenant; attached: TenantSource[] } | RefusedTenantFile> {
    const { id, path } = file.listed;
    if (file.content === undefined) {
      return { problem: new ConfigurationError(path, [{ key: '(file)', problem: `cannot be read: ${file.readError ?? 'unknown error'}` }]), becauseOfAnotherFile: true };
    }
    const read = readTenantFile(id, path, file.content, this.sources, this.settings.RECORD_ID_SECRET, owners);
    if ('problem' in read) return read;
    const { tenant } = read;
    const attached: TenantSource[] = [];
    const sources: TenantSource[] = [];
    for (const tenantSource of tenant.sources) {
      const kept = before?.sources.find((s) => s.source === tenantSource.source);
      if (kept && before?.defaultRegion === tenant.defaultRegion && isDeepStrictEqual(kept.settings, tenantSource.settings)) {
        sources.push({ ...tenantSource, settings: kept.settings });
        continue;
      }
      try {
        await tenantSource.source.attachTenant?.({ tenantId: id, tenantFile: path, region: tenant.defaultRegion, settings: tenantSource.settings });
      } catch (error) {
        for (const s of attached) s.source.detachTenant?.(s.settings);
        // Tried again at every reload: what failed is outside this file (a phone book, a CRM's answer).
        const problem =
          error instanceof ConfigurationError
            ? error
            : new ConfigurationError(path, [{ key: tenantSource.source.keyPrefix, problem: `${tenantSource.source.defaultDisplayName} cannot be set up: ${messageOf(error)}` }]);
        return { problem, becauseOfAnotherFile: true };
      }
      attached.push(tenantSource);
      sources.push(tenantSource);
    }
    return { tenant: { ...tenant, sources }, attached };
  }

  /** Logged once per problem: the rescans that follow do not read the file again until it changes. */
  private refuse(file: ReadFile, before: Tenant | undefined, { problem, becauseOfAnotherFile: retry }: RefusedTenantFile): void {
    const known = this.files.get(file.listed.id);
    const at = known?.logged === problem.message && known.status.refused ? known.status.refused.at : new Date();
    const status: TenantFileStatus = { file: file.listed.path, appliedAt: known?.status.appliedAt, refused: { at, problem: problem.message } };
    this.files.set(file.listed.id, { stamp: file.listed.stamp, digest: file.digest, status, retry, logged: problem.message });
    if (known?.logged === problem.message) return;
    const outcome = before ? `tenant ${before.id} keeps its previous settings` : `tenant ${file.listed.id} is not added`;
    this.logger.warn(`${problem.message}\n  Not applied: ${outcome} until the file is fixed.`);
  }

  private announce({ id, before, after }: TenantChange, atStart: boolean): void {
    if (!after) {
      this.logger.log(`Tenant ${id} removed (its file is gone)`);
      return;
    }
    const names = after.sources.map((s) => s.source.id).join(', ');
    const what = atStart ? 'ready' : before ? `reloaded from ${basename(after.file)}` : `added from ${basename(after.file)}`;
    if (after.sources.length === 0) {
      this.logger.warn(
        `Tenant ${id} ${what} with no source: its lookups answer [] until one is set (DIRECTORY_FILE, or a CRM's keys; see tenants/example.env.example)`,
      );
    } else {
      this.logger.log(`Tenant ${id} ${what} (sources: ${names})`);
    }
  }

  private warmUp(tenantId: string, { source, settings }: TenantSource): void {
    if (!source.warmUp) {
      this.readiness.set(settings, { state: 'ready', at: new Date() });
      return;
    }
    const warmUp = source.warmUp.bind(source);
    const queued: SourceReadiness = { state: 'starting', at: new Date() };
    this.readiness.set(settings, queued);
    this.warmUps
      .run(async () => {
        // Reloaded, removed or stopped meanwhile: nothing left to warm up.
        if (this.stopped || this.readiness.get(settings) !== queued) return 'skipped';
        await warmUp(settings);
        return 'done';
      })
      .then(
        (outcome) => {
          if (outcome === 'done') this.readiness.set(settings, { state: 'ready', at: new Date() });
        },
        (error: unknown) => {
          const reason = messageOf(error);
          this.readiness.set(settings, { state: 'failed', reason, at: new Date() });
          this.logger.warn(`${source.defaultDisplayName} of tenant ${tenantId} not ready (${reason}); lookups will try again`);
        },
      );
  }
}

/** What a reload looks at: the whole folder, or the files of `only`; `readAll` reads them even when unchanged. */
interface ReloadScope {
  readonly readAll: boolean;
  readonly only?: ReadonlySet<string>;
}

/** Two reloads asked while one runs: one that covers both. */
function widerScope(a: ReloadScope, b: ReloadScope): ReloadScope {
  const readAll = a.readAll || b.readAll;
  return a.only && b.only ? { readAll, only: new Set([...a.only, ...b.only]) } : { readAll };
}

/** Detaches the sources of the previous version whose settings the new one does not use; answers their settings. */
function detachUnused({ before, after }: TenantChange): object[] {
  const unused = (before?.sources ?? []).filter((old) => !after?.sources.some((s) => s.settings === old.settings));
  for (const old of unused) old.source.detachTenant?.(old.settings);
  return unused.map((old) => old.settings);
}

function tokenKey(header: string, digest: Buffer): string {
  return `${header} ${digest.toString('base64')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
