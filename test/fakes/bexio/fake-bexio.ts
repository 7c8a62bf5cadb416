import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson } from '../loopback-fake';

/**
 * A bexio company on a loopback port that speaks API 2.0's contact search as
 * docs/reference/template-apis.md §4 describes it: `POST /2.0/contact/search` with
 * `Authorization: Bearer <token>`, a JSON ARRAY of `{field, value, criteria}` as the body, every
 * criterion ANDed (no OR), `like` (the default) as a case-insensitive substring of the stored string as
 * typed (spaces included: `446681800` is not in `044 668 18 00`), `limit` (default 500, at most 2000) and
 * `offset` in the query, a bare array of contacts as the answer (empty phones `null` or `""`), bexio's
 * error body `{"error_code":…,"message":…}` (401 "Invalid token." as recorded; the other messages are
 * illustrative), 400 for a body that is not an array of criteria, 422 for a field that cannot be
 * searched or a criteria it does not know, the `ratelimit-*` headers on every answer and a 429 with them;
 * and switches to hang, to delay, and to answer 429 to every search.
 */

export interface FakeContact {
  readonly id: number;
  readonly nr?: string;
  /** 1 company, 2 person. */
  readonly contact_type_id: 1 | 2;
  readonly name_1: string;
  readonly name_2?: string | null;
  readonly phone_fixed?: string | null;
  readonly phone_fixed_second?: string | null;
  readonly phone_mobile?: string | null;
  readonly mail?: string | null;
  readonly updated_at?: string;
}

export interface SearchArrival {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The body as it arrived (text). */
  readonly body: string;
  /** The parsed criteria, when they were an array. */
  criteria?: ReadonlyArray<Record<string, unknown>>;
  /** Status answered. */
  status?: number;
  /** How many contacts the answer held (undefined: refused). */
  answered?: number;
}

/** The fields a search may name (reference §4.2; phone_fixed_second is not among them). */
export const SEARCHABLE_FIELDS = [
  'id',
  'name_1',
  'name_2',
  'nr',
  'address',
  'mail',
  'mail_second',
  'postcode',
  'city',
  'country_id',
  'contact_group_ids',
  'contact_type_id',
  'updated_at',
  'user_id',
  'phone_fixed',
  'phone_mobile',
] as const;

const CRITERIA = ['=', 'equal', '!=', 'not_equal', '>', '<', '>=', '<=', 'like', 'not_like', 'is_null', 'not_null', 'in', 'not_in'];

export const BEXIO_SEED: readonly FakeContact[] = [
  { id: 1, nr: '000001', contact_type_id: 2, name_1: 'Muster', name_2: 'Anna', phone_fixed: '044 668 18 00', phone_mobile: null, mail: 'anna@muster.ch', updated_at: '2026-06-18 14:54:59' },
  { id: 2, nr: '000002', contact_type_id: 2, name_1: 'Keller', name_2: 'Beat', phone_fixed: '', phone_mobile: '+41 44 668 18 00', updated_at: '2026-05-01 08:00:00' },
  { id: 3, nr: '000003', contact_type_id: 2, name_1: 'Frei', name_2: 'Carla', phone_fixed: '0041446681800', phone_mobile: null },
  { id: 4, nr: '000004', contact_type_id: 2, name_1: 'Graf', name_2: 'Dario', phone_fixed: null, phone_mobile: '+41446681800' },
  // Ends in 446681800 like the others, but is a French number: bexio's `like` finds it, the core drops it.
  { id: 5, nr: '000005', contact_type_id: 2, name_1: 'Suffix', name_2: 'Hans', phone_fixed: '0033446681800', phone_mobile: '' },
  // A company and a person on one number (+41 31 111 22 33): the company is newer and sorts first by name.
  { id: 6, nr: '000006', contact_type_id: 1, name_1: 'Aare Treuhand AG', name_2: '', phone_fixed: '+41 31 111 22 33', phone_mobile: null, updated_at: '2026-11-30 10:00:00' },
  { id: 7, nr: '000007', contact_type_id: 2, name_1: 'Zaugg', name_2: 'Zoe', phone_fixed: null, phone_mobile: '+41311112233', updated_at: '2020-01-01 10:00:00' },
];

/** The search fixture's per-minute limit (reference §4.3). */
const LIMIT_PER_MINUTE = 250;

