/** A file or folder that is not there (`ENOENT`), as opposed to one that cannot be read. */
export function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
