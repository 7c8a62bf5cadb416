import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, sendJson } from '../loopback-fake';

/**
 * A Pipedrive company on a loopback port that speaks API v2's person and organization searches as
 * docs/reference/template-apis.md §1 describes them: `GET /api/v2/persons/search` and
 * `GET /api/v2/organizations/search` with the token in `x-api-token`, `term` of at least 2 characters
 * (1 with `exact_match`), `fields` (a comma-separated list of the values each search accepts: persons
 * `custom_fields,email,notes,phone,name`, organizations `address,custom_fields,notes,name`, the enums
 * of the OpenAPI v2; another value is answered 400 with a message of the fake's own: that status and
 * Pipedrive's wording are UNCONFIRMED), `limit` (at most 500); a substring match of the term in the stored values (a
 * term of digits is looked for in the digits of each stored phone, so `446681800` finds
 * `044 668 18 00`); items shaped as the v2 searches answer them (a person's `phones` as the stored
 * strings and its `organization` with id and name; an organization's `custom_fields` as an array of the
 * values that matched, without their keys); Pipedrive's error body (`success:false`, `error`,
 * `error_info`); 401 for an unknown or revoked token; the search API's burst limit of 10 per 2 seconds,
 * shared by both searches, with its `x-ratelimit-*` headers and a 429 "Request over limit"; and switches
 * to hang, to delay, and to answer 429 to every search.
 *
 * Organizations have no phone field of their own in Pipedrive: a company stores its number in a custom
 * field (of type `phone`, as Pipedrive's help suggests), which the organization search reads with
 * `fields=custom_fields`. That `custom_fields` holds only the values that matched (not every custom
 * field's) follows the recorded answers cited in templates/pipedrive.yaml and is UNCONFIRMED. Only the
 * custom field types Pipedrive says are searchable (`address`,
 * `varchar`, `text`, `varchar_auto`, `double`, `monetary`, `phone`) are searched.
 */

export interface FakePerson {
  readonly id: number;
  readonly name: string;
  readonly phones: readonly string[];
  readonly emails?: readonly string[];
  readonly organization?: { readonly id: number; readonly name: string };
}

/** A custom field of organizations, as `GET /v1/organizationFields` lists it (its key is a 40-character hash). */
export interface FakeOrganizationField {
  readonly key: string;
  readonly name: string;
  readonly field_type: 'phone' | 'varchar' | 'text' | 'varchar_auto' | 'address' | 'double' | 'monetary' | 'enum' | 'date';
}

export interface FakeOrganization {
  readonly id: number;
  readonly name: string;
  readonly address?: string;
  /** Custom field values by the field's key, as `GET /api/v2/organizations/{id}` would show them. */
  readonly customFields?: Readonly<Record<string, string | null>>;
  readonly notes?: readonly string[];
}

export interface SearchArrival {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** How many items the answer held (undefined: refused). */
  answered?: number;
  /** The status it was answered with. */
  status?: number;
}

export const PIPEDRIVE_SEED: readonly FakePerson[] = [
  { id: 1, name: 'Anna Muster', phones: ['044 668 18 00'], emails: ['anna@muster-treuhand.ch'], organization: { id: 7, name: 'Muster Treuhand AG' } },
  // Shares the digits 446681800 with Anna's number, but is a German number: Pipedrive's substring search finds it.
  { id: 2, name: 'Hans Suffix', phones: ['+49 446 681800'], organization: { id: 8, name: 'Suffix GmbH' } },
  { id: 3, name: 'Beat Keller', phones: ['+41 79 123 45 67', '079.123.45.67'] },
];

/** The key of the company's custom organization field "Telefon" (type phone). */
export const ORG_PHONE_FIELD = 'd4f8a6c2b0e9175f3a1c8e6d2b4f0a9c7e5d3b1f';
/** The key of a custom organization field "Website" (type varchar): searchable, but not a phone. */
export const ORG_WEBSITE_FIELD = '5b2e9c1f7a3d8e6b0c4f2a9d1e7b3c5f8a0d6e2c';
/** The key of a custom organization field "Branche" (type enum): not searchable. */
export const ORG_INDUSTRY_FIELD = '9e1c7b5a3f8d2e6c0b4a9f1d7e3c5b8a2f0d6e4c';

export const PIPEDRIVE_ORGANIZATION_FIELDS: readonly FakeOrganizationField[] = [
  { key: ORG_PHONE_FIELD, name: 'Telefon', field_type: 'phone' },
  { key: ORG_WEBSITE_FIELD, name: 'Website', field_type: 'varchar' },
  { key: ORG_INDUSTRY_FIELD, name: 'Branche', field_type: 'enum' },
];

