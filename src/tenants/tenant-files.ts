import { createHash } from 'node:crypto';
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
    names = (await readdir(dir)).filter((name) => name.endsWith(TENANT_FILE_SUFFIX) && !name.startsWith('.')).sort();
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
      listed.push({ id: name.slice(0, -TENANT_FILE_SUFFIX.length), path, stamp: `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}` });
    } catch (error) {
      if (!isMissing(error)) throw error; // removed between the listing and its stat: gone
    }
  }
  return listed;
}

export function contentDigest(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
