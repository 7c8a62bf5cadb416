import { LookupExplainer } from '../../src/lookup/lookup-explainer';
import { FakeBexio } from '../fakes/bexio/fake-bexio';
import { FakeSearchCh, type DirectoryEntry } from '../fakes/searchch/fake-searchch';
import { INJECTION_VALUES } from '../support/injection-values';
import { templateLookups } from '../support/template-lookups';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const DEADLINE_MS = 2000;
/** The tenant's own phone book: one caller it knows. */
const BOOK = 'name,phone\nKnown Customer,+41 44 111 22 33\n';

function tenant(token: string, fake: FakeSearchCh, extra: readonly string[] = []): string {
  return [`TOKEN=${token}`, 'TEMPLATES=searchch', `SEARCHCH_KEY=${fake.key}`, `SEARCHCH_BASE_URL=${fake.url}/tel/api`, 'DIRECTORY_FILE=book.csv', ...extra].join('\n');
}

interface LoggedLookup {
  lookup?: { sources?: Record<string, { outcome: string }> };
}

describe('the shipped search.ch template, a fallback tier (e2e against the fake search.ch)', () => {
  const fake = new FakeSearchCh();
  const hanging = new FakeSearchCh();
  const usedUp = new FakeSearchCh();
  const doctype = new FakeSearchCh();
  const bexio = new FakeBexio();
  const hangingBexio = new FakeBexio();
  let gateway: TestApp;
  let requestIds = 0;

  beforeAll(async () => {
    await Promise.all([fake.start(), hanging.start(), usedUp.start(), doctype.start(), bexio.start(), hangingBexio.start()]);
    hanging.hang = true;
    hangingBexio.hang = true;
    usedUp.quotaLeft = 0;
    doctype.withDoctype = true;
    const withBexio = (fakeBexio: FakeBexio, token = fakeBexio.token) => ['TEMPLATES=bexio,searchch', `BEXIO_TOKEN=${token}`, `BEXIO_BASE_URL=${fakeBexio.url}`];
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'book.csv': BOOK,
        'acme.env': tenant('acme-token-1', fake),
        'quota.env': tenant('quota-token-1', fake, ['SEARCHCH_QUOTA_PER_DAY=2']),
        'badkey.env': tenant('badkey-token-1', fake).replace(`SEARCHCH_KEY=${fake.key}`, `SEARCHCH_KEY=${'f'.repeat(32)}`),
        'usedup.env': tenant('usedup-token-1', usedUp),
        'slow.env': tenant('slow-token-1', hanging),
        'doctype.env': tenant('doctype-token-1', doctype),
        'mixed.env': tenant('mixed-token-1', fake, withBexio(bexio)).replace('TEMPLATES=searchch\n', ''),
        'failing.env': tenant('failing-token-1', fake, withBexio(bexio, 'x'.repeat(48))).replace('TEMPLATES=searchch\n', ''),
        'starved.env': tenant('starved-token-1', fake, withBexio(hangingBexio)).replace('TEMPLATES=searchch\n', ''),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), usedUp.stop(), doctype.stop(), bexio.stop(), hangingBexio.stop()]);
  });

  const lookup = async (number: string, token: string): Promise<{ cards: Array<Record<string, unknown>>; outcome: string | undefined; ms: number }> => {
    const reqId = `searchch-${++requestIds}`;
    const started = Date.now();
    const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token).set('X-Request-Id', reqId).expect(200);
    const ms = Date.now() - started;
    const line = gateway.logs.lines.find((l) => l.reqId === reqId && l.msg === 'request completed') as LoggedLookup | undefined;
    return { cards: response.body as Array<Record<string, unknown>>, outcome: line?.lookup?.sources?.searchch?.outcome, ms };
  };
  const names = async (number: string, token: string): Promise<unknown[]> => (await lookup(number, token)).cards.map((c) => c.Name);
  const { lastFailure } = templateLookups(() => gateway, 'searchch');

  it.each(['+41 44 668 18 00', '0041446681800', '044 668 18 00', '41446681800'])(
    'answers a caller no source of the tenant knows (%s) from the public directory, saying where the card comes from',
    async (written) => {
      const before = fake.arrivals.length;
      const { cards, outcome } = await lookup(written, 'acme-token-1');
      expect(cards).toEqual([
        expect.objectContaining({
          Name: 'Muster Treuhand AG',
          Company: '',
          CrmName: 'search.ch',
          ContactUri: 'https://search.ch/tel/b15768ab56be5411',
          CustomData: { Occupation: 'Treuhand & Buchhaltung', Street: 'Musterweg', Number: '3', Postcode: '8005', City: 'Zürich', Source: 'search.ch, Swisscom Directories AG' },
        }),
      ]);
      expect(String(cards[0]!.Id)).toMatch(/^searchch:entry:b15768ab56be5411(:|$)/);
      expect(outcome).toBe('ok');
      // One request, the national form, the key in the query; never a +.
      const sent = fake.arrivals.slice(before);
      expect(sent.map((a) => Object.fromEntries(a.query))).toEqual([{ was: '0446681800', maxnum: '10', key: fake.key }]);
      expect(sent[0]!.headers.accept).toMatch(/^application\/atom\+xml/);
    },
  );

  it('finds a person by a mobile number the directory lists as an extra, with the first name before the last', async () => {
    expect(await names('+41 78 907 22 28', 'acme-token-1')).toEqual(['Lea Brunner']);
  });

  it('is not asked for a caller the tenant\'s own sources know', async () => {
    const before = fake.requestCount;
    const { cards, outcome } = await lookup('+41 44 111 22 33', 'acme-token-1');
    expect(cards.map((c) => c.Name)).toEqual(['Known Customer']);
    expect(fake.requestCount).toBe(before);
    expect(outcome).toBeUndefined();
  });

  it('is not asked beside a CRM template that found the caller (bexio), and is asked when that CRM found nobody', async () => {
    const before = fake.requestCount;
    expect(await names('+41 44 668 18 00', 'mixed-token-1')).toEqual(expect.arrayContaining(['Anna Muster']));
    expect((await names('+41 44 668 18 00', 'mixed-token-1')).every((n) => n !== 'Muster Treuhand AG')).toBe(true);
    expect(fake.requestCount).toBe(before);
    expect(await names('+41 31 999 00 00', 'mixed-token-1')).toEqual([]);
    expect(fake.requestCount).toBe(before + 1);
  });

  it('is asked when the other sources failed quickly (bexio refusing its token)', async () => {
    const before = fake.requestCount;
    expect(await names('+41 44 668 18 00', 'failing-token-1')).toEqual(['Muster Treuhand AG']);
    expect(fake.requestCount).toBe(before + 1);
  });

  it('is not asked when the other sources used the deadline up (bexio hanging): no request spent that could not answer in time', async () => {
    const before = fake.requestCount;
    const { cards, outcome, ms } = await lookup('+41 44 668 18 00', 'starved-token-1');
    expect(cards).toEqual([]);
    expect(ms).toBeLessThan(DEADLINE_MS + 500);
    expect(outcome).toBe('skipped');
    expect(fake.requestCount).toBe(before);
  });

  it('keeps nothing: the same caller twice asks twice (the terms do not say a cache is allowed)', async () => {
    const before = fake.requestCount;
    await names('+41 44 654 32 10', 'acme-token-1');
    const second = await lookup('+41 44 654 32 10', 'acme-token-1');
    expect(second.cards.map((c) => c.Name)).toEqual(['Hans Muster']);
    expect(second.outcome).toBe('ok');
    expect(fake.requestCount).toBe(before + 2);
  });

  it('is not asked for a number outside Switzerland', async () => {
    const before = fake.requestCount;
    const { cards, outcome } = await lookup('+49 30 1234567', 'acme-token-1');
    expect(cards).toEqual([]);
    expect(outcome).toBe('skipped');
    expect(fake.requestCount).toBe(before);
  });

  it("stops at the tenant's quota (SEARCHCH_QUOTA_PER_DAY=2): the third unknown caller of the day sends nothing", async () => {
    const before = fake.requestCount;
    expect(await names('+41 44 668 18 00', 'quota-token-1')).toEqual(['Muster Treuhand AG']);
    expect(await names('+41 44 654 32 10', 'quota-token-1')).toEqual(['Hans Muster']);
    const third = await lookup('+41 78 907 22 28', 'quota-token-1');
    expect(third.cards).toEqual([]);
    expect(third.outcome).toBe('skipped');
    expect(fake.requestCount).toBe(before + 2);
    // A caller the tenant knows is still answered: the quota stops the directory only.
    expect(await names('+41 44 111 22 33', 'quota-token-1')).toEqual(['Known Customer']);
  });

  it('drops an entry the directory answers whose numbers are not the caller\'s', async () => {
    const stranger: DirectoryEntry = { id: 'ffff0000ffff0000', type: 'Person', name: 'Fremd', firstname: 'Otto', phone: '+41449999999' };
    fake.alsoAnswer = stranger;
    try {
      expect(await names('+41 44 668 18 00', 'acme-token-1')).toEqual(['Muster Treuhand AG']);
      expect(fake.arrivals.at(-1)?.answered).toBe(2);
    } finally {
      fake.alsoAnswer = undefined;
    }
  });

  it("answers without it when the key is refused (403), with search.ch's reason in the log and never the key", async () => {
    const { cards, ms } = await lookup('+41 44 668 18 00', 'badkey-token-1');
    expect(cards).toEqual([]);
    expect(ms).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('badkey')).toMatchObject({ code: 'AUTH', reason: 'search.ch answered 403: Invalid key' });
    expect(gateway.logs.text()).not.toContain('f'.repeat(32));
    expect(gateway.logs.text()).not.toContain(fake.key);
  });

  it("answers without it when search.ch's own quota is used (429), and sends nothing more for a while", async () => {
    expect((await lookup('+41 44 668 18 00', 'usedup-token-1')).cards).toEqual([]);
    expect(lastFailure('usedup')).toMatchObject({ code: 'RATE_LIMITED', reason: 'search.ch answered 429: Quota exceeded' });
    const asked = usedUp.requestCount;
    expect((await lookup('+41 44 668 18 00', 'usedup-token-1')).cards).toEqual([]);
    expect(usedUp.requestCount).toBe(asked);
  });

  it('answers by the deadline when search.ch does not answer', async () => {
    const { cards, ms, outcome } = await lookup('+41 44 668 18 00', 'slow-token-1');
    expect(cards).toEqual([]);
    expect(ms).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
    expect(outcome).toBe('timeout');
  });

  it('refuses an answer with a DOCTYPE (entity expansion) instead of reading it', async () => {
    expect((await lookup('+41 44 668 18 00', 'doctype-token-1')).cards).toEqual([]);
    expect(lastFailure('doctype')).toMatchObject({ code: 'UNAVAILABLE' });
    expect(String(lastFailure('doctype')?.reason)).toContain('DOCTYPE');
  });

  it('sends search.ch nothing for a number carrying an injection', async () => {
    const before = fake.requestCount;
    for (const value of INJECTION_VALUES) {
      const response = await gateway.http.get('/lookup').query({ PhoneNumber: value }).set(HEADER, 'acme-token-1');
      expect([200, 400]).toContain(response.status);
    }
    expect(fake.requestCount).toBe(before);
    for (const arrival of fake.arrivals) expect(arrival.query.get('was')).toMatch(/^0\d{9}$/);
  });

  it('is explained as not asked when another source matched, and as asked (spending quota) when none did', async () => {
    const explainer = gateway.app.get(LookupExplainer);
    const known = await explainer.explain('acme', '+41 44 111 22 33', { bypassCache: true });
    expect(known.sources.find((s) => s.source === 'searchch')).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('another source matched') as unknown, queries: [] });
    const unknown = await explainer.explain('acme', '+41 44 668 18 00', { bypassCache: true });
    expect(unknown.sources.find((s) => s.source === 'searchch')).toMatchObject({ outcome: 'ok', queries: [expect.stringContaining('was=0446681800') as unknown] });
    expect(unknown.cards.map((c) => (c as { Name: string }).Name)).toEqual(['Muster Treuhand AG']);
  });
});

