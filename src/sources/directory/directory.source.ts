import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CountryCode } from 'libphonenumber-js/max';
import { AttachedTenants } from '../attached-tenants';
import { ConfigurationError } from '../../config/settings-validation';
import type { Candidate, LookupSource, SourceSearch, TenantAttachment } from '../../core/source';
import { DIRECTORY_RECORD_IDS, DIRECTORY_SOURCE_ID, readDirectoryFile, type Delimiter, type DirectoryFile } from './directory-csv';
import { DirectoryIndex } from './directory-index';
import { DirectorySettings } from './directory.settings';

/** How often the phone book file is checked for changes. */
export const DIRECTORY_POLL_INTERVAL_MS = 500;

interface TenantDirectory {
  readonly path: string;
  readonly region: CountryCode;
  index: DirectoryIndex;
  /** Its own listener: another tenant (or this tenant's next settings) may watch the same file. */
  readonly onChange: (now: Stats, before: Stats) => void;
}

/** A tenant's CSV phone book, kept in memory, indexed by number and reloaded when the file changes. */
@Injectable()
export class DirectorySource implements LookupSource<DirectorySettings>, OnModuleDestroy {
  readonly id = DIRECTORY_SOURCE_ID;
  readonly keyPrefix = 'DIRECTORY';
  readonly defaultDisplayName = 'Directory';
  readonly badge = { letters: 'DIR', color: '#3B5B7A' };
  readonly recordIds = DIRECTORY_RECORD_IDS;
  readonly cacheable = false;
  readonly settingsSchema = DirectorySettings;

  private readonly logger = new Logger(DirectorySource.name);
  private readonly directories = new AttachedTenants<DirectorySettings, TenantDirectory>('The directory');
  /** Every directory watched, for the module's end; one removed from here is no longer watched. */
  private readonly watched = new Set<TenantDirectory>();

  isEnabled(settings: DirectorySettings): boolean {
    return settings.DIRECTORY_FILE !== undefined;
  }

  async attachTenant({ tenantId, tenantFile, settings, region }: TenantAttachment<DirectorySettings>): Promise<void> {
    const path = resolve(dirname(tenantFile), settings.DIRECTORY_FILE ?? '');
    let index: DirectoryIndex;
    try {
      index = this.buildIndex(tenantId, readFileSync(path), region);
    } catch (error) {
      throw new ConfigurationError(tenantFile, [
        { key: `DIRECTORY_FILE=${JSON.stringify(settings.DIRECTORY_FILE)}`, problem: `cannot load ${path}: ${reason(error)}` },
      ]);
    }
    const directory: TenantDirectory = {
      path,
      region,
      index,
      onChange: (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) void this.reload(tenantId, directory);
      },
    };
    this.directories.set(settings, directory);
    this.watched.add(directory);
    watchFile(path, { interval: DIRECTORY_POLL_INTERVAL_MS, persistent: false }, directory.onChange);
  }

  detachTenant(settings: DirectorySettings): void {
    const directory = this.directories.find(settings);
    if (directory) this.unwatch(directory);
  }

  async search({ settings, number, trace }: SourceSearch<DirectorySettings>): Promise<readonly Candidate[]> {
    const directory = this.directories.of(settings);
    trace?.({ kind: 'query', text: `look up ${DirectoryIndex.keyOf(number)} in ${directory.path} (${directory.index.size} entries, indexed by every number a stored value can mean)` });
    return directory.index.find(number);
  }

  onModuleDestroy(): void {
    for (const directory of this.watched) this.unwatch(directory);
  }

  private unwatch(directory: TenantDirectory): void {
    unwatchFile(directory.path, directory.onChange);
    this.watched.delete(directory);
  }

  private async reload(tenantId: string, directory: TenantDirectory): Promise<void> {
    if (!this.watched.has(directory)) return;
    try {
      directory.index = this.buildIndex(tenantId, await readFile(directory.path), directory.region);
    } catch (error) {
      this.logger.warn(
        `Directory of tenant ${tenantId} not reloaded, still serving the previous ${directory.index.size} entries: ${directory.path}: ${reason(error)}`,
      );
    }
  }

  private buildIndex(tenantId: string, bytes: Buffer, region: CountryCode): DirectoryIndex {
    const file = readDirectoryFile(bytes);
    const index = new DirectoryIndex(file.entries, region);
    const message = `Directory of tenant ${tenantId} loaded: ${index.size} entries${describeFormat(file)}${describeSkips(file, index)}`;
    if (file.misshapenRows.length > 0) this.logger.warn(message);
    else this.logger.log(message);
    return index;
  }
}

const DELIMITER_NAMES: Record<Delimiter, string> = { ',': 'commas', ';': 'semicolons', '\t': 'tabs' };
/** Rows named one by one in the log line; a broken file does not make a huge line. */
const MISSHAPEN_ROWS_NAMED = 5;

/** Said only when it is not plain UTF-8 separated by commas: `, read as Windows-1252, separated by semicolons`. */
function describeFormat({ encoding, delimiter }: DirectoryFile): string {
  const readAs = encoding === 'UTF-8' ? '' : `, read as ${encoding}`;
  const separatedBy = delimiter === ',' ? '' : `, separated by ${DELIMITER_NAMES[delimiter]}`;
  return readAs + separatedBy;
}

/** What was left out, by line number and count only: rows hold names and numbers, which stay out of logs. */
function describeSkips(file: DirectoryFile, index: DirectoryIndex): string {
  const notes = [
    describeMisshapenRows(file),
    file.skippedRows > 0 ? `${file.skippedRows} row(s) without a name or number skipped` : '',
    index.unreadablePhones > 0 ? `${index.unreadablePhones} phone value(s) unreadable` : '',
  ].filter((n) => n !== '');
  return notes.length ? ` (${notes.join('; ')})` : '';
}

/** `2 row(s) skipped, their number of fields is not the header's 3: line 7 has 4, line 12 has 2` */
function describeMisshapenRows({ misshapenRows, headerFields }: DirectoryFile): string {
  if (misshapenRows.length === 0) return '';
  const named = misshapenRows.slice(0, MISSHAPEN_ROWS_NAMED).map(({ line, fields }) => `line ${line} has ${fields}`);
  const more = misshapenRows.length > named.length ? ` and ${misshapenRows.length - named.length} more` : '';
  return `${misshapenRows.length} row(s) skipped, their number of fields is not the header's ${headerFields}: ${named.join(', ')}${more}`;
}

const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a folder, not a file' };

function reason(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && FILE_ERRORS[code]) return FILE_ERRORS[code];
  return typeof message === 'string' ? message : 'unknown error';
}
