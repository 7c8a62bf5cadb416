import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson, type WriteArrival } from '../loopback-fake';
import { seedOrg, type FakeOrg, type FakeRecord } from './salesforce-seed';

/**
 * A Salesforce org on a loopback port that speaks the REST wire protocol the way crm-apis.md §1
 * describes it: OAuth token endpoint (client credentials, password), SOSL `/search` with phone
 * semantics, `/query`, `describe`, `sobjects` create (201) and update (204), JSON error arrays, and
 * switches to refuse writes (`failWrites`) or cut the connection after a create was stored (`cutNextWrites`).
 * Like a new org it has no custom fields: a request naming one is refused `INVALID_FIELD` until the
 * test declares it (`customFields`).
 *
 * Phone search model (Salesforce does not document it precisely): a stored value matches a term when
 * their digits are equal, formatting ignored, no partial match; an extension (`ext 12`, `x12`, `#12`)
 * is not part of the number.
 */

type ObjectName = keyof FakeOrg;

interface FieldSpec {
  readonly fields: readonly string[];
  readonly phones: readonly string[];
  /** Lookup field → [relationship name, target object]. */
  readonly relations: Readonly<Record<string, readonly [string, ObjectName]>>;
  readonly required: readonly string[];
  readonly idPrefix: string;
}

const OWNER = { OwnerId: ['Owner', 'User'] } as const;
const SCHEMA: Readonly<Record<ObjectName, FieldSpec>> = {
  User: { fields: ['Id', 'Name'], phones: [], relations: {}, required: [], idPrefix: '005' },
  Account: {
    fields: ['Id', 'Name', 'Phone', 'Fax', 'Type', 'OwnerId', 'LastModifiedDate'],
    phones: ['Phone', 'Fax'],
    relations: OWNER,
    required: ['Name'],
    idPrefix: '001',
  },
  Contact: {
    fields: ['Id', 'FirstName', 'LastName', 'Name', 'AccountId', 'OwnerId', 'Title', 'Email', 'Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone', 'LastModifiedDate'],
    phones: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone'],
    relations: { ...OWNER, AccountId: ['Account', 'Account'] },
    required: ['LastName'],
    idPrefix: '003',
  },
  Lead: {
    fields: ['Id', 'FirstName', 'LastName', 'Name', 'Company', 'IsConverted', 'Status', 'LeadSource', 'OwnerId', 'Phone', 'MobilePhone', 'LastModifiedDate'],
    phones: ['Phone', 'MobilePhone'],
    relations: OWNER,
    required: ['LastName', 'Company'],
    idPrefix: '00Q',
  },
  Task: {
    fields: ['Id', 'Subject', 'Description', 'TaskSubtype', 'CallType', 'Status', 'Priority', 'CallDurationInSeconds', 'CallDisposition', 'CallObject', 'ActivityDate', 'WhoId', 'WhatId', 'OwnerId', 'LastModifiedDate'],
    phones: [],
    relations: OWNER,
    required: [],
    idPrefix: '00T',
  },
  Case: {
    fields: ['Id', 'CaseNumber', 'Subject', 'Description', 'Origin', 'Status', 'Priority', 'SuppliedPhone', 'ContactId', 'AccountId', 'OwnerId', 'LastModifiedDate'],
    phones: ['SuppliedPhone'],
    relations: { ...OWNER, ContactId: ['Contact', 'Contact'], AccountId: ['Account', 'Account'] },
    required: [],
    idPrefix: '500',
  },
};
/** Lookup fields: the label Salesforce names in its errors, and the objects an id in them may point to. */
const REFERENCES: Readonly<Record<string, { readonly label: string; readonly targets: readonly ObjectName[] }>> = {
  OwnerId: { label: 'Owner ID', targets: ['User'] },
  WhoId: { label: 'Name ID', targets: ['Contact', 'Lead'] },
  WhatId: { label: 'Related To ID', targets: ['Account', 'Case'] },
  AccountId: { label: 'Account ID', targets: ['Account'] },
  ContactId: { label: 'Contact ID', targets: ['Contact'] },
};
/** A Task's owner is labelled "Assigned To". */
const TASK_OWNER_LABEL = 'Assigned To ID';
const CREATE_ONLY_SYSTEM_FIELDS = new Set(['Id', 'Name', 'LastModifiedDate', 'CaseNumber', 'IsConverted']);
const RESERVED_IN_FIND = /[?&|!{}[\]()^~*:"'+-]/;
const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*\d+\s*$/i;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The decoded `q` parameter of search and query requests. */
  readonly q?: string;
  readonly body?: string;
}