export class FakeBexio extends LoopbackFake {
  /** A bexio personal access token (a JWT in reality; any opaque string here). */
  readonly token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmYWtlLWJleGlvIn0.c2lnbmF0dXJlLW9mLXRoZS1mYWtl';
  contacts: FakeContact[] = [...BEXIO_SEED];
  readonly searches: SearchArrival[] = [];
  /** Every request that arrived, search or not. */
  requestCount = 0;
  revoked = false;
  hang = false;
  delayMs = 0;
  /** Answers every search 429, as when the minute's requests are spent. */
  overLimit = false;
  /** The seconds `ratelimit-reset` names on a 429. */
  resetSeconds = 30;
  private minuteStart = Date.now();
  private usedThisMinute = 0;

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    const text = await readBody(req);
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    if (this.delayMs > 0) await this.wait(this.delayMs);
    const url = new URL(req.url ?? '/', 'http://bexio.invalid');
    if (req.headers.authorization !== `Bearer ${this.token}` || this.revoked) return this.error(res, 401, 'Invalid token.');
    if (req.method !== 'POST' || url.pathname !== '/2.0/contact/search') return this.error(res, 404, 'Not found');
    const arrival: SearchArrival = { query: url.searchParams, headers: req.headers, body: text };
    this.searches.push(arrival);
    const now = Date.now();
    if (now - this.minuteStart >= 60_000) {
      this.minuteStart = now;
      this.usedThisMinute = 0;
    }
    if (this.overLimit || this.usedThisMinute >= LIMIT_PER_MINUTE) return this.refuse(arrival, res, 429, 'Too many requests', this.limitHeaders(0, this.resetSeconds));
    this.usedThisMinute++;
    const headers = this.limitHeaders(LIMIT_PER_MINUTE - this.usedThisMinute, Math.ceil((this.minuteStart + 60_000 - now) / 1000));
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return this.refuse(arrival, res, 415, 'Unsupported media type', headers);
    const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 500;
    const offset = url.searchParams.has('offset') ? Number(url.searchParams.get('offset')) : 0;
    if (!Number.isInteger(limit) || limit < 0 || limit > 2000) return this.refuse(arrival, res, 422, 'limit: must be an integer between 0 and 2000', headers);
    if (!Number.isInteger(offset) || offset < 0) return this.refuse(arrival, res, 422, 'offset: must be a positive integer', headers);
    let criteria: unknown;
    try {
      criteria = JSON.parse(text);
    } catch {
      return this.refuse(arrival, res, 400, 'Malformed JSON body', headers);
    }
    if (!Array.isArray(criteria) || criteria.some((c) => typeof c !== 'object' || c === null || Array.isArray(c))) {
      return this.refuse(arrival, res, 400, 'The body must be an array of search criteria', headers);
    }
    const parsed = criteria as Array<Record<string, unknown>>;
    arrival.criteria = parsed;
    for (const criterion of parsed) {
      const field = criterion.field;
      const how = criterion.criteria ?? 'like';
      if (typeof field !== 'string' || !(SEARCHABLE_FIELDS as readonly string[]).includes(field)) {
        return this.refuse(arrival, res, 422, `field: ${JSON.stringify(field)} is not a searchable field`, headers);
      }
      if (typeof how !== 'string' || !CRITERIA.includes(how)) return this.refuse(arrival, res, 422, `criteria: ${JSON.stringify(how)} is not supported`, headers);
      if (!['is_null', 'not_null'].includes(how) && (typeof criterion.value !== 'string' && typeof criterion.value !== 'number')) {
        return this.refuse(arrival, res, 422, 'value: must be a string or a number', headers);
      }
    }
    // Every criterion must hold (AND); bexio has no OR.
    const found = this.contacts.filter((contact) => parsed.every((c) => holds(contact, c)));
    const page = found.slice(offset, offset + limit).map(answerOf);
    arrival.status = 200;
    arrival.answered = page.length;
    sendJson(res, 200, page, 'application/json', headers);
  }

  private limitHeaders(remaining: number, resetSeconds: number): Record<string, string> {
    return {
      'ratelimit-limit': String(LIMIT_PER_MINUTE),
      'ratelimit-remaining': String(Math.max(0, remaining)),
      'ratelimit-reset': String(resetSeconds),
      'x-ratelimit-limit-minute': String(LIMIT_PER_MINUTE),
      'x-ratelimit-remaining-minute': String(Math.max(0, remaining)),
    };
  }

  private refuse(arrival: SearchArrival, res: ServerResponse, status: number, message: string, headers: Record<string, string>): void {
    arrival.status = status;
    this.error(res, status, message, headers);
  }

  private error(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { error_code: status, message }, 'application/json', headers);
  }
}

/** A contact as the API answers it: every field present, empty ones `null` (or `""` as stored). */
function answerOf(contact: FakeContact): Record<string, unknown> {
  return {
    id: contact.id,
    nr: contact.nr ?? null,
    contact_type_id: contact.contact_type_id,
    name_1: contact.name_1,
    name_2: contact.name_2 ?? null,
    address: null,
    postcode: null,
    city: null,
    country_id: 1,
    mail: contact.mail ?? null,
    mail_second: null,
    phone_fixed: contact.phone_fixed ?? null,
    phone_fixed_second: contact.phone_fixed_second ?? null,
    phone_mobile: contact.phone_mobile ?? null,
    fax: '',
    contact_group_ids: null,
    user_id: 1,
    owner_id: 1,
    updated_at: contact.updated_at ?? '2026-01-01 00:00:00',
  };
}

/** One criterion on one contact: `like` a case-insensitive substring of the stored string as typed. */
function holds(contact: FakeContact, criterion: Record<string, unknown>): boolean {
  const stored = answerOf(contact)[criterion.field as string];
  const how = (criterion.criteria as string | undefined) ?? 'like';
  if (how === 'is_null') return stored === null || stored === '';
  if (how === 'not_null') return stored !== null && stored !== '';
  if (typeof stored !== 'string' && typeof stored !== 'number') return false;
  const value = typeof criterion.value === 'string' || typeof criterion.value === 'number' ? String(criterion.value).toLowerCase() : '';
  const text = String(stored).toLowerCase();
  switch (how) {
    case 'like':
      return text.includes(value);
    case 'not_like':
      return !text.includes(value);
    case '=':
    case 'equal':
      return text === value;
    case '!=':
    case 'not_equal':
      return text !== value;
    default:
      return false; // comparisons and lists: not needed by the gateway's searches
  }
}
