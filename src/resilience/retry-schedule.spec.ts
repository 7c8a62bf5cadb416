import { nextTryAt, type RetryPolicy } from './retry-schedule';

const POLICY: RetryPolicy = { firstMs: 5_000, maxMs: 300_000, forMs: 72 * 3_600_000 };
const NOW = Date.UTC(2026, 11, 6, 8, 0, 0);
const lowest = (): number => 0;
const highest = (): number => 0.999999;

describe('nextTryAt', () => {
  it('waits between half and all of the first wait after the first failure', () => {
    expect(nextTryAt(POLICY, 1, NOW, NOW, 0, lowest)).toBe(NOW + 2_500);
    expect(nextTryAt(POLICY, 1, NOW, NOW, 0, highest)).toBe(NOW + 5_000);
  });

  it('doubles the wait with each failure, up to the longest wait', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((failures) => nextTryAt(POLICY, failures, NOW, NOW, 0, highest)! - NOW);
    expect(ceilings).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('spreads writes that failed together over the wait', () => {
    const draws = [0, 0.25, 0.5, 0.75].map((r) => nextTryAt(POLICY, 3, NOW, NOW, 0, () => r)! - NOW);
    expect(new Set(draws).size).toBe(4);
    expect(Math.min(...draws)).toBe(10_000);
  });

  it("never tries before the CRM's Retry-After, even when it is longer than the longest wait", () => {
    expect(nextTryAt(POLICY, 1, NOW, NOW, 3_000, lowest)).toBe(NOW + 3_000);
    expect(nextTryAt(POLICY, 1, NOW, NOW, 600_000, highest)).toBe(NOW + 600_000);
  });

  it('gives up once the next try would come after the policy lets tries go on', () => {
    const since = NOW - POLICY.forMs + 4_000;
    expect(nextTryAt(POLICY, 1, since, NOW, 0, lowest)).toBe(NOW + 2_500);
    expect(nextTryAt(POLICY, 1, since, NOW, 0, highest)).toBeUndefined();
  });

  it('stays finite however many tries were made', () => {
    expect(nextTryAt(POLICY, 10_000, NOW, NOW, 0, highest)).toBe(NOW + 300_000);
  });
});
