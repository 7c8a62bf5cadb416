import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson } from '../loopback-fake';

/**
 * A Dataverse environment (Dynamics 365, Web API v9.2) and its Entra ID token endpoint on one loopback
 * port, speaking the wire protocol of docs/reference/template-apis.md §3:
 *
 * - `POST /{tenant}/oauth2/v2.0/token`: client credentials (form-encoded `grant_type`, `client_id`,
 *   `client_secret`, `scope` = `{org URL}/.default`); Entra's `{"token_type":"Bearer","expires_in":…,
 *   "access_token":…}`, and its error body (`invalid_client` 401, `invalid_scope` / `invalid_request`
 *   400). Tokens expire: `expireTokens()` ends every token handed out, as an hour passing would.
 * - `GET /api/data/v9.2/contacts|accounts?$select=…&$filter=…`: a bearer token of its own endpoint (401
 *   with Dataverse's error shape otherwise), `OData-Version: 4.0` (400 otherwise: the fake insists, so the
 *   template's header is checked); `$filter` parsed for real, as a chain of `field eq 'literal'` joined by
 *   `or` with `''` for a quote inside a literal; anything else (an unterminated literal, a stray word, an
 *   unknown column) is refused 400 with `{"error":{"code":"0x80060888","message":…}}` as Dataverse's
 *   OData parser refuses it. A literal is compared with the stored value as SQL Server's default
 *   collation compares it: whole strings, case-insensitively, trailing spaces ignored; nothing
 *   normalises the digits of a phone. The query string is decoded as ASP.NET decodes it (`+` is a space,
 *   so an unencoded `+41…` does not match, as the filter-rows doc warns).
 * - `Prefer: odata.maxpagesize=N` (at most N rows, then `@odata.nextLink`) and
 *   `odata.include-annotations="OData.Community.Display.V1.FormattedValue"` (or `*`): only then does a row
 *   carry `_parentcustomerid_value@OData.Community.Display.V1.FormattedValue`, the company's name.
 * - Service protection: `throttled` answers 429 with `Retry-After` (seconds) and code `0x80072322`;
 *   `hang` never answers.
 * - Writes (reference §3.8): `POST /api/data/v9.2/phonecalls|contacts|incidents` with a JSON body whose
 *   key column (`activityid`, `contactid`, `incidentid`) may be set by the client: a GUID, or 400; an id
 *   already taken is refused 412 `0x80040237` "A record with matching key values already exists.".
 *   `Prefer: return=representation` answers 201 with the `$select`ed columns, else 204 with
 *   `OData-EntityId`. `GET <set>(<id>)` answers the row, or 404 `0x80040217` "<type> With Id = <id> Does
 *   Not Exist". `PATCH <set>(<id>)` with `If-Match: *` updates (204) or answers that 404; without it, a
 *   PATCH of a missing id creates the record (an upsert), as Dataverse does. Unknown columns and
 *   navigation names (case-sensitive) are refused 400 `0x80048d19`; a binding must read `/<set>(<guid>)`
 *   and name a record that exists (else 404 `0x80040217`; the status is UNCONFIRMED). A case needs its
 *   customer (`customerid_contact` or `customerid_account`; the code of that refusal is UNCONFIRMED).
 *   Nothing else is required (business-required columns are not enforced by the server); `statecode` in
 *   a create is ignored. A created contact is found by later lookups. Switches: `incidentsEnabled`
 *   (false: no Customer Service, 404 for the set), `denyWrites` (403 `0x80040220`), and
 *   `commitThenDrop` (the next write is carried out, then its connection is cut without an answer).
 */

export interface FakeDataverseContact {
  readonly contactid: string;
  readonly fullname: string;
  readonly telephone1?: string;
  readonly telephone2?: string;
  readonly telephone3?: string;
  readonly mobilephone?: string;
  readonly emailaddress1?: string;
  /** The parent customer (an account): its id and name. */
  readonly parent?: { readonly id: string; readonly name: string };
  readonly modifiedon: string;
}

export interface FakeDataverseAccount {
  readonly accountid: string;
  readonly name: string;
  readonly telephone1?: string;
  readonly telephone2?: string;
  readonly telephone3?: string;
  readonly modifiedon: string;
}

