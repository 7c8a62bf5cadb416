import { FakeOdoo } from '../fakes/odoo/fake-odoo';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 2000;
/** In the phone book of the tenants that have one, so a lookup answers something while Odoo fails. */
const BOOK = 'name,phone\nDirectory Person,+41 44 668 18 00\n';

type Api = 'json2' | 'jsonrpc';

function tenant(token: string, fake: FakeOdoo, api: Api, extra: string[] = []): string {
  return [
    `TOKEN=${token}`,
    'TEMPLATES=odoo',
    `ODOO_BASE_URL=${fake.url}`,
    `ODOO_DATABASE=${fake.database}`,
    `ODOO_API_KEY=${fake.apiKey}`,
    `ODOO_API=${api}`,
    ...(api === 'json2' ? [] : [`ODOO_USER_ID=${fake.uid}`]),
    'CACHE_TTL_S=0',
    ...extra,
  ].join('\n');
}

/** The phone_mobile_search terms of a domain as `operator value`. */
const termsOf = (domain: unknown): string[] => (domain as Array<[string, string, string]>).map(([field, operator, value]) => `${field} ${operator} ${value}`);

describe('the shipped Odoo template (e2e against the fake Odoo, JSON-2 and JSON-RPC)', () => {
  /** Odoo 19: JSON-2, no `mobile` field. */
  const odoo19 = new FakeOdoo();
  /** Odoo 17/18 through the legacy JSON-RPC API: `mobile` still there. */
  const odoo17 = new FakeOdoo();
  const hanging = new FakeOdoo();
  const down = new FakeOdoo();
  const fakeOf = (api: Api): FakeOdoo => (api === 'json2' ? odoo19 : odoo17);
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([odoo19.start(), odoo17.start(), hanging.start(), down.start()]);
    odoo17.noMobile = false;
    hanging.hang = true;
    down.unavailable = true;
    const files: Record<string, string> = { 'book.csv': BOOK };
    for (const api of ['json2', 'jsonrpc'] as const) {
      const fake = fakeOf(api);
      files[`acme${api}.env`] = tenant(`acme-${api}-1`, fake, api, ['DIRECTORY_FILE=book.csv', 'CRM_ORDER=odoo,directory']);
      files[`firms${api}.env`] = tenant(`firms-${api}-1`, fake, api);
      files[`badkey${api}.env`] = tenant(`badkey-${api}-1`, fake, api, ['DIRECTORY_FILE=book.csv']).replace(`ODOO_API_KEY=${fake.apiKey}`, `ODOO_API_KEY=${'x'.repeat(40)}`);
      files[`slow${api}.env`] = tenant(`slow-${api}-1`, hanging, api, ['DIRECTORY_FILE=book.csv']);
      files[`down${api}.env`] = tenant(`down-${api}-1`, down, api, ['DIRECTORY_FILE=book.csv']);
    }
    // The legacy API on Odoo 19 (no mobile field): jsonrpc19 asks for phone only; jsonrpc asks for mobile and is refused.
    files['rpcnineteen.env'] = tenant('rpc19-token-1', odoo19, 'jsonrpc').replace('ODOO_API=jsonrpc', 'ODOO_API=jsonrpc19');
    files['rpcwrong.env'] = tenant('rpcwrong-token-1', odoo19, 'jsonrpc', ['DIRECTORY_FILE=book.csv']);
    gateway = await startTestApp({ env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) }, files });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([odoo19.stop(), odoo17.stop(), hanging.stop(), down.stop()]);
  });

  const { lookup, cards, names, lastFailure } = templateLookups(() => gateway, 'odoo');

  describe.each(['json2', 'jsonrpc'] as const)('ODOO_API=%s', (api) => {
    it('finds partners stored as "044 668 18 00", "+41 44 668 18 00", "0041446681800" and "(044) 668-18.00" when called as 41446681800, beside the directory, with one search', async () => {
      const fake = fakeOf(api);
      const before = fake.arrivals.length;
      const found = await cards('41446681800', `acme-${api}-1`);
      expect(found.map((c) => c.Name).sort()).toEqual(['Anna Muster', 'Beat Keller', 'Carla Frei', 'Dario Graf', 'Directory Person']);
      expect(found.find((c) => c.Name === 'Anna Muster')).toMatchObject({ CrmName: 'Odoo', ContactUri: `${fake.url}/odoo/contacts/11`, Company: '' });
      expect(found.find((c) => c.Name === 'Beat Keller')).toMatchObject({ Company: 'Keller Bau AG' });
      expect(String(found.find((c) => c.Name === 'Anna Muster')!.Id)).toMatch(/^odoo:partner:11(:|$)/);
      expect(found.find((c) => c.Name === 'Directory Person')).toMatchObject({ CrmName: expect.not.stringMatching(/Odoo/) as unknown });
      const sent = fake.arrivals.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ api, status: 200 });
      expect(termsOf(sent[0]!.domain)).toEqual(['phone_mobile_search ilike 446681800']);
      if (api === 'json2') {
        expect(sent[0]!.headers).toMatchObject({ authorization: `Bearer ${fake.apiKey}`, 'x-odoo-database': fake.database, 'content-type': expect.stringMatching(/^application\/json/) as unknown });
        expect(JSON.parse(sent[0]!.body)).toEqual({ domain: [['phone_mobile_search', 'ilike', '446681800']], fields: ['id', 'name', 'is_company', 'parent_id', 'phone', 'email', 'write_date'], limit: 20 });
      } else {
        const body = JSON.parse(sent[0]!.body) as { params: { service: string; method: string; args: unknown[] } };
        expect(body).toMatchObject({ jsonrpc: '2.0', method: 'call', params: { service: 'object', method: 'execute_kw' } });
        expect(body.params.args).toEqual([
          fake.database,
          String(fake.uid),
          fake.apiKey,
          'res.partner',
          'search_read',
          [[['phone_mobile_search', 'ilike', '446681800']]],
          { fields: ['id', 'name', 'is_company', 'parent_id', 'phone', 'mobile', 'email', 'write_date'], limit: 20 },
        ]);
      }
    });

    it('drops a partner phone_mobile_search found that only shares the digits (+33 4 46 68 18 00)', async () => {
      const fake = fakeOf(api);
      const before = fake.arrivals.length;
      expect(await names('+41446681800', `firms-${api}-1`)).not.toContain('Hans Suffix');
      // Odoo answered five: Anna, Beat, Carla, Dario and Hans Suffix.
      expect(fake.arrivals.slice(before).map((a) => a.answered)).toEqual([5]);
    });

    it('answers a company partner (is_company) as a company card, and a contact person with its parent company', async () => {
      const found = await cards('+41 31 111 22 33', `firms-${api}-1`);
      expect(found.map((c) => c.Name)).toEqual(['Keller Bau AG']);
      expect(found[0]).toMatchObject({ CrmName: 'Odoo', ContactUri: `${fakeOf(api).url}/odoo/contacts/20` });
      expect(String(found[0]!.Id)).toMatch(/^odoo:partner:20(:|$)/);
    });

    it('answers without Odoo, in time, when the API key is refused, saying why (AUTH) without the key', async () => {
      const started = Date.now();
      expect(await names('41446681800', `badkey-${api}-1`)).toEqual(['Directory Person']);
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
      const tenantId = `badkey${api}`;
      if (api === 'json2') expect(lastFailure(tenantId)).toMatchObject({ code: 'AUTH', msg: 'Source odoo failed (AUTH); answered without it', reason: 'Odoo answered 401: Invalid apikey' });
      // JSON-RPC says it with HTTP 200 and an error object: a failure all the same, not an empty answer.
      else expect(lastFailure(tenantId)).toMatchObject({ code: 'AUTH', msg: 'Source odoo failed (AUTH); answered without it', reason: 'Odoo answered with an error: Access Denied' });
      expect(gateway.logs.text()).not.toContain('x'.repeat(40));
      expect(gateway.logs.text()).not.toContain(fakeOf(api).apiKey);
    });

    it('answers without Odoo when it answers 503', async () => {
      expect(await names('41446681800', `down-${api}-1`)).toEqual(['Directory Person']);
      expect(lastFailure(`down${api}`)).toMatchObject({ code: 'UNAVAILABLE' });
    });

    it('answers by the deadline when Odoo does not answer', async () => {
      const started = Date.now();
      const before = hanging.requestCount;
      expect(await names('41446681800', `slow-${api}-1`)).toEqual(['Directory Person']);
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
      expect(hanging.requestCount).toBeGreaterThan(before);
      expect(lastFailure(`slow${api}`)).toMatchObject({ code: 'TIMEOUT' });
    });

    it('sends Odoo nothing for a number carrying an injection; every search it got is one term of digits', async () => {
      const fake = fakeOf(api);
      const before = fake.requestCount;
      for (const value of INJECTION_VALUES) {
        const response = await lookup(value, `acme-${api}-1`);
        expect([200, 400]).toContain(response.status);
        if (response.status === 200) expect((response.body as Array<Record<string, unknown>>).every((c) => c.CrmName !== 'Odoo')).toBe(true);
      }
      expect(fake.requestCount).toBe(before);
      for (const arrival of fake.arrivals.filter((a) => a.api === api && a.status === 200 && a.error === undefined)) {
        expect(arrival.domain).toEqual([['phone_mobile_search', 'ilike', expect.stringMatching(/^[0-9]{3,15}$/) as unknown]]);
      }
    });
  });

  it('reads the mobile of Odoo 17/18 through JSON-RPC (ODOO_API=jsonrpc)', async () => {
    expect(await names('+41 79 555 01 99', 'firms-jsonrpc-1')).toEqual(['Mia Mobil']);
  });

  it('on Odoo 19, JSON-RPC with ODOO_API=jsonrpc19 asks for no mobile, and jsonrpc (which does) fails rather than answering nothing', async () => {
    const before = odoo19.arrivals.length;
    expect((await names('41446681800', 'rpc19-token-1')).sort()).toEqual(['Anna Muster', 'Beat Keller', 'Carla Frei', 'Dario Graf']);
    expect(odoo19.arrivals.slice(before).map((a) => [a.api, a.status, a.error])).toEqual([['jsonrpc', 200, undefined]]);
    expect(await names('41446681800', 'rpcwrong-token-1')).toEqual(['Directory Person']);
    expect(lastFailure('rpcwrong')).toMatchObject({ code: 'UNAVAILABLE', reason: "Odoo answered with an error: Invalid field 'mobile' on model 'res.partner'" });
  });

  it('serves its badge at /logos/odoo.svg', async () => {
    const logo = await gateway.http.get('/logos/odoo.svg').expect(200);
    expect(String(logo.body)).toContain('O');
  });
});