export const PIPEDRIVE_ORGANIZATION_SEED: readonly FakeOrganization[] = [
  // Anna Muster's company: its central number, written with the "(0)" of the national prefix.
  {
    id: 7,
    name: 'Muster Treuhand AG',
    address: 'Bahnhofstrasse 1, 8001 Zürich',
    customFields: { [ORG_PHONE_FIELD]: '+41 (0)44 668 18 00', [ORG_WEBSITE_FIELD]: 'www.muster-treuhand.ch', [ORG_INDUSTRY_FIELD]: '12' },
  },
  // Shares the digits 446681800 with Muster Treuhand's number, but is a German number.
  { id: 8, name: 'Suffix GmbH', address: 'Hauptstrasse 5, 26160 Bad Zwischenahn', customFields: { [ORG_PHONE_FIELD]: '+49 4466 81800' } },
  { id: 10, name: 'Hotel Alpenblick', address: 'Kramgasse 2, 3011 Bern', customFields: { [ORG_PHONE_FIELD]: '031/311.22.33', [ORG_WEBSITE_FIELD]: 'alpenblick.ch' } },
  { id: 11, name: 'Bergbahnen Zermatt AG', customFields: { [ORG_PHONE_FIELD]: '0041 (0)27 966 01 01' } },
  // Its number only in a note: not searched with fields=custom_fields.
  { id: 12, name: 'Notiz AG', customFields: { [ORG_PHONE_FIELD]: null }, notes: ['Zentrale: 031 311 22 33'] },
];

const SEARCH_BURST = 10;
const SEARCH_WINDOW_MS = 2000;
const PERSON_FIELDS = ['custom_fields', 'email', 'notes', 'phone', 'name'];
const ORGANIZATION_FIELDS = ['address', 'custom_fields', 'notes', 'name'];
/** "Only the following custom field types are searchable" (the search endpoints' `fields` description). */
const SEARCHABLE_TYPES: ReadonlyArray<FakeOrganizationField['field_type']> = ['address', 'varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone'];

interface SearchRequest {
  readonly term: string;
  readonly exact: boolean;
  readonly limit: number;
  readonly fields: readonly string[];
}

export class FakePipedrive extends LoopbackFake {
  /** A Pipedrive API token: 40 hex characters. */
  readonly token = '659c9fddb16335e48cc67114694b52074e812e03';
  persons: FakePerson[] = [...PIPEDRIVE_SEED];
  organizations: FakeOrganization[] = [...PIPEDRIVE_ORGANIZATION_SEED];
  organizationFields: FakeOrganizationField[] = [...PIPEDRIVE_ORGANIZATION_FIELDS];
  /** Person searches. */
  readonly searches: SearchArrival[] = [];
  readonly organizationSearches: SearchArrival[] = [];
  /** Every request that arrived, search or not. */
  requestCount = 0;
  revoked = false;
  hang = false;
  delayMs = 0;
  /** Answers every search 429, as when the company's daily budget is spent. */
  overLimit = false;
  /**
   * The other reading of the UNCONFIRMED item shape: an organization item's `custom_fields` carries the
   * value of every searchable custom field it has, not only those that matched.
   */
  everyCustomFieldInItems = false;
  private readonly searchTimes: number[] = [];

  /** Starts a new burst window, as if 2 seconds had passed without a search (tests that search often). */
  resetBurst(): void {
    this.searchTimes.length = 0;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    req.resume();
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    if (this.delayMs > 0) await this.wait(this.delayMs);
    const url = new URL(req.url ?? '/', 'http://pipedrive.invalid');
    if (req.headers['x-api-token'] !== this.token || this.revoked) {
      return this.error(res, 401, 'unauthorized access');
    }
    const search = req.method !== 'GET' ? undefined : url.pathname === '/api/v2/persons/search' ? 'persons' : url.pathname === '/api/v2/organizations/search' ? 'organizations' : undefined;
    if (search === undefined) return this.error(res, 404, `Unknown method .`);
    const arrival: SearchArrival = { query: url.searchParams, headers: req.headers };
    (search === 'persons' ? this.searches : this.organizationSearches).push(arrival);
    const now = Date.now();
    while (this.searchTimes.length > 0 && this.searchTimes[0]! <= now - SEARCH_WINDOW_MS) this.searchTimes.shift();
    if (this.overLimit || this.searchTimes.length >= SEARCH_BURST) return this.refuse(res, arrival, 429, 'Request over limit', this.limitHeaders(0));
    this.searchTimes.push(now);
    const request = this.searchRequest(url.searchParams, search === 'persons' ? PERSON_FIELDS : ORGANIZATION_FIELDS);
    if (typeof request === 'string') return this.refuse(res, arrival, 400, request);
    const items = search === 'persons' ? this.personItems(request) : this.organizationItems(request);
    arrival.answered = items.length;
    arrival.status = 200;
    sendJson(res, 200, { success: true, data: { items }, additional_data: { next_cursor: null } }, 'application/json', this.limitHeaders(SEARCH_BURST - this.searchTimes.length));
  }