/**
 * What Salesforce answers itself, per status (crm-apis.md §1.6: a JSON array of `{message, errorCode}`;
 * 500 `UNKNOWN_EXCEPTION` as this fake answers its own failures). Any other status (429, 502, 504, …)
 * comes from something in front of Salesforce: an HTML page (jsforce reads it as `ERROR_HTTP_<status>`).
 */
const WRITE_REFUSALS: Readonly<Record<number, readonly [errorCode: string, message: string]>> = {
  400: ['FIELD_INTEGRITY_EXCEPTION', 'field integrity exception: unknown'],
  401: ['INVALID_SESSION_ID', 'Session expired or invalid'],
  403: ['REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'],
  404: ['NOT_FOUND', 'The requested resource does not exist'],
  500: ['UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-1234 (-123456789)'],
  503: ['SERVER_UNAVAILABLE', 'Server Unavailable'],
};

/** A custom field an admin created on an object (`Call_Key__c`). */
export interface FakeCustomField {
  readonly name: string;
  /** Unique: a create or update giving a value another record of the object holds is refused `DUPLICATE_VALUE`. */
  readonly unique?: boolean;
}

export interface FakeSalesforceOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly username?: string;
  readonly password?: string;
}

class SalesforceError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** The fields the error is about, as Salesforce lists them in `fields` (absent: the answer has no `fields`). */
    readonly fields?: readonly string[],
  ) {
    super(message);
  }
}

export class FakeSalesforce extends LoopbackFake {
  readonly requests: RecordedRequest[] = [];
  org: FakeOrg = seedOrg();
  /** Fields field-level security hides from the integration user, per object. */
  hiddenFields: Partial<Record<ObjectName, string[]>> = {};
  /**
   * Custom fields per object (none by default): written and read like standard ones, listed by
   * `describe`, and queryable by equality (`SELECT … FROM Case WHERE Call_Key__c = '…'`).
   */
  customFields: Partial<Record<ObjectName, FakeCustomField[]>> = {};
  /** Milliseconds to wait before answering any API (not token) request. */
  delayMs = 0;
  /** Never answer API requests (the socket stays open until the fake stops). */
  hang = false;
  /** Answer every API request `403 REQUEST_LIMIT_EXCEEDED`, as an org past its daily limit does. */
  limitExceeded = false;
  /** Refuse every token, also fresh ones (a revoked app, an IP restriction). */
  refuseAllTokens = false;
  /** Whether errors list the fields they are about in `fields`; false answers without them, as some Salesforce errors come. */
  fieldsInErrors = true;
  /**
   * While set, every write (sObject POST/PATCH, composite) is answered with this status in Salesforce's
   * shape for it (see `WRITE_REFUSALS`), with `Retry-After: <retryAfterS>` when given, and nothing is
   * written. Searches, queries and describes still answer.
   */
  failWrites: { status: number; retryAfterS?: number } | undefined;
  /** Every write sent, in order of arrival, refused ones included. */
  readonly writeArrivals: WriteArrival[] = [];
  /**
   * While > 0, the next create of a record is stored, as Salesforce commits it, and then the connection
   * is destroyed before any answer (the client sees a reset); each such create counts it down.
   */
  cutNextWrites = 0;
  tokensIssued = 0;
  /** Milliseconds a token request takes (a real login takes a few hundred). */
  tokenDelayMs = 0;
  /** Token requests being answered now, and the most there were at once. */
  tokensInFlight = 0;
  maxTokensInFlight = 0;

