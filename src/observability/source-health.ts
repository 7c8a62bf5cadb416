import { Injectable } from '@nestjs/common';
import type { SourceOutcomeLabel } from '../observability/gateway-metrics';

/** The last outcome of each source, over all tenants, for `/health/ready`. */
@Injectable()
export class SourceHealth {
  private readonly last = new Map<string, { outcome: SourceOutcomeLabel; at: string }>();

  record(sourceId: string, outcome: SourceOutcomeLabel): void {
    this.last.set(sourceId, { outcome, at: new Date().toISOString() });
  }

  snapshot(): Record<string, { outcome: SourceOutcomeLabel; at: string }> {
    return Object.fromEntries(this.last);
  }
}
