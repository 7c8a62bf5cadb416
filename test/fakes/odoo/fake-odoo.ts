import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson } from '../loopback-fake';

/**
 * An Odoo database on a loopback port that speaks both external APIs as docs/reference/template-apis.md §5
 * describes them:
 * - JSON-2 (Odoo 19+): `POST /json/2/res.partner/search_read` with `Authorization: bearer <API key>` (the
 *   scheme case-insensitive) and `X-Odoo-Database`, a JSON object of named parameters (`domain`, `fields`,
 *   `limit`); the bare list of records; errors as 4xx/5xx with `{name, message, arguments, context, debug}`
 *   (401 "Invalid apikey", 404 for an unknown database, 422 for a bad domain or an unknown field);
 * - JSON-RPC (`POST /jsonrpc`, `object.execute_kw` with `[db, uid, key, model, method, [domain], {fields,
 *   limit}]`): `{"jsonrpc":"2.0","id":…,"result":[…]}`, and every error as HTTP 200 with
 *   `{"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied",…}}}`;
 *   the uid is read with int() as Odoo's dispatch does;
 * - `phone_mobile_search` with `ilike`/`like`/`=like`/`=`: the stored phone fields (`phone`, and `mobile`
 *   when the fake plays Odoo 17/18) and the value stripped of whitespace and `\ . / ( ) -` (not `+`);
 *   a value shorter than 3 characters is a UserError; a value starting with `+` or `00` is a prefix match
 *   against `00…` and `+…`, any other value a substring (`=`: the whole normalised value);
 * - asking for a field the version does not have (`mobile` on 19) is an error, as in Odoo.
 * Switches: hang, delay, and `unavailable` (503: Odoo documents no rate limit and no 429).
 */

export interface FakePartner {
  readonly id: number;
  readonly name: string;
  readonly is_company: boolean;
  /** The company of a contact person: `[id, name]` as the ORM reads a many2one. */
  readonly parent_id?: readonly [number, string] | false;
  readonly phone?: string | false;
  readonly mobile?: string | false;
  readonly email?: string | false;
  readonly write_date?: string;
}

export interface OdooArrival {
  readonly api: 'json2' | 'jsonrpc';
  readonly headers: IncomingMessage['headers'];
  /** The body as it arrived (text). */
  readonly body: string;
  /** The domain searched, when it could be read. */
  domain?: unknown;
  /** Status answered, and for JSON-RPC the error's name, if any. */
  status?: number;
  error?: string;
  answered?: number;
}

export const ODOO_SEED: readonly FakePartner[] = [
  { id: 11, name: 'Anna Muster', is_company: false, phone: '044 668 18 00', email: 'anna@muster.ch', write_date: '2026-06-18 14:54:59' },
  { id: 12, name: 'Beat Keller', is_company: false, parent_id: [20, 'Keller Bau AG'], phone: '+41 44 668 18 00', write_date: '2026-05-01 08:00:00' },
  { id: 13, name: 'Carla Frei', is_company: false, phone: '0041446681800' },
  { id: 14, name: 'Dario Graf', is_company: false, phone: '(044) 668-18.00' },
  // Holds the digits 446681800 but is a French number: phone_mobile_search finds it, the core drops it.
  { id: 15, name: 'Hans Suffix', is_company: false, phone: '+33 4 46 68 18 00' },
  // A company on +41 31 111 22 33.
  { id: 20, name: 'Keller Bau AG', is_company: true, phone: '+41 31 111 22 33', write_date: '2026-11-30 10:00:00' },
  // Found by its mobile only (Odoo 17/18): the legacy API's `jsonrpc` reads it.
  { id: 21, name: 'Mia Mobil', is_company: false, phone: false, mobile: '079 555 01 99' },
];

const STRIP = /[\s\\./()-]/g;

