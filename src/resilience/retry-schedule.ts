/** How a write that failed for a reason that can pass is tried again. */
export interface RetryPolicy {
  /** The wait after the first failure. */
  readonly firstMs: number;
  /** The longest wait between two tries. */
  readonly maxMs: number;
  /** How long tries go on, counted from the first failure; then the write is given up. */
  readonly forMs: number;
}

/**
 * When to try again after `failures` failed tries (1: the first), or undefined when that would be past
 * the policy's end. The wait doubles from `firstMs` up to `maxMs`, each drawn between half and all of it
 * ("equal jitter": writes that failed together do not come back together), and is never shorter than
 * what the CRM asked for (`Retry-After`).
 */
export function nextTryAt(
  policy: RetryPolicy,
  failures: number,
  retryingSince: number,
  now: number,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number | undefined {
  const ceiling = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
  const wait = Math.max(ceiling / 2 + random() * (ceiling / 2), retryAfterMs);
  const at = Math.round(now + wait);
  return at > retryingSince + policy.forMs ? undefined : at;
}