  private readonly validTokens = new Set<string>();
  private nextId = 1;
  private readonly credentials: Required<FakeSalesforceOptions>;

  constructor(options: FakeSalesforceOptions = {}) {
    super();
    this.credentials = {
      clientId: options.clientId ?? 'fake-client-id',
      clientSecret: options.clientSecret ?? 'fake-client-secret',
      username: options.username ?? 'integration@acme.example',
      password: options.password ?? 'password+securitytoken',
    };
  }

  /** A token as an admin would paste into SALESFORCE_ACCESS_TOKEN. */
  issueToken(): string {
    const token = `00D000000000001!fixed.${Math.random().toString(36).slice(2)}`;
    this.validTokens.add(token);
    return token;
  }

  /** Every token issued so far stops working: the next API call answers 401 INVALID_SESSION_ID. */
  expireTokens(): void {
    this.validTokens.clear();
  }

  reset(): void {
    this.requests.length = 0;
    this.org = seedOrg();
    this.hiddenFields = {};
    this.customFields = {};
    this.delayMs = 0;
    this.tokenDelayMs = 0;
    this.maxTokensInFlight = 0;
    this.hang = false;
    this.limitExceeded = false;
    this.refuseAllTokens = false;
    this.fieldsInErrors = true;
    this.failWrites = undefined;
    this.writeArrivals.length = 0;
    this.cutNextWrites = 0;
  }

  /** The writes answered `failWrites`, in order of arrival. */
  get refusedWrites(): WriteArrival[] {
    return this.writeArrivals.filter((write) => write.refused);
  }

