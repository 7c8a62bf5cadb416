import { Injectable } from '@nestjs/common';
import type { SourceOutcomeLabel } from './gateway-metrics';

export interface LastOutcome {
  readonly outcome: SourceOutcomeLabel;
  /** Why it did not answer (`timeout`, `error`, `skipped`). */
  readonly reason?: string;
  readonly at: number;
}

/**
 * The last lookup outcome of each source of each tenant, for the details of `/health/ready`. Kept by the
 * tenant's settings object of that source, so a reload that changes them starts afresh and a removed
 * tenant's outcomes go with it.
 */
@Injectable()
export class SourceHealth {
  private readonly last = new WeakMap<object, LastOutcome>();

  /** On the lookup path: a map write, the formatting waits for the readiness details. */
  record(sourceSettings: object, outcome: SourceOutcomeLabel, reason?: string): void {
    this.last.set(sourceSettings, { outcome, reason, at: Date.now() });
  }

  lastOf(sourceSettings: object): LastOutcome | undefined {
    return this.last.get(sourceSettings);
  }
}
