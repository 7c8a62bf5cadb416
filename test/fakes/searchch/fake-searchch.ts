import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake } from '../loopback-fake';

/**
 * search.ch's tel API on a loopback port, as docs/reference/template-apis.md §6 describes it:
 * `GET /tel/api/?was=…&key=…[&maxnum=…]`, answered as an Atom feed (`application/atom+xml`) with the
 * `openSearch:` counts and, for a valid key, each entry's `tel:` fields (`tel:phone` in E.164,
 * `tel:extra type="mobile|fax|email|website"`); without a key only the Atom title, content and links.
 * `was` is free text: a phone number in any Swiss written form (digits, spaces, `+41`, `0041`, `0…`) is
 * matched against the directory's numbers by their digits, anything else against the names
 * (case-insensitive substring). At most 20 entries per request (the terms), `maxnum` 1–200. An
 * invalid key answers 403 and a used monthly quota 429 ("Quota exceeded"), each with the reason in the
 * feed's `tel:errorMessage` (as MikoPBX's module reads it; the exact codes are UNCONFIRMED). Switches:
 * hang, delay, a monthly quota, an entry of another number added to every answer (a directory that
 * answers more than the number), and a DOCTYPE with an entity in the answer.
 */

export interface DirectoryEntry {
  readonly id: string;
  readonly type: 'Person' | 'Organisation';
  readonly name: string;
  readonly firstname?: string;
  readonly occupation?: string;
  readonly street?: string;
  readonly streetno?: string;
  readonly zip?: string;
  readonly city?: string;
  readonly canton?: string;
  /** E.164, as search.ch writes it. */
  readonly phone: string;
  readonly extra?: ReadonlyArray<{ readonly type: 'mobile' | 'fax' | 'email' | 'website'; readonly value: string }>;
  readonly updated?: string;
}

export interface DirectoryArrival {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  status?: number;
  answered?: number;
}

export const DIRECTORY_SEED: readonly DirectoryEntry[] = [
  {
    id: 'b15768ab56be5411',
    type: 'Organisation',
    name: 'Muster Treuhand AG',
    occupation: 'Treuhand & Buchhaltung',
    street: 'Musterweg',
    streetno: '3',
    zip: '8005',
    city: 'Zürich',
    canton: 'ZH',
    phone: '+41446681800',
    extra: [
      { type: 'fax', value: '+41446681801' },
      { type: 'website', value: 'https://muster-treuhand.example' },
    ],
    updated: '2026-07-30T00:00:00+02:00',
  },
  {
    id: '7c1e22d0a9f3b6e4',
    type: 'Person',
    name: 'Muster',
    firstname: 'Hans',
    street: 'Seestrasse',
    streetno: '12',
    zip: '8712',
    city: 'Stäfa',
    canton: 'ZH',
    phone: '+41446543210',
    extra: [{ type: 'mobile', value: '+41791234567' }],
  },
  // Found by its mobile (tel:extra), its tel:phone being the landline.
  { id: '0d9e8f7a6b5c4d3e', type: 'Person', name: 'Brunner', firstname: 'Lea', zip: '3011', city: 'Bern', phone: '+41313334455', extra: [{ type: 'mobile', value: '+41789072228' }] },
];

/** Requests a key may make per month (terms §3.4). */
const MONTHLY_QUOTA = 1000;
const MOST_PER_REQUEST = 20;

