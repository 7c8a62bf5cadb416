import { SourceError } from '../core/source-error';
import { classifyWriteFailure } from './write-failure';

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