/** One `field eq 'literal'` of a `$filter`, the literal unescaped. */
export interface FilterClause {
  readonly field: string;
  readonly value: string;
}

export interface DataverseArrival {
  readonly entitySet: string;
  /** The path and query as they arrived, still percent-encoded. */
  readonly rawUrl: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The `$filter` as the fake parsed it (undefined: not reached, or refused). */
  clauses?: FilterClause[];
  status?: number;
  /** Rows answered. */
  answered?: number;
}

/** One write (or a look-up of one record) that arrived, after the token was checked. */
export interface DataverseWrite {
  readonly method: string;
  readonly entitySet: string;
  /** The id in the path (`phonecalls(<id>)`), if any. */
  readonly id?: string;
  readonly headers: IncomingMessage['headers'];
  body?: Record<string, unknown>;
  status?: number;
}

export const DYNAMICS_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const DYNAMICS_CLIENT_ID = '51f81489-12ee-4a9e-aaae-a2591f45987d';
export const DYNAMICS_CLIENT_SECRET = 'Qx8Q~kR2.fakeSecret_Value-0123456789abcdef';

const MUSTER_TREUHAND = '78914942-34cb-ed11-b596-0022481d68cd';

/** The number traps of an exact-string search: one number (+41 44 668 18 00) written three ways, and a Swiss number whose national form is a German one's. */
export const DYNAMICS_CONTACTS: readonly FakeDataverseContact[] = [
  {
    contactid: '70bf4d48-34cb-ed11-b596-0022481d68cd',
    fullname: 'Anna Muster',
    telephone1: '044 668 18 00',
    emailaddress1: 'anna@muster-treuhand.ch',
    parent: { id: MUSTER_TREUHAND, name: 'Muster Treuhand AG' },
    modifiedon: '2024-05-02T09:12:00Z',
  },
  { contactid: '49b0be2e-d01c-ed11-b83e-000d3a572421', fullname: 'Bruno Beispiel', mobilephone: '+41 44 668 18 00', telephone1: '+41 79 123 45 67', modifiedon: '2024-04-01T08:00:00Z' },
  { contactid: 'a1b2c3d4-0000-4000-8000-000000000003', fullname: 'Carla Nullnull', telephone2: '0041446681800', modifiedon: '2023-12-24T10:00:00Z' },
  // A Zurich number (044 123 45 67) stored without its country: the national form of +49 441 234567 too.
  { contactid: 'a1b2c3d4-0000-4000-8000-000000000004', fullname: 'Zora Zürich', telephone1: '0441234567', modifiedon: '2023-01-01T00:00:00Z' },
];

export const DYNAMICS_ACCOUNTS: readonly FakeDataverseAccount[] = [
  { accountid: MUSTER_TREUHAND, name: 'Muster Treuhand AG', telephone1: '+41446681800', telephone2: '+41 44 668 18 99', modifiedon: '2024-03-03T12:00:00Z' },
  { accountid: 'b1b2c3d4-0000-4000-8000-000000000002', name: 'Other AG', telephone1: '+41 61 000 00 00', modifiedon: '2024-03-03T12:00:00Z' },
];

const FORMATTED_VALUE = 'OData.Community.Display.V1.FormattedValue';
const COLUMNS: Record<string, readonly string[]> = {
  contacts: ['contactid', 'fullname', 'firstname', 'lastname', 'telephone1', 'telephone2', 'telephone3', 'mobilephone', 'emailaddress1', '_parentcustomerid_value', 'modifiedon'],
  accounts: ['accountid', 'name', 'telephone1', 'telephone2', 'telephone3', 'emailaddress1', 'modifiedon'],
};
const ENTITY_TYPE: Record<string, string> = { contacts: 'contact', accounts: 'account' };

