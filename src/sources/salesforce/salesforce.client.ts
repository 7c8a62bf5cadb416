import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
// jsforce's core only: its main entry also loads the Bulk, Metadata, SOAP, Streaming, Tooling, Apex,
// Chatter and Analytics APIs, about 9 MB of resident memory that a lookup never uses.
import { Connection, OAuth2 } from 'jsforce/lib/core';
import type { Transport } from 'jsforce/lib/transport';
import type { HttpRequestOptions } from 'jsforce/lib/types';
import { RefusalBackoff } from '../../resilience/refusal-backoff';
import { withTimeout } from '../../resilience/deadline';
import { SIGN_INS_FOR_REQUESTS } from '../../resilience/paced-queue';
import { parseRetryAfter } from '../../core/retry-after';
import { mayHaveReachedCrm, SourceError, type SourceErrorCode } from '../../core/source-error';
import type { SalesforceAuth } from './salesforce.settings';
import { guardTransport } from './salesforce-transport';
import { SharedSignIn } from '../../shared-state/shared-sign-in';
import { REDIS_UNAVAILABLE, type RedisConnection } from '../../shared-state/redis-connection';

/** After Salesforce refused our credentials, wait this long before asking again. */
export const AUTH_BACKOFF_MS = 60_000;
/** A fresh token refused on replay is no expired token: stop re-authenticating for this long. */
export const REAUTH_MIN_INTERVAL_MS = 10_000;
/** Token requests have no timeout of their own in jsforce; none may hang for longer than this. */
export const TOKEN_REQUEST_CAP_MS = 30_000;
const AUTH_LOG_INTERVAL_MS = 60_000;
/**
 * How long a token stays in Redis for the other replicas and the next start. Salesforce does not say
 * when a token ends (its org's session timeout, 2 hours by default, counted from the last use): a token
 * that ended sooner is refused once and replaced for everyone.
 */
export const SHARED_TOKEN_KEEP_MS = 2 * 60 * 60 * 1000;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  /** Relative to `/services/data/vNN.N`, e.g. `/search?q=…`. */
  readonly url: string;
  readonly body?: string;
}

interface Token {
  readonly instanceUrl: string;
  readonly accessToken: string;
}

/** The status and headers of an answer (header names in lower case, as jsforce keeps them). */
interface AnswerHead {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

const CODES: Readonly<Record<string, SourceErrorCode>> = {
  INVALID_SESSION_ID: 'AUTH',
  INVALID_AUTH_HEADER: 'AUTH',
  REQUEST_LIMIT_EXCEEDED: 'RATE_LIMITED',
  INVALID_FIELD: 'CONFIG',
  INVALID_TYPE: 'CONFIG',
  MALFORMED_QUERY: 'CONFIG',
  MALFORMED_SEARCH: 'CONFIG',
  INVALID_SEARCH: 'CONFIG',
  INSUFFICIENT_ACCESS: 'CONFIG',
  API_DISABLED_FOR_ORG: 'CONFIG',
  SERVER_UNAVAILABLE: 'UNAVAILABLE',
  // Not Salesforce's own (its org limit is 403 REQUEST_LIMIT_EXCEEDED): a limit of something in front of it.
  ERROR_HTTP_429: 'RATE_LIMITED',
};
/**
 * jsforce's retry policy, narrowed: its defaults (five retries up to ~15 s, 5xx, writes) would outlive a
 * ringing phone. A GET reset by Salesforce is sent again once, a turn of the event loop later: mostly it
 * went out on a kept-alive connection that had just been closed (the others closed with it are known
 * closed by then) and never reached Salesforce. jsforce does not say whether the connection was a
 * kept-alive one, so writes are never sent twice. Both tries share the request's timeout.
 */
const RESET_READ_SENT_AGAIN: HttpRequestOptions['retry'] = { maxRetries: 1, minTimeout: 0, methods: ['GET'], errorCodes: ['ECONNRESET'], statusCodes: [] };
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

/**
 * One tenant's Salesforce: the only place that knows jsforce. One `Connection`, built once, with no
 * jsforce refresh hook (its refresh loop has no cap): this class fetches tokens itself, once for all
 * concurrent requests, re-authenticates at most once per request on `INVALID_SESSION_ID`, and bounds
 * every request by a timeout, since jsforce ignores AbortSignal.
 */
export class SalesforceClient {
  private static readonly logger = new Logger(SalesforceClient.name);
  /** jsforce's objects (about 5 KB a tenant), built on first use: an idle tenant needs none. */
  private builtConnection: Connection | undefined;
  private builtOAuth2: OAuth2 | undefined;
  private token: Token | undefined;
  private pendingToken: Promise<Token> | undefined;
  private readonly refusals: RefusalBackoff;
  /** The answer to each request in flight, by the options object `send` gave it (see `noteAnswerHeads`). */
  private readonly answerHeads = new WeakMap<HttpRequestOptions, AnswerHead>();
  /** The answer each jsforce error of `send` was made from. */
  private readonly errorHeads = new WeakMap<object, AnswerHead>();
  /** With Redis: the token every replica uses, kept across restarts (none for a fixed token). */
  private readonly sharedToken: SharedSignIn<Token> | undefined;
  /** Tokens another replica (or an earlier start) got: when Salesforce refuses them too, this one signs in once more. */
  private readonly fromElsewhere = new WeakSet<Token>();

