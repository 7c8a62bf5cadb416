import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, sendJson } from '../loopback-fake';

/**
 * A Pipedrive company on a loopback port that speaks API v2's person search as
 * docs/reference/template-apis.md §1 describes it: `GET /api/v2/persons/search` with the token in
 * `x-api-token`, `term` of at least 2 characters (1 with `exact_match`), `fields`, `limit` (at most
 * 500); a substring match of the term in the stored values (a term of digits is looked for in the
 * digits of each stored phone, so `446681800` finds `044 668 18 00`); items shaped as the v2 search
 * answers them (`phones` as the stored strings, `organization` with its name); Pipedrive's error body
 * (`success:false`, `error`, `error_info`); 401 for an unknown or revoked token; the search API's burst
 * limit of 10 per 2 seconds with its `x-ratelimit-*` headers and a 429 "Request over limit"; and
 * switches to hang, to delay, and to answer 429 to every search.
 */

export interface FakePerson {
  readonly id: number;
  readonly name: string;
  readonly phones: readonly string[];
  readonly emails?: readonly string[];
  readonly organization?: { readonly id: number; readonly name: string };
}

export interface SearchArrival {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** How many items the answer held (undefined: refused). */
  answered?: number;
}

export const PIPEDRIVE_SEED: readonly FakePerson[] = [
  { id: 1, name: 'Anna Muster', phones: ['044 668 18 00'], emails: ['anna@muster-treuhand.ch'], organization: { id: 7, name: 'Muster Treuhand AG' } },
  // Shares the digits 446681800 with Anna's number, but is a German number: Pipedrive's substring search finds it.
  { id: 2, name: 'Hans Suffix', phones: ['+49 446 681800'], organization: { id: 8, name: 'Suffix GmbH' } },
  { id: 3, name: 'Beat Keller', phones: ['+41 79 123 45 67', '079.123.45.67'] },
];

const SEARCH_BURST = 10;
const SEARCH_WINDOW_MS = 2000;

export class FakePipedrive extends LoopbackFake {
  /** A Pipedrive API token: 40 hex characters. */
  readonly token = '659c9fddb16335e48cc67114694b52074e812e03';
  persons: FakePerson[] = [...PIPEDRIVE_SEED];
  readonly searches: SearchArrival[] = [];
  /** Every request that arrived, search or not. */
  requestCount = 0;
  revoked = false;
  hang = false;
  delayMs = 0;
  /** Answers every search 429, as when the company's daily budget is spent. */
  overLimit = false;
  private readonly searchTimes: number[] = [];

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    req.resume();
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    if (this.delayMs > 0) await this.wait(this.delayMs);
    const url = new URL(req.url ?? '/', 'http://pipedrive.invalid');
    if (req.headers['x-api-token'] !== this.token || this.revoked) {
      return this.error(res, 401, 'unauthorized access');
    }
    if (req.method !== 'GET' || url.pathname !== '/api/v2/persons/search') return this.error(res, 404, `Unknown method .`);
    const arrival: SearchArrival = { query: url.searchParams, headers: req.headers };
    this.searches.push(arrival);
    const now = Date.now();
    while (this.searchTimes.length > 0 && this.searchTimes[0]! <= now - SEARCH_WINDOW_MS) this.searchTimes.shift();
    if (this.overLimit || this.searchTimes.length >= SEARCH_BURST) return this.error(res, 429, 'Request over limit', this.limitHeaders(0));
    this.searchTimes.push(now);
    const term = url.searchParams.get('term') ?? '';
    const exact = url.searchParams.get('exact_match') === 'true';
    if (term.length < (exact ? 1 : 2)) return this.error(res, 400, 'Validation failed: term: Search term must be at least 2 characters long');
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return this.error(res, 400, 'Validation failed: limit: Must be an integer between 1 and 500');
    const fields = (url.searchParams.get('fields') ?? 'custom_fields,email,notes,phone,name').split(',');
    const found = this.persons.filter((p) => (fields.includes('phone') && p.phones.some((phone) => matches(phone, term, exact))) || (fields.includes('name') && matches(p.name, term, exact)));
    const items = found.slice(0, limit).map((p) => ({
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
    arrival.answered = items.length;
    sendJson(res, 200, { success: true, data: { items }, additional_data: { next_cursor: null } }, 'application/json', this.limitHeaders(SEARCH_BURST - this.searchTimes.length));
  }

  private limitHeaders(remaining: number): Record<string, string> {
    return { 'x-ratelimit-limit': String(SEARCH_BURST), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': '2' };
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