/** The columns and navigation properties a write may set, per entity set, and the key column. */
const WRITABLE: Record<string, { readonly type: string; readonly key: string; readonly columns: readonly string[]; readonly binds: Readonly<Record<string, string>> }> = {
  phonecalls: {
    type: 'phonecall',
    key: 'activityid',
    columns: ['activityid', 'subject', 'description', 'phonenumber', 'directioncode', 'actualdurationminutes', 'actualstart', 'actualend', 'scheduledstart', 'scheduledend', 'statecode', 'statuscode'],
    binds: { regardingobjectid_contact_phonecall: 'contacts', regardingobjectid_account_phonecall: 'accounts' },
  },
  contacts: { type: 'contact', key: 'contactid', columns: ['contactid', 'firstname', 'lastname', 'telephone1', 'telephone2', 'mobilephone', 'emailaddress1', 'description'], binds: { parentcustomerid_account: 'accounts' } },
  incidents: {
    type: 'incident',
    key: 'incidentid',
    columns: ['incidentid', 'title', 'description', 'caseorigincode', 'prioritycode', 'statecode', 'statuscode'],
    binds: { customerid_contact: 'contacts', customerid_account: 'accounts' },
  },
};
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class FilterSyntaxError extends Error {}

/**
 * A `$filter` of `field eq 'literal'` clauses joined by `or` (the only shape the fake accepts), as
 * Dataverse's OData parser reads it: spaces between tokens, a literal in single quotes with `''` for a
 * quote. Throws `FilterSyntaxError` with the parser's message for anything else.
 */
export function parseFilter(text: string): FilterClause[] {
  const clauses: FilterClause[] = [];
  let at = 0;
  const spaces = (required: boolean): void => {
    const start = at;
    while (text[at] === ' ') at++;
    if (required && at === start && at < text.length) throw new FilterSyntaxError(`Syntax error at position ${at} in '${text}'.`);
  };
  const word = (): string => {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at));
    if (!match) throw new FilterSyntaxError(`Syntax error at position ${at} in '${text}'.`);
    at += match[0].length;
    return match[0];
  };
  for (;;) {
    spaces(false);
    const field = word();
    spaces(true);
    const operator = word();
    if (operator !== 'eq') throw new FilterSyntaxError(`Syntax error: the operator '${operator}' at position ${at - operator.length} is not supported by this fake in '${text}'.`);
    spaces(true);
    if (text[at] !== "'") throw new FilterSyntaxError(`Syntax error: character '${text[at] ?? ''}' is not valid at position ${at} in '${text}'.`);
    const start = at;
    at++;
    let value = '';
    for (;;) {
      if (at >= text.length) throw new FilterSyntaxError(`There is an unterminated literal at position ${start} in '${text}'.`);
      if (text[at] === "'") {
        if (text[at + 1] === "'") {
          value += "'";
          at += 2;
          continue;
        }
        at++;
        break;
      }
      value += text[at];
      at++;
    }
    clauses.push({ field, value });
    spaces(false);
    if (at >= text.length) return clauses;
    const joiner = word();
    if (joiner !== 'or') throw new FilterSyntaxError(`Syntax error at position ${at - joiner.length} in '${text}'.`);
    spaces(true);
  }
}

/** SQL Server's default collation: case-insensitive, trailing spaces ignored. */
function sameString(stored: string | undefined, literal: string): boolean {
  return stored !== undefined && stored.replace(/ +$/, '').toLowerCase() === literal.replace(/ +$/, '').toLowerCase();
}

interface IssuedToken {
  expiresAt: number;
}