  /** API requests recorded for a path fragment, e.g. `/search`. */
  requestsTo(fragment: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes(fragment));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams.get('q') ?? undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, q, body: body === '' ? undefined : body });
    try {
      if (req.method === 'POST' && url.pathname === '/services/oauth2/token') return await this.timedToken(body, res);
      const api = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(url.pathname);
      if (!api) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (this.hang) return;
      if (this.delayMs > 0) await this.wait(this.delayMs);
      this.authorize(req);
      if (this.limitExceeded) throw new SalesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      const path = api[2]!.replace(/\/$/, '');
      if (isWrite(req.method, path)) {
        const failure = this.failWrites;
        const object = /^\/sobjects\/(\w+)/.exec(path)?.[1] ?? 'composite';
        this.writeArrivals.push({ method: req.method!, path: url.pathname, object, at: arrivedAt, refused: failure !== undefined });
        if (failure) return refuseWrite(failure, res);
      }
      if (req.method === 'GET' && path === '/search') return json(res, 200, { searchRecords: this.search(q ?? '') });
      if (req.method === 'GET' && path === '/query') return json(res, 200, this.query(q ?? ''));
      const describe = /^\/sobjects\/(\w+)\/describe$/.exec(path);
      if (req.method === 'GET' && describe) return json(res, 200, this.describe(objectName(describe[1]!)));
      const create = /^\/sobjects\/(\w+)$/.exec(path);
      if (req.method === 'POST' && create) {
        const id = this.create(objectName(create[1]!), parseJson(body));
        if (this.cutNextWrites > 0) {
          this.cutNextWrites--;
          req.socket.destroy();
          return;
        }
        return json(res, 201, { id, success: true, errors: [] });
      }
      const update = /^\/sobjects\/(\w+)\/(\w+)$/.exec(path);
      if (req.method === 'PATCH' && update) {
        this.update(objectName(update[1]!), update[2]!, parseJson(body));
        res.writeHead(204).end();
        return;
      }
      throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    } catch (error) {
      if (error instanceof SalesforceError) {
        const fields = this.fieldsInErrors && error.fields !== undefined ? { fields: error.fields } : {};
        return json(res, error.status, [{ message: error.message, errorCode: error.errorCode, ...fields }]);
      }
      return json(res, 500, [{ message: error instanceof Error ? error.message : String(error), errorCode: 'UNKNOWN_EXCEPTION' }]);
    }
  }

  private async timedToken(body: string, res: ServerResponse): Promise<void> {
    this.tokensInFlight += 1;
    this.maxTokensInFlight = Math.max(this.maxTokensInFlight, this.tokensInFlight);
    try {
      if (this.tokenDelayMs > 0) await this.wait(this.tokenDelayMs);
      this.token(body, res);
    } finally {
      this.tokensInFlight -= 1;
    }
  }

  private token(body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    const { clientId, clientSecret, username, password } = this.credentials;
    if (grant !== 'client_credentials' && grant !== 'password') {
      return json(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    }
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return json(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
    }
    if (grant === 'password' && (form.get('username') !== username || form.get('password') !== password)) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'authentication failure' });
    }
    this.tokensIssued++;
    const accessToken = `00D000000000001!fake.${this.tokensIssued}.${Math.random().toString(36).slice(2)}`;
    this.validTokens.add(accessToken);
    json(res, 200, {
      access_token: accessToken,
      signature: 'ZmFrZQ==',
      scope: 'api',
      instance_url: this.url,
      id: `${this.url}/id/00D000000000001AAA/005000000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    });
  }

  private authorize(req: IncomingMessage): void {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || this.refuseAllTokens || !this.validTokens.has(token)) {
      throw new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
  }

  private search(sosl: string): Array<Record<string, unknown>> {
    const match = /^FIND \{((?:\\.|[^\\}])*)\} IN PHONE FIELDS RETURNING (.+)$/s.exec(sosl.trim());
    if (!match) throw new SalesforceError(400, 'MALFORMED_SEARCH', `unexpected token in: ${sosl.slice(0, 80)}`);
    const terms = parseFindTerms(match[1]!);
    const results: Array<Record<string, unknown>> = [];
    for (const clause of parseReturning(match[2]!)) {
      const spec = SCHEMA[clause.object];
      for (const field of clause.fields) this.checkField(clause.object, field);
      const hits = this.org[clause.object].filter(
        (record) => matchesWhere(record, clause.where) && spec.phones.some((field) => phoneMatches(record[field], terms)),
      );
      results.push(...hits.slice(0, clause.limit ?? 2000).map((record) => this.project(clause.object, record, clause.fields)));
    }
    return results;
  }

  private query(soql: string): { totalSize: number; done: boolean; records: Array<Record<string, unknown>> } {
    const byCallObject = /^SELECT (.+?) FROM Task WHERE CallObject = '((?:[^'\\]|\\.)*)' AND CreatedDate = LAST_N_DAYS:(\d+)$/.exec(soql.trim());
    if (byCallObject) return this.tasksByCallObject(byCallObject[1]!, byCallObject[2]!.replace(/\\(.)/g, '$1'), Number(byCallObject[3]));
    const match = /^SELECT (.+?) FROM (\w+) WHERE Id = '(\w+)'$/.exec(soql.trim());
    const byField = /^SELECT (.+?) FROM (\w+) WHERE (\w+) = '((?:[^'\\]|\\.)*)'(?: LIMIT (\d+))?$/.exec(soql.trim());
    if (!match && byField) return this.recordsWhere(objectName(byField[2]!), byField[1]!, byField[3]!, byField[4]!.replace(/\\(.)/g, '$1'), byField[5]);
    if (!match) throw new SalesforceError(400, 'MALFORMED_QUERY', `unexpected token in: ${soql.slice(0, 80)}`);
    const object = objectName(match[2]!);
    if (!isSalesforceId(match[3]!)) throw new SalesforceError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${match[3]!}`);
    const fields = match[1]!.split(',').map((f) => f.trim());
    for (const field of fields) this.checkField(object, field);
    const records = this.org[object].filter((r) => r.Id === match[3]).map((r) => this.project(object, r, fields));
    return { totalSize: records.length, done: true, records };
  }

  /** Records whose `field` equals `value` (text: SOQL compares it ignoring case), at most `limit`. */
  private recordsWhere(object: ObjectName, select: string, field: string, value: string, limit: string | undefined): { totalSize: number; done: boolean; records: Array<Record<string, unknown>> } {
    const fields = select.split(',').map((f) => f.trim());
    for (const name of [...fields, field]) this.checkField(object, name);
    const hits = this.org[object].filter((r) => sameText(r[field], value));
    const records = hits.slice(0, limit === undefined ? undefined : Number(limit)).map((r) => this.project(object, r, fields));
    return { totalSize: records.length, done: true, records };
  }

  /** Tasks whose `CallObject` is `value`, created in the last `days` days (from midnight, as LAST_N_DAYS counts). */
  private tasksByCallObject(select: string, value: string, days: number): { totalSize: number; done: boolean; records: Array<Record<string, unknown>> } {
    const fields = select.split(',').map((f) => f.trim());
    for (const field of fields) this.checkField('Task', field);
    const since = new Date();
    since.setUTCHours(0, 0, 0, 0);
    since.setUTCDate(since.getUTCDate() - days);
    const records = this.org.Task.filter((t) => t.CallObject === value && typeof t.CreatedDate === 'string' && new Date(t.CreatedDate) >= since).map((t) => this.project('Task', t, fields));
    return { totalSize: records.length, done: true, records };
  }

  private describe(object: ObjectName): { name: string; fields: Array<{ name: string; relationshipName: string | null }> } {
    const spec = SCHEMA[object];
    const hidden = this.hiddenFields[object] ?? [];
    return {
      name: object,
      fields: this.fieldsOf(object).filter((f) => !hidden.includes(f)).map((name) => ({ name, relationshipName: spec.relations[name]?.[0] ?? null })),
    };
  }

  private create(object: ObjectName, fields: Record<string, unknown>): string {
    const spec = SCHEMA[object];
    for (const name of Object.keys(fields)) this.checkWritable(object, name);
    for (const name of spec.required) {
      if (fields[name] === undefined || fields[name] === null || fields[name] === '') {
        throw new SalesforceError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${name}]`);
      }
    }
    this.checkReferences(object, fields);
    this.checkUnique(object, fields);
    const id = caseSafe(`${spec.idPrefix}${String(this.nextId++).padStart(12, '0')}`);
    const name = object === 'Lead' || object === 'Contact' ? [fields.FirstName, fields.LastName].filter(Boolean).join(' ') : undefined;
    const now = new Date().toISOString();
    this.org[object].push({ ...fields, Id: id, ...(name ? { Name: name } : {}), CreatedDate: now, LastModifiedDate: now });
    return id;
  }

  private update(object: ObjectName, id: string, fields: Record<string, unknown>): void {
    const record = this.org[object].find((r) => r.Id === id);
    if (!record) throw new SalesforceError(404, 'NOT_FOUND', 'Provided external ID field does not exist or is not accessible');
    for (const name of Object.keys(fields)) this.checkWritable(object, name);
    this.checkReferences(object, fields);
    this.checkUnique(object, fields, id);
    Object.assign(record, fields, { LastModifiedDate: new Date().toISOString() });
  }

  private checkWritable(object: ObjectName, field: string): void {
    if (CREATE_ONLY_SYSTEM_FIELDS.has(field) || !this.fieldsOf(object).includes(field) || this.hiddenFields[object]?.includes(field)) {
      throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${field}' on sobject of type ${object}`);
    }
  }

  /**
   * Ids in lookup fields, refused as Salesforce refuses them: not an id at all `MALFORMED_ID`, the id of
   * another kind of record `FIELD_INTEGRITY_EXCEPTION`, no such record `INVALID_CROSS_REFERENCE_KEY`,
   * each naming the field. Nothing is written.
   */
  private checkReferences(object: ObjectName, fields: Record<string, unknown>): void {
    for (const [field, value] of Object.entries(fields)) {
      const reference = REFERENCES[field];
      if (typeof value !== 'string' || !reference) continue;
      const label = object === 'Task' && field === 'OwnerId' ? TASK_OWNER_LABEL : reference.label;
      if (!isSalesforceId(value)) throw new SalesforceError(400, 'MALFORMED_ID', `${label}: id value of incorrect type: ${value}`, [field]);
      const target = reference.targets.find((name) => SCHEMA[name].idPrefix === value.slice(0, 3));
      if (!target) throw new SalesforceError(400, 'FIELD_INTEGRITY_EXCEPTION', `${label}: id value of incorrect type: ${value}`, [field]);
      if (!this.org[target].some((r) => r.Id.slice(0, 15) === value.slice(0, 15))) {
        throw new SalesforceError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field]);
      }
    }
  }

  /**
   * A value of a unique custom field that another record of the object holds: refused as Salesforce
   * refuses it, `DUPLICATE_VALUE` naming the field and that record (its 15-character id) in the
   * message, with an empty `fields`. Nothing is written.
   */
  private checkUnique(object: ObjectName, fields: Record<string, unknown>, ownId?: string): void {
    for (const { name } of (this.customFields[object] ?? []).filter((field) => field.unique)) {
      const value = fields[name];
      if (typeof value !== 'string' || value === '') continue;
      const holder = this.org[object].find((r) => r.Id !== ownId && sameText(r[name], value));
      if (holder) throw new SalesforceError(400, 'DUPLICATE_VALUE', `duplicate value found: ${name} duplicates value on record with id: ${holder.Id.slice(0, 15)}`, []);
    }
  }

  /** The object's standard fields and the custom ones the test declared. */
  private fieldsOf(object: ObjectName): string[] {
    return [...SCHEMA[object].fields, ...(this.customFields[object] ?? []).map((field) => field.name)];
  }

  /** Unknown or hidden fields fail the whole request, as field-level security makes them do. */
  private checkField(object: ObjectName, path: string): void {
    const spec = SCHEMA[object];
    const hidden = this.hiddenFields[object] ?? [];
    const [head, ...rest] = path.split('.');
    const known =
      rest.length === 0
        ? this.fieldsOf(object).includes(head!) && !hidden.includes(head!)
        : Object.entries(spec.relations).some(([field, [relationship]]) => relationship === head && !hidden.includes(field));
    if (!known) {
      throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${path}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c'`);
    }
  }

  private project(object: ObjectName, record: FakeRecord, fields: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = { attributes: { type: object, url: `/services/data/v62.0/sobjects/${object}/${record.Id}` } };
    for (const path of fields) {
      const [head, ...rest] = path.split('.');
      if (rest.length === 0) {
        out[head!] = record[head!] ?? null;
        continue;
      }
      const relation = Object.entries(SCHEMA[object].relations).find(([, [name]]) => name === head);
      const target = relation ? this.org[relation[1][1]].find((r) => r.Id === record[relation[0]]) : undefined;
      const nested = (out[head!] as Record<string, unknown> | null | undefined) ?? (target ? { attributes: { type: relation![1][1] } } : null);
      if (nested && target) nested[rest.join('.')] = target[rest.join('.')] ?? null;
      out[head!] = nested;
    }
    return out;
  }
}

