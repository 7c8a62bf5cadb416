import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceError } from '../../src/core/source-error';
import { prepareRequest } from '../../src/sources/template/template-client';
import { loadTemplateText, SHIPPED_TEMPLATES_DIR } from '../../src/sources/template/template-loader';
import { FakeDynamics, parseFilter, type FilterClause } from '../fakes/dynamics/fake-dynamics';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 1500;
/** In the phone book of every tenant: the built-in source beside the template, and an answer while Dynamics fails. */
const BOOK = 'name,phone\nDirectory Person,+41 44 668 18 00\n';
/** The written forms of +41 44 668 18 00 the template ORs over every phone column. */
const FORMS = ['+41446681800', '+41 44 668 18 00', '0041446681800', '41446681800', '0446681800', '044 668 18 00'];
const ANNA = '70bf4d48-34cb-ed11-b596-0022481d68cd';

function tenant(token: string, fake: FakeDynamics, extra = ''): string {
  return [
    `TOKEN=${token}`,
    ...fake.tenantKeys(),
    'DIRECTORY_FILE=book.csv',
    'CACHE_TTL_S=0',
    extra,
  ].join('\n');
}

describe('the shipped Dynamics 365 / Dataverse template (e2e against the fake Dataverse and its Entra ID token endpoint)', () => {
  const fake = new FakeDynamics();
  const hanging = new FakeDynamics();
  const throttled = new FakeDynamics();
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
        'badsecret.env': tenant('badsecret-token-1', fake).replace(`DYNAMICS_CLIENT_SECRET=${fake.clientSecret}`, 'DYNAMICS_CLIENT_SECRET=Wrong~Secret.0123456789'),
        'slow.env': tenant('slow-token-1', hanging),
        'limited.env': tenant('limited-token-1', throttled),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), throttled.stop()]);
  });

  const { lookup, cards, names, lastFailure } = templateLookups(() => gateway, 'dynamics');
  /** Token requests with the right secret (the badsecret tenant signs in at the same fake, and may try again in the background). */
  const signIns = () => fake.tokenRequests.filter((form) => form.get('client_secret') === fake.clientSecret);

  it('finds contacts stored as "044 668 18 00", "+41 44 668 18 00" (mobile) and "0041446681800" and the account, called as 41446681800, beside the directory\'s card', async () => {
    const before = fake.arrivals.length;
    const found = await cards('41446681800', 'acme-token-1');
    expect(found.map((c) => c.Name).sort()).toEqual(['Anna Muster', 'Bruno Beispiel', 'Carla Nullnull', 'Directory Person', 'Muster Treuhand AG']);
    const anna = found.find((c) => c.Name === 'Anna Muster')!;
    expect(anna).toMatchObject({ Company: 'Muster Treuhand AG', CrmName: 'Dynamics 365', ContactUri: `${fake.url}/main.aspx?etn=contact&id=${ANNA}&pagetype=entityrecord` });
    expect(String(anna.Id)).toMatch(new RegExp(`^dynamics:contact:${ANNA}(:|$)`));
    const account = found.find((c) => c.Name === 'Muster Treuhand AG')!;
    expect(String(account.Id)).toMatch(/^dynamics:account:78914942-34cb-ed11-b596-0022481d68cd(:|$)/);
    const arrivals = fake.arrivals.slice(before);
    expect(arrivals.map((a) => [a.entitySet, a.status, a.answered]).sort()).toEqual([
      ['accounts', 200, 1],
      ['contacts', 200, 3],
    ]);
  });

  it('sends each entity set one OData request: every written form ORed over every phone column, percent-encoded, with the OData headers', async () => {
    const before = fake.arrivals.length;
    await cards('+41446681800', 'acme-token-1');
    const arrivals = fake.arrivals.slice(before);
    const fieldsOf = (clauses: readonly FilterClause[] | undefined) => [...new Set(clauses?.map((c) => c.field))].sort();
    const valuesOf = (clauses: readonly FilterClause[] | undefined) => [...new Set(clauses?.map((c) => c.value))].sort();
    const contacts = arrivals.find((a) => a.entitySet === 'contacts')!;
    const accounts = arrivals.find((a) => a.entitySet === 'accounts')!;
    expect(fieldsOf(contacts.clauses)).toEqual(['mobilephone', 'telephone1', 'telephone2', 'telephone3']);
    expect(fieldsOf(accounts.clauses)).toEqual(['telephone1', 'telephone2', 'telephone3']);
    expect(valuesOf(contacts.clauses)).toEqual([...FORMS].sort());
    expect(contacts.clauses).toHaveLength(24);
    expect(accounts.clauses).toHaveLength(18);
    // `+` as %2B (a bare + is a space to Dataverse), spaces as %20 (and quotes as %27 on the wire), the system query options with their $.
    expect(contacts.rawUrl).toContain('$filter=telephone1%20eq%20%27%2B41446681800%27%20or%20');
    expect(contacts.rawUrl).not.toMatch(/\+/);
    expect(contacts.query.get('$select')).toBe('contactid,fullname,telephone1,telephone2,telephone3,mobilephone,_parentcustomerid_value,emailaddress1,modifiedon');
    expect(contacts.headers).toMatchObject({
      'odata-version': '4.0',
      'odata-maxversion': '4.0',
      accept: 'application/json',
      prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue",odata.maxpagesize=10',
    });
    expect(contacts.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(Object.fromEntries(signIns().at(-1)!)).toEqual({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: `${fake.url}/.default` });
  });

  it("drops a record Dataverse found by a national form another country shares (0441234567 is Zurich's, the caller is +49 441 234567)", async () => {
    const before = fake.arrivals.length;
    expect(await names('49441234567', 'acme-token-1')).toEqual([]);
    const contacts = fake.arrivals.slice(before).find((a) => a.entitySet === 'contacts')!;
    expect(contacts.answered).toBe(1);
    expect(contacts.clauses?.map((c) => c.value)).toContain('0441234567');
  });

  it('renews an expired token once, and still finds the contact', async () => {
    await cards('41446681800', 'acme-token-1');
    const tokensBefore = signIns().length;
    const before = fake.arrivals.length;
    fake.expireTokens();
    expect(await names('41446681800', 'acme-token-1')).toContain('Anna Muster');
    expect(signIns()).toHaveLength(tokensBefore + 1);
    const statuses = fake.arrivals.slice(before).map((a) => `${a.entitySet} ${a.status}`);
    expect(statuses.filter((s) => s.endsWith('401')).sort()).toEqual(['accounts 401', 'contacts 401']);
    expect(statuses.filter((s) => s.endsWith('200')).sort()).toEqual(['accounts 200', 'contacts 200']);
  });

  it('answers without Dynamics when Entra ID refuses the client secret, saying why in the log and never the secret', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'badsecret-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('badsecret')).toMatchObject({ code: 'AUTH' });
    expect(gateway.logs.text()).toContain('invalid_client');
    expect(gateway.logs.text()).not.toContain('Wrong~Secret.0123456789');
  });

  it('answers in time without Dynamics when it answers 429 (0x80072322), and waits the Retry-After before asking again', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('limited')).toMatchObject({ code: 'RATE_LIMITED', vendorCode: '0x80072322' });
    expect(String(lastFailure('limited')!.reason)).toContain('Dynamics 365 answered 429: Number of requests exceeded the limit of 6000');
    const asked = throttled.arrivals.length;
    expect(asked).toBeGreaterThan(0);
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    expect(throttled.arrivals.length).toBe(asked);
  });

  it('answers by the deadline when Dataverse does not answer', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'slow-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
    expect(lastFailure('slow')).toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends Dataverse nothing it would refuse for a number carrying an injection', async () => {
    const before = fake.arrivals.length;
    for (const value of INJECTION_VALUES) {
      const response = await lookup(value, 'acme-token-1');
      expect([200, 400]).toContain(response.status);
    }
    // Whatever reached the fake parsed as phone literals only: no 400 of its filter parser.
    for (const arrival of fake.arrivals.slice(before)) {
      expect(arrival.status).toBe(200);
      for (const clause of arrival.clauses ?? []) expect(clause.value).toMatch(/^[0-9+ ()-]+$/);
    }
  });

  it("the fake refuses what Dataverse's parser refuses: an unterminated literal, a breakout, an unknown column, no OData-Version, no token", async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: `${fake.url}/.default` });
    const signIn = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    const { access_token: token } = (await signIn.json()) as { access_token: string };
    const ask = async (filter: string, headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'OData-Version': '4.0' }) => {
      const response = await fetch(`${fake.url}/api/data/v9.2/contacts?$select=fullname&$filter=${encodeURIComponent(filter)}`, { headers });
      return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string }; value?: unknown[] } };
    };
    expect(await ask("fullname eq 'O''Brien' or telephone1 eq '044 668 18 00'")).toMatchObject({ status: 200, body: { value: [{ fullname: 'Anna Muster' }] } });
    expect(await ask("fullname eq 'ANNA MUSTER  '")).toMatchObject({ status: 200, body: { value: [{ fullname: 'Anna Muster' }] } });
    expect(await ask("telephone1 eq '0446681800'")).toMatchObject({ status: 200, body: { value: [] } });
    expect(await ask("telephone1 eq '044 668 18 00")).toMatchObject({ status: 400, body: { error: { code: '0x80060888', message: expect.stringContaining('unterminated literal') } } });
    expect(await ask("telephone1 eq '1' or telephone1 ne '")).toMatchObject({ status: 400, body: { error: { code: '0x80060888' } } });
    expect(await ask("telephone1 eq '1' garbage")).toMatchObject({ status: 400, body: { error: { code: '0x80060888' } } });
    expect(await ask("password eq '1'")).toMatchObject({ status: 400, body: { error: { code: '0x80060888', message: "Could not find a property named 'password' on type 'Microsoft.Dynamics.CRM.contact'." } } });
    expect((await ask("telephone1 eq '1'", { Authorization: `Bearer ${token}` })).status).toBe(400);
    expect(await ask("telephone1 eq '1'", { 'OData-Version': '4.0' })).toMatchObject({ status: 401, body: { error: { code: '' } } });
  });

  it("keeps any value inside its OData literal: Dataverse's parser reads the value back whole, or the value is refused before sending", () => {
    const dynamics = loadTemplateText(readFileSync(join(SHIPPED_TEMPLATES_DIR, 'dynamics.yaml'), 'utf8'), 'templates/dynamics.yaml');
    let refused = 0;
    for (const value of INJECTION_VALUES) {
      for (const compiled of dynamics.requests) {
        let prepared: ReturnType<typeof prepareRequest>;
        try {
          prepared = prepareRequest(compiled, (p) => (p.source === 'number' ? value : p.source === 'param' ? 'https://acme.crm4.dynamics.com' : undefined));
        } catch (error) {
          expect(error).toBeInstanceOf(SourceError);
          expect(error).toMatchObject({ code: 'BAD_REQUEST', vendorCode: 'TEMPLATE_VALUE_REFUSED' });
          refused++;
          continue;
        }
        const query = new URL(`http://dataverse.invalid${prepared.pathAndQuery}`).searchParams;
        expect([...query.keys()]).toEqual(['$select', '$filter']);
        const clauses = parseFilter(query.get('$filter')!);
        expect(clauses).toHaveLength(compiled.request.name === 'contacts' ? 24 : 18);
        for (const clause of clauses) expect([clause.field, clause.value]).toEqual([expect.stringMatching(/^(telephone[123]|mobilephone)$/), value]);
      }
    }
    // The values with control characters (CR LF, NUL) are refused in every request; the others pass as literals.
    // eslint-disable-next-line no-control-regex
    expect(refused).toBe(2 * INJECTION_VALUES.filter((v) => /[\u0000-\u001f\u007f]/.test(v)).length);
  });
});