/** The fake itself, on the wire: what the template relies on Odoo doing. */
describe('the fake Odoo (its wire behaviour)', () => {
  const fake = new FakeOdoo();
  beforeAll(async () => void (await fake.start()));
  afterAll(async () => fake.stop());

  const json2 = (value: string, operator = 'ilike', key = fake.apiKey, db = fake.database) =>
    fetch(`${fake.url}/json/2/res.partner/search_read`, {
      method: 'POST',
      headers: { Authorization: `bearer ${key}`, 'X-Odoo-Database': db, 'Content-Type': 'application/json' },
      body: JSON.stringify({ domain: [['phone_mobile_search', operator, value]], fields: ['name', 'phone'] }),
    });
  const ids = async (response: Response): Promise<number[]> => ((await response.json()) as Array<{ id: number }>).map((p) => p.id);

  it('strips spaces and punctuation on both sides: a plain value is a substring, + or 00 a prefix', async () => {
    expect(await ids(await json2('446681800'))).toEqual([11, 12, 13, 14, 15]);
    expect(await ids(await json2('44 668 18 00'))).toEqual([11, 12, 13, 14, 15]);
    expect(await ids(await json2('+41446681800'))).toEqual([12, 13]);
    expect(await ids(await json2('0041 44 668 18 00'))).toEqual([12, 13]);
    expect(await ids(await json2('0446681800', '='))).toEqual([11, 14]);
  });

  it("answers Odoo's errors: JSON-2 as 4xx with {name, message}, JSON-RPC as 200 with an error object", async () => {
    const refused = await json2('446681800', 'ilike', 'wrong');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' });
    expect((await json2('446681800', 'ilike', fake.apiKey, 'other')).status).toBe(404);
    const short = await json2('1-2');
    expect(short.status).toBe(422);
    expect(await short.json()).toMatchObject({ name: 'odoo.exceptions.UserError' });
    const rpc = await fetch(`${fake.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 3, params: { service: 'object', method: 'execute_kw', args: [fake.database, 7, 'wrong', 'res.partner', 'search_read', [[]], {}] } }),
    });
    expect(rpc.status).toBe(200);
    expect(await rpc.json()).toMatchObject({ jsonrpc: '2.0', id: 3, error: { message: 'Odoo Server Error', data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied' } } });
  });
});