/** The fake itself, on the wire: what the template relies on search.ch doing. */
describe('the fake search.ch (its wire behaviour)', () => {
  const fake = new FakeSearchCh();
  beforeAll(async () => void (await fake.start()));
  afterAll(async () => fake.stop());

  const ask = (query: string) => fetch(`${fake.url}/tel/api/?${query}`);

  it('answers an Atom feed with the tel: fields for a key, and only the Atom ones without', async () => {
    const keyed = await ask(`was=0446681800&key=${fake.key}`);
    expect(keyed.status).toBe(200);
    expect(keyed.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const text = await keyed.text();
    expect(text).toContain('<tel:phone>+41446681800</tel:phone>');
    expect(text).toContain('<openSearch:totalResults>1</openSearch:totalResults>');
    expect(text).toContain('Treuhand &amp; Buchhaltung');
    const keyless = await (await ask('was=0446681800')).text();
    expect(keyless).toContain('<title type="text">Muster Treuhand AG</title>');
    expect(keyless).not.toContain('<tel:');
  });

  it('matches a number in any Swiss written form by its digits, and text against the names', async () => {
    for (const was of ['0446681800', '+41446681800', '0041 44 668 18 00', '044 668 18 00']) {
      expect(await (await ask(`was=${encodeURIComponent(was)}&key=${fake.key}`)).text()).toContain('<tel:id>b15768ab56be5411</tel:id>');
    }
    const byName = await (await ask(`was=muster&key=${fake.key}`)).text();
    expect(byName.match(/<entry>/g)).toHaveLength(2);
    expect(await (await ask(`was=0449999999&key=${fake.key}`)).text()).not.toContain('<entry>');
  });

  it('refuses a wrong key (403) and a used quota (429) with the reason in tel:errorMessage', async () => {
    const refused = await ask('was=0446681800&key=wrong');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<tel:errorMessage>Invalid key</tel:errorMessage>');
    fake.quotaLeft = 0;
    try {
      const used = await ask(`was=0446681800&key=${fake.key}`);
      expect(used.status).toBe(429);
      expect(await used.text()).toContain('<tel:errorMessage>Quota exceeded</tel:errorMessage>');
    } finally {
      fake.quotaLeft = 1000;
    }
  });

  it('counts every keyed request against the monthly quota', async () => {
    const before = fake.quotaLeft;
    await ask(`was=0446681800&key=${fake.key}`);
    await ask(`was=0449999999&key=${fake.key}`);
    expect(fake.quotaLeft).toBe(before - 2);
  });

  it('refuses a request without was or with a maxnum out of range (400)', async () => {
    expect((await ask(`key=${fake.key}`)).status).toBe(400);
    expect((await ask(`was=x&maxnum=500&key=${fake.key}`)).status).toBe(400);
  });
});
