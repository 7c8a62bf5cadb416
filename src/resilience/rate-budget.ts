import { SourceError } from '../core/source-error';

/**
 * The vendor code of a request our own budget kept back: nothing was sent, so it says nothing of the
 * source's health (a circuit breaker must not count it).
 */
export const NOT_SENT_OVER_BUDGET = 'NOT_SENT_OVER_BUDGET';

export function overBudget(perWindow: number, windowMs: number): SourceError {
  return new SourceError('RATE_LIMITED', `the request budget (${perWindow} per ${windowMs} ms) has no slot before the deadline`, { vendorCode: NOT_SENT_OVER_BUDGET });
}

/**
 * At most `perWindow` requests in any window. A request either takes a slot now (`tryTake`), or waits
 * for one when that still fits its deadline (`acquire`); otherwise it is refused at once, never sent.
 */
export class RateBudget {
  private readonly slots: number[] = [];

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot if one is free right now. */
  tryTake(): boolean {
    const now = this.now();
    return this.reserveAt(now, now) !== undefined;
  }

  /** Reserves the earliest slot no later than `latestAt`; undefined when there is none. */
  reserve(latestAt: number): number | undefined {
    return this.reserveAt(this.now(), latestAt);
  }

  private reserveAt(now: number, latestAt: number): number | undefined {
    while (this.slots.length > 0 && this.slots[0]! <= now - this.windowMs) this.slots.shift();
    const blocking = this.slots.length >= this.perWindow ? this.slots[this.slots.length - this.perWindow]! : undefined;
    const slot = blocking === undefined ? now : Math.max(now, blocking + this.windowMs);
    if (slot > latestAt) return undefined;
    this.slots.push(slot);
    return slot;
  }

  async acquire(latestAt: number): Promise<void> {
    const slot = this.reserve(latestAt);
    if (slot === undefined) throw overBudget(this.perWindow, this.windowMs);
    const wait = slot - this.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
