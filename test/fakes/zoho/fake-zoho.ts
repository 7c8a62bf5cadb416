import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody, sendJson } from '../loopback-fake';

/**
 * A Zoho CRM org (API v8) and its Zoho Accounts token endpoint on one loopback port, speaking the wire
 * protocol of docs/reference/template-apis.md §2:
 *
 * - `POST /oauth/v2/token`: the refresh-token grant (form-encoded `grant_type=refresh_token`,
 *   `client_id`, `client_secret`, `refresh_token`); `{"access_token":"1000.…","api_domain":…,
 *   "token_type":"Bearer","expires_in":3600}`, no new refresh token. A refusal is answered **200** with
 *   `{"error":"invalid_client"}` or `{"error":"invalid_code"}`, as Zoho is widely reported to do (the
 *   status of a failed refresh is UNCONFIRMED; 200 is the harder case for a client). `expireTokens()`
 *   ends every access token handed out, as an hour passing would.
 * - `GET /crm/v8/{Contacts|Leads|Accounts}/search?phone=…&fields=…&per_page=…`: only with
 *   `Authorization: Zoho-oauthtoken <token>` (anything else: 401 `AUTHENTICATION_FAILURE`; an expired
 *   token: 401 `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`).
 *   Exactly one of criteria/email/phone/word is taken; this fake knows only `phone` (400
 *   `EXPECTED_PARAM_MISSING` without it, 400 `NOT_SUPPORTED` for the others).
 * - Matching. Zoho says "all the phone fields of a particular module will be searched"; HOW it compares
 *   is UNCONFIRMED. THE FAKE'S ASSUMPTION (the conservative one): the value is a substring of the stored
 *   value as typed, case-insensitively, with no digit normalisation (so `446681800` is not found in
 *   `044 668 18 00`). A value of fewer than 2 characters, or with a character other than digits, spaces,
 *   `-`, `(`, `)` and `.` (a `+` among them), is refused 400 `INVALID_DATA` ("The search value contains
 *   special characters or does not contain at least two characters"): whether Zoho refuses a `+` or a
 *   space is UNCONFIRMED, and the template sends neither `+` nor anything but digits and spaces.
 * - Answers `{"data":[…],"info":{"per_page","count","page","more_records"}}` with the fields asked for
 *   (and `id`), at most `per_page` (default and maximum 200); **204 with no body when nothing matches**.
 * - `throttled` answers 429 `{"code":"TOO_MANY_REQUESTS",…}` (429 and any Retry-After are UNCONFIRMED:
 *   none is sent); `hang` never answers.
 */

export type ZohoModule = 'Contacts' | 'Leads' | 'Accounts';

export type ZohoRecord = Readonly<Record<string, unknown>> & { readonly id: string };

export interface ZohoArrival {
  readonly module: string;
  /** The path and query as they arrived, still percent-encoded. */
  readonly rawUrl: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  status?: number;
  /** Records answered. */
  answered?: number;
}

export const ZOHO_CLIENT_ID = '1000.7Q2ZKXHV0B4L9TMM1RJWC3YEA8NF5D';
export const ZOHO_CLIENT_SECRET = '3f1c9e0a7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a';
export const ZOHO_REFRESH_TOKEN = '1000.5b0c1d2e3f405162738495a6b7c8d9e0.f1e2d3c4b5a697887766554433221100';

/** The phone fields Zoho searches per module (reference §2.3; Accounts' Fax is not a phone to call back but is searched). */
export const PHONE_FIELDS: Record<ZohoModule, readonly string[]> = {
  Contacts: ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone'],
  Leads: ['Phone', 'Mobile'],
  Accounts: ['Phone', 'Fax'],
};

const MUSTER_TREUHAND = '554023000000111001';

/** One number (+41 44 668 18 00) stored in every usual written form, and one that merely holds its digits. */
export const ZOHO_RECORDS: Record<ZohoModule, readonly ZohoRecord[]> = {
  Contacts: [
    {
      id: '554023000003701012',
      Full_Name: 'Anna Muster',
      First_Name: 'Anna',
      Last_Name: 'Muster',
      Phone: '044 668 18 00',
      Mobile: null,
      Email: 'anna@muster-treuhand.ch',
      Account_Name: { name: 'Muster Treuhand AG', id: MUSTER_TREUHAND },
      Modified_Time: '2024-02-19T18:30:23+01:00',
    },
    { id: '554023000003701013', Full_Name: 'Bruno Beispiel', First_Name: 'Bruno', Last_Name: 'Beispiel', Phone: '+41 79 123 45 67', Mobile: '+41 44 668 18 00', Account_Name: null, Modified_Time: '2024-01-01T08:00:00+01:00' },
    { id: '554023000003701014', Full_Name: 'Carla Nullnull', First_Name: 'Carla', Last_Name: 'Nullnull', Home_Phone: '0041446681800', Account_Name: null, Modified_Time: '2023-12-24T10:00:00+01:00' },
    { id: '554023000003701015', Full_Name: 'Eva Eingabe', First_Name: 'Eva', Last_Name: 'Eingabe', Other_Phone: '0446681800', Account_Name: null, Modified_Time: '2023-11-11T11:00:00+01:00' },
    // A German number that holds the same digits: Zoho's substring finds it, the core's verification drops it.
    { id: '554023000003701016', Full_Name: 'Dora Deutsch', First_Name: 'Dora', Last_Name: 'Deutsch', Phone: '+49446681800', Account_Name: null, Modified_Time: '2023-10-10T10:00:00+02:00' },
  ],
  Leads: [{ id: '554023000004000001', Full_Name: 'Lea Lead', First_Name: 'Lea', Last_Name: 'Lead', Company: 'Lead GmbH', Phone: '+41446681800', Mobile: null, Modified_Time: '2024-03-01T09:00:00+01:00' }],
  Accounts: [
    { id: MUSTER_TREUHAND, Account_Name: 'Muster Treuhand AG', Phone: '41446681800', Fax: null, Modified_Time: '2024-03-03T12:00:00+01:00' },
    { id: '554023000000111002', Account_Name: 'Other AG', Phone: '+41 61 000 00 00', Modified_Time: '2024-03-03T12:00:00+01:00' },
  ],
};

