import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from '../config/file-errors';

export const TENANT_FILE_SUFFIX = '.env';

/** One `<tenant-id>.env` in the tenants folder, and what tells whether it changed since it was last read. */
export interface ListedTenantFile {
  readonly id: string;
  readonly path: string;
  /** Inode, size and times: different after any write or replacement of the file. */
  readonly stamp: string;
}

/** The tenant files in `dir`, sorted by name; an absent folder holds none, unless it `mustExist`. */
export async function listTenantFiles(dir: string, { mustExist = false } = {}): Promise<ListedTenantFile[]> {
  let names: string[];
  try {
    // Hidden files are no tenants: `.env` (the global settings, when the folder is also the working one), editors' copies.
    names = (await readdir(dir)).filter(isTenantFileName).sort();
  } catch (error) {
    if (isMissing(error) && !mustExist) return [];
    if (isMissing(error)) throw new Error(`the folder ${dir} is gone`, { cause: error });
    throw error;
  }
  const listed: ListedTenantFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const stats = await stat(path);
      if (!stats.isFile()) continue;
      listed.push({ id: name.slice(0, -TENANT_FILE_SUFFIX.length), path, stamp: stampOf(stats) });
    } catch (error) {
      if (!isMissing(error)) throw error; // removed between the listing and its stat: gone
    }
  }
  return listed;
}

/** Whether a file name of the tenants folder names a tenant file (hidden files never do). */
export function isTenantFileName(name: string): boolean {
  return name.endsWith(TENANT_FILE_SUFFIX) && !name.startsWith('.');
}

/**
 * The named tenants' files as `listTenantFiles` lists them, without reading the whole folder: for the
 * files a change was announced for. `missing` holds the ids whose file is not there (or not a file).
 */
export async function statTenantFiles(dir: string, ids: readonly string[]): Promise<{ listed: ListedTenantFile[]; missing: string[] }> {
  const listed: ListedTenantFile[] = [];
  const missing: string[] = [];
  for (const id of [...ids].sort()) {
    const path = join(dir, `${id}${TENANT_FILE_SUFFIX}`);
    try {
      const stats = await stat(path);
      if (stats.isFile()) listed.push({ id, path, stamp: stampOf(stats) });
      else missing.push(id);
    } catch (error) {
      if (!isMissing(error)) throw error;
      missing.push(id);
    }
  }
  return { listed, missing };
}

function stampOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

export function contentDigest(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
