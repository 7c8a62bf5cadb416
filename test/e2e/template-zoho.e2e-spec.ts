import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceError } from '../../src/core/source-error';
import { prepareRequest } from '../../src/sources/template/template-client';
import { loadTemplateText, SHIPPED_TEMPLATES_DIR } from '../../src/sources/template/template-loader';
import { FakeZoho } from '../fakes/zoho/fake-zoho';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 1500;
/** In the phone book of every tenant: the built-in source beside the template, and an answer while Zoho fails. */
const BOOK = 'name,phone\nDirectory Person,+41 44 668 18 00\n';
const ANNA = '554023000003701012';

function tenant(token: string, fake: FakeZoho, extra = ''): string {
  return [
    `TOKEN=${token}`,
    'TEMPLATES=zoho',
    `ZOHO_BASE_URL=${fake.url}`,
    `ZOHO_TOKEN_URL=${fake.tokenUrl}`,
    `ZOHO_CLIENT_ID=${fake.clientId}`,
    `ZOHO_CLIENT_SECRET=${fake.clientSecret}`,
    `ZOHO_REFRESH_TOKEN=${fake.refreshToken}`,
    'DIRECTORY_FILE=book.csv',
    'CACHE_TTL_S=0',
    extra,
  ].join('\n');
}

