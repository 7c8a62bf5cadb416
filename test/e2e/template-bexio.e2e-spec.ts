import { FakeBexio } from '../fakes/bexio/fake-bexio';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 2000;
/** In the phone book of the tenants that have one, so a lookup answers something while bexio fails. */
const BOOK = 'name,phone\nDirectory Person,+41 44 668 18 00\n';

function tenant(token: string, fake: FakeBexio, extra = ''): string {
  return [`TOKEN=${token}`, 'TEMPLATES=bexio', `BEXIO_TOKEN=${fake.token}`, `BEXIO_BASE_URL=${fake.url}`, 'DIRECTORY_FILE=book.csv', 'CACHE_TTL_S=0', extra].join('\n');
}

/** The criteria of a search as `field value` (one per criterion). */
const criteriaOf = (body: string): string[] => (JSON.parse(body) as Array<{ field: string; value: string; criteria: string }>).map((c) => `${c.field} ${c.criteria} ${c.value}`);

describe('the shipped bexio template (e2e against the fake bexio)', () => {
  const fake = new FakeBexio();
  const hanging = new FakeBexio();
  const overLimit = new FakeBexio();
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([fake.start(), hanging.start(), overLimit.start()]);
    hanging.hang = true;
    overLimit.overLimit = true;
    overLimit.resetSeconds = 2;
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'book.csv': BOOK,
        'acme.env': tenant('acme-token-1', fake, 'CRM_ORDER=bexio,directory'),
        'firms.env': ['TOKEN=firms-token-1', 'TEMPLATES=bexio', `BEXIO_TOKEN=${fake.token}`, `BEXIO_BASE_URL=${fake.url}`, 'CACHE_TTL_S=0'].join('\n'),
        'badtoken.env': tenant('badtoken-token-1', fake).replace(`BEXIO_TOKEN=${fake.token}`, `BEXIO_TOKEN=${'x'.repeat(48)}`),
        'slow.env': tenant('slow-token-1', hanging),
        'limited.env': tenant('limited-token-1', overLimit),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), overLimit.stop()]);
  });

  const { lookup, cards, names, lastFailure } = templateLookups(() => gateway, 'bexio');

  it('finds contacts stored as "044 668 18 00", "+41 44 668 18 00", "0041446681800" and "+41446681800" when called as 41446681800, beside the directory', async () => {
    const before = fake.searches.length;
    const found = await cards('41446681800', 'acme-token-1');
    expect(found.map((c) => c.Name).sort()).toEqual(['Anna Muster', 'Beat Keller', 'Carla Frei', 'Dario Graf', 'Directory Person']);
    expect(found.find((c) => c.Name === 'Anna Muster')).toMatchObject({ CrmName: 'bexio', ContactUri: 'https://office.bexio.com/index.php/kontakt/show/id/1', Company: '' });
    expect(String(found.find((c) => c.Name === 'Anna Muster')!.Id)).toMatch(/^bexio:contact:1(:|$)/);
    expect(found.find((c) => c.Name === 'Directory Person')).toMatchObject({ CrmName: expect.not.stringMatching(/bexio/) as unknown });
    // One request per field and written form, each with a single criterion (criteria in one body are ANDed).
    const sent = fake.searches.slice(before);
    expect(sent.map((s) => criteriaOf(s.body)).sort()).toEqual([
      ['phone_fixed like 44 668 18 00'],
      ['phone_fixed like 446681800'],
      ['phone_mobile like 44 668 18 00'],
      ['phone_mobile like 446681800'],
    ]);
    for (const search of sent) {
      expect(search.status).toBe(200);
      expect(Object.fromEntries(search.query)).toEqual({ limit: '20', offset: '0' });
      expect(search.headers).toMatchObject({ authorization: `Bearer ${fake.token}`, accept: 'application/json', 'content-type': expect.stringMatching(/^application\/json/) as unknown });
    }
  });

  it("drops a contact bexio's like found whose number only ends in the same digits (0033446681800)", async () => {
    const before = fake.searches.length;
    expect(await names('+41446681800', 'firms-token-1')).not.toContain('Hans Suffix');
    const fixedDigits = fake.searches.slice(before).find((s) => criteriaOf(s.body)[0] === 'phone_fixed like 446681800');
    // Carla Frei (0041446681800) and Hans Suffix (0033446681800): bexio answered both.
    expect(fixedDigits?.answered).toBe(2);
  });

  it('answers a company contact (contact_type_id 1) as a company: after the person on the same number, though newer and first by name', async () => {
    const found = await cards('+41 31 111 22 33', 'firms-token-1');
    expect(found.map((c) => c.Name)).toEqual(['Zoe Zaugg', 'Aare Treuhand AG']);
    expect(found[1]).toMatchObject({ ContactUri: 'https://office.bexio.com/index.php/kontakt/show/id/6', CrmName: 'bexio' });
    expect(String(found[1]!.Id)).toMatch(/^bexio:contact:6(:|$)/);
  });

  it('serves its badge at /logos/bexio.svg', async () => {
    const logo = await gateway.http.get('/logos/bexio.svg').expect(200);
    expect(String(logo.body)).toContain('bx');
  });

  it('answers without bexio when its token is refused (401), in time, saying why in the log without the token', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'badtoken-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('badtoken')).toMatchObject({ code: 'AUTH', msg: 'Source bexio failed (AUTH); answered without it', reason: 'bexio answered 401: Invalid token.' });
    expect(gateway.logs.text()).not.toContain('x'.repeat(48));
    expect(gateway.logs.text()).not.toContain(fake.token);
  });

  it('answers without bexio when it answers 429, and waits the ratelimit-reset it named before asking again', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('limited')).toMatchObject({ code: 'RATE_LIMITED', reason: 'bexio answered 429: Too many requests' });
    const asked = overLimit.searches.length;
    expect(asked).toBeGreaterThan(0);
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    // ratelimit-reset said 2 s: the next lookup within them does not ask.
    expect(overLimit.searches.length).toBe(asked);
  });

  it('answers by the deadline when bexio does not answer', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'slow-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
    expect(lastFailure('slow')).toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends bexio nothing for a number carrying an injection, and no body that is not one criterion of digits and spaces', async () => {
    const before = fake.requestCount;
    const searchesBefore = fake.searches.length;
    for (const value of INJECTION_VALUES) {
      const response = await lookup(value, 'acme-token-1');
      expect([200, 400]).toContain(response.status);
      if (response.status === 200) expect((response.body as Array<Record<string, unknown>>).every((c) => c.CrmName !== 'bexio')).toBe(true);
    }
    expect(fake.requestCount).toBe(before);
    expect(fake.searches.slice(searchesBefore)).toEqual([]);
    for (const search of fake.searches) {
      const criteria = JSON.parse(search.body) as unknown[];
      expect(criteria).toEqual([{ field: expect.stringMatching(/^phone_(fixed|mobile)$/) as unknown, value: expect.stringMatching(/^[0-9 ]+$/) as unknown, criteria: 'like' }]);
    }
  });
});

