import type { HttpService } from '@nestjs/axios';
import { AxiosError, type AxiosResponse } from 'axios';
import { ClientRequest } from 'node:http';
import { parseRetryAfter } from '../core/retry-after';
import { mayHaveReachedCrm, SourceError, type SourceErrorCode } from '../core/source-error';
import { isTooLargeAnswer, MAX_RESPONSE_BYTES, sendReadingAgainIfStale, type AgentPair } from './connection-pool';

export interface CrmHttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** Under the client's base URL, e.g. `/crm/v3/objects/contacts/search`. */
  readonly path: string;
  /** The CRM's own headers (its credentials); every request says it sends JSON. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly params?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
  /**
   * A request that only reads (a GET, a search sent as a POST): sent again, once, on a new connection
   * when it went out on a kept-alive one the CRM had just closed. A write never is: a reset can also end
   * a request the CRM did get.
   */
  readonly read: boolean;
}

/** A CRM's error answer in its own words: its message, its code, the record fields it names. */
export interface CrmRefusal {
  /** Our code when the CRM's words decide it (Sugar's `301 incorrect_version` is CONFIG); else the status does. */
  readonly code?: SourceErrorCode;
  /** The whole message, e.g. `HubSpot answered 401: … (INVALID_AUTHENTICATION, correlation …)`. */
  readonly message: string;
  readonly vendorCode?: string;
  readonly fields?: readonly string[];
}

/** What a request's status says when the CRM's words do not decide it. */
export function codeOfStatus(status: number): SourceErrorCode {
  if (status === 401 || status === 403) return 'AUTH';
  if (status === 429) return 'RATE_LIMITED';
  return status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST';
}

/** The CRM's answer a request failed with (its status and parsed body); undefined when none came (or the failure is another). */
export function refusalAnswer(error: unknown): { readonly status: number; readonly body: unknown } | undefined {
  if (!(error instanceof AxiosError) || !error.response) return undefined;
  return { status: error.response.status, body: error.response.data as unknown };
}

/**
 * Whether a request that got no answer may have gone out: axios made it, and Node gave it a connection
 * (one still waiting for a connection of the pool when it timed out never left). A time-out while that
 * connection was still being opened is not told apart: it counts as sent.
 */
function wasSent(error: AxiosError): boolean {
  const request: unknown = error.request;
  if (request === undefined || request === null) return false;
  return !(request instanceof ClientRequest) || request.socket !== null;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/**
 * A CRM spoken to over HTTP with axios (the CRM module's `HttpService`, with its bounded keep-alive
 * pool, no redirects followed and answers of at most `MAX_RESPONSE_BYTES`): each request cut at its
 * deadline by a timeout and an AbortSignal, a read sent again after a stale kept-alive connection, and
 * every failure turned into a `SourceError`: no answer in time → TIMEOUT, none at all or too large →
 * UNAVAILABLE, a 3xx → a redirect not followed, any other status as the CRM words it (`readRefusal`)
 * or, where its words do not decide, as `codeOfStatus` says. Each error also says how long the CRM
 * asked to wait (`Retry-After`) and whether the request may have been carried out without an answer
 * (`mayHaveWritten`: sent, then timed out or cut; a 504; an answer too large to read).
 */
export abstract class CrmHttpClient {
  protected constructor(
    private readonly http: HttpService,
    /** The CRM's name in messages: `HubSpot`, `Sugar`. */
    protected readonly crmName: string,
    private readonly baseUrl: string,
  ) {}

  /** How this CRM words an error answer (`status` ≥ 300; `body` as parsed, possibly empty or not an object). */
  protected abstract readRefusal(status: number, body: unknown): CrmRefusal;

  /** Sends one request, answering or failing by `deadlineAt` (a `Date.now()` time); failures as they come (see `translate`). */
  protected send<T>(request: CrmHttpRequest, deadlineAt: number): Promise<T> {
    return sendReadingAgainIfStale(request.read, (connection) => this.sendOn<T>(request, deadlineAt, connection));
  }

  /** Any failure of `send` (or a `SourceError` already) as the `SourceError` it means. */
  protected translate(error: unknown): SourceError {
    if (error instanceof SourceError) return error;
    if (!(error instanceof AxiosError)) return new SourceError('UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
    const name = this.crmName;
    if (!error.response) {
      // The CRM answered (a write was carried out), but more than we read.
      if (isTooLargeAnswer(error)) return new SourceError('UNAVAILABLE', `${name}'s answer is larger than ${MAX_RESPONSE_BYTES} bytes: refused`, { cause: error, mayHaveWritten: true });
      const mayHaveWritten = wasSent(error) && mayHaveReachedCrm(error.code);
      const timedOut = error.code === 'ECONNABORTED' || error.code === 'ERR_CANCELED' || error.code === 'ETIMEDOUT';
      return timedOut
        ? new SourceError('TIMEOUT', `${name} did not answer in time`, { cause: error, mayHaveWritten })
        : new SourceError('UNAVAILABLE', `cannot reach ${name} (${error.code ?? error.message})`, { cause: error, mayHaveWritten });
    }
    const status = error.response.status;
    const answered = { cause: error, retryAfterMs: parseRetryAfter(error.response.headers['retry-after']), mayHaveWritten: status === 504 };
    const refusal = this.readRefusal(status, error.response.data as unknown);
    if (refusal.code === undefined && isRedirect(status)) {
      return new SourceError('UNAVAILABLE', `${name} answered ${status}, a redirect: not followed`, { ...answered, vendorCode: 'REDIRECT' });
    }
    return new SourceError(refusal.code ?? codeOfStatus(status), refusal.message, { ...answered, vendorCode: refusal.vendorCode, fields: refusal.fields });
  }

  private async sendOn<T>(request: CrmHttpRequest, deadlineAt: number, connection?: AgentPair): Promise<T> {
    const timeout = deadlineAt - Date.now();
    if (timeout <= 0) throw new SourceError('TIMEOUT', 'no time left before the deadline');
    const response: AxiosResponse<T> = await this.http.axiosRef.request<T>({
      method: request.method,
      url: `${this.baseUrl}${request.path}`,
      params: request.params,
      data: request.body,
      headers: { ...request.headers, 'Content-Type': 'application/json' },
      timeout,
      signal: AbortSignal.timeout(timeout),
      ...connection,
    });
    return response.data;
  }
}