/** A write's answer under `failWrites`: Salesforce's error array for the status, else a page of what stands in front of it. */
function refuseWrite(failure: { status: number; retryAfterS?: number }, res: ServerResponse): void {
  const headers: Record<string, string> = failure.retryAfterS === undefined ? {} : { 'Retry-After': String(failure.retryAfterS) };
  const refusal = WRITE_REFUSALS[failure.status];
  if (refusal) return sendJson(res, failure.status, [{ message: refusal[1], errorCode: refusal[0] }], 'application/json;charset=UTF-8', headers);
  const reason = STATUS_CODES[failure.status] ?? 'Error';
  const page = `<html><head><title>${failure.status} ${reason}</title></head><body><h1>${reason}</h1></body></html>`;
  res.writeHead(failure.status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page), ...headers }).end(page);
}

/** A request that creates or changes records: an sObject or composite POST, PATCH or PUT (a search or query is a GET). */
function isWrite(method: string | undefined, path: string): boolean {
  return (method === 'POST' || method === 'PATCH' || method === 'PUT') && /^\/(?:sobjects|composite)(?:\/|$)/.test(path);
}

/** An 18-character id: the 15 characters and the suffix that makes them case-safe (crm-apis.md §1.9). */
function caseSafe(id15: string): string {
  const suffix = [0, 5, 10].map((start) => {
    const bits = [...id15.slice(start, start + 5)].reduce((sum, char, i) => (/[A-Z]/.test(char) ? sum + 2 ** i : sum), 0);
    return 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'.charAt(bits);
  });
  return id15 + suffix.join('');
}

