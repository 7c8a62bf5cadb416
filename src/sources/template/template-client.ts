import type { HttpService } from '@nestjs/axios';
import { AxiosError } from 'axios';
import { createHash } from 'node:crypto';
import { parseRetryAfter } from '../../core/retry-after';
import { SourceError } from '../../core/source-error';
import { NOT_SENT_OVER_BUDGET, RateBudget } from '../../resilience/rate-budget';
import { REDIS_UNAVAILABLE, type RedisConnection } from '../../shared-state/redis-connection';
import { SharedSignIn } from '../../shared-state/shared-sign-in';
import { SharedRateBudget } from '../../shared-state/shared-rate-budget';
import { CrmHttpClient, refusalAnswer, type CrmRefusal } from '../crm-http-client';
import { encodeQueryValue, render, type Placeholder, type PlaceholderValues, type TemplatePart } from './placeholders';
import { select } from './response-mapping';
import { readErrorBody, readXmlAnswer } from './xml-answer';
import type { CompiledBody, CompiledRequest, CompiledWrite, LoadedTemplate } from './template-loader';
import { templateKey, type TemplateSettings } from './template-settings';

/** A request needs at least this much time left to be worth sending. */
const MIN_USEFUL_MS = 50;
/** A token is fetched again this long before it expires, so no request goes out with one about to lapse. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** The longest wait a 429 may impose (a daily budget spent says "until midnight"): the lookups try again after it. */
const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** When the token endpoint says nothing of its lifetime. */
const DEFAULT_TOKEN_LIFETIME_MS = 30 * 60_000;

/** One request as it goes out: the path with its query, the headers and the body, and its text for traces (no credentials). */
export interface PreparedRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** `GET /api/v2/persons/search?term=…` without the credentials. */
  readonly text: string;
}

/** What `prepare` renders: a lookup's request or a workflow's write, its strings split at load. */
interface Renderable {
  readonly method: PreparedRequest['method'];
  readonly path: readonly TemplatePart[];
  readonly query: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly headers: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly body?: CompiledBody;
}

/**
 * Renders a compiled request for one number: each string for its place (placeholders.ts), query values
 * percent-encoded, headers refused when they could not carry a value, the JSON body as a structure
 * (serialised by axios, which escapes its strings). A query or header entry whose parameter is unset is
 * left out; elsewhere an unset parameter is empty.
 */
export function prepareRequest(compiled: CompiledRequest, values: PlaceholderValues): PreparedRequest {
  return prepare({ ...compiled, method: compiled.request.method }, values, 'lookup');
}

/**
 * Renders a workflow's write (or find): as a lookup's request, except in the body, where a string that is
 * one placeholder alone keeps its value's type (`{{call.talkSeconds}}` a number, `{{call.outgoing}}` a
 * boolean), and an entry whose placeholder has no value (no contact, no user) is left out.
 */
export function prepareWrite(compiled: CompiledWrite, values: PlaceholderValues): PreparedRequest {
  return prepare(compiled, values, 'write');
}

function prepare(compiled: Renderable, values: PlaceholderValues, mode: 'lookup' | 'write'): PreparedRequest {
  const rendered = render(compiled.path, 'path', values);
  // A write to the base URL itself because a value of its path is missing would hit another resource.
  if (rendered === undefined && mode === 'write') throw new SourceError('BAD_REQUEST', 'a value of the write\'s path is missing (no contact, user or number for this call): nothing was sent', { vendorCode: 'TEMPLATE_VALUE_MISSING' });
  const path = rendered ?? '';
  const query = compiled.query.flatMap(([name, parts]) => {
    const value = render(parts, 'query', values);
    return value === undefined ? [] : [`${queryName(name)}=${encodeQueryValue(value)}`];
  });
  const headers: Record<string, string> = {};
  for (const [name, parts] of compiled.headers) {
    const value = render(parts, 'header', values);
    if (value !== undefined) headers[name] = value;
  }
  const pathAndQuery = query.length > 0 ? `${path}?${query.join('&')}` : path;
  const body = compiled.body === undefined ? undefined : mode === 'lookup' ? renderBody(compiled.body, values) : renderWriteBody(compiled.body, values);
  const text = `${compiled.method} ${pathAndQuery}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`;
  return { method: compiled.method, pathAndQuery, headers, body, text };
}

/**
 * A query parameter's name (literal, of letters, digits and `_ . $ [ ] -`, checked at load) as it goes into
 * the URL: percent-encoded, except `$`, which a query may carry as it is (RFC 3986 §3.4) and which OData's
 * system query options are written with (`$filter`, `$select`) in every Dataverse example.
 */