describe('the shipped Zoho CRM template (e2e against the fake Zoho CRM and its Zoho Accounts token endpoint)', () => {
  const fake = new FakeZoho();
  const hanging = new FakeZoho();
  const throttled = new FakeZoho();
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([fake.start(), hanging.start(), throttled.start()]);
    hanging.hang = true;
    throttled.throttled = true;
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'book.csv': BOOK,
        'acme.env': tenant('acme-token-1', fake),
        'badrefresh.env': tenant('badrefresh-token-1', fake).replace(`ZOHO_REFRESH_TOKEN=${fake.refreshToken}`, 'ZOHO_REFRESH_TOKEN=1000.revokedrevokedrevoked.0000000000000000'),
        'slow.env': tenant('slow-token-1', hanging),
        'limited.env': tenant('limited-token-1', throttled),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), throttled.stop()]);
  });

  const { lookup, cards, names, failures } = templateLookups(() => gateway, 'zoho');
  /** Token requests with the right refresh token (the badrefresh tenant signs in at the same fake). */
  const signIns = () => fake.tokenRequests.filter((form) => form.get('refresh_token') === fake.refreshToken);

  it('finds contacts, a lead and an account stored as "044 668 18 00", "+41 44 668 18 00", "0041446681800", "0446681800", "+41446681800" and "41446681800", called as 41446681800, beside the directory\'s card', async () => {
    const before = fake.arrivals.length;
    // The answer holds at most 5 cards (LOOKUP_MAX_RESULTS): the contacts first, then the lead and the account beside Anna.
    const all = fake.records;
    fake.records = { ...all, Leads: [], Accounts: [] };
    try {
      expect((await names('41446681800', 'acme-token-1')).sort()).toEqual(['Anna Muster', 'Bruno Beispiel', 'Carla Nullnull', 'Directory Person', 'Eva Eingabe']);
      fake.records = { ...all, Contacts: all.Contacts.filter((c) => c.id === ANNA) };
      expect((await names('41446681800', 'acme-token-1')).sort()).toEqual(['Anna Muster', 'Directory Person', 'Lea Lead', 'Muster Treuhand AG']);
    } finally {
      fake.records = all;
    }
    fake.records = { ...all, Contacts: all.Contacts.filter((c) => c.id === ANNA) };
    let found: Array<Record<string, unknown>>;
    try {
      found = await cards('41446681800', 'acme-token-1');
    } finally {
      fake.records = all;
    }
    const anna = found.find((c) => c.Name === 'Anna Muster')!;
    expect(anna).toMatchObject({ Company: 'Muster Treuhand AG', CrmName: 'Zoho CRM', ContactUri: `https://crm.zoho.eu/crm/tab/Contacts/${ANNA}` });
    expect(String(anna.Id)).toMatch(new RegExp(`^zoho:contact:${ANNA}(:|$)`));
    const lea = found.find((c) => c.Name === 'Lea Lead')!;
    expect(lea).toMatchObject({ Company: 'Lead GmbH', ContactUri: 'https://crm.zoho.eu/crm/tab/Leads/554023000004000001' });
    expect(String(lea.Id)).toMatch(/^zoho:lead:554023000004000001(:|$)/);
    const account = found.find((c) => c.Name === 'Muster Treuhand AG')!;
    expect(String(account.Id)).toMatch(/^zoho:account:554023000000111001(:|$)/);
    // Three modules × two written forms, all at once.
    const arrivals = fake.arrivals.slice(before).slice(-6);
    expect(arrivals.map((a) => `${a.module} ${a.query.get('phone')}`).sort()).toEqual([
      'Accounts 44 668 18 00',
      'Accounts 446681800',
      'Contacts 44 668 18 00',
      'Contacts 446681800',
      'Leads 44 668 18 00',
      'Leads 446681800',
    ]);
  });

  it('signs in with the refresh-token grant and searches with Zoho-oauthtoken, the fields and the written forms percent-encoded (never a +)', async () => {
    const before = fake.arrivals.length;
    await cards('+41446681800', 'acme-token-1');
    const arrivals = fake.arrivals.slice(before);
    expect(arrivals).toHaveLength(6);
    for (const arrival of arrivals) {
      expect(arrival.headers.authorization).toMatch(/^Zoho-oauthtoken 1000\./);
      expect(arrival.rawUrl).not.toMatch(/\+|%2B/i);
      expect([...arrival.query.keys()]).toEqual(['phone', 'fields', 'per_page']);
    }
    expect(arrivals.find((a) => a.module === 'Contacts' && a.query.get('phone') === '44 668 18 00')!.rawUrl).toContain('phone=44%20668%2018%2000');
    expect(arrivals.find((a) => a.module === 'Contacts')!.query.get('fields')).toBe('Full_Name,First_Name,Last_Name,Account_Name,Phone,Mobile,Home_Phone,Other_Phone,Asst_Phone,Email,Modified_Time');
    expect(Object.fromEntries(signIns().at(-1)!)).toEqual({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: fake.refreshToken });
  });

  it('drops a record Zoho found by a substring of other digits (+49446681800 holds 446681800)', async () => {
    const before = fake.arrivals.length;
    const found = await names('41446681800', 'acme-token-1');
    expect(found).not.toContain('Dora Deutsch');
    const contacts = fake.arrivals.slice(before).find((a) => a.module === 'Contacts' && a.query.get('phone') === '446681800')!;
    expect(contacts.answered).toBe(3); // Carla, Eva and Dora: Dora is Zoho's hit, not the gateway's
  });

  it("answers no card and no error when Zoho answers 204 No Content to every search", async () => {
    const before = fake.arrivals.length;
    const failuresBefore = failures('acme').length;
    expect(await names('41612223344', 'acme-token-1')).toEqual([]);
    const statuses = fake.arrivals.slice(before).map((a) => a.status);
    expect(statuses).toEqual([204, 204, 204, 204, 204, 204]);
    expect(failures('acme')).toHaveLength(failuresBefore);
  });

  it('renews an expired token once (401 INVALID_TOKEN), and still finds the contacts', async () => {
    await cards('41446681800', 'acme-token-1');
    const tokensBefore = signIns().length;
    const before = fake.arrivals.length;
    fake.expireTokens();
    expect(await names('41446681800', 'acme-token-1')).toContain('Anna Muster');
    expect(signIns()).toHaveLength(tokensBefore + 1);
    const statuses = fake.arrivals.slice(before).map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(6);
    expect(statuses.filter((s) => s === 200 || s === 204)).toHaveLength(6);
  });

  it('answers in time without Zoho when Zoho Accounts refuses the refresh token (200 {"error":"invalid_code"}), never logging it', async () => {
    const started = Date.now();
    const searches = fake.arrivals.length;
    expect(await names('41446681800', 'badrefresh-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(failures('badrefresh').at(-1)).toMatchObject({ code: 'AUTH' });
    expect(fake.arrivals.length).toBe(searches);
    expect(gateway.logs.text()).not.toContain('1000.revokedrevokedrevoked');
  });

  it('answers in time without Zoho when it answers 429 TOO_MANY_REQUESTS', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(failures('limited').at(-1)).toMatchObject({ code: 'RATE_LIMITED', vendorCode: 'TOO_MANY_REQUESTS' });
    expect(throttled.arrivals.length).toBeGreaterThan(0);
  });

  it('answers by the deadline when Zoho does not answer', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'slow-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
    expect(failures('slow').at(-1)).toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends Zoho nothing it would refuse for a number carrying an injection', async () => {
    const before = fake.arrivals.length;
    for (const value of INJECTION_VALUES) {
      const response = await lookup(value, 'acme-token-1');
      expect([200, 400]).toContain(response.status);
    }
    for (const arrival of fake.arrivals.slice(before)) {
      expect([200, 204]).toContain(arrival.status);
      expect([...arrival.query.keys()]).toEqual(['phone', 'fields', 'per_page']);
      expect(arrival.query.get('phone')).toMatch(/^[0-9 ]+$/);
    }
  });

  it('keeps any value inside the phone query value, or refuses it before sending', () => {
    const zoho = loadTemplateText(readFileSync(join(SHIPPED_TEMPLATES_DIR, 'zoho.yaml'), 'utf8'), 'templates/zoho.yaml');
    let refused = 0;
    for (const value of INJECTION_VALUES) {
      for (const compiled of zoho.requests) {
        let prepared: ReturnType<typeof prepareRequest>;
        try {
          prepared = prepareRequest(compiled, (p) => (p.source === 'number' ? value : undefined));
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
          expect(error).toMatchObject({ code: 'BAD_REQUEST', vendorCode: 'TEMPLATE_VALUE_REFUSED' });
          refused++;
          continue;
        }
        const url = new URL(`http://zoho.invalid${prepared.pathAndQuery}`);
        expect(url.pathname).toMatch(/^\/crm\/v8\/(Contacts|Leads|Accounts)\/search$/);
        expect([...url.searchParams.keys()]).toEqual(['phone', 'fields', 'per_page']);
        expect(url.searchParams.get('phone')).toBe(value);
      }
    }
    // eslint-disable-next-line no-control-regex
    expect(refused).toBe(3 * INJECTION_VALUES.filter((v) => /[\u0000-\u001f\u007f]/.test(v)).length);
  });
});
