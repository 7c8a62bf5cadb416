import { SourceError } from '../core/source-error';

/**
 * Waits for `work` at most `ms`, then rejects with a TIMEOUT SourceError; the work itself goes on
 * (for clients that take no AbortSignal, such as token requests shared by several callers).
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) throw new SourceError('TIMEOUT', `no time left for ${what}`);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceError('TIMEOUT', `${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