function queryName(name: string): string {
  return encodeQueryValue(name).replaceAll('%24', '$');
}

function renderBody(body: CompiledBody, values: PlaceholderValues): unknown {
  if ('text' in body) return render(body.text, 'json', values) ?? '';
  if ('list' in body) return body.list.map((item) => renderBody(item, values));
  if ('map' in body) return Object.fromEntries(body.map.map(([key, item]) => [key, renderBody(item, values)]));
  return body.value;
}

/** A write's body: typed values for a placeholder alone, entries without a value left out (undefined). */
function renderWriteBody(body: CompiledBody, values: PlaceholderValues): unknown {
  if ('text' in body) {
    const only = body.text.length === 1 ? body.text[0] : undefined;
    if (only !== undefined && typeof only !== 'string' && only.filter === undefined) {
      const value = values(only);
      // Through render for its checks (control characters), then as the value's own type.
      if (value === undefined || render(body.text, 'json', values) === undefined) return undefined;
      return value;
    }
    return render(body.text, 'json', values);
  }
  if ('list' in body) return body.list.map((item) => renderWriteBody(item, values)).filter((item) => item !== undefined);
  if ('map' in body) return Object.fromEntries(body.map.flatMap(([key, item]) => {
    const value = renderWriteBody(item, values);
    return value === undefined ? [] : [[key, value]];
  }));
  return body.value;
}

/** A parameter's value for this tenant: `<PREFIX>_<NAME>` (with `BASE_URL` and `TOKEN_URL` among them). */
export function parameterValues(loaded: LoadedTemplate, settings: TemplateSettings): (name: string) => string | undefined {
  return (name) => settings[templateKey(loaded.template, name)];
}

interface CachedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

/** How one request is exchanged: a read (sent again on a stale connection) or a write, the statuses that mean "none", XML or JSON. */
interface Exchange {
  readonly read: boolean;
  readonly emptyStatuses: readonly number[];
  readonly xml: boolean;
}

/** Which token a request went out with, to drop that one (and no newer one) when it is answered 401. */
interface SentWith {
  token?: CachedToken;
}

/**
 * One tenant's client for one template: its credentials from the tenant's parameters, its own budget
 * (`limits.requestsPerSecond`, shared by the replicas through Redis) and its concurrency
 * (`limits.concurrency`), OAuth tokens fetched once, kept until shortly before they expire, and fetched
 * again once after a 401. Every failure is a `SourceError`: 401/403 AUTH, 429 RATE_LIMITED with the wait
 * the CRM asked for, 5xx UNAVAILABLE, no answer in time TIMEOUT.
 */
export class TemplateClient extends CrmHttpClient {
  private readonly budget: RateBudget | SharedRateBudget | undefined;
  private readonly slots: Slots;
  private readonly param: (name: string) => string | undefined;
  private token: CachedToken | undefined;
  /** The token the CRM last refused (401): a shared one equal to it is not taken again. */
  private refusedToken: CachedToken | undefined;
  /** With `REDIS_URL`: one OAuth token for every replica (and tenant) signing in with these credentials. */
  private readonly sharedToken: SharedSignIn<CachedToken> | undefined;
  /** Until when (a `Date.now()` time) the CRM asked not to be sent anything (its last 429). */
  private waitUntil = 0;
  private fetchingToken: Promise<CachedToken> | undefined;

  constructor(
    private readonly httpService: HttpService,
    private readonly loaded: LoadedTemplate,
    settings: TemplateSettings,
    redis?: RedisConnection,
  ) {
    super(httpService, loaded.template.name, settings[templateKey(loaded.template, 'BASE_URL')] ?? loaded.template.baseUrl);
    this.param = parameterValues(loaded, settings);
    const { requestsPerSecond, concurrency } = loaded.template.limits;
    if (requestsPerSecond > 0) {
      const perWindow = Math.max(1, Math.round(requestsPerSecond));
      this.budget = redis?.configured ? new SharedRateBudget(redis, `budget:template-${loaded.template.id}:${accountDigest(loaded, settings)}`, perWindow, Math.round((1000 * perWindow) / requestsPerSecond)) : new RateBudget(perWindow, Math.round((1000 * perWindow) / requestsPerSecond));
    }
    this.slots = new Slots(concurrency);
    this.sharedToken =
      redis?.configured && loaded.template.auth.type === 'oauth2'
        ? new SharedSignIn(redis, { key: `template-token:${loaded.template.id}:${accountDigest(loaded, settings)}`, parse: parseCachedToken, same: (a, b) => a.accessToken === b.accessToken })
        : undefined;
  }

