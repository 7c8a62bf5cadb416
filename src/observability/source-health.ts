import { Injectable } from '@nestjs/common';
import type { SourceOutcomeLabel } from './gateway-metrics';

/** The last outcome of each source, over all tenants, for `/health/ready`. */
@Injectable()
export class SourceHealth {
  private readonly last = new Map<string, { outcome: SourceOutcomeLabel; at: number }>();

  /** On the lookup path: a map write, the formatting waits for `snapshot()`. */
  record(sourceId: string, outcome: SourceOutcomeLabel): void {
    this.last.set(sourceId, { outcome, at: Date.now() });
  }

  snapshot(): Record<string, { outcome: SourceOutcomeLabel; at: string }> {
    return Object.fromEntries([...this.last].map(([id, { outcome, at }]) => [id, { outcome, at: new Date(at).toISOString() }]));
  }
}
