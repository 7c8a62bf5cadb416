import { DateTime } from 'luxon';
import type { QuotaLimits } from '../core/source';

export type { QuotaLimits };

/** The calendar day and month a search falls in, in the tenant's time zone, and how many days the month has left (today counted). */
export interface QuotaPeriod {
  readonly day: string;
  readonly month: string;
  readonly daysLeft: number;
}

export function quotaPeriod(now: number, timezone: string): QuotaPeriod {
  const at = DateTime.fromMillis(now, { zone: timezone });
  return { day: at.toISODate() ?? '', month: at.toFormat('yyyy-MM'), daysLeft: (at.daysInMonth ?? 31) - at.day + 1 };
}

export interface QuotaUse {
  readonly today: number;
  readonly thisMonth: number;
}

export type QuotaDecision = { readonly taken: true } | { readonly taken: false; readonly reason: string };

/**
 * Today's share of the searches: `perDay` when set; with only `perMonth`, what the month has left at the
 * start of today spread over the days left (today counted), rounded up. So a busy day cannot spend the
 * whole month, and what quiet days left unspent carries over to the next ones.
 */
export function todaysShare(limits: QuotaLimits, use: QuotaUse, daysLeft: number): number | undefined {
  if (limits.perDay !== undefined) return limits.perDay;
  if (limits.perMonth === undefined) return undefined;
  const leftAtStartOfDay = Math.max(0, limits.perMonth - (use.thisMonth - use.today));
  return Math.ceil(leftAtStartOfDay / Math.max(1, daysLeft));
}

/** Why a search was not sent: the month's quota or today's share used. */
export function quotaRefusal(which: 'month' | 'day', limit: number): QuotaDecision {
  return { taken: false, reason: which === 'month' ? `the month's quota of ${limit} searches is used` : `today's share of the quota (${limit} searches) is used` };
}

/** Whether one more search fits today's share and the month's quota (mirrored by the Redis script in shared-quota.ts). */
export function decideQuota(limits: QuotaLimits, use: QuotaUse, daysLeft: number): QuotaDecision {
  if (limits.perMonth !== undefined && use.thisMonth >= limits.perMonth) return quotaRefusal('month', limits.perMonth);
  const share = todaysShare(limits, use, daysLeft);
  if (share !== undefined && use.today >= share) return quotaRefusal('day', share);
  return { taken: true };
}

/** The counts of one replica: used alone without Redis, and while Redis is away (then each replica counts on its own). */
export class MemoryQuota {
  private readonly days = new Map<string, number>();
  private readonly months = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one search when it fits `limits` (read each time: a reloaded tenant file keeps the counts). */
  tryTake(limits: QuotaLimits, timezone: string): QuotaDecision {
    const period = quotaPeriod(this.now(), timezone);
    // Only the current day and month are ever read: older counts are dropped as the calendar turns.
    for (const day of this.days.keys()) if (day !== period.day) this.days.delete(day);
    for (const month of this.months.keys()) if (month !== period.month) this.months.delete(month);
    const use = { today: this.days.get(period.day) ?? 0, thisMonth: this.months.get(period.month) ?? 0 };
    const decision = decideQuota(limits, use, period.daysLeft);
    if (decision.taken) {
      this.days.set(period.day, use.today + 1);
      this.months.set(period.month, use.thisMonth + 1);
    }
    return decision;
  }
}