  /** The parameter values of this tenant, for the placeholders of a request (and the number's, given by the caller). */
  paramValue(name: string): string | undefined {
    return this.param(name);
  }

  /**
   * Sends one prepared request by `deadlineAt`; its answer, or undefined when its status is one of the
   * request's "empty" statuses (no match). An OAuth token refused with 401 is fetched again, and the
   * request sent again, once.
   */
  async fetch(compiled: CompiledRequest, prepared: PreparedRequest, deadlineAt: number): Promise<unknown> {
    return this.exchange(prepared, deadlineAt, { read: true, emptyStatuses: compiled.request.emptyStatuses, xml: compiled.request.format === 'xml' });
  }

  /**
   * Sends one workflow write by `deadlineAt`: never again on a kept-alive connection the CRM had closed (a
   * write may have been carried out), but once more with a new OAuth token after a 401 (a refused
   * request wrote nothing). `find` is a read: its `emptyStatuses` (404) mean "none", answered undefined.
   */
  async write(prepared: PreparedRequest, deadlineAt: number, find?: { readonly emptyStatuses: readonly number[] }): Promise<unknown> {
    return this.exchange(prepared, deadlineAt, { read: find !== undefined, emptyStatuses: find?.emptyStatuses ?? [], xml: false });
  }

  private async exchange(prepared: PreparedRequest, deadlineAt: number, how: Exchange): Promise<unknown> {
    const latest = deadlineAt - MIN_USEFUL_MS;
    const wait = this.waitUntil - Date.now();
    if (wait > 0) {
      throw new SourceError('RATE_LIMITED', `${this.crmName} asked to wait ${Math.ceil(wait / 1000)} s more after its 429: not sent`, { vendorCode: NOT_SENT_OVER_BUDGET, retryAfterMs: wait });
    }
    await this.budget?.acquire(latest);
    const release = await this.slots.acquire(latest);
    try {
      const sent: SentWith = {};
      try {
        return await this.sendOnce(prepared, deadlineAt, sent, how);
      } catch (error) {
        if (this.loaded.template.auth.type !== 'oauth2' || refusalAnswer(error)?.status !== 401 || Date.now() > latest) throw error;
        // Dropped only if no other request has fetched a new one meanwhile.
        if (this.token === sent.token) {
          this.refusedToken = sent.token;
          this.token = undefined;
        }
        return await this.sendOnce(prepared, deadlineAt, {}, how);
      }
    } catch (error) {
      const failure = this.translate(error);
      // The wait a 429 asked for is kept: no request of this tenant goes out before it is over.
      if (failure.code === 'RATE_LIMITED' && failure.retryAfterMs !== undefined && failure.vendorCode !== NOT_SENT_OVER_BUDGET) {
        this.waitUntil = Math.max(this.waitUntil, Date.now() + Math.min(failure.retryAfterMs, MAX_RETRY_AFTER_MS));
      }
      throw failure;
    } finally {
      release();
    }
  }

  /** Signs in ahead of the first lookup (OAuth); nothing to do for the other kinds. */
  async warmUp(deadlineAt: number): Promise<void> {
    if (this.loaded.template.auth.type === 'oauth2') await this.accessToken(deadlineAt);
  }

  private async sendOnce(prepared: PreparedRequest, deadlineAt: number, sent: SentWith, how: Exchange): Promise<unknown> {
    const { headers, query, token } = await this.credentials(deadlineAt);
    sent.token = token;
    const pathAndQuery = query ? `${prepared.pathAndQuery}${prepared.pathAndQuery.includes('?') ? '&' : '?'}${query}` : prepared.pathAndQuery;
    const accept = how.xml ? 'application/atom+xml, application/xml;q=0.9, text/xml;q=0.8' : 'application/json';
    try {
      const answer = await this.send<unknown>({ method: prepared.method, path: pathAndQuery, headers: { Accept: accept, ...prepared.headers, ...headers }, body: prepared.body, read: how.read }, deadlineAt);
      if (!how.xml) return answer;
      if (typeof answer !== 'string') throw new SourceError('UNAVAILABLE', `${this.crmName} answered something other than XML`);
      return readXmlAnswer(answer, this.crmName);
    } catch (error) {
      const status = refusalAnswer(error)?.status;
      if (status !== undefined && how.emptyStatuses.includes(status)) return undefined;
      throw error;
    }
  }

