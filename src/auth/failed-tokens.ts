import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { clientKey } from './client-address';

const WINDOW_S = 60;
/** Clients announced as throttled, so each block is logged once; more at once are announced again. */
const ANNOUNCED_MAX = 10_000;

export type TokenRefusal =
  | { readonly status: 401; readonly message: string }
  | { readonly status: 429; readonly message: string; readonly retryAfterS: number; readonly logged: boolean };

export const INVALID_TOKEN_MESSAGE = 'Missing or invalid execution token.';

/**
 * Counts failed token attempts per client address (`AUTH_FAILURES_PER_MINUTE`). Past the limit the
 * address gets 429 with `Retry-After` for a minute, for its failing attempts only: peoplefone's
 * CONNECTOR calls for every customer from a few addresses, so one customer's stale token must not
 * stop the others' lookups. A block is logged once, its attempts are not; metrics count them all.
 */
@Injectable()
export class FailedTokens {
  private readonly logger = new Logger(FailedTokens.name);
  private readonly limiter: RateLimiterMemory | undefined;
  private readonly announced = new LRUCache<string, true>({ max: ANNOUNCED_MAX, ttl: WINDOW_S * 1000 });

  constructor(
    @Inject(globalSettings.KEY) settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {
    const points = settings.AUTH_FAILURES_PER_MINUTE;
    this.limiter = points > 0 ? new RateLimiterMemory({ keyPrefix: 'failed-token', points, duration: WINDOW_S, blockDuration: WINDOW_S }) : undefined;
  }

  /** Counts one failed attempt of this address and says how to answer it. */
  async refusal(address: string | undefined): Promise<TokenRefusal> {
    const key = clientKey(address);
    if (this.limiter) {
      try {
        await this.limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        this.metrics.authFailure('throttled');
        const retryAfterS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        const logged = !this.announced.has(key);
        if (logged) {
          this.announced.set(key, true, { ttl: rejection.msBeforeNext });
          this.logger.warn(
            `Client ${key} sent more than ${this.limiter.points} invalid tokens within ${WINDOW_S} s: its failing attempts get 429 for ${retryAfterS} s and are not logged until then`,
          );
        }
        return { status: 429, message: `Too many invalid tokens from this address; try again in ${retryAfterS} s.`, retryAfterS, logged };
      }
    }
    this.metrics.authFailure('refused');
    return { status: 401, message: INVALID_TOKEN_MESSAGE };
  }
}