/** The fake itself, on the wire: what the template relies on bexio doing. */
describe('the fake bexio (its wire behaviour)', () => {
  const fake = new FakeBexio();
  beforeAll(async () => void (await fake.start()));
  afterAll(async () => fake.stop());

  const search = (body: string, query = '', token = fake.token) =>
    fetch(`${fake.url}/2.0/contact/search${query}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'Content-Type': 'application/json' }, body });
  const ids = async (response: Response): Promise<number[]> => ((await response.json()) as Array<{ id: number }>).map((c) => c.id);

  it('matches like as a case-insensitive substring of the stored string, spaces included', async () => {
    expect(await ids(await search('[{"field":"phone_fixed","value":"446681800","criteria":"like"}]'))).toEqual([3, 5]);
    expect(await ids(await search('[{"field":"phone_fixed","value":"44 668 18 00","criteria":"like"}]'))).toEqual([1]);
    expect(await ids(await search('[{"field":"name_1","value":"MUSTER"}]'))).toEqual([1]);
  });

  it('ANDs the criteria of one body', async () => {
    expect(await ids(await search('[{"field":"phone_fixed","value":"446681800","criteria":"like"},{"field":"phone_mobile","value":"446681800","criteria":"like"}]'))).toEqual([]);
    expect(await ids(await search('[{"field":"phone_fixed","value":"446681800","criteria":"like"},{"field":"name_1","value":"Frei","criteria":"="}]'))).toEqual([3]);
  });

  it('pages with limit and offset', async () => {
    const all = '[{"field":"name_1","value":"","criteria":"like"}]';
    expect(await ids(await search(all, '?limit=2&offset=1'))).toEqual([2, 3]);
    expect((await search(all, '?limit=2001')).status).toBe(422);
  });

  it("refuses an unknown field (422), a malformed body (400) and a bad token (401) with bexio's error body", async () => {
    const unknown = await search('[{"field":"phone_fixed_second","value":"446681800","criteria":"like"}]');
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toEqual({ error_code: 422, message: 'field: "phone_fixed_second" is not a searchable field' });
    for (const body of ['{"field":"phone_fixed","value":"1"}', '[{"field":"phone_fixed"', '"446681800"']) {
      const malformed = await search(body);
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error_code: 400 });
    }
    const refused = await search('[]', '', 'wrong');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error_code: 401, message: 'Invalid token.' });
  });

  it('answers 429 with its rate-limit headers when told to', async () => {
    fake.overLimit = true;
    try {
      const response = await search('[]');
      expect(response.status).toBe(429);
      expect(response.headers.get('ratelimit-limit')).toBe('250');
      expect(response.headers.get('ratelimit-remaining')).toBe('0');
      expect(response.headers.get('ratelimit-reset')).toBe('30');
      expect(await response.json()).toEqual({ error_code: 429, message: 'Too many requests' });
    } finally {
      fake.overLimit = false;
    }
  });
});
