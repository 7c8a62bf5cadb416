import type { HttpService } from '@nestjs/axios';
import { AxiosError } from 'axios';
import { createHash } from 'node:crypto';
import { parseRetryAfter } from '../../core/retry-after';
import { SourceError } from '../../core/source-error';
import { NOT_SENT_OVER_BUDGET, RateBudget } from '../../resilience/rate-budget';
import type { RedisConnection } from '../../shared-state/redis-connection';
import { SharedRateBudget } from '../../shared-state/shared-rate-budget';
import { CrmHttpClient, refusalAnswer, type CrmRefusal } from '../crm-http-client';
import { encodeQueryValue, render, type Placeholder, type PlaceholderValues, type TemplatePart } from './placeholders';
import { select } from './response-mapping';
import type { CompiledBody, CompiledRequest, LoadedTemplate } from './template-loader';
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
  readonly method: 'GET' | 'POST';
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** `GET /api/v2/persons/search?term=…` without the credentials. */
  readonly text: string;
}

/**
 * Renders a compiled request for one number: each string for its place (placeholders.ts), query values
 * percent-encoded, headers refused when they could not carry a value, the JSON body as a structure
 * (serialised by axios, which escapes its strings). A query or header entry whose parameter is unset is
 * left out; elsewhere an unset parameter is empty.
 */
export function prepareRequest(compiled: CompiledRequest, values: PlaceholderValues): PreparedRequest {
  const path = render(compiled.path, 'path', values) ?? '';
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
  const body = compiled.body === undefined ? undefined : renderBody(compiled.body, values);
  const text = `${compiled.request.method} ${pathAndQuery}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`;
  return { method: compiled.request.method, pathAndQuery, headers, body, text };
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

/** A parameter's value for this tenant: `<PREFIX>_<NAME>` (with `BASE_URL` and `TOKEN_URL` among them). */
export function parameterValues(loaded: LoadedTemplate, settings: TemplateSettings): (name: string) => string | undefined {
  return (name) => settings[templateKey(loaded.template, name)];
}

interface CachedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
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
      this.budget = redis?.configured ? new SharedRateBudget(redis, budgetKey(loaded, settings), perWindow, Math.round((1000 * perWindow) / requestsPerSecond)) : new RateBudget(perWindow, Math.round((1000 * perWindow) / requestsPerSecond));
    }
    this.slots = new Slots(concurrency);
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
        return await this.sendOnce(compiled, prepared, deadlineAt, sent);
      } catch (error) {
        if (this.loaded.template.auth.type !== 'oauth2' || refusalAnswer(error)?.status !== 401 || Date.now() > latest) throw error;
        // Dropped only if no other request has fetched a new one meanwhile.
        if (this.token === sent.token) this.token = undefined;
        return await this.sendOnce(compiled, prepared, deadlineAt, {});
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

  private async sendOnce(compiled: CompiledRequest, prepared: PreparedRequest, deadlineAt: number, sent: SentWith): Promise<unknown> {
    const { headers, query, token } = await this.credentials(deadlineAt);
    sent.token = token;
    const pathAndQuery = query ? `${prepared.pathAndQuery}${prepared.pathAndQuery.includes('?') ? '&' : '?'}${query}` : prepared.pathAndQuery;
    try {
      return await this.send<unknown>(
        { method: prepared.method, path: pathAndQuery, headers: { Accept: 'application/json', ...prepared.headers, ...headers }, body: prepared.body, read: true },
        deadlineAt,
      );
    } catch (error) {
      const status = refusalAnswer(error)?.status;
      if (status !== undefined && compiled.request.emptyStatuses.includes(status)) return undefined;
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
    this.fetchingToken ??= this.fetchToken(deadlineAt).finally(() => (this.fetchingToken = undefined));
    this.token = await this.fetchingToken;
    return this.token;
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
  protected readRefusal(status: number, body: unknown): CrmRefusal {
    const { message, vendorCode } = this.loaded.template.errors;
    const text = (path: string | undefined): string | undefined => {
      if (path === undefined || typeof body !== 'object' || body === null) return undefined;
      const found = select(path, body)[0];
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
    for (const header of this.loaded.template.errors.retryAfterHeaders) {
      const wait = parseRetryAfter(error.response.headers[header.toLowerCase()]);
      if (wait !== undefined) {
        return new SourceError(translated.code, translated.message, {
          cause: error,
          vendorCode: translated.vendorCode,
          fields: translated.fields,
          retryAfterMs: wait,
          mayHaveWritten: translated.mayHaveWritten,
        });
      }
    }
    return translated;
  }
}

/** Names the budget by the template and a digest of the base URL and credentials: a key must never hold a secret. */
function budgetKey(loaded: LoadedTemplate, settings: TemplateSettings): string {
  const secrets = loaded.template.parameters.map((p) => settings[templateKey(loaded.template, p.name)] ?? '');
  const digest = createHash('sha256').update(JSON.stringify([settings[templateKey(loaded.template, 'BASE_URL')], ...secrets])).digest('hex').slice(0, 16);
  return `budget:template-${loaded.template.id}:${digest}`;
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
