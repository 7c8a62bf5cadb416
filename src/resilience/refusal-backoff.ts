import type { SourceError } from '../core/source-error';

/**
 * Credentials a CRM refused stay refused for a while: callers get the same error at once instead of
 * asking again on every call, and the refusal is reported at most once per `reportEveryMs`.
 */
export class RefusalBackoff {
  private until = 0;
  private refusal: SourceError | undefined;
  private lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly report: (failure: SourceError, backoffMs: number) => void,
    private readonly reportEveryMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws the remembered refusal while its back-off lasts. */
  check(): void {
    if (this.refusal && this.now() < this.until) throw this.refusal;
  }

  refuse(failure: SourceError, backoffMs: number): void {
    this.until = this.now() + backoffMs;
    this.refusal = failure;
    if (this.now() - this.lastReportAt >= this.reportEveryMs) {
      this.lastReportAt = this.now();
      this.report(failure, backoffMs);
    }
  }

  /** The credentials worked again. */
  clear(): void {
    this.refusal = undefined;
  }
}