export class FakeDynamics extends LoopbackFake {
  readonly tenantId = DYNAMICS_TENANT_ID;
  readonly clientId = DYNAMICS_CLIENT_ID;
  readonly clientSecret = DYNAMICS_CLIENT_SECRET;
  contacts: FakeDataverseContact[] = [...DYNAMICS_CONTACTS];
  accounts: FakeDataverseAccount[] = [...DYNAMICS_ACCOUNTS];
  readonly arrivals: DataverseArrival[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  /** Every request that arrived, token or data. */
  requestCount = 0;
  tokenLifetimeS = 3599;
  hang = false;
  /** Answers every data request 429 (service protection: requests over the 5-minute window). */
  throttled = false;
  retryAfterS = 5;
  readonly phonecalls = new Map<string, Record<string, unknown>>();
  readonly incidents = new Map<string, Record<string, unknown>>();
  readonly writes: DataverseWrite[] = [];
  incidentsEnabled = true;
  /** Answers every write 403 (the application user's role lacks the privilege). */
  denyWrites = false;
  /** Carries out the next write, then cuts its connection without an answer. */
  commitThenDrop = false;
  private readonly tokens = new Map<string, IssuedToken>();
  private issued = 0;

  get tokenUrl(): string {
    return `${this.url}/${this.tenantId}/oauth2/v2.0/token`;
  }

  /** The tenant-file lines that turn the Dynamics template on against this fake. */
  tenantKeys(): string[] {
    return [
      'TEMPLATES=dynamics',
      `DYNAMICS_BASE_URL=${this.url}`,
      `DYNAMICS_TOKEN_URL=${this.tokenUrl}`,
      `DYNAMICS_TENANT_ID=${this.tenantId}`,
      `DYNAMICS_CLIENT_ID=${this.clientId}`,
      `DYNAMICS_CLIENT_SECRET=${this.clientSecret}`,
    ];
  }

  /** Ends every token handed out so far: the next request with one is answered 401. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    const url = new URL(req.url ?? '/', 'http://dataverse.invalid');
    if (req.method === 'POST' && url.pathname.endsWith('/oauth2/v2.0/token')) return this.token(req, res, url.pathname.split('/')[1] ?? '');
    const text = await readBody(req);
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    const one = /^\/api\/data\/v9\.2\/([a-z]+)\(([^)]*)\)$/.exec(url.pathname);
    const collection = /^\/api\/data\/v9\.2\/([a-z]+)$/.exec(url.pathname)?.[1];
    const writeSet = one?.[1] ?? (req.method === 'POST' ? collection : undefined);
    if (writeSet !== undefined && WRITABLE[writeSet] !== undefined && (writeSet !== 'incidents' || this.incidentsEnabled)) {
      return this.record(req, res, url, writeSet, one?.[2], text);
    }
    const entitySet = collection;
    if (req.method !== 'GET' || entitySet === undefined || COLUMNS[entitySet] === undefined) {
      return this.error(res, 404, '0x8006088a', `Resource not found for the segment '${url.pathname.split('/').at(-1) ?? ''}'.`);
    }
    const arrival: DataverseArrival = { entitySet, rawUrl: req.url ?? '', query: url.searchParams, headers: req.headers };
    this.arrivals.push(arrival);
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      arrival.status = status;
      this.error(res, status, code, message, headers);
    };
    if (this.refused(req, answer)) return;
    const columns = COLUMNS[entitySet];
    const unknown = (name: string): void => answer(400, '0x80060888', `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${ENTITY_TYPE[entitySet]}'.`);
    for (const name of url.searchParams.keys()) {
      if (name.startsWith('$') && !['$select', '$filter', '$top'].includes(name)) return answer(400, '0x80060888', `The query parameter '${name}' is not supported.`);
    }
    const select = (url.searchParams.get('$select') ?? columns.join(',')).split(',');
    const badColumn = select.find((c) => !columns.includes(c));
    if (badColumn !== undefined) return unknown(badColumn);
    let clauses: FilterClause[] = [];
    const filter = url.searchParams.get('$filter');
    if (filter !== null) {
      try {
        clauses = parseFilter(filter);
      } catch (error) {
        if (!(error instanceof FilterSyntaxError)) throw error;
        return answer(400, '0x80060888', error.message);
      }
      const badField = clauses.find((c) => !columns.includes(c.field));
      if (badField) return unknown(badField.field);
      arrival.clauses = clauses;
    }
    const prefer = String(req.headers.prefer ?? '');
    const pageSize = Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? '5000');
    const annotations = /odata\.include-annotations="([^"]*)"/.exec(prefer)?.[1]?.split(',') ?? [];
    const formatted = annotations.includes(FORMATTED_VALUE) || annotations.includes('*');
    const rows: Array<Record<string, unknown>> = (entitySet === 'contacts' ? this.contacts.map(contactRow) : this.accounts.map((a) => ({ ...a })))
      .filter((row) => clauses.length === 0 || clauses.some((c) => sameString(row[c.field] as string | undefined, c.value)))
      .map((row) => this.project(row, select, formatted, entitySet));
    const top = url.searchParams.has('$top') ? Number(url.searchParams.get('$top')) : Infinity;
    const page = rows.slice(0, Math.min(pageSize, top));
    arrival.status = 200;
    arrival.answered = page.length;
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/api/data/v9.2/$metadata#${entitySet}(${select.join(',')})`, value: page };
    if (rows.length > page.length && top > page.length) body['@odata.nextLink'] = `${this.url}/api/data/v9.2/${entitySet}?${url.searchParams.toString()}&$skiptoken=page2`;
    sendJson(res, 200, body, 'application/json; odata.metadata=minimal', { 'OData-Version': '4.0', ...(prefer ? { 'Preference-Applied': prefer } : {}) });
  }

  /** The checks every data request passes first: its token, its OData version, service protection. True when one refused it (answered). */
  private refused(req: IncomingMessage, answer: (status: number, code: string, message: string, headers?: Record<string, string>) => void): boolean {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? undefined : this.tokens.get(bearer);
    if (!token) {
      answer(401, '', 'InvalidAuthTicket: the request has no valid bearer token', { 'WWW-Authenticate': `Bearer authorization_uri=${this.url}/${this.tenantId}/oauth2/authorize` });
    } else if (token.expiresAt <= Date.now()) {
      answer(401, '', 'ExpiredAuthTicket: the bearer token has expired', { 'WWW-Authenticate': 'Bearer error=invalid_token, error_description="The token is expired"' });
    } else if (req.headers['odata-version'] !== '4.0') {
      answer(400, '', `OData-Version ${JSON.stringify(req.headers['odata-version'] ?? null)}: this service speaks OData-Version 4.0`);
    } else if (this.throttled) {
      answer(429, '0x80072322', 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.', { 'Retry-After': String(this.retryAfterS) });
    } else {
      return false;
    }
    return true;
  }

  /** The rows of a writable entity set, by id (a created contact is one of `contacts`). */
  private rowsOf(entitySet: string): Map<string, Record<string, unknown>> {
    if (entitySet === 'phonecalls') return this.phonecalls;
    if (entitySet === 'incidents') return this.incidents;
    const rows = new Map<string, Record<string, unknown>>();
    for (const contact of this.contacts) rows.set(contact.contactid.toLowerCase(), contactRow(contact));
    return rows;
  }

  private exists(entitySet: string, id: string): boolean {
    if (entitySet === 'accounts') return this.accounts.some((a) => a.accountid.toLowerCase() === id.toLowerCase());
    return this.rowsOf(entitySet).has(id.toLowerCase());
  }

  /** POST <set>, GET <set>(<id>), PATCH <set>(<id>): Dataverse's writes and its look-up of one record. */
  private record(req: IncomingMessage, res: ServerResponse, url: URL, entitySet: string, id: string | undefined, text: string): void {
    const spec = WRITABLE[entitySet]!;
    const write: DataverseWrite = { method: req.method ?? '', entitySet, ...(id === undefined ? {} : { id }), headers: req.headers };
    this.writes.push(write);
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      write.status = status;
      this.error(res, status, code, message, headers);
    };
    if (this.refused(req, answer)) return;
    const missing = (): void => answer(404, '0x80040217', `${spec.type} With Id = ${id ?? ''} Does Not Exist`);
    if (id !== undefined && !GUID.test(id)) return answer(400, '0x80060888', `Bad Request - Error in query syntax: '${id}' is not a valid key of ${entitySet}.`);
    if (req.method === 'GET' && id !== undefined) {
      const row = this.rowsOf(entitySet).get(id.toLowerCase());
      if (!row) return missing();
      write.status = 200;
      return sendJson(res, 200, { '@odata.context': `${this.url}/api/data/v9.2/$metadata#${entitySet}/$entity`, ...this.selected(row, url, spec.key) }, 'application/json; odata.metadata=minimal', { 'OData-Version': '4.0' });
    }
    if (req.method !== 'POST' && req.method !== 'PATCH') return answer(405, '', `The HTTP method '${req.method ?? ''}' is not allowed on ${entitySet}.`);
    if (this.denyWrites) return answer(403, '0x80040220', `Principal user (Id=${this.clientId}, type=8) is missing prv${req.method === 'POST' ? 'Create' : 'Write'}${spec.type} privilege.`);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return answer(415, '', 'The content type of the request must be application/json.');
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return answer(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'${entitySet}'. The body is not a JSON object.`);
    }
    write.body = body;
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) {
      const bind = /^(.+)@odata\.bind$/.exec(name)?.[1];
      if (bind !== undefined) {
        const target = spec.binds[bind];
        const ref = /^\/?([a-z]+)\(([0-9a-fA-F-]{36})\)$/.exec(typeof value === 'string' ? value : '');
        if (target === undefined || !ref || ref[1] !== target) {
          return answer(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'${entitySet}'. ----> InnerException : An undeclared property '${bind}' which only has property annotations in the payload but no property value was found in the payload, or its value is not a reference to ${target ?? 'an entity'}.`);
        }
        if (!this.exists(target, ref[2]!)) return answer(404, '0x80040217', `${target.slice(0, -1)} With Id = ${ref[2]!} Does Not Exist`);
        row[`_${bind.replace(/_(contact|account)(_phonecall)?$/, '')}_value`] = ref[2]!.toLowerCase();
        continue;
      }
      if (!spec.columns.includes(name)) {
        return answer(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'${entitySet}'. ----> InnerException : Microsoft.OData.ODataException: Invalid property '${name}' was found in entity 'Microsoft.Dynamics.CRM.${spec.type}'.`);
      }
      if (name === 'directioncode' && typeof value !== 'boolean') return answer(400, '0x80048d19', `Cannot convert the literal '${String(value)}' to the expected type 'Edm.Boolean'.`);
      if (name === 'actualdurationminutes' && !(Number.isInteger(value) && (value as number) >= 0)) return answer(400, '0x80048d19', `Cannot convert the literal '${String(value)}' to the expected type 'Edm.Int32'.`);
      if (typeof value === 'string' && value.length > (name === 'description' ? 2000 : 200)) return answer(400, '0x80044331', `A validation error occurred. The length of the '${name}' attribute of the '${spec.type}' entity exceeded the maximum allowed length.`);
      if (name === 'statecode' && req.method === 'POST') continue; // ignored on create
      row[name] = value;
    }
    const rows = this.rowsOf(entitySet);
    const upsert = req.method === 'PATCH' && req.headers['if-match'] !== '*';
    if (req.method === 'PATCH' && !upsert) {
      const existing = rows.get(id!.toLowerCase());
      if (!existing) return missing();
      this.store(entitySet, { ...existing, ...row, modifiedon: new Date().toISOString() });
      return this.written(req, res, write, 204);
    }
    const key: unknown = req.method === 'PATCH' ? id : row[spec.key];
    if (key !== undefined && (typeof key !== 'string' || !GUID.test(key))) return answer(400, '0x80048d19', `Cannot convert the literal '${JSON.stringify(key)}' to the expected type 'Edm.Guid'.`);
    const newId = (key ?? crypto.randomUUID()).toLowerCase();
    if (rows.has(newId) && req.method === 'POST') return answer(412, '0x80040237', 'A record with matching key values already exists.');
    if (entitySet === 'incidents' && row._customerid_value === undefined && !rows.has(newId)) {
      return answer(400, '0x80040278', 'You should specify a parent contact or account.');
    }
    this.store(entitySet, { ...rows.get(newId), ...row, [spec.key]: newId, modifiedon: new Date().toISOString(), ...(entitySet === 'incidents' ? { ticketnumber: `CAS-${String(1000 + this.incidents.size + 1).padStart(5, '0')}-F4K3` } : {}) });
    const location = `${this.url}/api/data/v9.2/${entitySet}(${newId})`;
    if (/return=representation/.test(String(req.headers.prefer ?? ''))) {
      const stored = this.rowsOf(entitySet).get(newId)!;
      return this.written(req, res, write, 201, { '@odata.context': `${this.url}/api/data/v9.2/$metadata#${entitySet}/$entity`, ...this.selected(stored, url, spec.key) }, { 'Preference-Applied': 'return=representation' });
    }
    return this.written(req, res, write, 204, undefined, { 'OData-EntityId': location });
  }