  constructor(
    private readonly tenantId: string,
    private readonly auth: SalesforceAuth,
    private readonly apiVersion: string,
    private readonly now: () => number = Date.now,
    redis?: RedisConnection,
  ) {
    this.refusals = new RefusalBackoff(
      (failure, backoffMs) =>
        SalesforceClient.logger.error(
          `Salesforce refused the credentials of tenant ${this.tenantId} (${failure.vendorCode ?? failure.code}: ${failure.message}); ` +
            `check the SALESFORCE_* keys and the connected app. Next attempt in ${Math.round(backoffMs / 1000)} s.`,
        ),
      AUTH_LOG_INTERVAL_MS,
      now,
    );
    if (auth.kind === 'fixed-token') this.token = { instanceUrl: auth.instanceUrl, accessToken: auth.accessToken };
    this.sharedToken =
      redis?.configured && auth.kind !== 'fixed-token'
        ? new SharedSignIn(redis, { key: sharedTokenKey(tenantId, auth), parse: parseToken, same: (a, b) => a.accessToken === b.accessToken })
        : undefined;
  }

  private get connection(): Connection {
    if (!this.builtConnection) {
      const connection = new Connection({ version: this.apiVersion });
      guardTransport(connection._transport);
      noteAnswerHeads(connection._transport, this.answerHeads);
      if (this.token) connection._establish({ instanceUrl: this.token.instanceUrl, accessToken: this.token.accessToken });
      this.builtConnection = connection;
    }
    return this.builtConnection;
  }

  /** The token endpoint's client; none for a fixed token. */
  private get oauth2(): OAuth2 | undefined {
    if (this.auth.kind === 'fixed-token') return undefined;
    if (!this.builtOAuth2) {
      const { loginUrl, clientId, clientSecret } = this.auth;
      this.builtOAuth2 = new OAuth2({ loginUrl, clientId, clientSecret });
      guardTransport(this.builtOAuth2._transport);
    }
    return this.builtOAuth2;
  }

  /** The org's instance URL, known once a token was obtained. */
  get instanceUrl(): string | undefined {
    return this.token?.instanceUrl;
  }

  /** Fetches a token if none is cached; for warming up at start. */
  async connect(timeoutMs: number): Promise<void> {
    await this.currentToken(this.now() + timeoutMs);
  }

  /** Sends one REST request, answering or failing by `deadlineAt` (a `Date.now()` time). */
  async request<T>(request: HttpRequest, deadlineAt: number): Promise<T> {
    // A sign-in a request waits for: the background warm-ups make way for it.
    let token = this.token ?? (await SIGN_INS_FOR_REQUESTS.track(this.currentToken(deadlineAt)));
    for (let renewals = 0; ; renewals++) {
      try {
        return await this.send<T>(request, deadlineAt);
      } catch (error) {
        if (vendorCodeOf(error) !== 'INVALID_SESSION_ID' || this.auth.kind === 'fixed-token') throw this.translate(error);
        if (!this.mayRenew(token, renewals)) {
          this.refuseAuthFor(REAUTH_MIN_INTERVAL_MS, token, error);
          throw this.translate(error);
        }
        token = await this.renewToken(token, deadlineAt);
      }
    }
  }

  /**
   * Once per request; twice when the renewed token came from elsewhere (Redis) and Salesforce refused it
   * too: then this replica signs in itself.
   */
  private mayRenew(refused: Token, renewals: number): boolean {
    return renewals === 0 || (renewals === 1 && this.fromElsewhere.has(refused));
  }

