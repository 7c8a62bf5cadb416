import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, sendJson } from '../loopback-fake';

/**
 * multisource's Call Lookup on a loopback port, as docs/reference/template-apis.md §7 describes it:
 * `GET /v2/search/calllookup?number=…&outputFormat=1|2` with `Auth-Key`, `number` in local form
 * (`0446681800`) or E.164 (`+41446681800`, percent-encoded; a raw `+` reads as a space and finds nothing),
 * answered `{hitCount, resultCount, data[]}` with the numbers local (outputFormat 1, the default) or
 * E.164 (2). A person has `companyname` null. Once the plan's monthly matches are used, a match is
 * answered without its content (hitCount kept, data empty), as the terms say. A wrong key is 401 (the
 * body is UNCONFIRMED). Switches: hang, the matches left, an entry of another number added to every answer.
 */

export interface CallLookupEntry {
  readonly dwhId: string;
  readonly companyname: string | null;
  readonly firstname: string | null;
  readonly name: string | null;
  readonly street: string;
  readonly houseNumber: string;
  readonly zip: string;
  readonly location: string;
  /** E.164. */
  readonly phoneNumbers: readonly string[];
  readonly mobileNumbers: readonly string[];
}

export const CALL_LOOKUP_SEED: readonly CallLookupEntry[] = [
  { dwhId: 'ABC123456789', companyname: 'Muster Treuhand AG', firstname: null, name: null, street: 'Musterweg', houseNumber: '3', zip: '8005', location: 'Zürich', phoneNumbers: ['+41446681800'], mobileNumbers: [] },
  { dwhId: 'DEF987654321', companyname: null, firstname: 'Lea', name: 'Brunner', street: 'Aarbergergasse', houseNumber: '1', zip: '3011', location: 'Bern', phoneNumbers: ['+41313334455'], mobileNumbers: ['+41789072228'] },
];

export interface CallLookupArrival {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  status?: number;
}

export class FakeMultisource extends LoopbackFake {
  readonly apiKey = 'ms-live-7f3c9a1e5b2d4f60';
  entries: CallLookupEntry[] = [...CALL_LOOKUP_SEED];
  readonly arrivals: CallLookupArrival[] = [];
  requestCount = 0;
  hang = false;
  matchesLeft = 500;
  alsoAnswer: CallLookupEntry | undefined;

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    req.resume();
    if (this.hang) return;
    const url = new URL(req.url ?? '/', 'http://multisource.invalid');
    const arrival: CallLookupArrival = { query: url.searchParams, headers: req.headers };
    this.arrivals.push(arrival);
    const answer = (status: number, body: unknown): void => {
      arrival.status = status;
      sendJson(res, status, body);
    };
    if (req.method !== 'GET' || url.pathname !== '/v2/search/calllookup') return answer(404, { message: 'Not Found' });
    if (req.headers['auth-key'] !== this.apiKey) return answer(401, { message: 'Invalid Auth-Key' });
    const number = url.searchParams.get('number') ?? '';
    const format = url.searchParams.get('outputFormat') ?? '1';
    if (!/^(\+\d{6,15}|0\d{6,12})$/.test(number)) return answer(400, { message: `Invalid number: ${number}` });
    if (format !== '1' && format !== '2') return answer(400, { message: 'outputFormat must be 1 or 2' });
    const asked = local(number);
    const found = this.entries.filter((e) => [...e.phoneNumbers, ...e.mobileNumbers].some((n) => local(n) === asked));
    const matched = [...found, ...(found.length > 0 && this.alsoAnswer ? [this.alsoAnswer] : [])];
    if (matched.length > 0 && this.matchesLeft <= 0) return answer(200, { hitCount: matched.length, resultCount: 0, data: [] });
    if (matched.length > 0) this.matchesLeft--;
    const shown = (n: string): string => (format === '2' ? n : local(n));
    answer(200, {
      hitCount: matched.length,
      resultCount: matched.length,
      data: matched.map((e) => ({ ...e, category: { '1': 'Treuhand' }, email: null, url: null, phoneNumbers: e.phoneNumbers.map(shown), mobileNumbers: e.mobileNumbers.map(shown) })),
    });
  }
}

/** A Swiss number in local form (`0446681800`), from E.164 or local. */
function local(number: string): string {
  return number.startsWith('+41') ? `0${number.slice(3)}` : number;
}
