import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RefusalBackoff } from '../../resilience/refusal-backoff';
import { withTimeout } from '../../resilience/deadline';
import { SIGN_INS_FOR_REQUESTS } from '../../resilience/paced-queue';
import { CrmHttpClient, refusalAnswer, type CrmRefusal } from '../crm-http-client';
import { SourceError, type SourceErrorCode } from '../../core/source-error';
import { REDIS_UNAVAILABLE, type RedisConnection } from '../../shared-state/redis-connection';
import { SharedSignIn, type SignedIn } from '../../shared-state/shared-sign-in';
import type { SugarSettings } from './sugar.settings';

/** After Sugar refused the username or password (reported once a minute), wait this long before logging in again. */
export const LOGIN_BACKOFF_MS = 60_000;
const LOG_INTERVAL_MS = 60_000;
/** Token requests are not cut at a lookup's deadline (a lost rotated refresh token would cost a login): at most this long. */
const TOKEN_REQUEST_MS = 30_000;
/**
 * How long Redis keeps a tenant's tokens when Sugar does not say (`refresh_expires_in`): Sugar's default
 * refresh token lifetime, 14 days (crm-apis.md §3.2.1). Past it the tokens can renew nothing; each
 * refresh writes them again, so a tenant in use never loses them, and a tenant gone lets them expire.
 */
const DEFAULT_REFRESH_LIFETIME_S = 1_209_600;
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
  readonly refresh_expires_in?: number;
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
 *
 * Sugar keeps one session per user and platform (crm-apis.md §3.2.5): replicas that each logged in would
 * end each other's sessions. So with Redis the tokens are shared: read from Redis on first use, a login
 * or refresh done by one replica at a time (`SharedSignIn`), and a 401 on tokens another replica has
 * already replaced answered with its tokens. While Redis is unavailable, each replica signs in on its own.
 */
export class SugarClient extends CrmHttpClient {
  private readonly logger = new Logger(SugarClient.name);
  private tokens: Tokens | undefined;
  private pending: Promise<Tokens> | undefined;
  private readonly sharedTokens: SharedSignIn<Tokens> | undefined;
  /** Tokens another replica signed in with: when Sugar refuses them too, this replica renews once more. */
  private readonly fromOtherReplicas = new WeakSet<Tokens>();
  private readonly refusals = new RefusalBackoff(
    (failure) =>
      this.logger.error(`Sugar refused the login of tenant ${this.tenantId}: ${failure.message}; check SUGAR_USERNAME and SUGAR_PASSWORD. Next attempt in 60 s.`),
    LOG_INTERVAL_MS,
  );

  constructor(
    http: HttpService,
    private readonly tenantId: string,
    private readonly settings: SugarSettings,
    redis?: RedisConnection,
  ) {
    super(http, 'Sugar', `${settings.SUGAR_URL}/rest/${settings.SUGAR_API_VERSION}`);
    this.sharedTokens = redis?.configured
      ? new SharedSignIn(redis, { key: sharedTokensKey(tenantId, settings), parse: parseTokens, same: (a, b) => a.accessToken === b.accessToken })
      : undefined;
  }

  get siteUrl(): string {
    return this.settings.SUGAR_URL!;
  }

  async connect(deadlineAt: number): Promise<void> {
    await this.currentTokens(deadlineAt);
  }

  async request<T>(request: SugarRequest, deadlineAt: number): Promise<T> {
    // A sign-in a request waits for: the background warm-ups make way for it.
    let tokens = this.tokens ?? (await SIGN_INS_FOR_REQUESTS.track(this.currentTokens(deadlineAt)));
    for (let renewals = 0; ; renewals++) {
      try {
        return await this.sendWith<T>(request, tokens, deadlineAt);
      } catch (error) {
        if (refusalAnswer(error)?.status !== 401 || !this.mayRenew(tokens, renewals)) throw this.translate(error);
        tokens = await this.renew(tokens, deadlineAt);
      }
    }
  }

  /**
   * Once per request; twice when the renewed tokens came from another replica and Sugar refused them too
   * (stored before Redis was lost and found again, say): then this replica signs in itself.
   */
  private mayRenew(refused: Tokens, renewals: number): boolean {
    return renewals === 0 || (renewals === 1 && this.fromOtherReplicas.has(refused));
  }

  private async currentTokens(deadlineAt: number): Promise<Tokens> {
    return this.tokens ?? this.shared(async () => (await this.renewShared(undefined)) ?? (await this.login()).value, deadlineAt);
  }

