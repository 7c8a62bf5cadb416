import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson, type WriteArrival } from '../loopback-fake';

/**
 * A SugarCRM instance on a loopback port that speaks REST v10/v11 the way crm-apis.md §3 describes it:
 * `/oauth2/token` (password grant, rotating refresh tokens, one session per user and platform, two on
 * `mobile`), the version check (301 incorrect_version), `OAuth-Token` with the real 401 bodies, the filter
 * API on raw strings, global search comparing digits with the query as a substring (and a switch to
 * answer 503 search_unavailable), Calls (422 without date_start), Cases, Leads, links, and switches
 * to expire tokens, delay or hang, refuse writes (`failWrites`) or cut the connection after a create
 * was stored (`cutNextWrites`).
 */

type Module = 'Contacts' | 'Leads' | 'Accounts' | 'Calls' | 'Cases' | 'Users';
export type SugarRecord = Record<string, unknown> & { id: string };

interface Session {
  readonly user: string;
  readonly platform: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  expired: boolean;
}

const PHONE_FIELDS: Readonly<Partial<Record<Module, readonly string[]>>> = {
  Contacts: ['phone_home', 'phone_mobile', 'phone_work', 'phone_other', 'phone_fax', 'assistant_phone'],
  Leads: ['phone_home', 'phone_mobile', 'phone_work', 'phone_other', 'phone_fax'],
  Accounts: ['phone_office', 'phone_alternate', 'phone_fax'],
};
const MODULES: readonly Module[] = ['Contacts', 'Leads', 'Accounts', 'Calls', 'Cases', 'Users'];
const BUILT_IN_PLATFORMS = ['base', 'mobile', 'portal', 'opi', 'lpi'];
/** Live sessions per user and platform (crm-apis.md §3.2.5): `numSessions` is 1, `mobile` overrides it with 2; registered platforms keep 1. */
const SESSIONS_PER_USER = 1;
const SESSIONS_PER_PLATFORM: Readonly<Record<string, number>> = { mobile: 2 };
const MANDATORY_FIELDS = ['id', 'date_modified', 'assigned_user_id', 'created_by', 'locked_fields'];
const LINKS: Readonly<Record<string, Module>> = { contacts: 'Contacts', leads: 'Leads', users: 'Users' };
/** Routes under a module that only read: `POST /<Module>/filter` is a search. */
const READ_ROUTES: ReadonlySet<string> = new Set(['filter', 'globalsearch', 'count']);
/**
 * Sugar's own error answer per status (crm-apis.md §3.3: `{error, error_message}`, labels of
 * include/api/SugarApiException.php; a bare SugarApiException is 400 `unknown_exception`). Any other
 * status (429, 504, …) comes from something in front of Sugar (crm-apis.md §3.3: Sugar has no rate
 * limiter of its own): an HTML page.
 */
const WRITE_REFUSALS: Readonly<Record<number, readonly [label: string, message: string]>> = {
  400: ['unknown_exception', 'An unknown exception happened.'],
  401: ['need_login', 'No valid authentication for user.'],
  403: ['not_authorized', 'No access to edit records'],
  404: ['not_found', 'Could not find record'],
  409: ['edit_conflict', 'Edit conflict'],
  413: ['request_too_large', 'The request is too large to process.'],
  422: ['invalid_parameter', 'Invalid parameter'],
  500: ['fatal_error', 'Something went wrong'],
  502: ['bad_gateway', 'The connector could not handle the response'],
  503: ['service_unavailable', 'The server is busy or overloaded. Please try again later.'],
};