  private async send<T>(request: HttpRequest, deadlineAt: number): Promise<T> {
    const timeout = deadlineAt - this.now();
    if (timeout <= 0) throw new SourceError('TIMEOUT', 'no time left before the deadline');
    const headers: Record<string, string> = request.body === undefined ? {} : { 'Content-Type': 'application/json' };
    const options: HttpRequestOptions = { timeout, retry: RESET_READ_SENT_AGAIN };
    try {
      return await this.connection.request<T>({ method: request.method, url: request.url, body: request.body, headers }, options);
    } catch (error) {
      const head = this.answerHeads.get(options);
      if (head && typeof error === 'object' && error !== null) this.errorHeads.set(error, head);
      throw error;
    }
  }

  private async currentToken(deadlineAt: number): Promise<Token> {
    if (this.token) return this.token;
    return this.fetchToken(deadlineAt, undefined);
  }

  /** One re-authentication for everyone who saw the same stale token. */
  private async renewToken(stale: Token, deadlineAt: number): Promise<Token> {
    if (this.token && this.token !== stale) return this.token;
    this.token = undefined;
    return this.fetchToken(deadlineAt, stale);
  }

  private async fetchToken(deadlineAt: number, stale: Token | undefined): Promise<Token> {
    this.refusals.check();
    this.pendingToken ??= this.obtainToken(stale).finally(() => {
      this.pendingToken = undefined;
    });
    return withTimeout(this.pendingToken, deadlineAt - this.now(), 'obtaining a Salesforce token');
  }

  /**
   * With Redis, a token other than `stale` that another replica or an earlier start stored, else one
   * obtained here under the shared lock and stored; without Redis (or while it is away), one obtained here.
   */
  private async obtainToken(stale: Token | undefined): Promise<Token> {
    if (this.sharedToken) {
      let obtainedHere: Token | undefined;
      const shared = await this.sharedToken.renew(stale, async (_latest, endBy) => {
        obtainedHere = await this.requestToken(endBy);
        return { value: obtainedHere, keepMs: SHARED_TOKEN_KEEP_MS };
      });
      if (shared !== REDIS_UNAVAILABLE) {
        if (shared !== obtainedHere) this.fromElsewhere.add(shared);
        return this.use(shared);
      }
    }
    return this.use(await this.requestToken(this.now() + TOKEN_REQUEST_CAP_MS));
  }

  private use(token: Token): Token {
    this.builtConnection?._establish({ instanceUrl: token.instanceUrl, accessToken: token.accessToken });
    this.token = token;
    return token;
  }

  /** A token from Salesforce, by `endBy` at the latest. */
  private async requestToken(endBy: number): Promise<Token> {
    const { auth, oauth2 } = this;
    if (!oauth2 || auth.kind === 'fixed-token') throw new SourceError('AUTH', 'the fixed SALESFORCE_ACCESS_TOKEN was refused');
    try {
      const grant =
        auth.kind === 'password'
          ? oauth2.authenticate(auth.username, auth.password)
          : oauth2.requestToken({ grant_type: 'client_credentials' });
      const response = await withTimeout(grant, Math.min(TOKEN_REQUEST_CAP_MS, endBy - this.now()), 'the Salesforce token endpoint');
      this.refusals.clear();
      return { instanceUrl: response.instance_url, accessToken: response.access_token };
    } catch (error) {
      const failure = this.translateTokenError(error);
      if (failure.code === 'AUTH') this.refuseAuthFor(AUTH_BACKOFF_MS, undefined, error);
      throw failure;
    }
  }

  /** Credentials Salesforce refused stay refused for a while: logged once a minute, not per call. */
  private refuseAuthFor(ms: number, refusedToken: Token | undefined, error: unknown): void {
    if (refusedToken && this.token === refusedToken) this.token = undefined;
    this.refusals.refuse(error instanceof SourceError ? error : this.translateTokenError(error), ms);
  }

  private translateTokenError(error: unknown): SourceError {
    if (error instanceof SourceError) return error;
    const name = errorField(error, 'name');
    const message = errorField(error, 'message') ?? 'token request failed';
    if (name?.startsWith('ERROR_HTTP_5')) return new SourceError('UNAVAILABLE', message, { cause: error, vendorCode: name });
    if (name && /^(invalid_|unsupported_|inactive_|ERROR_HTTP_4)/.test(name)) {
      return new SourceError('AUTH', message, { cause: error, vendorCode: name });
    }
    return this.translate(error);
  }