/** 15 letters and digits, or 18 whose last 3 match the first 15. */
function isSalesforceId(value: string): boolean {
  return /^[a-zA-Z0-9]{15}$/.test(value) || (/^[a-zA-Z0-9]{18}$/.test(value) && caseSafe(value.slice(0, 15)) === value);
}

function objectName(name: string): ObjectName {
  if (name in SCHEMA) return name as ObjectName;
  throw new SalesforceError(404, 'NOT_FOUND', `The requested resource does not exist: sObject type '${name}' is not supported`);
}

/** Terms of `FIND {…}` joined by OR; an unescaped reserved character is a malformed search. */
function parseFindTerms(inner: string): string[] {
  const words = inner.trim().split(/\s+/);
  const terms: string[] = [];
  words.forEach((word, i) => {
    if (i % 2 === 1) {
      if (word !== 'OR') throw new SalesforceError(400, 'MALFORMED_SEARCH', `the fake only understands OR between terms, got ${word}`);
      return;
    }
    const unescaped = word.replace(/\\./g, '');
    if (RESERVED_IN_FIND.test(unescaped)) {
      throw new SalesforceError(400, 'MALFORMED_SEARCH', `line 1:${i}: reserved character in search term '${word}' must be escaped`);
    }
    terms.push(word.replace(/\\(.)/g, '$1'));
  });
  return terms;
}