interface IssuedToken {
  expiresAt: number;
}

export class FakeZoho extends LoopbackFake {
  readonly clientId = ZOHO_CLIENT_ID;
  readonly clientSecret = ZOHO_CLIENT_SECRET;
  readonly refreshToken = ZOHO_REFRESH_TOKEN;
  records: Record<ZohoModule, ZohoRecord[]> = { Contacts: [...ZOHO_RECORDS.Contacts], Leads: [...ZOHO_RECORDS.Leads], Accounts: [...ZOHO_RECORDS.Accounts] };
  readonly arrivals: ZohoArrival[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  /** Every request that arrived, token or data. */
  requestCount = 0;
  tokenLifetimeS = 3600;
  hang = false;
  /** Answers every search 429 TOO_MANY_REQUESTS (the org's API credits or concurrency spent). */
  throttled = false;
  private readonly tokens = new Map<string, IssuedToken>();
  private issued = 0;

  get tokenUrl(): string {
    return `${this.url}/oauth/v2/token`;
  }

  /** Ends every access token handed out so far: the next search with one is answered 401 INVALID_TOKEN. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    const url = new URL(req.url ?? '/', 'http://zoho.invalid');
    if (req.method === 'POST' && url.pathname === '/oauth/v2/token') return this.token(req, res, url);
    req.resume();
    if (this.hang) return; // the connection stays open until the client gives up (or the fake stops)
    const module = /^\/crm\/v8\/([A-Za-z_]+)\/search$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || module === undefined || !(module in PHONE_FIELDS)) {
      return this.error(res, 404, 'INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one');
    }
    const arrival: ZohoArrival = { module, rawUrl: req.url ?? '', query: url.searchParams, headers: req.headers };
    this.arrivals.push(arrival);
    const answer = (status: number, code: string, message: string, details: Record<string, unknown> = {}): void => {
      arrival.status = status;
      this.error(res, status, code, message, details);
    };
    const presented = /^Zoho-oauthtoken (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined) return answer(401, 'AUTHENTICATION_FAILURE', 'Authentication failed');
    const token = this.tokens.get(presented);
    if (!token || token.expiresAt <= Date.now()) return answer(401, 'INVALID_TOKEN', 'invalid oauth token');
    if (this.throttled) return answer(429, 'TOO_MANY_REQUESTS', 'You have reached the API limit for the day', {});
    for (const other of ['criteria', 'email', 'word']) {
      if (url.searchParams.has(other)) return answer(400, 'NOT_SUPPORTED', `this fake searches by phone only, not by ${other}`);
    }
    const phone = url.searchParams.get('phone');
    if (phone === null) return answer(400, 'EXPECTED_PARAM_MISSING', 'One of the expected parameter is missing', { expected_params: ['criteria', 'email', 'phone', 'word'] });
    if (phone.trim().length < 2 || !/^[0-9 ().-]+$/.test(phone)) {
      return answer(400, 'INVALID_DATA', 'The search value contains special characters or does not contain at least two characters', { api_name: 'phone' });
    }
    const perPage = Math.min(200, Math.max(1, Number(url.searchParams.get('per_page') ?? '200') || 200));
    const fields = url.searchParams.get('fields')?.split(',');
    const needle = phone.toLowerCase();
    const found = this.records[module as ZohoModule].filter((record) =>
      PHONE_FIELDS[module as ZohoModule].some((field) => typeof record[field] === 'string' && record[field].toLowerCase().includes(needle)),
    );
    arrival.status = found.length === 0 ? 204 : 200;
    arrival.answered = Math.min(found.length, perPage);
    if (found.length === 0) {
      res.writeHead(204).end();
      return;
    }
    const data = found.slice(0, perPage).map((record) => (fields ? Object.fromEntries([['id', record.id], ...fields.map((f) => [f, record[f] ?? null])]) : { ...record }));
    sendJson(res, 200, { data, info: { per_page: perPage, count: data.length, page: 1, more_records: found.length > perPage } });
  }

  private async token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    for (const [name, value] of url.searchParams) if (!form.has(name)) form.set(name, value); // Zoho also takes them in the query
    this.tokenRequests.push(form);
    if (form.get('grant_type') !== 'refresh_token') return sendJson(res, 200, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return sendJson(res, 200, { error: 'invalid_client' });
    if (form.get('refresh_token') !== this.refreshToken) return sendJson(res, 200, { error: 'invalid_code' });
    this.issued++;
    const accessToken = `1000.${this.issued.toString(16).padStart(8, '0')}c0ffee0123456789abcdef.0123456789abcdef`;
    this.tokens.set(accessToken, { expiresAt: Date.now() + this.tokenLifetimeS * 1000 });
    sendJson(res, 200, { access_token: accessToken, api_domain: this.url, token_type: 'Bearer', expires_in: this.tokenLifetimeS });
  }

  private error(res: ServerResponse, status: number, code: string, message: string, details: Record<string, unknown> = {}): void {
    sendJson(res, status, { code, details, message, status: 'error' });
  }
}