  private store(entitySet: string, row: Record<string, unknown>): void {
    if (entitySet === 'phonecalls') this.phonecalls.set(String(row.activityid), row);
    else if (entitySet === 'incidents') this.incidents.set(String(row.incidentid), row);
    else {
      const fullname = [row.firstname, row.lastname].filter((v) => typeof v === 'string' && v !== '').join(' ');
      const contact: FakeDataverseContact = {
        contactid: String(row.contactid),
        fullname,
        ...(typeof row.telephone1 === 'string' ? { telephone1: row.telephone1 } : {}),
        ...(typeof row.mobilephone === 'string' ? { mobilephone: row.mobilephone } : {}),
        modifiedon: String(row.modifiedon),
      };
      this.contacts = [...this.contacts.filter((c) => c.contactid.toLowerCase() !== contact.contactid.toLowerCase()), contact];
    }
  }

  /** The answer to a write that was carried out: or, with `commitThenDrop`, a cut connection instead. */
  private written(req: IncomingMessage, res: ServerResponse, write: DataverseWrite, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (this.commitThenDrop) {
      this.commitThenDrop = false;
      write.status = 0;
      req.socket.destroy();
      return;
    }
    write.status = status;
    if (body === undefined) {
      res.writeHead(status, { 'OData-Version': '4.0', ...headers }).end();
      return;
    }
    sendJson(res, status, body, 'application/json; odata.metadata=minimal', { 'OData-Version': '4.0', ...headers });
  }