class SugarError extends Error {
  constructor(
    readonly status: number,
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly token?: string;
}

export class FakeSugar extends LoopbackFake {
  readonly username = 'gateway';
  readonly password = 'gateway-password';
  readonly requests: RecordedRequest[] = [];
  readonly records = new Map<Module, Map<string, SugarRecord>>();
  /** Links made through `contacts` / `leads` fields: `Calls/<id>` → linked ids. */
  readonly links = new Map<string, Set<string>>();
  /** Platforms an admin registered (Sugar 13 refuses unknown ones). */
  registeredPlatforms = ['phone_gateway'];
  /** Without Elasticsearch, global search answers 503 search_unavailable. */
  searchUnavailable = false;
  delayMs = 0;
  hang = false;
  maxVersion = 11.23;
  /**
   * While set, every write (POST or PUT on module records and their links; not `/filter`, global search
   * or the token endpoint) is answered with this status in Sugar's error shape for it (see
   * `WRITE_REFUSALS`), with `Retry-After: <retryAfterS>` when given, and nothing is written. Searches
   * and reads still answer.
   */
  failWrites: { status: number; retryAfterS?: number } | undefined;
  /** Every write sent, in order of arrival, refused ones included. */
  readonly writeArrivals: WriteArrival[] = [];
  /**
   * While > 0, the next create of a record is stored, as Sugar commits it, and then the connection is
   * destroyed before any answer (the client sees a reset); each such create counts it down.
   */
  cutNextWrites = 0;

  private sessions: Session[] = [];

  constructor() {
    super();
    this.seed();
  }


  reset(): void {
    this.requests.length = 0;
    this.sessions = [];
    this.searchUnavailable = false;
    this.delayMs = 0;
    this.hang = false;
    this.failWrites = undefined;
    this.writeArrivals.length = 0;
    this.cutNextWrites = 0;
    this.seed();
  }

  /** The writes answered `failWrites`, in order of arrival. */
  get refusedWrites(): WriteArrival[] {
    return this.writeArrivals.filter((write) => write.refused);
  }

  /** Every access token expires (the refresh tokens stay valid). */
  expireTokens(): void {
    for (const session of this.sessions) session.expired = true;
  }

  /** A person logs in with the gateway's user, as from a browser: it ends the older session on that platform (`mobile` keeps two). */
  personLogsIn(platform = 'base'): void {
    this.openSession(this.username, platform);
  }

  all(module: Module): SugarRecord[] {
    return [...(this.records.get(module)?.values() ?? [])];
  }

  tokenRequests(grant?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/oauth2/token') && (!grant || (r.body as { grant_type?: string }).grant_type === grant));
  }

