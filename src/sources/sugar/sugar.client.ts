import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { AxiosError, type AxiosResponse } from 'axios';
import { RefusalBackoff } from '../../resilience/refusal-backoff';
import { withTimeout } from '../../resilience/deadline';
import { isTooLargeAnswer, MAX_RESPONSE_BYTES, sendReadingAgainIfStale, type AgentPair } from '../connection-pool';
import { SourceError, type SourceErrorCode } from '../../core/source-error';
import type { SugarSettings } from './sugar.settings';

/** After Sugar refused the username or password (reported once a minute), wait this long before logging in again. */
export const LOGIN_BACKOFF_MS = 60_000;
const LOG_INTERVAL_MS = 60_000;

export interface SugarRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path under `/rest/<version>`, e.g. `/Contacts/filter`. */
  readonly path: string;
  readonly body?: unknown;
  readonly params?: Readonly<Record<string, string | number>>;
  /** A POST that only reads (a filter search): like GETs, sent again on a stale kept-alive connection. */
  readonly read?: boolean;
}

interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

interface TokenAnswer {
  readonly access_token: string;
  readonly refresh_token: string;
}

/** Sugar's error body: `{"error": label, "error_message": text}`. */
interface SugarErrorBody {
  readonly error?: string;
  readonly error_message?: string;
}

/**
 * One tenant's Sugar, over HttpService: `OAuth-Token` header, token fetched on first use, refreshed
 * once on `401 invalid_grant` (keeping the rotated refresh token), a full login when the refresh is
 * refused (e.g. a person logged in with the same user on platform `base`), all shared by concurrent
 * requests. Every request is cancelled at its deadline.
 */
export class SugarClient {
  private readonly logger = new Logger(SugarClient.name);
  private tokens: Tokens | undefined;
  private pending: Promise<Tokens> | undefined;
  private readonly refusals = new RefusalBackoff(
    (failure) =>
      this.logger.error(`Sugar refused the login of tenant ${this.tenantId}: ${failure.message}; check SUGAR_USERNAME and SUGAR_PASSWORD. Next attempt in 60 s.`),
    LOG_INTERVAL_MS,
  );

  constructor(
    private readonly http: HttpService,
    private readonly tenantId: string,
    private readonly settings: SugarSettings,
  ) {}

  get siteUrl(): string {
    return this.settings.SUGAR_URL!;
  }

  async connect(deadlineAt: number): Promise<void> {
    await this.currentTokens(deadlineAt);
  }

  async request<T>(request: SugarRequest, deadlineAt: number): Promise<T> {
    const tokens = await this.currentTokens(deadlineAt);
    try {
      return await this.send<T>(request, tokens, deadlineAt);
    } catch (error) {
      if (statusOf(error) !== 401) throw translate(error);
      const fresh = await this.renew(tokens, deadlineAt);
      try {
        return await this.send<T>(request, fresh, deadlineAt);
      } catch (retryError) {
        throw translate(retryError);
      }
    }
  }

  private async currentTokens(deadlineAt: number): Promise<Tokens> {
    return this.tokens ?? this.shared(() => this.login(), deadlineAt);
  }

  /** A new access token for everyone who saw the stale one: refresh, else log in again. */
  private async renew(stale: Tokens, deadlineAt: number): Promise<Tokens> {
    if (this.tokens && this.tokens !== stale) return this.tokens;
    return this.shared(async () => {
      try {
        return await this.grant({ grant_type: 'refresh_token', refresh_token: stale.refreshToken });
      } catch (error) {
        if (error instanceof SourceError && error.code === 'TIMEOUT') throw error;
        return this.login();
      }
    }, deadlineAt);
  }

  private shared(work: () => Promise<Tokens>, deadlineAt: number): Promise<Tokens> {
    this.pending ??= work().finally(() => {
      this.pending = undefined;
    });
    return withTimeout(this.pending, deadlineAt - Date.now(), 'signing in to Sugar');
  }

  private async login(): Promise<Tokens> {
    this.refusals.check();
    const { SUGAR_USERNAME, SUGAR_PASSWORD } = this.settings;
    try {
      return await this.grant({ grant_type: 'password', username: SUGAR_USERNAME!, password: SUGAR_PASSWORD! });
    } catch (error) {
      if (error instanceof SourceError && error.vendorCode === 'need_login') this.refusals.refuse(error, LOGIN_BACKOFF_MS);
      throw error;
    }
  }

