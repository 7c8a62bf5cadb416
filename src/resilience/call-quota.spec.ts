import { decideQuota, MemoryQuota, quotaPeriod, todaysShare } from './call-quota';

const at = (iso: string): number => Date.parse(iso);

describe('quotaPeriod', () => {
  it("reads the day and month in the tenant's time zone, with the days the month has left (today counted)", () => {
    // 23:30 UTC on 30 November is already 1 December in Zurich.
    expect(quotaPeriod(at('2026-11-30T23:30:00Z'), 'Europe/Zurich')).toEqual({ day: '2026-12-01', month: '2026-12', daysLeft: 31 });
    expect(quotaPeriod(at('2026-11-30T23:30:00Z'), 'UTC')).toEqual({ day: '2026-11-30', month: '2026-11', daysLeft: 1 });
    expect(quotaPeriod(at('2028-02-10T12:00:00Z'), 'Europe/Zurich')).toEqual({ day: '2028-02-10', month: '2028-02', daysLeft: 20 });
  });
});

describe("todaysShare and decideQuota", () => {
  it('uses a fixed perDay when one is set', () => {
    expect(todaysShare({ perDay: 5, perMonth: 1000 }, { today: 0, thisMonth: 0 }, 30)).toBe(5);
  });

  it("spreads what the month has left at the start of today over the days left, so quiet days carry over", () => {
    expect(todaysShare({ perMonth: 1000 }, { today: 0, thisMonth: 0 }, 31)).toBe(33); // ceil(1000 / 31)
    // 600 used before today, 10 days left: 40 a day from now on; today's own searches do not shrink today's share.
    expect(todaysShare({ perMonth: 1000 }, { today: 25, thisMonth: 625 }, 10)).toBe(40);
    expect(todaysShare({ perMonth: 1000 }, { today: 0, thisMonth: 1000 }, 3)).toBe(0);
    expect(todaysShare({}, { today: 99, thisMonth: 99 }, 3)).toBeUndefined();
  });

  it("refuses once today's share or the month is used, naming which", () => {
    expect(decideQuota({ perDay: 2 }, { today: 1, thisMonth: 1 }, 10)).toEqual({ taken: true });
    expect(decideQuota({ perDay: 2 }, { today: 2, thisMonth: 2 }, 10)).toEqual({ taken: false, reason: "today's share of the quota (2 searches) is used" });
    expect(decideQuota({ perDay: 50, perMonth: 100 }, { today: 3, thisMonth: 100 }, 10)).toEqual({ taken: false, reason: "the month's quota of 100 searches is used" });
    expect(decideQuota({}, { today: 1e6, thisMonth: 1e6 }, 1)).toEqual({ taken: true });
  });
});

describe('MemoryQuota', () => {
  it('counts per calendar day and month, and starts afresh when they turn', () => {
    let now = at('2026-12-06T10:00:00Z');
    const quota = new MemoryQuota(() => now);
    const limits = { perDay: 2, perMonth: 3 };
    expect([quota.tryTake(limits, 'Europe/Zurich'), quota.tryTake(limits, 'Europe/Zurich'), quota.tryTake(limits, 'Europe/Zurich')].map((d) => d.taken)).toEqual([true, true, false]);
    now = at('2026-12-07T10:00:00Z');
    expect(quota.tryTake(limits, 'Europe/Zurich').taken).toBe(true);
    // The month's third search is spent: the day's share is left, the month's is not.
    expect(quota.tryTake(limits, 'Europe/Zurich')).toEqual({ taken: false, reason: "the month's quota of 3 searches is used" });
    now = at('2027-01-01T08:00:00Z');
    expect(quota.tryTake(limits, 'Europe/Zurich').taken).toBe(true);
  });

  it('keeps its counts when the limits change (a reloaded tenant file)', () => {
    const quota = new MemoryQuota(() => at('2026-12-06T10:00:00Z'));
    expect(quota.tryTake({ perDay: 1 }, 'UTC').taken).toBe(true);
    expect(quota.tryTake({ perDay: 1 }, 'UTC').taken).toBe(false);
    expect(quota.tryTake({ perDay: 2 }, 'UTC').taken).toBe(true);
    expect(quota.tryTake({ perDay: 2 }, 'UTC').taken).toBe(false);
  });
});