  /** The headers (and query parameter) that carry this tenant's credentials. */
  private async credentials(deadlineAt: number): Promise<{ headers: Record<string, string>; query?: string; token?: CachedToken }> {
    const { auth } = this.loaded.template;
    const field = (name: string): string => this.authField(name);
    switch (auth.type) {
      case 'none':
        return { headers: {} };
      case 'bearer':
        return { headers: { Authorization: `Bearer ${field('token')}` } };
      case 'basic':
        return { headers: { Authorization: `Basic ${Buffer.from(`${field('username')}:${field('password')}`).toString('base64')}` } };
      case 'apiKey':
        return auth.in === 'header' ? { headers: { [auth.name]: field('value') } } : { headers: {}, query: `${encodeQueryValue(auth.name)}=${encodeQueryValue(field('value'))}` };
      case 'oauth2': {
        const token = await this.accessToken(deadlineAt);
        return { headers: { Authorization: `${auth.scheme ?? 'Bearer'} ${token.accessToken}` }, token };
      }
    }
  }

  /** A credential field rendered from the tenant's parameters (refused if it could not go into a header). */
  private authField(name: string): string {
    const parts: readonly TemplatePart[] = this.loaded.auth.fields[name] ?? [];
    return render(parts, 'header', (p: Placeholder) => (p.source === 'param' ? this.param(p.name) : undefined)) ?? '';
  }

  private async accessToken(deadlineAt: number): Promise<CachedToken> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token;
    this.fetchingToken ??= this.obtainToken(deadlineAt).finally(() => (this.fetchingToken = undefined));
    this.token = await this.fetchingToken;
    this.refusedToken = undefined;
    return this.token;
  }

  /**
   * A token: with Redis, the one every replica shares (fetched by one of them at a time, under a lock), unless
   * it is the one the CRM just refused or has expired; else, or while Redis is away, this replica's own.
   * Zoho, for one, allows only a few access tokens per refresh token in ten minutes.
   */
  private async obtainToken(deadlineAt: number): Promise<CachedToken> {
    if (this.sharedToken) {
      const stale = this.refusedToken ?? this.token;
      const shared = await this.sharedToken.renew(
        stale,
        async (_latest, endBy) => {
          const fetched = await this.fetchToken(Math.min(deadlineAt, endBy));
          return { value: fetched, keepMs: Math.max(1, fetched.expiresAt - Date.now()) };
        },
        deadlineAt,
      );
      if (shared !== REDIS_UNAVAILABLE && shared.expiresAt > Date.now()) return shared;
    }
    return this.fetchToken(deadlineAt);
  }

  /** The template's token address with this tenant's parameters (`…/{{param.TENANT_ID}}/oauth2/v2.0/token`), each encoded as a path segment. */
  private defaultTokenUrl(): string {
    const parts: readonly TemplatePart[] = this.loaded.auth.fields.tokenUrl ?? [];
    const url = render(parts, 'link', (p: Placeholder) => (p.source === 'param' ? this.param(p.name) : undefined));
    if (url === undefined) {
      const needed = parts.flatMap((p) => (typeof p !== 'string' && p.source === 'param' ? [templateKey(this.loaded.template, p.name)] : []));
      throw new SourceError('CONFIG', `${this.crmName}'s token address needs ${needed.join(', ')}: set it, or ${templateKey(this.loaded.template, 'TOKEN_URL')}`);
    }
    return url;
  }

  /** OAuth 2.0 token request (RFC 6749 §4.4 client credentials, §6 refresh), form-encoded to `<PREFIX>_TOKEN_URL`. */
  private async fetchToken(deadlineAt: number): Promise<CachedToken> {
    const { auth } = this.loaded.template;
    if (auth.type !== 'oauth2') throw new SourceError('CONFIG', 'no OAuth sign-in in this template');
    const tokenUrl = this.param('TOKEN_URL') ?? this.defaultTokenUrl();
    const timeout = deadlineAt - Date.now();
    if (timeout <= 0) throw new SourceError('TIMEOUT', 'no time left before the deadline to sign in');
    const form = new URLSearchParams({ grant_type: auth.grant });
    if (auth.grant === 'refresh_token') form.set('refresh_token', this.authField('refreshToken'));
    if (auth.scope !== undefined) form.set('scope', this.authField('scope'));
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (auth.clientAuth === 'basic') {
      headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.authField('clientId'))}:${encodeURIComponent(this.authField('clientSecret'))}`).toString('base64')}`;
    } else {
      form.set('client_id', this.authField('clientId'));
      form.set('client_secret', this.authField('clientSecret'));
    }
    try {
      const response = await this.httpService.axiosRef.post<{ access_token?: unknown; expires_in?: unknown }>(tokenUrl, form.toString(), {
        headers,
        timeout,
        signal: AbortSignal.timeout(timeout),
      });
      const accessToken = response.data.access_token;
      if (typeof accessToken !== 'string' || accessToken === '') throw new SourceError('AUTH', `${this.crmName}'s token endpoint answered without an access_token`);
      const lifetime = typeof response.data.expires_in === 'number' ? response.data.expires_in * 1000 : Number(response.data.expires_in) * 1000 || DEFAULT_TOKEN_LIFETIME_MS;
      return { accessToken, expiresAt: Date.now() + Math.max(lifetime - TOKEN_EXPIRY_MARGIN_MS, lifetime / 2) };
    } catch (error) {
      const refused = refusalAnswer(error);
      // The token endpoint's 400 (invalid_grant, invalid_client) is a sign-in refused, not a bad lookup.
      if (refused && refused.status >= 400 && refused.status < 500 && refused.status !== 429) {
        const body = (refused.body ?? {}) as { error?: unknown; error_description?: unknown };
        const vendorCode = typeof body.error === 'string' ? body.error : undefined;
        const detail = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
        throw new SourceError('AUTH', `${this.crmName}'s token endpoint answered ${refused.status} (${vendorCode ?? 'no error code'})${detail}`, { cause: error, vendorCode });
      }
      throw this.translate(error);
    }
  }

  /** The CRM's error answer in its words, through the template's `errors` paths. */
  protected readRefusal(status: number, answered: unknown): CrmRefusal {
    const { message, vendorCode } = this.loaded.template.errors;
    const body = readErrorBody(answered);
    const text = (path: string | undefined): string | undefined => {
      if (path === undefined || typeof body !== 'object' || body === null) return undefined;
      // Flattened once: in an XML answer every element is a list.
      const found = select(path, body).flat()[0];
      return typeof found === 'string' || typeof found === 'number' ? String(found).slice(0, 300) : undefined;
    };
    const said = text(message);
    const code = text(vendorCode);
    return { message: `${this.crmName} answered ${status}${said ? `: ${said}` : ''}`, ...(code === undefined ? {} : { vendorCode: code }) };
  }

  /** As every CRM client translates, with the wait of a 429 also read from the template's own headers (`x-ratelimit-reset`). */
  protected override translate(error: unknown): SourceError {
    const translated = super.translate(error);
    if (translated.retryAfterMs !== undefined || !(error instanceof AxiosError) || !error.response) return translated;
    const { retryAfterHeaders, retryAfterDefaultS } = this.loaded.template.errors;
    let wait: number | undefined;
    for (const header of retryAfterHeaders) wait ??= parseRetryAfter(error.response.headers[header.toLowerCase()]);
    if (wait === undefined && translated.code === 'RATE_LIMITED' && retryAfterDefaultS !== undefined) wait = retryAfterDefaultS * 1000;
    if (wait === undefined) return translated;
    return new SourceError(translated.code, translated.message, {
      cause: error,
      vendorCode: translated.vendorCode,
      fields: translated.fields,
      retryAfterMs: wait,
      mayHaveWritten: translated.mayHaveWritten,
    });
  }
}

