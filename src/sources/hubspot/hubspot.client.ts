import type { HttpService } from '@nestjs/axios';
import { createHash } from 'node:crypto';
import { RateBudget } from '../../resilience/rate-budget';
import type { RedisConnection } from '../../shared-state/redis-connection';
import { SharedRateBudget } from '../../shared-state/shared-rate-budget';
import { CrmHttpClient, refusalAnswer, type CrmRefusal } from '../crm-http-client';

/** A little over a second, so network jitter never lets six arrive within one of HubSpot's seconds. */
const SEARCH_WINDOW_MS = 1050;
/** The wait HubSpot implies for its "secondly" search limit. */
export const SECONDLY_LIMIT_WAIT_MS = 1000;
export const SECONDLY_LIMIT_MESSAGE = 'You have reached your secondly limit.';
/** A request needs at least this much time left to be worth sending. */
const MIN_USEFUL_MS = 50;

export interface HubSpotRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  /** Path under the base URL, e.g. `/crm/v3/objects/contacts/search`. */
  readonly path: string;
  readonly body?: unknown;
  /** Search requests count against the tenant's 5-per-second budget. */
  readonly search?: boolean;
  /** A POST that only reads (a batch read): like GETs and searches, sent again on a stale kept-alive connection. */
  readonly read?: boolean;
}

/** HubSpot's error body; every field is optional in practice. */
interface HubSpotErrorBody {
  readonly message?: string;
  readonly category?: string;
  readonly correlationId?: string;
  readonly policyName?: string;
  readonly errors?: ReadonlyArray<HubSpotErrorDetail>;
}

/** One of `errors`: what it is about is in its context (`propertyName`: one name or a list). */
interface HubSpotErrorDetail {
  readonly context?: { readonly propertyName?: unknown };
}

export interface PortalLinks {
  readonly portalId: string;
  /** `https://app.hubspot.com` or `https://app-eu1.hubspot.com`. */
  readonly appUrl: string;
}

/**
 * One tenant's HubSpot, over HttpService. @hubspot/api-client 13.5.0 cannot be bounded: no timeout or
 * abort, and it ignores `httpAgent` on generated APIs, so a hanging HubSpot would pile up sockets; its
 * 5xx retries repeat POSTs; its retry and limiter settings are process-global. So this class sends the
 * few requests itself, each with a timeout and an AbortSignal, through the module's bounded agent,
 * keeps the token's search budget, and never retries a write.
 *
 * HubSpot counts searches per token, not per replica: with Redis, every replica (and every tenant with
 * the same token) spends one budget; while Redis is unavailable, each replica its own.
 */
export class HubSpotClient extends CrmHttpClient {
  private readonly budget: RateBudget | SharedRateBudget;
  private links: Promise<PortalLinks> | undefined;

  constructor(
    http: HttpService,
    baseUrl: string,
    private readonly accessToken: string,
    private readonly configuredLinks: Partial<PortalLinks>,
    searchesPerSecond: number,
    redis?: RedisConnection,
  ) {
    super(http, 'HubSpot', baseUrl);
    this.budget = redis?.configured
      ? new SharedRateBudget(redis, searchBudgetKey(accessToken), searchesPerSecond, SEARCH_WINDOW_MS)
      : new RateBudget(searchesPerSecond, SEARCH_WINDOW_MS);
  }

  async request<T>(request: HubSpotRequest, deadlineAt: number): Promise<T> {
    if (request.search) await this.budget.acquire(deadlineAt - MIN_USEFUL_MS);
    try {
      return await this.sendRequest<T>(request, deadlineAt);
    } catch (error) {
      if (!request.search || !isSecondlyLimit(error) || Date.now() + SECONDLY_LIMIT_WAIT_MS > deadlineAt - MIN_USEFUL_MS) throw this.translate(error);
      await new Promise((resolve) => setTimeout(resolve, SECONDLY_LIMIT_WAIT_MS));
      try {
        await this.budget.acquire(deadlineAt - MIN_USEFUL_MS);
        return await this.sendRequest<T>(request, deadlineAt);
      } catch (retryError) {
        throw this.translate(retryError);
      }
    }
  }

  /** Portal id and UI address for record links: from the settings, else read once from the account. */
  portalLinks(deadlineAt: number): Promise<PortalLinks> {
    const { portalId, appUrl } = this.configuredLinks;
    if (portalId && appUrl) return Promise.resolve({ portalId, appUrl });
    if (!this.links) {
      this.links = this.request<{ portalId: number; uiDomain: string }>({ method: 'GET', path: '/account-info/v3/details' }, deadlineAt).then(
        (account) => ({ portalId: portalId ?? String(account.portalId), appUrl: appUrl ?? `https://${account.uiDomain}` }),
      );
      this.links.catch(() => (this.links = undefined));
    }
    return this.links;
  }

  /** Whether an object type has a property: `GET /crm/v3/properties/<object>/<name>` answers 404 when it has not. */
  async hasProperty(objectType: string, name: string, deadlineAt: number): Promise<boolean> {
    try {
      await this.sendRequest({ method: 'GET', path: `/crm/v3/properties/${encodeURIComponent(objectType)}/${encodeURIComponent(name)}` }, deadlineAt);
      return true;
    } catch (error) {
      if (refusalAnswer(error)?.status === 404) return false;
      throw this.translate(error);
    }
  }

  /** HubSpot's error body (crm-apis.md §2.7): its category (or policy) is the vendor code, the properties it names the fields. */
  protected readRefusal(status: number, answer: unknown): CrmRefusal {
    const body = (answer ?? {}) as HubSpotErrorBody;
    const category = body.category ?? body.policyName;
    const details = [category, body.correlationId ? `correlation ${body.correlationId}` : undefined].filter(Boolean).join(', ');
    return { message: `HubSpot answered ${status}: ${body.message ?? 'no message'}${details ? ` (${details})` : ''}`, vendorCode: category, fields: propertiesNamed(body) };
  }

  private sendRequest<T>(request: HubSpotRequest, deadlineAt: number): Promise<T> {
    const { method, path, body } = request;
    const headers = { Authorization: `Bearer ${this.accessToken}`, Accept: 'application/json' };
    return this.send<T>({ method, path, body, headers, read: isRead(request) }, deadlineAt);
  }
}

/**
 * The properties a validation error names: in `errors[].context.propertyName` (crm-apis.md §2.7), and as
 * `"name":"…"` in the property results HubSpot writes into its message ("Property values were not valid: [{…}]").
 */
function propertiesNamed(body: HubSpotErrorBody): string[] {
  const names = new Set<string>();
  const details: ReadonlyArray<HubSpotErrorDetail | null> = Array.isArray(body.errors) ? body.errors : [];
  for (const detail of details) {
    for (const name of [detail?.context?.propertyName ?? []].flat()) if (typeof name === 'string') names.add(name);
  }
  for (const match of (body.message ?? '').matchAll(/"name":"([^"]+)"/g)) names.add(match[1]!);
  return [...names];
}

/** Names the token by a digest: a key must never hold it. */
function searchBudgetKey(accessToken: string): string {
  return `budget:hubspot-search:${createHash('sha256').update(accessToken).digest('hex').slice(0, 16)}`;
}

function isRead(request: HubSpotRequest): boolean {
  return request.method === 'GET' || request.search === true || request.read === true;
}

function isSecondlyLimit(error: unknown): boolean {
  const answer = refusalAnswer(error);
  return answer?.status === 429 && (answer.body as HubSpotErrorBody | undefined)?.message === SECONDLY_LIMIT_MESSAGE;
}
