import { SourceError } from '../core/source-error';
import { nextTryAt } from '../resilience/retry-schedule';
import { classifyWriteFailure, leastRetryWaitMs } from './write-failure';

describe('classifyWriteFailure', () => {
  it.each(['UNAVAILABLE', 'RATE_LIMITED', 'TIMEOUT'] as const)('tries %s again later', (code) => {
    expect(classifyWriteFailure(new SourceError(code, 'down'))).toEqual({ kind: 'retry', reason: `${code}: down`, retryAfterMs: undefined, mayHaveWritten: false });
  });

  it("carries the CRM's Retry-After and whether the write may have been made", () => {
    const error = new SourceError('RATE_LIMITED', 'too many', { retryAfterMs: 3000, mayHaveWritten: true });
    expect(classifyWriteFailure(error)).toMatchObject({ kind: 'retry', retryAfterMs: 3000, mayHaveWritten: true });
  });

  it.each(['AUTH', 'BAD_REQUEST', 'CONFIG'] as const)('gives %s up at once: the same write would be refused again', (code) => {
    expect(classifyWriteFailure(new SourceError(code, 'no'))).toEqual({ kind: 'refused', reason: `${code}: no` });
  });

  it('gives a redirect up: a wrong address in the settings does not pass by itself', () => {
    expect(classifyWriteFailure(new SourceError('UNAVAILABLE', 'answered 301', { vendorCode: 'REDIRECT' }))).toMatchObject({ kind: 'refused' });
  });

  it('gives an error of our own up rather than looping on it', () => {
    expect(classifyWriteFailure(new TypeError('x is undefined'))).toEqual({ kind: 'refused', reason: 'INTERNAL: x is undefined' });
  });
});

describe('leastRetryWaitMs', () => {
  const failed = (mayHaveWritten: boolean, retryAfterMs?: number) => ({ kind: 'retry', reason: 'UNAVAILABLE: reset', retryAfterMs, mayHaveWritten }) as const;

  it.each([
    ['nothing can have been written: only the CRM\'s Retry-After counts', failed(false, 3000), 30_000, 3000],
    ['nothing can have been written, no Retry-After: at once', failed(false), undefined, 0],
    ['an update that may have been written: sent again at once', failed(true), 0, 0],
    ['a create that may have been written: once its source can find it', failed(true), 30_000, 30_000],
    ["a create that may have been written: the CRM's longer Retry-After", failed(true, 60_000), 30_000, 60_000],
    ['a create its source cannot find: never sent again', failed(true, 3000), undefined, undefined],
  ])('%s', (_, failure, sendAgainAfterMs, wait) => {
    expect(leastRetryWaitMs(failure, sendAgainAfterMs)).toBe(wait);
  });

  it('keeps the next try of a create that may have been written at least findableAfterMs away, however short the back-off', () => {
    const policy = { firstMs: 1000, maxMs: 1000, forMs: 3_600_000 };
    const now = 1_000_000;
    for (const random of [() => 0, () => 0.5, () => 0.999]) {
      expect(nextTryAt(policy, 1, now, now, leastRetryWaitMs(failed(true), 30_000), random)).toBeGreaterThanOrEqual(now + 30_000);
      expect(nextTryAt(policy, 1, now, now, leastRetryWaitMs(failed(false), 30_000), random)).toBeLessThanOrEqual(now + 1000);
    }
  });
});