  /** A new access token for everyone who saw the stale one: refresh, else log in again. */
  private async renew(stale: Tokens, deadlineAt: number): Promise<Tokens> {
    if (this.tokens && this.tokens !== stale) return this.tokens;
    return this.shared(async () => (await this.renewShared(stale)) ?? (await this.signIn(stale)).value, deadlineAt);
  }

  /**
   * Tokens other than `stale` (undefined: any) through Redis, for every replica: those another replica
   * stored, else this replica's sign-in under the lock. Undefined when Redis is not used or could not be.
   */
  private async renewShared(stale: Tokens | undefined): Promise<Tokens | undefined> {
    if (!this.sharedTokens) return undefined;
    let signedInHere: Tokens | undefined;
    const renewed = await this.sharedTokens.renew(stale, async (latest, endBy) => {
      const signedIn = await this.signIn(latest, endBy);
      signedInHere = signedIn.value;
      return signedIn;
    });
    if (renewed === REDIS_UNAVAILABLE) return undefined;
    if (renewed !== signedInHere) this.fromOtherReplicas.add(renewed);
    return renewed;
  }

  private shared(work: () => Promise<Tokens>, deadlineAt: number): Promise<Tokens> {
    this.pending ??= work()
      .then((tokens) => {
        this.tokens = tokens;
        return tokens;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return withTimeout(this.pending, deadlineAt - Date.now(), 'signing in to Sugar');
  }

  /** A refresh of `latest` (a login when Sugar refuses it), or a login when there is nothing to refresh; each token request ends by `endBy`. */
  private async signIn(latest: Tokens | undefined, endBy?: number): Promise<SignedIn<Tokens>> {
    if (latest) {
      try {
        return await this.grant({ grant_type: 'refresh_token', refresh_token: latest.refreshToken }, endBy);
      } catch (error) {
        if (error instanceof SourceError && error.code === 'TIMEOUT') throw error;
      }
    }
    return this.login(endBy);
  }

  private async login(endBy?: number): Promise<SignedIn<Tokens>> {
    this.refusals.check();
    const { SUGAR_USERNAME, SUGAR_PASSWORD } = this.settings;
    try {
      return await this.grant({ grant_type: 'password', username: SUGAR_USERNAME!, password: SUGAR_PASSWORD! }, endBy);
    } catch (error) {
      if (error instanceof SourceError && error.vendorCode === 'need_login') this.refusals.refuse(error, LOGIN_BACKOFF_MS);
      throw error;
    }
  }

  /** Without `endBy`, the request may take `TOKEN_REQUEST_MS`. */
  private async grant(fields: Record<string, string>, endBy?: number): Promise<SignedIn<Tokens>> {
    const { SUGAR_CLIENT_ID, SUGAR_CLIENT_SECRET, SUGAR_PLATFORM } = this.settings;
    const body = { ...fields, client_id: SUGAR_CLIENT_ID, client_secret: SUGAR_CLIENT_SECRET, platform: SUGAR_PLATFORM };
    try {
      const answer = await this.send<TokenAnswer>({ method: 'POST', path: '/oauth2/token', body, read: false }, endBy ?? Date.now() + TOKEN_REQUEST_MS);
      return { value: { accessToken: answer.access_token, refreshToken: answer.refresh_token }, keepMs: refreshLifetimeS(answer) * 1000 };
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

/** The tenant and the settings that make a Sugar session (site, user, client, platform), as a digest: never the password or a token. */
function sharedTokensKey(tenantId: string, settings: SugarSettings): string {
  const { SUGAR_URL, SUGAR_USERNAME, SUGAR_CLIENT_ID, SUGAR_PLATFORM } = settings;
  const fingerprint = createHash('sha256').update(JSON.stringify([SUGAR_URL, SUGAR_USERNAME, SUGAR_CLIENT_ID, SUGAR_PLATFORM])).digest('hex').slice(0, 16);
  return `sugar-session:${tenantId}:${fingerprint}`;
}

function parseTokens(stored: unknown): Tokens | undefined {
  const { accessToken, refreshToken } = (stored ?? {}) as Partial<Record<keyof Tokens, unknown>>;
  return typeof accessToken === 'string' && typeof refreshToken === 'string' ? { accessToken, refreshToken } : undefined;
}

function refreshLifetimeS(answer: TokenAnswer): number {
  const seconds = answer.refresh_expires_in;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_REFRESH_LIFETIME_S;
}