export class FakeOdoo extends LoopbackFake {
  readonly database = 'acme-prod';
  readonly apiKey = '6578616d706c65206a736f6e20617069206b6579';
  readonly uid = 7;
  /** Odoo 19 has no `mobile` field on res.partner; set false to play Odoo 17/18. */
  noMobile = true;
  partners: FakePartner[] = [...ODOO_SEED];
  readonly arrivals: OdooArrival[] = [];
  requestCount = 0;
  hang = false;
  delayMs = 0;
  /** Every request answered 503, as a server in maintenance or out of workers. */
  unavailable = false;

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    const text = await readBody(req);
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    if (this.delayMs > 0) await this.wait(this.delayMs);
    const url = new URL(req.url ?? '/', 'http://odoo.invalid');
    if (this.unavailable) return sendJson(res, 503, { name: 'werkzeug.exceptions.ServiceUnavailable', message: 'Service Unavailable', arguments: [], context: {} });
    if (req.method === 'POST' && url.pathname === '/json/2/res.partner/search_read') return this.json2(req, res, text);
    if (req.method === 'POST' && url.pathname === '/jsonrpc') return this.jsonrpc(req, res, text);
    return this.json2Error(res, 404, 'werkzeug.exceptions.NotFound', 'Not Found');
  }

  private json2(req: IncomingMessage, res: ServerResponse, text: string): void {
    const arrival: OdooArrival = { api: 'json2', headers: req.headers, body: text };
    this.arrivals.push(arrival);
    const [scheme, key] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || key !== this.apiKey) return this.refuse2(arrival, res, 401, 'werkzeug.exceptions.Unauthorized', 'Invalid apikey');
    if (req.headers['x-odoo-database'] !== this.database) return this.refuse2(arrival, res, 404, 'werkzeug.exceptions.NotFound', 'database not found');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.refuse2(arrival, res, 400, 'werkzeug.exceptions.BadRequest', 'malformed JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return this.refuse2(arrival, res, 400, 'werkzeug.exceptions.BadRequest', 'expected a JSON object');
    const params = body as { domain?: unknown; fields?: unknown; limit?: unknown };
    arrival.domain = params.domain;
    const result = this.searchRead(params.domain, params.fields, params.limit);
    if ('error' in result) return this.refuse2(arrival, res, 422, result.error, result.message);
    arrival.status = 200;
    arrival.answered = result.records.length;
    sendJson(res, 200, result.records);
  }

  private jsonrpc(req: IncomingMessage, res: ServerResponse, text: string): void {
    const arrival: OdooArrival = { api: 'jsonrpc', headers: req.headers, body: text };
    this.arrivals.push(arrival);
    let call: { id?: unknown; params?: { service?: unknown; method?: unknown; args?: unknown } };
    try {
      call = JSON.parse(text) as typeof call;
    } catch {
      return sendJson(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error', data: { name: 'werkzeug.exceptions.BadRequest', message: 'Invalid JSON data' } } });
    }
    const id = call.id ?? null;
    const fail = (name: string, message: string): void => {
      arrival.status = 200;
      arrival.error = name;
      sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: 200, message: 'Odoo Server Error', data: { name, debug: 'Traceback (most recent call last): …', message, arguments: [message], context: {} } } });
    };
    const p = call.params ?? {};
    if (p.service !== 'object' || p.method !== 'execute_kw' || !Array.isArray(p.args)) return fail('builtins.NameError', 'unknown service or method');
    const [db, uid, key, model, method, positional, named] = p.args as unknown[];
    if (db !== this.database) return fail('psycopg2.OperationalError', `FATAL:  database "${String(db)}" does not exist`);
    // odoo/service/model.py dispatch: uid = int(params[1]) — a string of digits is read as well.
    const uidNumber = typeof uid === 'number' || (typeof uid === 'string' && /^\s*-?\d+\s*$/.test(uid)) ? Number(uid) : NaN;
    if (Number.isNaN(uidNumber)) return fail('builtins.ValueError', `invalid literal for int() with base 10: ${JSON.stringify(uid)}`);
    if (uidNumber !== this.uid || key !== this.apiKey) return fail('odoo.exceptions.AccessDenied', 'Access Denied');
    if (model !== 'res.partner' || method !== 'search_read') return fail('builtins.AttributeError', 'unknown model or method');
    const domain = Array.isArray(positional) ? (positional as unknown[])[0] : undefined;
    arrival.domain = domain;
    const options = (typeof named === 'object' && named !== null ? named : {}) as { fields?: unknown; limit?: unknown };
    const result = this.searchRead(domain, options.fields, options.limit);
    if ('error' in result) return fail(result.error, result.message);
    arrival.status = 200;
    arrival.answered = result.records.length;
    sendJson(res, 200, { jsonrpc: '2.0', id, result: result.records });
  }

  /** search_read on res.partner: the domain's terms ANDed (phone_mobile_search and a few plain fields). */
  private searchRead(domain: unknown, fields: unknown, limit: unknown): { records: Array<Record<string, unknown>> } | { error: string; message: string } {
    if (!Array.isArray(domain)) return { error: 'builtins.ValueError', message: 'Invalid domain' };
    const known = ['id', 'name', 'display_name', 'is_company', 'parent_id', 'commercial_company_name', 'phone', 'email', 'write_date', ...(this.noMobile ? [] : ['mobile'])];
    const wanted = fields === undefined ? known : fields;
    if (!Array.isArray(wanted) || wanted.some((f) => typeof f !== 'string')) return { error: 'builtins.ValueError', message: 'fields must be a list of names' };
    const missing = (wanted as string[]).find((f) => !known.includes(f));
    if (missing !== undefined) return { error: 'builtins.ValueError', message: `Invalid field '${missing}' on model 'res.partner'` };
    if (limit !== undefined && limit !== false && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) return { error: 'builtins.TypeError', message: 'limit must be an integer' };
    const tests: Array<(p: FakePartner) => boolean> = [];
    for (const term of domain as unknown[]) {
      if (term === '&') continue;
      if (!Array.isArray(term) || term.length !== 3 || typeof term[0] !== 'string' || typeof term[1] !== 'string') return { error: 'builtins.ValueError', message: `Invalid leaf ${JSON.stringify(term)}` };
      const [field, operator, value] = term as [string, string, unknown];
      if (field !== 'phone_mobile_search') return { error: 'builtins.ValueError', message: `Invalid field res.partner.${field} in leaf` };
      const test = this.phoneSearch(operator, value);
      if ('error' in test) return test;
      tests.push(test.test);
    }
    const found = this.partners.filter((partner) => tests.every((t) => t(partner)));
    const limited = typeof limit === 'number' && limit > 0 ? found.slice(0, limit) : found;
    return { records: limited.map((partner) => this.read(partner, wanted as string[])) };
  }

  /** addons/phone_validation/models/mail_thread_phone.py `_search_phone_mobile_search`, as reference §5.4 reads it. */
  private phoneSearch(operator: string, value: unknown): { test: (p: FakePartner) => boolean } | { error: string; message: string } {
    if (!['ilike', 'like', '=like', '=ilike', '='].includes(operator)) return { error: 'builtins.ValueError', message: `Invalid operator ${operator}` };
    if (typeof value !== 'string') return { error: 'builtins.ValueError', message: 'the phone to search must be a string' };
    const searched = value.replace(STRIP, '');
    if (searched.length < 3) return { error: 'odoo.exceptions.UserError', message: 'Please enter at least 3 characters when searching a Phone/Mobile number.' };
    const stored = (p: FakePartner): string[] => [p.phone, this.noMobile ? undefined : p.mobile].flatMap((v) => (typeof v === 'string' && v !== '' ? [v.replace(STRIP, '')] : []));
    const lower = (s: string): string => s.toLowerCase();
    if (searched.startsWith('+') || searched.startsWith('00')) {
      const term = searched.startsWith('+') ? searched.slice(1) : searched.slice(2);
      const heads = [`00${term}`, `+${term}`].map(lower);
      return { test: (p) => stored(p).some((s) => heads.some((h) => (operator === '=' ? lower(s) === h : lower(s).startsWith(h)))) };
    }
    const term = lower(searched);
    return { test: (p) => stored(p).some((s) => (operator === '=' ? lower(s) === term : lower(s).includes(term))) };
  }

  /** A record as search_read answers it: the fields asked for, empty ones `false`, many2one `[id, name]`. */
  private read(partner: FakePartner, fields: readonly string[]): Record<string, unknown> {
    const all: Record<string, unknown> = {
      id: partner.id,
      name: partner.name,
      display_name: partner.parent_id ? `${partner.parent_id[1]}, ${partner.name}` : partner.name,
      is_company: partner.is_company,
      parent_id: partner.parent_id ?? false,
      commercial_company_name: partner.parent_id ? partner.parent_id[1] : partner.is_company ? partner.name : false,
      phone: partner.phone ?? false,
      mobile: partner.mobile ?? false,
      email: partner.email ?? false,
      write_date: partner.write_date ?? '2026-01-01 00:00:00',
    };
    return Object.fromEntries(['id', ...fields].map((f) => [f, all[f]]));
  }

  private refuse2(arrival: OdooArrival, res: ServerResponse, status: number, name: string, message: string): void {
    arrival.status = status;
    arrival.error = name;
    this.json2Error(res, status, name, message);
  }

  private json2Error(res: ServerResponse, status: number, name: string, message: string): void {
    sendJson(res, status, { name, message, arguments: [message, status], context: {}, debug: 'Traceback (most recent call last): …' });
  }
}