interface ReturningClause {
  readonly object: ObjectName;
  readonly fields: readonly string[];
  readonly where?: string;
  readonly limit?: number;
}

function parseReturning(text: string): ReturningClause[] {
  const clauses: ReturningClause[] = [];
  const pattern = /(\w+)\(([^)]*)\)\s*(?:,\s*|$)/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const [, object, inside] = match;
    const limit = /\sLIMIT (\d+)\s*$/.exec(inside!);
    const withoutLimit = limit ? inside!.slice(0, limit.index) : inside!;
    const [fieldList, where] = withoutLimit.split(/\sWHERE\s/);
    clauses.push({
      object: objectName(object!),
      fields: fieldList!.split(',').map((f) => f.trim()).filter((f) => f !== ''),
      where: where?.trim(),
      limit: limit ? Number(limit[1]) : undefined,
    });
    if (pattern.lastIndex >= text.length) break;
  }
  if (clauses.length === 0 || pattern.lastIndex < text.length) throw new SalesforceError(400, 'MALFORMED_SEARCH', `cannot read RETURNING ${text.slice(0, 60)}`);
  return clauses;
}

function matchesWhere(record: FakeRecord, where: string | undefined): boolean {
  if (!where) return true;
  const condition = /^(\w+) = (true|false|'[^']*')$/.exec(where);
  if (!condition) throw new SalesforceError(400, 'MALFORMED_SEARCH', `the fake does not understand WHERE ${where}`);
  const expected = condition[2] === 'true' ? true : condition[2] === 'false' ? false : condition[2]!.slice(1, -1);
  return record[condition[1]!] === expected;
}

/** SOQL's `=` on text, and a unique field's check (by default): the same text, whatever its case. */
function sameText(stored: unknown, value: string): boolean {
  return typeof stored === 'string' && stored.toLowerCase() === value.toLowerCase();
}

function phoneMatches(stored: unknown, terms: readonly string[]): boolean {
  if (typeof stored !== 'string') return false;
  const digits = stored.replace(EXTENSION, '').replace(/\D/g, '');
  return digits !== '' && terms.some((term) => term.replace(/\D/g, '') === digits);
}


function parseJson(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'Unexpected character: was expecting a JSON object');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, 'application/json;charset=UTF-8');
}