  private async grant(fields: Record<string, string>): Promise<Tokens> {
    const { SUGAR_CLIENT_ID, SUGAR_CLIENT_SECRET, SUGAR_PLATFORM } = this.settings;
    try {
      const answer = await this.post<TokenAnswer>('/oauth2/token', {
        ...fields,
        client_id: SUGAR_CLIENT_ID,
        client_secret: SUGAR_CLIENT_SECRET,
        platform: SUGAR_PLATFORM,
      });
      this.tokens = { accessToken: answer.access_token, refreshToken: answer.refresh_token };
      return this.tokens;
    } catch (error) {
      const failure = translate(error);
      if (failure.vendorCode === 'need_login') {
        throw new SourceError('CONFIG', `Sugar refused the login of SUGAR_USERNAME (${failure.message})`, { cause: error, vendorCode: 'need_login' });
      }
      throw failure;
    }
  }

  /** Token requests are not cut at a lookup's deadline: a lost rotated refresh token would cost a login. */
  private async post<T>(path: string, body: unknown): Promise<T> {
    const response: AxiosResponse<T> = await this.http.axiosRef.request<T>({ method: 'POST', url: this.url(path), data: body, timeout: 30_000, headers: { 'Content-Type': 'application/json' } });
    return response.data;
  }

  /** A read whose kept-alive connection Sugar had just closed never reached it: sent again, once. */
  private send<T>(request: SugarRequest, tokens: Tokens, deadlineAt: number): Promise<T> {
    const isRead = request.method === 'GET' || request.read === true;
    return sendReadingAgainIfStale(isRead, (connection) => this.sendOn<T>(request, tokens, deadlineAt, connection));
  }

  private async sendOn<T>(request: SugarRequest, tokens: Tokens, deadlineAt: number, connection?: AgentPair): Promise<T> {
    const timeout = deadlineAt - Date.now();
    if (timeout <= 0) throw new SourceError('TIMEOUT', 'no time left before the deadline');
    const response: AxiosResponse<T> = await this.http.axiosRef.request<T>({
      method: request.method,
      url: this.url(request.path),
      params: request.params,
      data: request.body,
      headers: { 'OAuth-Token': tokens.accessToken, 'Content-Type': 'application/json' },
      timeout,
      signal: AbortSignal.timeout(timeout),
      ...connection,
    });
    return response.data;
  }

  private url(path: string): string {
    return `${this.settings.SUGAR_URL}/rest/${this.settings.SUGAR_API_VERSION}${path}`;
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof AxiosError ? error.response?.status : undefined;
}

export function translate(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  if (!(error instanceof AxiosError)) return new SourceError('UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
  if (!error.response) {
    if (isTooLargeAnswer(error)) return new SourceError('UNAVAILABLE', `Sugar's answer is larger than ${MAX_RESPONSE_BYTES} bytes: refused`, { cause: error });
    const timedOut = error.code === 'ECONNABORTED' || error.code === 'ERR_CANCELED' || error.code === 'ETIMEDOUT';
    return timedOut
      ? new SourceError('TIMEOUT', 'Sugar did not answer in time', { cause: error })
      : new SourceError('UNAVAILABLE', `cannot reach Sugar (${error.code ?? error.message})`, { cause: error });
  }
  const status = error.response.status;
  const body = (error.response.data ?? {}) as SugarErrorBody;
  const label = body.error;
  if (status >= 300 && status < 400 && label !== 'incorrect_version') {
    return new SourceError('UNAVAILABLE', `Sugar answered ${status}, a redirect: not followed`, { cause: error, vendorCode: 'REDIRECT' });
  }
  const code: SourceErrorCode =
    status === 401 || status === 403
      ? 'AUTH'
      : label === 'incorrect_version' || label === 'module_disabled' || label === 'field_disabled'
        ? 'CONFIG'
        : status >= 500
          ? 'UNAVAILABLE'
          : 'BAD_REQUEST';
  return new SourceError(code, `Sugar answered ${status}${label ? ` ${label}` : ''}: ${body.error_message ?? 'no message'}`, { cause: error, vendorCode: label });
}