export class FakeSearchCh extends LoopbackFake {
  readonly key = '8e8a84fd0f10d3b44920e49bc3b06a37';
  entries: DirectoryEntry[] = [...DIRECTORY_SEED];
  readonly arrivals: DirectoryArrival[] = [];
  requestCount = 0;
  hang = false;
  delayMs = 0;
  /** Requests left this month for the key; at 0 every request is answered 429. */
  quotaLeft = MONTHLY_QUOTA;
  /** Added to every keyed answer, whatever was asked. */
  alsoAnswer: DirectoryEntry | undefined;
  /** Answers with a DOCTYPE declaring an entity (the start of an entity-expansion attack). */
  withDoctype = false;

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount++;
    req.resume();
    if (this.hang) return;
    if (this.delayMs > 0) await this.wait(this.delayMs);
    const url = new URL(req.url ?? '/', 'http://search.invalid');
    const arrival: DirectoryArrival = { query: url.searchParams, headers: req.headers };
    this.arrivals.push(arrival);
    if (req.method !== 'GET' || url.pathname !== '/tel/api/') return this.refuse(arrival, res, 404, 'Not found');
    const key = url.searchParams.get('key');
    if (key !== null && key !== this.key) return this.refuse(arrival, res, 403, 'Invalid key');
    if (key !== null && this.quotaLeft <= 0) return this.refuse(arrival, res, 429, 'Quota exceeded');
    if (key !== null) this.quotaLeft--;
    const was = url.searchParams.get('was') ?? '';
    const maxnum = url.searchParams.has('maxnum') ? Number(url.searchParams.get('maxnum')) : 10;
    if (was.trim() === '') return this.refuse(arrival, res, 400, 'Parameter was is missing');
    if (!Number.isInteger(maxnum) || maxnum < 1 || maxnum > 200) return this.refuse(arrival, res, 400, 'Parameter maxnum is invalid');
    const found = this.entries.filter((entry) => matches(entry, was));
    const answered = [...found, ...(key !== null && this.alsoAnswer ? [this.alsoAnswer] : [])].slice(0, Math.min(maxnum, key === null ? maxnum : MOST_PER_REQUEST));
    arrival.status = 200;
    arrival.answered = answered.length;
    this.send(res, 200, feed(was, found.length, answered, key !== null, this.withDoctype));
  }

  private refuse(arrival: DirectoryArrival, res: ServerResponse, status: number, message: string): void {
    arrival.status = status;
    this.send(res, status, errorFeed(message));
  }

  private send(res: ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'Content-Type': 'application/atom+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}

/** The digits of a Swiss number in its national form (0446681800), from any written form; undefined for text. */
export function nationalDigits(text: string): string | undefined {
  if (!/^[+\d\s()./-]+$/.test(text.trim())) return undefined;
  const digits = text.replace(/\D/g, '');
  if (digits.startsWith('0041')) return `0${digits.slice(4)}`;
  if (digits.startsWith('41') && digits.length === 11) return `0${digits.slice(2)}`;
  return digits.startsWith('0') ? digits : undefined;
}

function matches(entry: DirectoryEntry, was: string): boolean {
  const asked = nationalDigits(was);
  if (asked !== undefined) {
    const numbers = [entry.phone, ...(entry.extra ?? []).filter((e) => e.type === 'mobile' || e.type === 'fax').map((e) => e.value)];
    return numbers.some((n) => nationalDigits(n) === asked);
  }
  const words = `${entry.firstname ?? ''} ${entry.name}`.toLowerCase();
  return words.includes(was.trim().toLowerCase());
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const NAMESPACES = 'xmlns="http://www.w3.org/2005/Atom" xmlns:openSearch="http://a9.com/-/spec/opensearchrss/1.0/" xmlns:tel="http://tel.search.ch/api/spec/result/1.0/"';

function feed(was: string, total: number, entries: readonly DirectoryEntry[], keyed: boolean, withDoctype: boolean): string {
  const doctype = withDoctype ? '<!DOCTYPE feed [<!ENTITY lol "lol">]>\n' : '';
  return `<?xml version="1.0" encoding="utf-8" ?>
${doctype}<feed ${NAMESPACES} xml:lang="de">
  <id>https://search.ch/tel/api/?was=${encodeURIComponent(was)}</id>
  <title type="text">tel.search.ch API Search Results</title>
  <generator version="1.0" uri="https://search.ch/tel">tel.search.ch</generator>
  <updated>2026-12-06T12:00:00Z</updated>
  <link href="https://search.ch/tel/?was=${encodeURIComponent(was)}" rel="alternate" type="text/html" />
  <openSearch:totalResults>${total}</openSearch:totalResults>
  <openSearch:startIndex>1</openSearch:startIndex>
  <openSearch:itemsPerPage>${entries.length}</openSearch:itemsPerPage>
  <openSearch:Query role="request" searchTerms="${escapeXml(was)}" startPage="1" />
${entries.map((entry) => entryXml(entry, keyed)).join('\n')}
</feed>
`;
}

function entryXml(entry: DirectoryEntry, keyed: boolean): string {
  const shown = entry.firstname ? `${entry.name}, ${entry.firstname}` : entry.name;
  const place = [entry.street && `${entry.street} ${entry.streetno ?? ''}`.trim(), [entry.zip, entry.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const national = nationalDigits(entry.phone) ?? entry.phone;
  const lines = [
    `    <id>urn:uuid:${entry.id}</id>`,
    `    <updated>${entry.updated ?? '2026-01-01T00:00:00+01:00'}</updated>`,
    `    <published>${entry.updated ?? '2026-01-01T00:00:00+01:00'}</published>`,
    `    <title type="text">${escapeXml(shown)}</title>`,
    `    <content type="text">${escapeXml(`${shown}\n${place}\n${national}`)}</content>`,
    '    <author><name>tel.search.ch</name></author>',
    `    <link href="https://search.ch/tel/${entry.id}" rel="alternate" type="text/html" />`,
    `    <link href="https://search.ch/tel/vcard/${entry.id}.vcf" type="text/x-vcard" title="VCard Download" rel="alternate" />`,
  ];
  if (keyed) {
    const field = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [`    <tel:${name}>${escapeXml(value)}</tel:${name}>`]);
    lines.push(
      ...field('pos', '1'),
      ...field('id', entry.id),
      ...field('type', entry.type),
      ...field('name', entry.name),
      ...field('firstname', entry.firstname),
      ...field('occupation', entry.occupation),
      ...field('street', entry.street),
      ...field('streetno', entry.streetno),
      ...field('zip', entry.zip),
      ...field('city', entry.city),
      ...field('canton', entry.canton),
      ...field('country', 'ch'),
      ...field('phone', entry.phone),
      ...(entry.extra ?? []).map((extra) => `    <tel:extra type="${extra.type}">${escapeXml(extra.value)}</tel:extra>`),
    );
  }
  return `  <entry>\n${lines.join('\n')}\n  </entry>`;
}

function errorFeed(message: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?>
<feed ${NAMESPACES}>
  <title type="text">tel.search.ch API Error</title>
  <tel:errorMessage>${escapeXml(message)}</tel:errorMessage>
</feed>
`;
}