  /**
   * Also says whether the request may have been carried out without an answer (`mayHaveWritten`): a
   * time-out (node-fetch does not tell whether the request had gone out: counted as sent), a reset or
   * another network failure after connecting, a 504, an answer too large to read; and how long
   * Salesforce asked to wait (`Retry-After` of the error answer, noted by `noteAnswerHeads`).
   */
  private translate(error: unknown): SourceError {
    if (error instanceof SourceError) return error.vendorCode === 'RESPONSE_TOO_LARGE' ? answeredUnread(error) : error;
    const name = errorField(error, 'name');
    const message = errorField(error, 'message') ?? String(error);
    if (name === 'AbortError') return new SourceError('TIMEOUT', 'Salesforce did not answer in time', { cause: error, mayHaveWritten: true });
    const systemCode = errorField(error, 'code');
    const mayHaveWritten = mayHaveReachedCrm(systemCode);
    if (systemCode && NETWORK_CODES.has(systemCode)) return new SourceError('UNAVAILABLE', `cannot reach Salesforce (${systemCode})`, { cause: error, mayHaveWritten });
    const vendorCode = vendorCodeOf(error);
    if (vendorCode) {
      const code = CODES[vendorCode] ?? (/^ERROR_HTTP_5/.test(vendorCode) ? 'UNAVAILABLE' : 'BAD_REQUEST');
      const head = typeof error === 'object' && error !== null ? this.errorHeads.get(error) : undefined;
      const status = head?.statusCode ?? statusOfVendorCode(vendorCode);
      return new SourceError(code, `${vendorCode}: ${message}`, {
        cause: error,
        vendorCode,
        fields: fieldsOf(error),
        retryAfterMs: parseRetryAfter(head?.headers['retry-after']),
        mayHaveWritten: status === 504,
      });
    }
    return new SourceError('UNAVAILABLE', message, { cause: error, mayHaveWritten });
  }
}

/**
 * jsforce turns an error answer into an `HttpApiError` that keeps only the body (`message`, `errorCode`,
 * `data`): not the status, not the headers, so no `Retry-After`. Its transport sees them, and is handed
 * the very options object given to `Connection.request`: this notes each answer's status and headers
 * under that object, for `send` to find when the request fails.
 */
function noteAnswerHeads(transport: Transport, heads: WeakMap<HttpRequestOptions, AnswerHead>): void {
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (request, options = {}) => {
    const sent = send(request, options);
    void sent.then(
      (response) => heads.set(options, response),
      () => undefined, // jsforce fails the request itself
    );
    return sent;
  };
}

/** The status a jsforce error code names, `ERROR_HTTP_504` (an answer without Salesforce's error body). */
function statusOfVendorCode(vendorCode: string): number | undefined {
  const status = /^ERROR_HTTP_(\d{3})$/.exec(vendorCode)?.[1];
  return status === undefined ? undefined : Number(status);
}

/** Salesforce answered, more than we read: a write may have been carried out. */
function answeredUnread(error: SourceError): SourceError {
  const { code, message, cause, vendorCode, fields } = error;
  return new SourceError(code, message, { cause, vendorCode, fields, mayHaveWritten: true });
}

function errorField(error: unknown, field: 'name' | 'message' | 'code' | 'errorCode'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** The fields a REST error names (`[{"message":…,"errorCode":…,"fields":["OwnerId"]}]`), kept by jsforce in `data`. */
function fieldsOf(error: unknown): string[] {
  const data = typeof error === 'object' && error !== null ? (error as { data?: unknown }).data : undefined;
  const fields = typeof data === 'object' && data !== null ? (data as { fields?: unknown }).fields : undefined;
  return Array.isArray(fields) ? fields.filter((field): field is string => typeof field === 'string') : [];
}

/** The tenant and the account a token is for (login URL, connected app, user), as a digest: never a secret. */
function sharedTokenKey(tenantId: string, auth: Exclude<SalesforceAuth, { kind: 'fixed-token' }>): string {
  const user = auth.kind === 'password' ? auth.username : '';
  const fingerprint = createHash('sha256').update(JSON.stringify([auth.loginUrl, auth.clientId, user])).digest('hex').slice(0, 16);
  return `salesforce-token:${tenantId}:${fingerprint}`;
}

function parseToken(stored: unknown): Token | undefined {
  const { instanceUrl, accessToken } = (stored ?? {}) as Partial<Record<keyof Token, unknown>>;
  return typeof instanceUrl === 'string' && typeof accessToken === 'string' ? { instanceUrl, accessToken } : undefined;
}

function vendorCodeOf(error: unknown): string | undefined {
  return errorField(error, 'errorCode');
}
