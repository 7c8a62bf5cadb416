import { Inject, Injectable, Logger } from '@nestjs/common';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { SourceError } from '../core/source-error';
import { NOT_SENT_OVER_BUDGET } from '../resilience/rate-budget';
import { GatewayMetrics, type BreakerStateLabel } from '../observability/gateway-metrics';
import { sourceKey } from './source-key';

const STATE_LABEL: Readonly<Record<CircuitState, BreakerStateLabel>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

/** One circuit breaker per tenant and source: a CRM that keeps failing is left alone for a while. */
@Injectable()
export class SourceBreakers {
  private readonly logger = new Logger(SourceBreakers.name);
  private readonly policies = new Map<string, CircuitBreakerPolicy>();
  /** When each open circuit opened: cockatiel only moves to half-open when a call is attempted. */
  private readonly openedAt = new Map<string, number>();

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {}

  for(tenantId: string, sourceId: string): CircuitBreakerPolicy {
    const key = sourceKey(tenantId, sourceId);
    let policy = this.policies.get(key);
    if (!policy) {
      const { BREAKER_FAILURES, BREAKER_OPEN_S } = this.settings;
      policy = circuitBreaker(COUNTED_FAILURES, { halfOpenAfter: BREAKER_OPEN_S * 1000, breaker: new ConsecutiveBreaker(BREAKER_FAILURES) });
      const own = policy;
      policy.onStateChange((state) => {
        if (this.policies.get(key) !== own) return; // forgotten: lookups still in flight on the old settings
        if (state === CircuitState.Open) this.openedAt.set(key, Date.now());
        else this.openedAt.delete(key);
        const label = STATE_LABEL[state];
        this.metrics.breaker(tenantId, sourceId, label);
        const message = `Circuit of source ${sourceId} for tenant ${tenantId} is now ${label.replace('_', '-')}`;
        if (state === CircuitState.Closed) this.logger.log(message);
        else this.logger.warn(`${message}${state === CircuitState.Open ? ` after ${BREAKER_FAILURES} failures in a row; skipped for ${BREAKER_OPEN_S} s` : ''}`);
      });
      this.metrics.breaker(tenantId, sourceId, 'closed');
      this.policies.set(key, policy);
    }
    return policy;
  }

  /** The source's settings changed or it is gone: a new circuit, closed, when it is next used. */
  forget(tenantId: string, sourceId: string): void {
    const key = sourceKey(tenantId, sourceId);
    this.policies.delete(key);
    this.openedAt.delete(key);
    this.metrics.forgetBreaker(tenantId, sourceId);
  }

  /** Open and not yet due for its probe: the source is skipped without a call. */
  isOpen(tenantId: string, sourceId: string): boolean {
    const openedAt = this.openedAt.get(sourceKey(tenantId, sourceId));
    return openedAt !== undefined && Date.now() - openedAt < this.settings.BREAKER_OPEN_S * 1000;
  }
}

/** Every failure but a request our own budget kept back: that one never reached the source. */
const COUNTED_FAILURES = handleWhen((error) => !(error instanceof SourceError && error.vendorCode === NOT_SENT_OVER_BUDGET));
