import { performance } from 'node:perf_hooks';
import { SourceError, type SourceErrorCode } from '../core/source-error';
import { deadlineIn } from '../resilience/deadline';

export interface SourceTask<T> {
  readonly sourceId: string;
  run(signal: AbortSignal, deadlineAt: number): Promise<readonly T[]>;
}

export type SourceOutcome<T> =
  | { readonly status: 'ok'; readonly sourceId: string; readonly elapsedMs: number; readonly candidates: readonly T[] }
  | { readonly status: 'timeout'; readonly sourceId: string; readonly elapsedMs: number }
  | {
      readonly status: 'error';
      readonly sourceId: string;
      readonly elapsedMs: number;
      readonly code: SourceErrorCode | 'INTERNAL';
      readonly vendorCode?: string;
      readonly reason: string;
    };

const DEADLINE_PASSED = Symbol('deadline passed');

/**
 * The sources' own time-outs come this long after the lookup's deadline, so that aborting their requests
 * (errors, sockets) follows the answers of the lookups that arrived together instead of delaying them:
 * in a burst of ten lookups against a hanging CRM, the last was answered 3–4 ms after its deadline
 * instead of 5–11 ms with 1 ms.
 */
export const SOURCE_GRACE_MS = 50;

/**
 * Asks every source at once under one deadline. Whatever a source does (hang, throw, reject late),
 * this settles by the deadline with one outcome per source; the signal tells late sources to stop.
 *
 * The deadline counts from `receivedAt` (a `performance.now()` time: when the request arrived), as the
 * CONNECTOR's own clock does. The sources are asked after the requests read in the same turn of the
 * event loop have been handled, so those do not wait behind this one's dispatch.
 */
export async function fanOut<T>(tasks: readonly SourceTask<T>[], deadlineMs: number, receivedAt = performance.now()): Promise<SourceOutcome<T>[]> {
  if (tasks.length === 0) return []; // every source answered from the cache: no deadline to keep
  const remainingMs = deadlineMs - (performance.now() - receivedAt);
  if (remainingMs <= 0) return tasks.map(({ sourceId }) => ({ status: 'timeout', sourceId, elapsedMs: 0 })); // not worth a request
  // Whole ms: sources hand it to timers, which take only integers.
  const deadlineAt = Date.now() + Math.ceil(remainingMs) + SOURCE_GRACE_MS;
  const controller = new AbortController();
  const deadline = deadlineIn(remainingMs, (): typeof DEADLINE_PASSED => {
    controller.abort(new SourceError('TIMEOUT', `lookup deadline of ${deadlineMs} ms passed`));
    return DEADLINE_PASSED;
  });
  await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  const finishedAt: number[] = tasks.map(() => Number.NaN);

  const settled = await Promise.allSettled(
    tasks.map((task, i) => {
      const work = Promise.resolve()
        .then(() => {
          controller.signal.throwIfAborted(); // the deadline passed while waiting to ask
          return task.run(controller.signal, deadlineAt);
        })
        .finally(() => {
          finishedAt[i] = performance.now() - started;
        });
      work.catch(() => undefined); // a source failing after the deadline must not become an unhandled rejection
      return Promise.race([work, deadline.passed]);
    }),
  );
  deadline.clear();
  const deadlineElapsed = performance.now() - started;

  return settled.map((result, i): SourceOutcome<T> => {
    const sourceId = tasks[i]!.sourceId;
    const elapsedMs = Math.round(Number.isNaN(finishedAt[i]!) ? deadlineElapsed : finishedAt[i]!);
    if (result.status === 'rejected') {
      // Sources time out only against the deadline handed to them (this one's, plus the grace): their
      // TIMEOUT is this lookup's, also when their timer fires first because the event loop ran late.
      if (result.reason instanceof SourceError && result.reason.code === 'TIMEOUT') return { status: 'timeout', sourceId, elapsedMs };
      return { status: 'error', sourceId, elapsedMs, ...describeFailure(result.reason) };
    }
    if (result.value === DEADLINE_PASSED) return { status: 'timeout', sourceId, elapsedMs };
    if (!Array.isArray(result.value)) {
      return { status: 'error', sourceId, elapsedMs, code: 'INTERNAL', reason: 'the source answered something other than a list' };
    }
    return { status: 'ok', sourceId, elapsedMs, candidates: result.value };
  });
}

function describeFailure(error: unknown): { code: SourceErrorCode | 'INTERNAL'; vendorCode?: string; reason: string } {
  if (error instanceof SourceError) return { code: error.code, reason: error.message, ...(error.vendorCode ? { vendorCode: error.vendorCode } : {}) };
  return { code: 'INTERNAL', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
