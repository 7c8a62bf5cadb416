import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { clientKey } from './client-address';

const WINDOW_S = 60;
/** An address that presented a valid token within this time keeps being served while throttled. */
const TRUSTED_FOR_MS = 60 * 60 * 1000;
/** Addresses remembered as throttled, and as trusted; the least recently seen go first. */
const ADDRESSES_KEPT = 10_000;

export type TokenRefusal =
  | { readonly status: 401; readonly message: string }
  | { readonly status: 429; readonly message: string; readonly retryAfterS: number; readonly logged: boolean };

export const INVALID_TOKEN_MESSAGE = 'Missing or invalid execution token.';

/** The headers a refusal is answered with: `Retry-After` when throttled. */
export function refusalHeaders(refusal: TokenRefusal): Record<string, string> {
  return refusal.status === 429 ? { 'Retry-After': String(refusal.retryAfterS) } : {};
}

/**
 * Counts failed token attempts per client address (`AUTH_FAILURES_PER_MINUTE`; IPv6 per /64). Past the
 * limit the address is throttled for a minute: its requests get 429 with `Retry-After` without their
 * token being looked at, so a correct guess is refused too. An address that presented a valid token
 * within the last hour is the exception: peoplefone's CONNECTOR calls for every customer from a few
 * addresses, and one customer's stale token must not stop the others' lookups, so such an address
 * keeps being served, and only its failing attempts get 429. A block is logged once; metrics count
 * every attempt.
 */
@Injectable()
export class FailedTokens {
  private readonly logger = new Logger(FailedTokens.name);
  private readonly limiter: RateLimiterMemory | undefined;
  /** Throttled client keys → until when (`Date.now()` time). */
  private readonly throttled = new LRUCache<string, number>({ max: ADDRESSES_KEPT, ttl: WINDOW_S * 1000 });
  private readonly trusted = new LRUCache<string, true>({ max: ADDRESSES_KEPT, ttl: TRUSTED_FOR_MS });

  constructor(
    @Inject(globalSettings.KEY) settings: ResolvedGlobalSettings,
    private readonly metrics: GatewayMetrics,
  ) {
    const points = settings.AUTH_FAILURES_PER_MINUTE;
    this.limiter = points > 0 ? new RateLimiterMemory({ keyPrefix: 'failed-token', points, duration: WINDOW_S, blockDuration: WINDOW_S }) : undefined;
  }

  /** This address presented a valid token: it is served while throttled (see the class). */
  servedValid(address: string | undefined): void {
    if (this.throttled.size > 0 || !this.trusted.has(address ?? '')) this.trusted.set(address ?? '', true);
  }

  /** Seconds left of this address's block when it is throttled and not trusted; its token is then not looked at. */
  blockedFor(address: string | undefined): number | undefined {
    if (this.throttled.size === 0 || this.trusted.has(address ?? '')) return undefined;
    const until = this.throttled.get(clientKey(address));
    return until === undefined ? undefined : Math.max(1, Math.ceil((until - Date.now()) / 1000));
  }

  /** The answer to a request refused unread because its address is throttled. */
  blockedRefusal(retryAfterS: number): TokenRefusal {
    this.metrics.authFailure('throttled');
    return { status: 429, message: tooMany(retryAfterS), retryAfterS, logged: false };
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
        const logged = !this.throttled.has(key);
        if (logged) {
          this.throttled.set(key, Date.now() + rejection.msBeforeNext, { ttl: rejection.msBeforeNext });
          this.logger.warn(
            `Client ${key} sent more than ${this.limiter.points} invalid tokens within ${WINDOW_S} s: ` +
              `${this.trusted.has(address ?? '') ? 'its failing attempts get' : 'its requests get'} 429 for ${retryAfterS} s and are not logged until then`,
          );
        }
        return { status: 429, message: tooMany(retryAfterS), retryAfterS, logged };
      }
    }
    this.metrics.authFailure('refused');
    return { status: 401, message: INVALID_TOKEN_MESSAGE };
  }
}

function tooMany(retryAfterS: number): string {
  return `Too many invalid tokens from this address; try again in ${retryAfterS} s.`;
}
