import { RateBudget } from './rate-budget';

describe('RateBudget', () => {
  it('lets five through at once, then spaces the rest a window apart', () => {
    let now = 0;
    const budget = new RateBudget(5, 1000, () => now);
    expect([1, 2, 3, 4, 5].map(() => budget.reserve(10_000))).toEqual([0, 0, 0, 0, 0]);
    expect(budget.reserve(10_000)).toBe(1000);
    expect(budget.reserve(10_000)).toBe(1000);
    now = 400;
    expect(budget.reserve(10_000)).toBe(1000);
  });

  it('never has more than five slots in any window', () => {
    let now = 0;
    const budget = new RateBudget(5, 1000, () => now);
    const slots: number[] = [];
    for (let i = 0; i < 40; i++) {
      now = i * 37;
      const slot = budget.reserve(100_000);
      if (slot !== undefined) slots.push(slot);
    }
    for (const start of slots) expect(slots.filter((s) => s >= start && s < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('refuses a slot that would come after the deadline, without reserving it', () => {
    const now = 0;
    const budget = new RateBudget(2, 1000, () => now);
    budget.reserve(5000);
    budget.reserve(5000);
    expect(budget.reserve(500)).toBeUndefined();
    expect(budget.reserve(5000)).toBe(1000);
  });

  it('forgets sends older than the window', () => {
    let now = 0;
    const budget = new RateBudget(1, 1000, () => now);
    expect(budget.reserve(0)).toBe(0);
    now = 1000;
    expect(budget.reserve(1000)).toBe(1000);
  });

  it('tryTake takes only a slot that is free now', () => {
    let now = 0;
    const budget = new RateBudget(2, 1000, () => now);
    expect([budget.tryTake(), budget.tryTake(), budget.tryTake()]).toEqual([true, true, false]);
    now = 1000;
    expect(budget.tryTake()).toBe(true);
  });

  it('acquire rejects with RATE_LIMITED when no slot fits', async () => {
    const budget = new RateBudget(1, 1000);
    await budget.acquire(Date.now() + 100);
    await expect(budget.acquire(Date.now() + 100)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
