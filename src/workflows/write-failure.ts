import { SourceError } from '../core/source-error';

/**
 * A failed CRM write, as the outbox treats it: `retry` when the reason can pass (the CRM down, slow, or
 * over its limits: try again later), `refused` when it cannot (the CRM refused the record, our settings
 * or permissions are wrong: trying again would fail the same way; an admin sees it as a dead letter).
 */
export type WriteFailure =
  | {
      readonly kind: 'retry';
      readonly reason: string;
      /** The CRM's `Retry-After`, when it sent one. */
      readonly retryAfterMs?: number;
      /** The request may have been carried out though no answer came (a time-out, a cut connection). */
      readonly mayHaveWritten: boolean;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * The least wait before a write that failed for a reason that can pass is tried again, or undefined when
 * it must not be sent again (an admin decides). Never before the CRM's `Retry-After`; after a try that
 * may have been carried out, only when sending again is safe, and no sooner than `sendAgainAfterMs`
 * says: 0 for an update, the source's `findableAfterMs` for a create it looks for before sending it
 * again (a look made sooner would miss the record and write the call twice), undefined for a create it
 * cannot find.
 */
export function leastRetryWaitMs(failure: Extract<WriteFailure, { kind: 'retry' }>, sendAgainAfterMs: number | undefined): number | undefined {
  const retryAfterMs = failure.retryAfterMs ?? 0;
  if (!failure.mayHaveWritten) return retryAfterMs;
  return sendAgainAfterMs === undefined ? undefined : Math.max(retryAfterMs, sendAgainAfterMs);
}

export function classifyWriteFailure(error: unknown): WriteFailure {
  if (!(error instanceof SourceError)) {
    // Not the CRM's answer but our own failure: trying again would loop on it.
    return { kind: 'refused', reason: `INTERNAL: ${error instanceof Error ? error.message : String(error)}` };
  }
  const reason = `${error.code}: ${error.message}`;
  // A CRM host that redirects is a wrong address in the settings, not a passing trouble.
  if (error.vendorCode === 'REDIRECT') return { kind: 'refused', reason };
  switch (error.code) {
    case 'UNAVAILABLE':
    case 'RATE_LIMITED':
    case 'TIMEOUT':
      return { kind: 'retry', reason, retryAfterMs: error.retryAfterMs, mayHaveWritten: error.mayHaveWritten };
    // A refused sign-in or permission (401/403 past the client's own token renewal), a refused record
    // (400, 404) or our settings: the same write would be refused again until someone changes something.
    case 'AUTH':
    case 'BAD_REQUEST':
    case 'CONFIG':
      return { kind: 'refused', reason };
  }
}