  /** The search's parameters, or the message of the 400 Pipedrive answers. */
  private searchRequest(query: URLSearchParams, known: readonly string[]): SearchRequest | string {
    const term = query.get('term') ?? '';
    const exact = query.get('exact_match') === 'true';
    if (term.length < (exact ? 1 : 2)) return 'Validation failed: term: Search term must be at least 2 characters long';
    const limit = Number(query.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return 'Validation failed: limit: Must be an integer between 1 and 500';
    const fields = (query.get('fields') ?? known.join(',')).split(',');
    const unknown = fields.filter((f) => !known.includes(f));
    if (unknown.length > 0) return `Validation failed: fields: must be one of ${known.join(', ')} (got ${unknown.join(', ')})`;
    return { term, exact, limit, fields };
  }

  private personItems({ term, exact, limit, fields }: SearchRequest): object[] {
    const found = this.persons.filter((p) => (fields.includes('phone') && p.phones.some((phone) => matches(phone, term, exact))) || (fields.includes('name') && matches(p.name, term, exact)));
    return found.slice(0, limit).map((p) => ({
      result_score: 0.5,
      item: {
        id: p.id,
        type: 'person',
        name: p.name,
        phones: p.phones,
        emails: p.emails ?? [],
        visible_to: 3,
        owner: { id: 1 },
        organization: p.organization ? { id: p.organization.id, name: p.organization.name, address: null } : null,
        custom_fields: [],
        notes: [],
      },
    }));
  }

  private organizationItems({ term, exact, limit, fields }: SearchRequest): object[] {
    const searchable = new Set(this.organizationFields.filter((f) => SEARCHABLE_TYPES.includes(f.field_type)).map((f) => f.key));
    const items: object[] = [];
    for (const org of this.organizations) {
      const searchableValues = Object.entries(org.customFields ?? {}).flatMap(([key, value]) => (value !== null && searchable.has(key) ? [value] : []));
      // The values of the searched custom fields that hold the term: what the answer's custom_fields carries.
      const customMatches = fields.includes('custom_fields') ? searchableValues.filter((value) => matches(value, term, exact)) : [];
      const noteMatches = fields.includes('notes') ? (org.notes ?? []).filter((note) => matches(note, term, exact)) : [];
      const found =
        customMatches.length > 0 ||
        noteMatches.length > 0 ||
        (fields.includes('name') && matches(org.name, term, exact)) ||
        (fields.includes('address') && org.address !== undefined && matches(org.address, term, exact));
      if (!found) continue;
      items.push({
        result_score: 0.316,
        item: {
          id: org.id,
          type: 'organization',
          name: org.name,
          address: org.address ?? null,
          visible_to: 3,
          owner: { id: 1 },
          custom_fields: this.everyCustomFieldInItems ? searchableValues : customMatches,
          notes: noteMatches,
        },
      });
    }
    return items.slice(0, limit);
  }

  private limitHeaders(remaining: number): Record<string, string> {
    return { 'x-ratelimit-limit': String(SEARCH_BURST), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': '2' };
  }

  private refuse(res: ServerResponse, arrival: SearchArrival, status: number, error: string, headers: Record<string, string> = {}): void {
    arrival.status = status;
    this.error(res, status, error, headers);
  }

  private error(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { success: false, error, errorCode: status, error_info: 'Please check developers.pipedrive.com', data: null, additional_data: null }, 'application/json', headers);
  }
}

/** Pipedrive's match of a term in a stored value: a term of digits in the value's digits, else a case-insensitive substring. */
function matches(stored: string, term: string, exact: boolean): boolean {
  const digitsOnly = /^[\d\s+().\-/]+$/.test(term) && /\d/.test(term);
  const [value, wanted] = digitsOnly ? [stored.replace(/\D/g, ''), term.replace(/\D/g, '')] : [stored.toLowerCase(), term.toLowerCase()];
  return exact ? value === wanted : value.includes(wanted);
}