/**
 * A digest of everything a tenant's account at the CRM is: its base URL (Dataverse's token scope is the
 * org's URL), its token address and every parameter. Keys of what the replicas share (a budget, a token)
 * are named by it: a key must never hold a secret.
 */
function accountDigest(loaded: LoadedTemplate, settings: TemplateSettings): string {
  const key = (name: string): string | undefined => settings[templateKey(loaded.template, name)];
  const values = [key('BASE_URL'), key('TOKEN_URL'), ...loaded.template.parameters.map((p) => key(p.name) ?? '')];
  return createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16);
}

function parseCachedToken(stored: unknown): CachedToken | undefined {
  const { accessToken, expiresAt } = (stored ?? {}) as Partial<Record<keyof CachedToken, unknown>>;
  return typeof accessToken === 'string' && typeof expiresAt === 'number' ? { accessToken, expiresAt } : undefined;
}


/**
 * At most `limit` requests in flight; the next waits for a free one until `latestAt`, then is refused
 * without being sent (a vendor code the breaker does not count: the CRM was not asked).
 */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  acquire(latestAt: number): Promise<() => void> {
    const limit = this.limit;
    const release = (): void => {
      this.running -= 1;
      this.waiting.shift()?.();
    };
    if (this.running < limit) {
      this.running += 1;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const start = (): void => {
        clearTimeout(timer);
        this.running += 1;
        resolve(once(release));
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(start);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new SourceError('RATE_LIMITED', `all ${limit} requests allowed at once are in flight until the deadline: not sent`, { vendorCode: NOT_SENT_OVER_BUDGET }));
      }, Math.max(0, latestAt - Date.now()));
      this.waiting.push(start);
    });
  }
}

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
