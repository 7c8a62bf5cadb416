import { performance } from 'node:perf_hooks';
import { factory } from '../../test/support/factory';
import type { Candidate } from '../core/source';
import { SourceError } from '../core/source-error';
import { fanOut, SOURCE_GRACE_MS, type SourceTask } from './fan-out';

const answer = (sourceId: string, candidates: Candidate[]): SourceTask<Candidate> => ({ sourceId, run: async () => candidates });
const never = (sourceId: string, seen: { signal?: AbortSignal } = {}): SourceTask<Candidate> => ({
  sourceId,
  run: (signal) => {
    seen.signal = signal;
    return new Promise(() => undefined);
  },
});

describe('fanOut', () => {
  it('returns every source outcome, in task order', async () => {
    const a = factory.candidate({ recordId: 'a' });
    const outcomes = await fanOut([answer('one', [a]), answer('two', [])], 1000);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'ok', sourceId: 'one', candidates: [a] }),
      expect.objectContaining({ status: 'ok', sourceId: 'two', candidates: [] }),
    ]);
  });

  it('asks the sources in parallel, not one after another', async () => {
    const started: string[] = [];
    const slowly = (sourceId: string): SourceTask<Candidate> => ({
      sourceId,
      run: async () => {
        started.push(sourceId);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return [];
      },
    });
    const pending = fanOut([slowly('one'), slowly('two'), slowly('three')], 5000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['one', 'two', 'three']);
    await pending;
  });

  it('settles at the deadline with a timeout for a hanging source, and aborts its signal', async () => {
    const seen: { signal?: AbortSignal } = {};
    const outcomes = await fanOut([never('hangs', seen), answer('fast', [])], 100);
    expect(outcomes[0]).toMatchObject({ status: 'timeout', sourceId: 'hangs' });
    expect(outcomes[0]!.elapsedMs).toBeGreaterThanOrEqual(90);
    expect(outcomes[1]).toMatchObject({ status: 'ok', sourceId: 'fast' });
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.signal?.reason).toBeInstanceOf(SourceError);
  });

  it('counts the deadline from when the request arrived, not from when the sources were asked', async () => {
    const arrived = performance.now() - 900;
    const outcomes = await fanOut([never('hangs')], 1000, arrived);
    expect(outcomes[0]).toMatchObject({ status: 'timeout', sourceId: 'hangs' });
    expect(performance.now() - arrived).toBeLessThan(1000 + 500);
    expect(performance.now() - arrived).toBeGreaterThanOrEqual(1000 - 5);
  });

  it("lets the sources run SOURCE_GRACE_MS past the lookup's deadline", async () => {
    let given = Number.NaN;
    const hanging: SourceTask<Candidate> = { sourceId: 'hangs', run: (_signal, deadlineAt) => ((given = deadlineAt), new Promise(() => undefined)) };
    const outcomes = await fanOut([hanging], 100);
    expect(outcomes[0]).toMatchObject({ status: 'timeout' });
    expect(given - Date.now()).toBeGreaterThan(SOURCE_GRACE_MS / 2);
    expect(given - Date.now()).toBeLessThanOrEqual(SOURCE_GRACE_MS + 1);
  });

  it('hands the sources a deadline in whole milliseconds, which Node timers require', async () => {
    let given = Number.NaN;
    await fanOut<Candidate>([{ sourceId: 'one', run: async (_signal, deadlineAt) => ((given = deadlineAt), []) }], 1000, performance.now() - 0.37);
    expect(Number.isInteger(given)).toBe(true);
    expect(() => AbortSignal.timeout(given - Date.now())).not.toThrow();
  });

  it("reports a source whose own timer fires at the deadline it was given as the lookup's timeout", async () => {
    const ownTimer: SourceTask<Candidate> = {
      sourceId: 'hangs',
      run: (_signal, deadlineAt) =>
        new Promise((_, reject) => setTimeout(() => reject(new SourceError('TIMEOUT', 'no answer in time')), deadlineAt - Date.now())),
    };
    const outcomes = await fanOut([ownTimer], 100, performance.now() - 0.5);
    expect(outcomes[0]).toMatchObject({ status: 'timeout', sourceId: 'hangs' });
  });

  it("reports a source's own TIMEOUT as the lookup's timeout even when its timer fired first", async () => {
    const early: SourceTask<Candidate> = { sourceId: 'slow', run: async () => Promise.reject(new SourceError('TIMEOUT', 'no time left before the deadline')) };
    const outcomes = await fanOut([early], 1000);
    expect(outcomes[0]).toMatchObject({ status: 'timeout', sourceId: 'slow' });
  });

  it('asks no source when the deadline passed before they could be asked', async () => {
    const run = jest.fn(async () => []);
    const outcomes = await fanOut<Candidate>([{ sourceId: 'late', run }], 100, performance.now() - 200);
    expect(outcomes[0]).toMatchObject({ status: 'timeout', sourceId: 'late' });
    expect(run).not.toHaveBeenCalled();
  });

  it('reports a SourceError with its code, and any other error as INTERNAL', async () => {
    const outcomes = await fanOut(
      [
        { sourceId: 'limited', run: async () => Promise.reject(new SourceError('RATE_LIMITED', '429 secondly limit')) },
        {
          sourceId: 'throws',
          run: () => {
            throw new TypeError('boom');
          },
        },
      ],
      1000,
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'error', code: 'RATE_LIMITED', reason: '429 secondly limit' }),
      expect.objectContaining({ status: 'error', code: 'INTERNAL', reason: 'TypeError: boom' }),
    ]);
  });

  it('treats an answer that is not a list as an error', async () => {
    const outcomes = await fanOut<Candidate>([{ sourceId: 'odd', run: async () => ({}) as unknown as Candidate[] }], 1000);
    expect(outcomes[0]).toMatchObject({ status: 'error', code: 'INTERNAL' });
  });

  it('does not leave an unhandled rejection when a source fails after the deadline', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const late: SourceTask<Candidate> = {
        sourceId: 'late',
        run: () => new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 80)),
      };
      const outcomes = await fanOut([late], 20);
      expect(outcomes[0]).toMatchObject({ status: 'timeout' });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('answers at once with no sources', async () => {
    expect(await fanOut<Candidate>([], 1000)).toEqual([]);
  });
});
