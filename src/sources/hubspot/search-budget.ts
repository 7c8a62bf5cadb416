import { SourceError } from '../source-error';

/** HubSpot's search limit: five requests per second per account, shared by every app of the portal. */
export const SEARCHES_PER_SECOND = 5;
/** A little over a second, so network jitter never lets six arrive within one of HubSpot's seconds. */
export const BUDGET_WINDOW_MS = 1050;

/**
 * A tenant's own budget of HubSpot searches: at most `perWindow` sends in any window. A search waits
 * for its slot when that still fits its deadline; otherwise it is refused at once, never sent.
 */
export class SearchBudget {
  private readonly slots: number[] = [];

  constructor(
    private readonly perWindow: number = SEARCHES_PER_SECOND,
    private readonly windowMs: number = BUDGET_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves the earliest slot no later than `latestAt`; undefined when there is none. */
  reserve(latestAt: number): number | undefined {
    const now = this.now();
    while (this.slots.length > 0 && this.slots[0]! <= now - this.windowMs) this.slots.shift();
    const blocking = this.slots.length >= this.perWindow ? this.slots[this.slots.length - this.perWindow]! : undefined;
    const slot = blocking === undefined ? now : Math.max(now, blocking + this.windowMs);
    if (slot > latestAt) return undefined;
    this.slots.push(slot);
    return slot;
  }

  async acquire(latestAt: number): Promise<void> {
    const slot = this.reserve(latestAt);
    if (slot === undefined) {
      throw new SourceError('RATE_LIMITED', `the tenant's HubSpot search budget (${this.perWindow}/s) has no slot before the deadline`);
    }
    const wait = slot - this.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