  /** The key, its etag, and the `$select`ed columns of a row (all of them without `$select`). */
  private selected(row: Record<string, unknown>, url: URL, key: string): Record<string, unknown> {
    const select = url.searchParams.get('$select')?.split(',');
    const out: Record<string, unknown> = { '@odata.etag': `W/"${81359849 + this.writes.length}"`, [key]: row[key] };
    for (const [column, value] of Object.entries(row)) if (select === undefined || select.includes(column)) out[column] = value;
    return out;
  }

  /** A row as Dataverse answers it: the columns asked for (the key always), its etag, and the lookup's formatted value when asked. */
  private project(row: Record<string, unknown>, select: readonly string[], formatted: boolean, entitySet: string): Record<string, unknown> {
    const key = entitySet === 'contacts' ? 'contactid' : 'accountid';
    const out: Record<string, unknown> = { '@odata.etag': `W/"${81359849 + this.issued}"` };
    for (const column of new Set([...select, key])) out[column] = row[column] ?? null;
    if (select.includes('_parentcustomerid_value') && row._parentcustomerid_value) {
      if (formatted) out['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue'] = row.parentName;
    }
    return out;
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    this.tokenRequests.push(form);
    const entraError = (status: number, error: string, code: number, description: string): void =>
      sendJson(res, status, { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString(), trace_id: 'f0e1d2c3', correlation_id: 'a0b1c2d3' });
    if (tenant !== this.tenantId) return entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (form.get('client_id') !== this.clientId) return entraError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    if (form.get('client_secret') !== this.clientSecret) return entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    if (form.get('scope') !== `${this.url}/.default`) return entraError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`);
    this.issued++;
    const accessToken = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-${this.issued}`;
    this.tokens.set(accessToken, { expiresAt: Date.now() + this.tokenLifetimeS * 1000 });
    sendJson(res, 200, { token_type: 'Bearer', expires_in: this.tokenLifetimeS, ext_expires_in: this.tokenLifetimeS, access_token: accessToken });
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { error: { code, message } }, 'application/json; odata.metadata=minimal', { 'OData-Version': '4.0', ...headers });
  }
}

function contactRow(contact: FakeDataverseContact): Record<string, unknown> {
  const { parent, ...columns } = contact;
  return { ...columns, _parentcustomerid_value: parent?.id, parentName: parent?.name };
}
