import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { RefusalBackoff } from '../../resilience/refusal-backoff';
import { withTimeout } from '../../resilience/deadline';
import { CrmHttpClient, refusalAnswer, type CrmRefusal } from '../crm-http-client';
import { SourceError, type SourceErrorCode } from '../../core/source-error';
import type { SugarSettings } from './sugar.settings';

/** After Sugar refused the username or password (reported once a minute), wait this long before logging in again. */
export const LOGIN_BACKOFF_MS = 60_000;
const LOG_INTERVAL_MS = 60_000;
/** Token requests are not cut at a lookup's deadline (a lost rotated refresh token would cost a login): at most this long. */
const TOKEN_REQUEST_MS = 30_000;
/** Labels of refusals that only an admin can mend (a version, a module or a field Sugar does not offer). */
const CONFIG_LABELS: ReadonlySet<string> = new Set(['incorrect_version', 'module_disabled', 'field_disabled']);

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
export class SugarClient extends CrmHttpClient {
  private readonly logger = new Logger(SugarClient.name);
  private tokens: Tokens | undefined;
  private pending: Promise<Tokens> | undefined;
  private readonly refusals = new RefusalBackoff(
    (failure) =>
      this.logger.error(`Sugar refused the login of tenant ${this.tenantId}: ${failure.message}; check SUGAR_USERNAME and SUGAR_PASSWORD. Next attempt in 60 s.`),
    LOG_INTERVAL_MS,
  );

  constructor(
    http: HttpService,
    private readonly tenantId: string,
    private readonly settings: SugarSettings,
  ) {
    super(http, 'Sugar', `${settings.SUGAR_URL}/rest/${settings.SUGAR_API_VERSION}`);
  }

  get siteUrl(): string {
    return this.settings.SUGAR_URL!;
  }

  async connect(deadlineAt: number): Promise<void> {
    await this.currentTokens(deadlineAt);
  }

  async request<T>(request: SugarRequest, deadlineAt: number): Promise<T> {
    const tokens = await this.currentTokens(deadlineAt);
    try {
      return await this.sendWith<T>(request, tokens, deadlineAt);
    } catch (error) {
      if (refusalAnswer(error)?.status !== 401) throw this.translate(error);
      const fresh = await this.renew(tokens, deadlineAt);
      try {
        return await this.sendWith<T>(request, fresh, deadlineAt);
      } catch (retryError) {
        throw this.translate(retryError);
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
    const body = { ...fields, client_id: SUGAR_CLIENT_ID, client_secret: SUGAR_CLIENT_SECRET, platform: SUGAR_PLATFORM };
    try {
      const answer = await this.send<TokenAnswer>({ method: 'POST', path: '/oauth2/token', body, read: false }, Date.now() + TOKEN_REQUEST_MS);
      this.tokens = { accessToken: answer.access_token, refreshToken: answer.refresh_token };
      return this.tokens;
    } catch (error) {
      const failure = this.translate(error);
      if (failure.vendorCode === 'need_login') {
        throw new SourceError('CONFIG', `Sugar refused the login of SUGAR_USERNAME (${failure.message})`, { cause: error, vendorCode: 'need_login' });
      }
      throw failure;
    }
  }

  /** Sugar's error body (crm-apis.md §3.3): its label is the vendor code; a version, module or field Sugar lacks is CONFIG. */
  protected readRefusal(status: number, answer: unknown): CrmRefusal {
    const body = (answer ?? {}) as SugarErrorBody;
    const label = body.error;
    const code: SourceErrorCode | undefined = status !== 401 && status !== 403 && label !== undefined && CONFIG_LABELS.has(label) ? 'CONFIG' : undefined;
    return { code, message: `Sugar answered ${status}${label ? ` ${label}` : ''}: ${body.error_message ?? 'no message'}`, vendorCode: label };
  }

  private sendWith<T>(request: SugarRequest, tokens: Tokens, deadlineAt: number): Promise<T> {
    const { method, path, params, body } = request;
    const read = method === 'GET' || request.read === true;
    return this.send<T>({ method, path, params, body, headers: { 'OAuth-Token': tokens.accessToken }, read }, deadlineAt);
  }
}
