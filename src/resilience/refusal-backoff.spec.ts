import { SourceError } from '../core/source-error';
import { RefusalBackoff } from './refusal-backoff';

describe('RefusalBackoff', () => {
  it('repeats a refusal during its back-off, reports it once per interval, and forgets it when cleared', () => {
    let now = 0;
    const reports: number[] = [];
    const backoff = new RefusalBackoff((_, ms) => reports.push(ms), 60_000, () => now);
    const refused = new SourceError('AUTH', 'invalid_client');
    expect(() => backoff.check()).not.toThrow();

    backoff.refuse(refused, 10_000);
    expect(() => backoff.check()).toThrow(refused);
    now = 10_000;
    expect(() => backoff.check()).not.toThrow();

    backoff.refuse(refused, 10_000);
    expect(reports).toEqual([10_000]);
    now = 60_000;
    backoff.refuse(refused, 10_000);
    expect(reports).toEqual([10_000, 10_000]);

    backoff.clear();
    expect(() => backoff.check()).not.toThrow();
  });
});
