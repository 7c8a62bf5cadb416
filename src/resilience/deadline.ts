import { SourceError } from '../core/source-error';

/** A timer that settles `passed` with what `atDeadline` returns (or rejects it with what it throws), unless cleared first. */
export interface Deadline<D> {
  readonly passed: Promise<D>;
  /** Stops the timer: `passed` then never settles. */
  clear(): void;
}

/** The deadline `ms` from now; several races may share it (one timer for a whole fan-out). */
export function deadlineIn<D>(ms: number, atDeadline: () => D | PromiseLike<D>): Deadline<D> {
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<D>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(atDeadline());
      } catch (error) {
        // Passed on as thrown: the caller chose what its deadline rejects with.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      }
    }, ms);
  });
  return { passed, clear: () => clearTimeout(timer) };
}

/**
 * What `work` settles with, or, when `ms` pass first, what `atDeadline` returns or throws. The timer is
 * cleared either way; the work itself goes on (stop it with an AbortSignal where it takes one).
 */
export async function settleWithin<T, D>(work: Promise<T>, ms: number, atDeadline: () => D | PromiseLike<D>): Promise<T | D> {
  const deadline = deadlineIn(ms, atDeadline);
  try {
    return await Promise.race([work, deadline.passed]);
  } finally {
    deadline.clear();
  }
}

/**
 * As `settleWithin`, for a peer next door whose answer may be waiting in a socket: when the timer fires,
 * what has already arrived is read first. After this process's event loop was blocked (a burst), timers
 * run before sockets are read, so an answer that came in time would otherwise count as late.
 */
export function settleWithinOrArrived<T, D>(work: Promise<T>, ms: number, atDeadline: () => D): Promise<T | D> {
  return settleWithin(work, ms, () => new Promise<void>((resolve) => setImmediate(resolve)).then(atDeadline));
}

/**
 * Waits for `work` at most `ms`, then rejects with a TIMEOUT SourceError; the work itself goes on
 * (for clients that take no AbortSignal, such as token requests shared by several callers).
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) throw new SourceError('TIMEOUT', `no time left for ${what}`);
  return settleWithin(work, ms, () => {
    throw new SourceError('TIMEOUT', `${what} took longer than ${ms} ms`);
  });
}
