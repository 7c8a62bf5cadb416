import type { HttpService } from '@nestjs/axios';
import { AxiosError, type AxiosResponse } from 'axios';
import { SourceError, type SourceErrorCode } from '../../core/source-error';
import { RateBudget } from '../../resilience/rate-budget';
import { isTooLargeAnswer, MAX_RESPONSE_BYTES, sendReadingAgainIfStale, type AgentPair } from '../connection-pool';

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
 * keeps the tenant's search budget, and never retries a write.
 */
export class HubSpotClient {
  private readonly budget: RateBudget;
  private links: Promise<PortalLinks> | undefined;

  constructor(
    private readonly http: HttpService,
    private readonly baseUrl: string,
    private readonly accessToken: string,
    private readonly configuredLinks: Partial<PortalLinks>,
    searchesPerSecond: number,
  ) {
    this.budget = new RateBudget(searchesPerSecond, SEARCH_WINDOW_MS);
  }

  async request<T>(request: HubSpotRequest, deadlineAt: number): Promise<T> {
    if (request.search) await this.budget.acquire(deadlineAt - MIN_USEFUL_MS);
    try {
      return await this.send<T>(request, deadlineAt);
    } catch (error) {
      if (!request.search || !isSecondlyLimit(error) || Date.now() + SECONDLY_LIMIT_WAIT_MS > deadlineAt - MIN_USEFUL_MS) throw this.translate(error);
      await new Promise((resolve) => setTimeout(resolve, SECONDLY_LIMIT_WAIT_MS));
      try {
        await this.budget.acquire(deadlineAt - MIN_USEFUL_MS);
        return await this.send<T>(request, deadlineAt);
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
      await this.send({ method: 'GET', path: `/crm/v3/properties/${encodeURIComponent(objectType)}/${encodeURIComponent(name)}` }, deadlineAt);
      return true;
    } catch (error) {
      if (error instanceof AxiosError && error.response?.status === 404) return false;
      throw this.translate(error);
    }
  }

  /** A read whose kept-alive connection HubSpot had just closed never reached it: sent again, once. */
  private send<T>(request: HubSpotRequest, deadlineAt: number): Promise<T> {
    return sendReadingAgainIfStale(isRead(request), (connection) => this.sendOn<T>(request, deadlineAt, connection));
  }

  private async sendOn<T>(request: HubSpotRequest, deadlineAt: number, connection?: AgentPair): Promise<T> {
    const timeout = deadlineAt - Date.now();
    if (timeout <= 0) throw new SourceError('TIMEOUT', 'no time left before the deadline');
    const response: AxiosResponse<T> = await this.http.axiosRef.request<T>({
      method: request.method,
      url: `${this.baseUrl}${request.path}`,
      data: request.body,
      headers: { Authorization: `Bearer ${this.accessToken}`, Accept: 'application/json', 'Content-Type': 'application/json' },
      timeout,
      signal: AbortSignal.timeout(timeout),
      ...connection,
    });
    return response.data;
  }

  private translate(error: unknown): SourceError {
    if (error instanceof SourceError) return error;
    if (!(error instanceof AxiosError)) return new SourceError('UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
    if (!error.response) {
      if (isTooLargeAnswer(error)) return new SourceError('UNAVAILABLE', `HubSpot's answer is larger than ${MAX_RESPONSE_BYTES} bytes: refused`, { cause: error });
      const timedOut = error.code === 'ECONNABORTED' || error.code === 'ERR_CANCELED' || error.code === 'ETIMEDOUT';
      return timedOut
        ? new SourceError('TIMEOUT', 'HubSpot did not answer in time', { cause: error })
        : new SourceError('UNAVAILABLE', `cannot reach HubSpot (${error.code ?? error.message})`, { cause: error });
    }
    const status = error.response.status;
    if (status >= 300 && status < 400) return new SourceError('UNAVAILABLE', `HubSpot answered ${status}, a redirect: not followed`, { cause: error, vendorCode: 'REDIRECT' });
    const body = (error.response.data ?? {}) as HubSpotErrorBody;
    const category = body.category ?? body.policyName;
    const code: SourceErrorCode =
      status === 401 || status === 403 ? 'AUTH' : status === 429 ? 'RATE_LIMITED' : status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST';
    const details = [category, body.correlationId ? `correlation ${body.correlationId}` : undefined].filter(Boolean).join(', ');
    return new SourceError(code, `HubSpot answered ${status}: ${body.message ?? 'no message'}${details ? ` (${details})` : ''}`, {
      cause: error,
      vendorCode: category,
      fields: propertiesNamed(body),
    });
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

function isRead(request: HubSpotRequest): boolean {
  return request.method === 'GET' || request.search === true || request.read === true;
}

function isSecondlyLimit(error: unknown): boolean {
  return error instanceof AxiosError && error.response?.status === 429 && (error.response.data as HubSpotErrorBody | undefined)?.message === SECONDLY_LIMIT_MESSAGE;
}