  private seed(): void {
    this.records.clear();
    this.links.clear();
    for (const module of MODULES) this.records.set(module, new Map());
    const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T08:00:00+00:00`;
    const put = (module: Module, record: SugarRecord) => this.records.get(module)!.set(record.id, { created_by: '1', assigned_user_id: '1', locked_fields: [], ...record });
    put('Users', { id: 'seed-user-sales', user_name: 'sarah', name: 'Sarah Sales', date_modified: at(1) });
    put('Accounts', { id: 'acc-muster', name: 'Muster Treuhand AG', phone_office: '+41 44 668 18 00', date_modified: at(2) });
    put('Accounts', { id: 'acc-alpenblick', name: 'Alpenblick Hotel AG', phone_office: '033 822 00 00', date_modified: at(3) });
    const contact = (id: string, first: string, last: string, account: SugarRecord | undefined, phones: Record<string, string>, day: number) =>
      put('Contacts', {
        id,
        first_name: first,
        last_name: last,
        name: `${first} ${last}`,
        title: first === 'Anna' ? 'CFO' : '',
        account_id: account?.id ?? '',
        account_name: (account?.name) ?? '',
        date_modified: at(day),
        ...phones,
      });
    const muster = this.records.get('Accounts')!.get('acc-muster');
    contact('c-anna', 'Anna', 'Muster', muster, { phone_mobile: '+41 78 907 22 28', phone_work: '044 668 18 00' }, 20);
    contact('c-beat', 'Beat', 'Keller', undefined, { phone_mobile: '079.123.45.67' }, 19);
    contact('c-chantal', 'Chantal', 'Favre', undefined, { phone_work: '+41 (0)21 552 20 00' }, 18);
    contact('c-julia', 'Julia', 'Chen', undefined, { phone_work: '+1 (415) 555-1212' }, 17);
    contact('c-kurt', 'Kurt', 'Meier', undefined, { phone_work: '052 212 34 56 ext 12' }, 16);
    contact('c-fabian', 'Fabian', 'Weber', undefined, { phone_work: '+49 78 907 22 28' }, 15);
    contact('c-ian', 'Ian', 'Clarke', undefined, { phone_work: '+44 20 7946 0018' }, 14);
    put('Leads', { id: 'l-olivia', first_name: 'Olivia', last_name: 'Brunner', name: 'Olivia Brunner', account_name: 'Brunner Bau AG', phone_mobile: '076 555 44 33', date_modified: at(9) });
  }

  private openSession(user: string, platform: string): Session {
    const session: Session = { user, platform, accessToken: randomUUID(), refreshToken: randomUUID(), expired: false };
    this.sessions.push(session);
    const limit = SESSIONS_PER_PLATFORM[platform] ?? SESSIONS_PER_USER;
    const same = this.sessions.filter((s) => s.user === user && s.platform === platform);
    const ended = same.slice(0, Math.max(0, same.length - limit));
    this.sessions = this.sessions.filter((s) => !ended.includes(s));
    return session;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return send(res, 400, { error: 'invalid_parameter', error_message: 'Could not parse the request body' });
    }
    const token = typeof req.headers['oauth-token'] === 'string' ? req.headers['oauth-token'] : undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body, token });
    try {
      const versioned = /^\/rest\/(v\d\d(?:_\d{1,2})?)(\/.*)$/.exec(url.pathname);
      if (!versioned) throw new SugarError(404, 'no_method', 'Could not find a route');
      this.checkVersion(versioned[1]!);
      const path = versioned[2]!;
      if (req.method === 'POST' && path === '/oauth2/token') return send(res, 200, this.token(body));
      if (this.hang) return;
      if (this.delayMs > 0) await this.wait(this.delayMs);
      this.authenticate(token);
      const written = writtenModule(req.method, path);
      if (written) {
        const failure = this.failWrites;
        this.writeArrivals.push({ method: req.method!, path: url.pathname, object: written, at: arrivedAt, refused: failure !== undefined });
        if (failure) return refuseWrite(failure, res);
      }
      if (req.method === 'GET' && path === '/globalsearch') return send(res, 200, this.globalSearch(url.searchParams));
      const route = /^\/(\w+)(?:\/([^/]+))?$/.exec(path);
      const module = route && (MODULES as readonly string[]).includes(route[1]!) ? (route[1] as Module) : undefined;
      if (!module) throw new SugarError(404, 'no_method', `Could not find a route for ${req.method} ${path}`);
      const rest = route![2];
      if (req.method === 'POST' && rest === 'filter') return send(res, 200, this.filter(module, body));
      if (req.method === 'POST' && rest === undefined) {
        const created = this.create(module, body);
        if (this.cutNextWrites > 0) {
          this.cutNextWrites--;
          req.socket.destroy();
          return;
        }
        return send(res, 200, created);
      }
      if (req.method === 'PUT' && rest !== undefined) return send(res, 200, this.update(module, rest, body));
      if (req.method === 'GET' && rest !== undefined) return send(res, 200, this.present(module, this.find(module, rest), url.searchParams.get('fields')));
      throw new SugarError(404, 'no_method', `Could not find a route for ${req.method} ${path}`);
    } catch (failure) {
      if (failure instanceof SugarError) return send(res, failure.status, { error: failure.label, error_message: failure.message });
      return send(res, 500, { error: 'fatal_error', error_message: String(failure) });
    }
  }

  private checkVersion(version: string): void {
    const [major, minor] = version.slice(1).split('_');
    const number = Number(major) + (minor ? Number(minor) / 100 : 0);
    if (number < 10 || number > this.maxVersion) {
      throw new SugarError(301, 'incorrect_version', `Please change your requested API version to value between 10 and ${this.maxVersion}.`);
    }
  }

  private token(body: unknown): unknown {
    const request = (body ?? {}) as Record<string, string | undefined>;
    const platform = request.platform ?? 'base';
    if (request.client_id !== 'sugar') throw new SugarError(400, 'invalid_client', 'The client credentials are invalid');
    if (!BUILT_IN_PLATFORMS.includes(platform) && !this.registeredPlatforms.includes(platform)) {
      throw new SugarError(422, 'invalid_parameter', `EXCEPTION_INVALID_PLATFORM: platform ${platform} is not registered`);
    }
    let session: Session;
    if (request.grant_type === 'password') {
      if (request.username !== this.username || request.password !== this.password) {
        throw new SugarError(401, 'need_login', 'You must specify a valid username and password.');
      }
      session = this.openSession(this.username, platform);
    } else if (request.grant_type === 'refresh_token') {
      const old = this.sessions.find((s) => s.refreshToken === request.refresh_token);
      if (!old) throw new SugarError(400, 'invalid_grant', 'Invalid refresh token');
      // Rotation: the old refresh token (and its access token) stop working.
      this.sessions = this.sessions.filter((s) => s !== old);
      session = this.openSession(old.user, old.platform);
    } else {
      throw new SugarError(400, 'unsupported_grant_type', 'Grant type not supported');
    }
    return {
      access_token: session.accessToken,
      expires_in: 3600,
      token_type: 'bearer',
      scope: null,
      refresh_token: session.refreshToken,
      refresh_expires_in: 1209600,
      download_token: randomUUID(),
    };
  }

  private authenticate(token: string | undefined): void {
    if (!token) throw new SugarError(401, 'need_login', 'No valid authentication for user.');
    const session = this.sessions.find((s) => s.accessToken === token);
    if (!session) throw new SugarError(401, 'invalid_grant', 'The access token provided is invalid.');
    if (session.expired) throw new SugarError(401, 'invalid_grant', 'The access token provided has expired.');
  }

  private globalSearch(params: URLSearchParams): unknown {
    if (this.searchUnavailable) throw new SugarError(503, 'search_unavailable', 'Search service is unavailable.');
    const digits = (params.get('q') ?? '').replace(/\D/g, '');
    const modules = (params.get('module_list') ?? 'Contacts,Leads,Accounts').split(',') as Module[];
    const fields = params.get('fields');
    const max = Number(params.get('max_num') ?? 20);
    const hits =
      digits.length < 3
        ? []
        : modules.flatMap((module) =>
            this.all(module)
              .filter((r) => (PHONE_FIELDS[module] ?? []).some((f) => typeof r[f] === 'string' && (r[f]).replace(/\D/g, '').includes(digits.slice(0, 15))))
              .map((r) => ({ ...(this.present(module, r, fields) as object), _score: 1 })),
          );
    return { next_offset: -1, total: hits.length, query_time: 3, records: hits.slice(0, max) };
  }

  private filter(module: Module, body: unknown): unknown {
    const request = (body ?? {}) as { filter?: unknown; fields?: string; max_num?: number; offset?: number };
    const expressions = Array.isArray(request.filter) ? request.filter : [];
    const max = request.max_num ?? 20;
    const offset = request.offset ?? 0;
    const hits = this.all(module).filter((r) => expressions.every((e) => matches(r, e)));
    const page = hits.slice(offset, offset + max);
    return { next_offset: offset + max < hits.length ? offset + max : -1, records: page.map((r) => this.present(module, r, request.fields)) };
  }

  private create(module: Module, body: unknown): unknown {
    const fields = { ...((body ?? {}) as Record<string, unknown>) };
    if (module === 'Calls' && !fields.date_start) throw new SugarError(422, 'missing_parameter', 'Missing parameter: date_start');
    // Sugar takes a client's id (up to 36 characters) and refuses one it already has.
    const { id: wanted, ...given } = fields;
    const id = typeof wanted === 'string' && wanted !== '' ? wanted : randomUUID();
    if (typeof wanted === 'string' && wanted.length > 36) throw new SugarError(422, 'invalid_parameter', 'Invalid parameter: id is longer than 36 characters');
    if (this.records.get(module)!.has(id)) throw new SugarError(422, 'invalid_parameter', 'Record already exists');
    const record: SugarRecord = { id, created_by: '1', assigned_user_id: '1', locked_fields: [], date_modified: new Date().toISOString() };
    this.apply(module, record, given);
    if (module === 'Leads' || module === 'Contacts') record.name = [record.first_name, record.last_name].filter(Boolean).join(' ');
    this.records.get(module)!.set(record.id, record);
    return this.present(module, record, null);
  }

  private update(module: Module, id: string, body: unknown): unknown {
    const record = this.find(module, id);
    this.apply(module, record, { ...((body ?? {}) as Record<string, unknown>) });
    record.date_modified = new Date().toISOString();
    return this.present(module, record, null);
  }

  /** Plain fields are stored; link fields (`contacts: {add: [...]}`) link existing records. */
  private apply(module: Module, record: SugarRecord, fields: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(fields)) {
      const target = LINKS[name];
      if (target && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const linked of ((value as { add?: unknown[] }).add ?? []).map(String)) {
          if (!this.records.get(target)!.has(linked)) throw new SugarError(404, 'not_found', `Could not find record: ${linked} in module: ${target}`);
          const key = `${module}/${record.id}`;
          if (!this.links.has(key)) this.links.set(key, new Set());
          this.links.get(key)!.add(`${target}/${linked}`);
        }
        continue;
      }
      if (name === 'id' || name === 'date_modified') continue;
      record[name] = value;
    }
  }

  private find(module: Module, id: string): SugarRecord {
    const record = this.records.get(module)?.get(id);
    if (!record) throw new SugarError(404, 'not_found', `Could not find record: ${id} in module: ${module}`);
    return record;
  }

  private present(module: Module, record: SugarRecord, fields: string | null | undefined): unknown {
    const wanted = fields ? [...new Set([...MANDATORY_FIELDS, ...fields.split(',')])] : Object.keys(record);
    const out: Record<string, unknown> = {};
    for (const name of wanted) out[name] = record[name] ?? '';
    return { ...out, _acl: { fields: {} }, _module: module };
  }
}

/** Sugar's filter semantics: raw-string SQL LIKE, case-insensitive; `$or` / `$and` nest. */
function matches(record: SugarRecord, expression: unknown): boolean {
  if (!expression || typeof expression !== 'object') throw new SugarError(422, 'invalid_parameter', 'Invalid filter');
  return Object.entries(expression as Record<string, unknown>).every(([key, condition]) => {
    if (key === '$or') return (condition as unknown[]).some((e) => matches(record, e));
    if (key === '$and') return (condition as unknown[]).every((e) => matches(record, e));
    const value = typeof record[key] === 'string' ? (record[key]).toLowerCase() : '';
    if (typeof condition !== 'object' || condition === null) return value === String(condition).toLowerCase();
    return Object.entries(condition as Record<string, unknown>).every(([operator, operand]) => {
      const wanted = String(operand).toLowerCase();
      switch (operator) {
        case '$equals':
          return value === wanted;
        case '$starts':
          return value.startsWith(wanted);
        case '$ends':
          return value.endsWith(wanted);
        case '$contains':
          return value.includes(wanted);
        case '$not_empty':
          return value !== '';
        default:
          throw new SugarError(422, 'invalid_parameter', `Did not recognize the operand: ${operator}`);
      }
    });
  });
}

/** The module a request writes to: a POST or PUT on its records or their links, not a search; undefined for any other request. */
function writtenModule(method: string | undefined, path: string): Module | undefined {
  if (method !== 'POST' && method !== 'PUT') return undefined;
  const [, module, next] = /^\/(\w+)(?:\/([^/]+))?/.exec(path) ?? [];
  if (module === undefined || !(MODULES as readonly string[]).includes(module) || READ_ROUTES.has(next ?? '')) return undefined;
  return module as Module;
}

/** A write's answer under `failWrites`: Sugar's error body for the status, else a page of what stands in front of it. */
function refuseWrite(failure: { status: number; retryAfterS?: number }, res: ServerResponse): void {
  const retryAfter: Record<string, string> = failure.retryAfterS === undefined ? {} : { 'Retry-After': String(failure.retryAfterS) };
  const refusal = WRITE_REFUSALS[failure.status];
  if (refusal) return sendJson(res, failure.status, { error: refusal[0], error_message: refusal[1] }, 'application/json', { 'Cache-Control': 'no-store', ...retryAfter });
  const reason = STATUS_CODES[failure.status] ?? 'Error';
  const page = `<html><head><title>${failure.status} ${reason}</title></head><body><h1>${reason}</h1></body></html>`;
  res.writeHead(failure.status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page), ...retryAfter }).end(page);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, 'application/json', { 'Cache-Control': 'no-store' });
}
