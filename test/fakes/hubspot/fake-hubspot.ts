import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson, type WriteArrival } from '../loopback-fake';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * A HubSpot portal on a loopback port that speaks CRM v3 the way crm-apis.md §2 describes it: search
 * with filter groups (limits validated, a filter on a property the object lacks refused with 400),
 * `query`, property selection, the calculated phone properties derived from the stored values
 * (libphonenumber, the portal's region), the 5-per-second search limit with HubSpot's 429 body (calls'
 * searches counted with the others), index latency for new and updated records (`indexLatencyMs`),
 * create 201 / update 200, batch read (its required fields checked), property definitions, account
 * details, HubSpot's error shape, and switches to delay, hang and revoke the token,
 * to refuse one object's searches, to refuse writes (`failWrites`) and to cut the connection after a
 * create was stored (`cutNextWrites`).
 *
 * Companies have no calculated phone properties unless `companySearchableCalculatedPhones`: HubSpot
 * documents them for contacts only, and a real portal's company properties list none of them. Their
 * `phone` is text stored as typed, and a filter on it compares that text (case aside), as HubSpot does.
 */

export type ObjectType = 'contacts' | 'companies' | 'calls' | 'tickets';

export interface StoredObject {
  readonly id: string;
  properties: Record<string, string | null>;
  readonly associations: Array<{ toType: ObjectType; toId: string; typeId: number }>;
  readonly createdAt: string;
  updatedAt: string;
  /**
   * Each write's properties, and when search shows them (HubSpot indexes asynchronously): search sees the
   * record as its latest indexed write left it, and not at all before its first write is indexed.
   */
  readonly writes: Array<{ readonly indexedAt: number; readonly properties: Readonly<Record<string, string | null>> }>;
}

type CalculatedPhones = ReadonlyArray<readonly [stored: string, calculated: string, searchable: string]>;
const CONTACT_PHONES: CalculatedPhones = [
  ['phone', 'hs_calculated_phone_number', 'hs_searchable_calculated_phone_number'],
  ['mobilephone', 'hs_calculated_mobile_number', 'hs_searchable_calculated_mobile_number'],
];
/** Only on portals with `companySearchableCalculatedPhones`; companies have no `mobilephone`. */
const COMPANY_PHONES: CalculatedPhones = [['phone', 'hs_calculated_phone_number', 'hs_searchable_calculated_phone_number']];
/** The properties every portal has (those the gateway and its tests use); a custom one exists once a record holds it. */
const STANDARD_PROPERTIES: Readonly<Record<ObjectType, readonly string[]>> = {
  contacts: [
    ...['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'fax', 'company', 'associatedcompanyid', 'lifecyclestage', 'hubspot_owner_id'],
    ...['createdate', 'lastmodifieddate', 'hs_object_id', ...CONTACT_PHONES.flatMap(([, calculated, searchable]) => [calculated, searchable])],
  ],
  companies: ['name', 'domain', 'website', 'phone', 'lifecyclestage', 'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  calls: [
    ...['hs_timestamp', 'hs_call_title', 'hs_call_body', 'hs_body_preview', 'hs_call_direction', 'hs_call_status', 'hs_call_duration', 'hs_call_disposition'],
    ...['hs_call_from_number', 'hs_call_to_number', 'hs_call_external_id', 'hubspot_owner_id', 'hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  ],
  tickets: ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
const QUERY_PROPERTIES: Readonly<Record<ObjectType, readonly string[]>> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'company'],
  companies: ['website', 'phone', 'name', 'domain'],
  calls: ['hs_call_title', 'hs_body_preview'],
  tickets: ['subject', 'content'],
};
/** Which association type ids HubSpot defines between two object types. */
const ASSOCIATION_TYPES: Readonly<Record<string, number>> = {
  'calls→contacts': 194,
  'calls→companies': 182,
  'tickets→contacts': 16,
  'tickets→companies': 26,
};
const REQUIRED: Readonly<Partial<Record<ObjectType, readonly string[]>>> = { calls: ['hs_timestamp'], tickets: ['hs_pipeline_stage'] };
const OPERATORS = new Set(['EQ', 'NEQ', 'IN', 'CONTAINS_TOKEN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY']);

export const SECONDLY_LIMIT_BODY = { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT' };
/** HubSpot's 429 for the burst limit every other request counts against (crm-apis.md §2.2). */
const TEN_SECONDLY_LIMIT_BODY = { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' };
/** The category of HubSpot's error body per status (crm-apis.md §2.7); other 5xx say INTERNAL_ERROR, other 4xx VALIDATION_ERROR. */
const CATEGORIES: Readonly<Record<number, string>> = {
  400: 'VALIDATION_ERROR',
  401: 'INVALID_AUTHENTICATION',
  403: 'MISSING_SCOPES',
  404: 'OBJECT_NOT_FOUND',
  409: 'CONFLICT',
  423: 'LOCKED',
};

interface Filter {
  propertyName?: unknown;
  operator?: unknown;
  value?: unknown;
  values?: unknown;
}

/** One entry of the `errors` of HubSpot's error body. */
interface ErrorDetail {
  readonly message: string;
  readonly code?: string;
  readonly context?: Record<string, string[]>;
}

class HubSpotError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly errors?: readonly ErrorDetail[],
  ) {
    super(message);
  }
}

/** The owners of the seeded portal (`GET /crm/v3/owners`): a record's `hubspot_owner_id` must be one of them. */
const SEED_OWNERS = ['5150', '5151'];

/** HubSpot's words when a required field of a request body is missing (its JSON reader names the schema). */
function missingFields(schema: string, fields: readonly string[]): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1, column 1: Cannot build ${schema}, some of required attributes are not set [${fields.join(', ')}]`);
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly at: number;
}

export interface FakeHubSpotOptions {
  readonly token?: string;
  /** Companies have `hs_calculated_phone_number` and `hs_searchable_calculated_phone_number` (no public portal shows them). */
  readonly companySearchableCalculatedPhones?: boolean;
}

/** What a request answers instead of its result: an HTTP status, or no answer at all. */
export type Failure = 400 | 500 | 502 | 503 | 'hang';

export class FakeHubSpot extends LoopbackFake {
  readonly token: string;
  readonly companySearchableCalculatedPhones: boolean;
  readonly portalId = 4711;
  readonly requests: RecordedRequest[] = [];
  /** When each search request was let through (not those answered 429). */
  readonly searchTimes: number[] = [];
  /** When each search request arrived, also those answered 429. */
  readonly searchArrivals: number[] = [];
  region: CountryCode = 'CH';
  delayMs = 0;
  hang = false;
  revoked = false;
  /** How long after a write search shows it: a created record at all, an updated one with its new values (0: at once). */
  indexLatencyMs = 0;
  /** Searches of these object types fail so (e.g. `{ companies: 400 }`), the others answer. */
  searchFailures: Partial<Record<ObjectType, Failure>> = {};
  /** Reads of property definitions fail so. */
  propertyFailure: Failure | undefined;
  /** Searches allowed per second per account, as HubSpot documents. */
  searchesPerSecond = 5;
  /**
   * While set, every write (POST, PATCH or PUT on CRM objects and associations; not a search or a batch
   * read) is answered with this status in HubSpot's error shape (a 429 as its ten-secondly limit), with
   * `Retry-After: <retryAfterS>` when given, and nothing is written. Searches and reads still answer.
   */
  failWrites: { status: number; retryAfterS?: number } | undefined;
  /** Every write sent, in order of arrival, refused ones included. */
  readonly writeArrivals: WriteArrival[] = [];
  /**
   * While > 0, the next create of a record is stored, as HubSpot commits it, and then the connection is
   * destroyed before any answer (the client sees a reset); each such create counts it down.
   */
  cutNextWrites = 0;
  readonly objects = new Map<ObjectType, Map<string, StoredObject>>();
  /** Owner ids a record may be assigned to. */
  readonly owners = new Set(SEED_OWNERS);

  private nextId = 9000;

  constructor(options: FakeHubSpotOptions = {}) {
    super();
    this.token = options.token ?? 'pat-eu1-fake-token';
    this.companySearchableCalculatedPhones = options.companySearchableCalculatedPhones ?? false;
    this.seed();
  }

  reset(): void {
    this.requests.length = 0;
    this.searchTimes.length = 0;
    this.searchArrivals.length = 0;
    this.delayMs = 0;
    this.hang = false;
    this.revoked = false;
    this.indexLatencyMs = 0;
    this.owners.clear();
    for (const owner of SEED_OWNERS) this.owners.add(owner);
    this.searchFailures = {};
    this.propertyFailure = undefined;
    this.failWrites = undefined;
    this.writeArrivals.length = 0;
    this.cutNextWrites = 0;
    this.seed();
  }

  /** The writes answered `failWrites`, in order of arrival. */
  get refusedWrites(): WriteArrival[] {
    return this.writeArrivals.filter((write) => write.refused);
  }

  all(type: ObjectType): StoredObject[] {
    return [...(this.objects.get(type)?.values() ?? [])];
  }

  /** The most searches the portal let through within any one second. */
  maxSearchesPerSecond(): number {
    const times = [...this.searchTimes].sort((a, b) => a - b);
    return times.reduce((most, start) => Math.max(most, times.filter((t) => t >= start && t < start + 1000).length), 0);
  }

  /** Adds a record as if created in HubSpot's UI (searchable at once unless `indexLatencyMs`). */
  add(type: ObjectType, properties: Record<string, string | null>, associations: StoredObject['associations'] = [], id?: string): StoredObject {
    const now = new Date().toISOString();
    const record: StoredObject = {
      id: id ?? String(this.nextId++),
      properties: { ...properties },
      associations,
      createdAt: now,
      updatedAt: now,
      writes: [],
    };
    this.calculate(type, record);
    record.properties.hs_object_id = record.id;
    record.properties.createdate = now;
    record.properties[type === 'companies' ? 'hs_lastmodifieddate' : 'lastmodifieddate'] = now;
    this.written(record);
    if (!this.objects.has(type)) this.objects.set(type, new Map());
    this.objects.get(type)!.set(record.id, record);
    return record;
  }

  /** Records a write for search, which shows it `indexLatencyMs` later. */
  private written(record: StoredObject): void {
    record.writes.push({ indexedAt: Date.now() + this.indexLatencyMs, properties: { ...record.properties } });
  }

  /** The record as search sees it now: as it is once its last write is indexed, as an earlier write left it before, not at all before its first. */
  private searchView(record: StoredObject, now: number): StoredObject | undefined {
    const seen = record.writes.findLastIndex((write) => write.indexedAt <= now);
    if (seen === -1) return undefined;
    record.writes.splice(0, seen); // writes older than the one seen are never seen again
    return record.writes.length === 1 ? record : { ...record, properties: { ...record.writes[0]!.properties } };
  }

  private seed(): void {
    this.objects.clear();
    for (const type of ['contacts', 'companies', 'calls', 'tickets'] as const) this.objects.set(type, new Map());
    this.add('companies', { name: 'Muster Treuhand AG', domain: 'muster-treuhand.ch', phone: '+41 44 668 18 00' }, [], '201');
    this.add('companies', { name: 'Keller Holzbau GmbH', domain: 'keller-holzbau.ch', phone: '044 123 45 67' }, [], '202');
    this.add('companies', { name: 'Alpenblick Hotel AG', domain: 'alpenblick.ch', phone: '+41 33 822 00 00' }, [], '203');
    const contact = (id: string, firstname: string, lastname: string, props: Record<string, string>) =>
      this.add('contacts', { firstname, lastname, email: `${firstname.toLowerCase()}@example.ch`, company: null, associatedcompanyid: null, ...props }, [], id);
    contact('101', 'Anna', 'Muster', { phone: '+41 78 907 22 28', company: 'Muster Treuhand AG', associatedcompanyid: '201', lifecyclestage: 'customer' });
    contact('102', 'Beat', 'Keller', { mobilephone: '079 123 45 67', associatedcompanyid: '202', lifecyclestage: 'lead' });
    contact('103', 'Chantal', 'Favre', { phone: '0041 21 552 20 00' });
    contact('104', 'Ian', 'Clarke', { phone: '+44 20 7946 0018' });
    contact('105', 'Julia', 'Chen', { phone: '+1 415-555-1212' });
    contact('106', 'Fabian', 'Weber', { phone: '+49 78 907 22 28' });
    contact('107', 'Elena', 'Rossi', { mobilephone: '+39 347 123 4567' });
    contact('108', 'Kurt', 'Meier', { phone: '052 212 34 56' });
  }

  /** Whether the portal has this property on this object type. */
  hasProperty(type: ObjectType, name: string): boolean {
    if (type === 'companies' && COMPANY_PHONES.some(([, ...calculated]) => calculated.includes(name))) return this.companySearchableCalculatedPhones;
    return STANDARD_PROPERTIES[type].includes(name) || this.all(type).some((record) => name in record.properties);
  }

  /** The requests that asked for a property's definition. */
  propertyReads(type: ObjectType): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/crm/v3/properties/${type}/`));
  }

  private calculatedPhones(type: ObjectType): CalculatedPhones {
    if (type === 'contacts') return CONTACT_PHONES;
    return type === 'companies' && this.companySearchableCalculatedPhones ? COMPANY_PHONES : [];
  }

  /** HubSpot's calculated phone properties: E.164, and the national number without country code. */
  private calculate(type: ObjectType, record: StoredObject): void {
    for (const [stored, calculated, searchable] of this.calculatedPhones(type)) {
      const value = record.properties[stored];
      const parsed = value ? parsePhoneNumberFromString(value.replace(/^00/, '+'), this.region) : undefined;
      record.properties[calculated] = parsed?.number ?? null;
      record.properties[searchable] = parsed?.nationalNumber ?? null;
    }
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return send(res, 400, error('VALIDATION_ERROR', 'Invalid input JSON'));
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, body, at: Date.now() });
    if (this.hang) return;
    if (this.delayMs > 0) await this.wait(this.delayMs);
    try {
      if (req.headers.authorization !== `Bearer ${this.token}` || this.revoked) {
        throw new HubSpotError(
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        );
      }
      if (isWrite(req.method, url.pathname)) {
        const failure = this.failWrites;
        const object = /^\/crm\/v[34]\/objects\/(\w+)/.exec(url.pathname)?.[1] ?? 'associations';
        this.writeArrivals.push({ method: req.method!, path: url.pathname, object, at: arrivedAt, refused: failure !== undefined });
        if (failure) return refuseWrite(failure, res);
      }
      if (req.method === 'GET' && url.pathname === '/account-info/v3/details') {
        return send(res, 200, {
          portalId: this.portalId,
          accountType: 'STANDARD',
          timeZone: 'Europe/Zurich',
          companyCurrency: 'CHF',
          additionalCurrencies: [],
          utcOffset: '+01:00',
          utcOffsetMilliseconds: 3600000,
          uiDomain: 'app-eu1.hubspot.com',
          dataHostingLocation: 'eu1',
        });
      }
      const property = /^\/crm\/v3\/properties\/(contacts|companies|calls|tickets)\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && property) {
        await failAs(this.propertyFailure, 'property reads');
        return send(res, 200, this.propertyDefinition(property[1] as ObjectType, decodeURIComponent(property[2]!)));
      }
      const route = /^\/crm\/v3\/objects\/(contacts|companies|calls|tickets)(?:\/(search|batch\/read|[^/]+))?$/.exec(url.pathname);
      if (!route) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Unable to route ${req.method} ${url.pathname}`);
      const type = route[1] as ObjectType;
      const rest = route[2];
      if (req.method === 'POST' && rest === 'search') return await this.search(type, body, raw.length, res);
      if (req.method === 'POST' && rest === 'batch/read') return send(res, 200, this.batchRead(type, body));
      if (req.method === 'POST' && rest === undefined) {
        const created = this.create(type, body);
        if (this.cutNextWrites > 0) {
          this.cutNextWrites--;
          req.socket.destroy();
          return;
        }
        return send(res, 201, this.present(type, created));
      }
      if (req.method === 'PATCH' && rest !== undefined) return send(res, 200, this.present(type, this.update(type, rest, body)));
      if (req.method === 'GET' && rest !== undefined) return send(res, 200, this.present(type, this.find(type, rest)));
      throw new HubSpotError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported here`);
    } catch (failure) {
      if (failure instanceof HubSpotError) return send(res, failure.status, error(failure.category, failure.message, failure.errors));
      return send(res, 500, error('INTERNAL_ERROR', String(failure)));
    }
  }

  private async search(type: ObjectType, body: unknown, bodyLength: number, res: ServerResponse): Promise<void> {
    const now = Date.now();
    this.searchArrivals.push(now);
    if (this.searchTimes.filter((t) => t > now - 1000).length >= this.searchesPerSecond) {
      return send(res, 429, { ...SECONDLY_LIMIT_BODY, correlationId: randomUUID() });
    }
    this.searchTimes.push(now);
    await failAs(this.searchFailures[type], `${type} searches`);
    // "If the body of your request exceeds 3,000 characters, a 400 error will be returned."
    if (bodyLength > 3000) throw new HubSpotError(400, 'VALIDATION_ERROR', `The request body has ${bodyLength} characters; the maximum is 3000.`);
    const request = (body ?? {}) as { filterGroups?: unknown; properties?: unknown; limit?: unknown; query?: unknown };
    const groups = Array.isArray(request.filterGroups) ? (request.filterGroups as Array<{ filters?: unknown }>) : [];
    const limit = request.limit === undefined ? 10 : Number(request.limit);
    const filterCount = groups.reduce((n, g) => n + (Array.isArray(g.filters) ? g.filters.length : 0), 0);
    if (groups.length > 5) throw new HubSpotError(400, 'VALIDATION_ERROR', `Too many filter groups (${groups.length}); the maximum is 5.`);
    if (groups.some((g) => Array.isArray(g.filters) && g.filters.length > 6)) throw new HubSpotError(400, 'VALIDATION_ERROR', 'Too many filters in a group; the maximum is 6.');
    if (filterCount > 18) throw new HubSpotError(400, 'VALIDATION_ERROR', `Too many filters (${filterCount}); the maximum is 18.`);
    if (!Number.isInteger(limit) || limit < 0 || limit > 200) throw new HubSpotError(400, 'VALIDATION_ERROR', 'limit must be between 0 and 200');
    const query = typeof request.query === 'string' ? request.query.toLowerCase() : undefined;
    for (const filter of groups.flatMap((g) => (Array.isArray(g.filters) ? (g.filters as Filter[]) : []))) this.checkFilter(type, filter);

    const hits = this.all(type).flatMap((stored) => {
      const record = this.searchView(stored, now);
      if (!record) return [];
      if (query && !QUERY_PROPERTIES[type].some((p) => record.properties[p]?.toLowerCase().includes(query))) return [];
      return groups.length === 0 || groups.some((g) => ((g.filters as Filter[] | undefined) ?? []).every((f) => matches(record, f))) ? [record] : [];
    });
    const properties = Array.isArray(request.properties) ? (request.properties as string[]) : undefined;
    send(res, 200, { total: hits.length, results: hits.slice(0, limit).map((r) => this.present(type, r, properties)) });
  }

  /** A filter names an operator and a property the object has; HubSpot refuses it otherwise. */
  private checkFilter(type: ObjectType, filter: Filter): void {
    const missing = (['propertyName', 'operator'] as const).filter((field) => typeof filter[field] !== 'string');
    if (missing.length > 0) throw missingFields('Filter', missing);
    const name = filter.propertyName as string;
    if (!this.hasProperty(type, name)) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `There was a problem with the request: property ${name} does not exist on ${type}`, [
        { message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [name] } },
      ]);
    }
  }

  /** `GET /crm/v3/properties/{type}/{name}`: the definition, or 404 for a property the object lacks. */
  private propertyDefinition(type: ObjectType, name: string): unknown {
    if (!this.hasProperty(type, name)) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name} for object type ${type}`);
    const phone = /phone|mobile/.test(name);
    const searchable = name.startsWith('hs_searchable_calculated_');
    const now = new Date(0).toISOString();
    return {
      name,
      label: name,
      description: '',
      groupName: type === 'companies' ? 'companyinformation' : 'contactinformation',
      type: searchable ? 'phone_number' : 'string',
      fieldType: phone ? 'phonenumber' : 'text',
      options: [],
      displayOrder: -1,
      calculated: name.startsWith('hs_'),
      externalOptions: false,
      hasUniqueValue: false,
      hidden: false,
      hubspotDefined: STANDARD_PROPERTIES[type].includes(name) || searchable,
      modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: name.startsWith('hs_') },
      formField: !name.startsWith('hs_'),
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
  }

  private batchRead(type: ObjectType, body: unknown): unknown {
    const request = (body ?? {}) as { inputs?: unknown; properties?: unknown; propertiesWithHistory?: unknown };
    // The official spec (BatchReadInputSimplePublicObjectId) requires all three.
    const missing = (['inputs', 'properties', 'propertiesWithHistory'] as const).filter((field) => !Array.isArray(request[field]));
    if (missing.length > 0) throw missingFields('BatchReadInputSimplePublicObjectId', missing);
    const results = (request.inputs as Array<{ id?: string }>)
      .map((input) => this.objects.get(type)?.get(String(input.id)))
      .filter((r): r is StoredObject => r !== undefined)
      .map((r) => this.present(type, r, request.properties as string[]));
    const now = new Date().toISOString();
    return { status: 'COMPLETE', results, startedAt: now, completedAt: now };
  }

  private create(type: ObjectType, body: unknown): StoredObject {
    const request = (body ?? {}) as { properties?: Record<string, unknown>; associations?: unknown };
    const properties = this.checkedProperties(request.properties);
    for (const name of REQUIRED[type] ?? []) {
      if (!properties[name]) throw new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${name} is required`);
    }
    const associations = (Array.isArray(request.associations) ? request.associations : []).map((a: unknown) => this.association(type, a));
    return this.add(type, properties, associations);
  }

  private update(type: ObjectType, id: string, body: unknown): StoredObject {
    const record = this.find(type, id);
    Object.assign(record.properties, this.checkedProperties((body as { properties?: Record<string, unknown> } | undefined)?.properties));
    this.calculate(type, record);
    record.updatedAt = new Date().toISOString();
    this.written(record);
    return record;
  }

  private find(type: ObjectType, id: string): StoredObject {
    const record = this.objects.get(type)?.get(id);
    if (!record) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
    return record;
  }

  private checkedProperties(properties: Record<string, unknown> | undefined): Record<string, string> {
    const checked: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties ?? {})) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${name} must be a string`);
      }
      checked[name] = String(value);
    }
    const owner = checked.hubspot_owner_id;
    if (owner !== undefined && owner !== '' && !this.owners.has(owner)) throw invalidProperty('hubspot_owner_id', 'INVALID_OWNER_ID', `${owner} is not a valid owner id`);
    return checked;
  }

  private association(fromType: ObjectType, raw: unknown): StoredObject['associations'][number] {
    const a = raw as { to?: { id?: unknown }; types?: Array<{ associationCategory?: unknown; associationTypeId?: unknown }> };
    const typeId = Number(a.types?.[0]?.associationTypeId);
    const rawId = a.to?.id;
    const toId = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : '';
    const target = (['contacts', 'companies'] as const).find((t) => ASSOCIATION_TYPES[`${fromType}→${t}`] === typeId);
    if (!target || a.types?.[0]?.associationCategory !== 'HUBSPOT_DEFINED') {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `association type ${typeId} is not valid for ${fromType}`);
    }
    if (!this.objects.get(target)?.has(toId)) throw new HubSpotError(400, 'VALIDATION_ERROR', `${target} ${toId} does not exist`);
    return { toType: target, toId, typeId };
  }

  private present(type: ObjectType, record: StoredObject, properties?: readonly string[]): unknown {
    const defaults = type === 'companies' ? ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'] : ['createdate', 'hs_object_id', 'lastmodifieddate'];
    const wanted = properties ?? [...defaults, ...Object.keys(record.properties)];
    const shown: Record<string, string | null> = {};
    for (const name of new Set([...wanted, 'hs_object_id', 'createdate'])) if (name in record.properties) shown[name] = record.properties[name] ?? null;
    return { id: record.id, properties: shown, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: false };
  }
}

/** A write's answer under `failWrites`: HubSpot's error body for the status (a 429 as its ten-secondly limit). */
function refuseWrite(failure: { status: number; retryAfterS?: number }, res: ServerResponse): void {
  const { status, retryAfterS } = failure;
  const body =
    status === 429
      ? { ...TEN_SECONDLY_LIMIT_BODY, correlationId: randomUUID() }
      : error(CATEGORIES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR'), `The request could not be carried out (${status})`);
  sendJson(res, status, body, 'application/json;charset=utf-8', retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) });
}

/** A request that creates or changes records or their associations: a POST, PATCH or PUT that is no search or batch read. */
function isWrite(method: string | undefined, path: string): boolean {
  if (method !== 'POST' && method !== 'PATCH' && method !== 'PUT') return false;
  return /^\/crm\/v[34]\/(?:objects|associations)\//.test(path) && !/\/(?:search|batch\/read)$/.test(path);
}

function matches(record: StoredObject, filter: Filter): boolean {
  const name = String(filter.propertyName);
  const operator = String(filter.operator);
  if (!OPERATORS.has(operator)) throw new HubSpotError(400, 'VALIDATION_ERROR', `The fake does not support operator ${operator}`);
  const value = record.properties[name];
  const wanted = typeof filter.value === 'string' ? filter.value.toLowerCase() : undefined;
  switch (operator) {
    case 'HAS_PROPERTY':
      return value !== null && value !== undefined && value !== '';
    case 'NOT_HAS_PROPERTY':
      return value === null || value === undefined || value === '';
    case 'EQ':
      return value?.toLowerCase() === wanted;
    case 'NEQ':
      return value?.toLowerCase() !== wanted;
    case 'IN':
      // Exact values; for text HubSpot wants them in lower case, and compares the stored value so.
      return Array.isArray(filter.values) && value !== null && value !== undefined && filter.values.map(String).includes(value.toLowerCase());
    default: {
      const tokens = (value ?? '').toLowerCase().split(/[^a-z0-9@.]+/);
      const pattern = new RegExp(`^${(wanted ?? '').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return tokens.some((t) => pattern.test(t));
    }
  }
}

/**
 * A property value HubSpot refuses (400, nothing written): the property results written into the message,
 * and the same in `errors` with the property in `context.propertyName` (crm-apis.md §2.7).
 */
function invalidProperty(name: string, code: string, message: string): HubSpotError {
  const result = { isValid: false, message, error: code, name };
  return new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify([result])}`, [
    { message, code, context: { propertyName: [name] } },
  ]);
}

/** Throws HubSpot's error for the failure (never answers for `hang`); nothing without one. */
function failAs(failure: Failure | undefined, what: string): Promise<void> {
  if (failure === undefined) return Promise.resolve();
  if (failure === 'hang') return new Promise(() => undefined);
  throw new HubSpotError(failure, failure === 400 ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR', `The fake refuses ${what} (${failure})`);
}

function error(category: string, message: string, errors?: readonly ErrorDetail[]): unknown {
  return { status: 'error', message, correlationId: randomUUID(), category, ...(errors ? { errors } : {}) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, 'application/json;charset=utf-8');
}
