import { FakeMultisource } from '../fakes/multisource/fake-multisource';
import { FakeSearchCh } from '../fakes/searchch/fake-searchch';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 2000;
const BOOK = 'name,phone\nKnown Customer,+41 44 111 22 33\n';

function tenant(token: string, fake: FakeMultisource, extra: readonly string[] = []): string {
  return [`TOKEN=${token}`, 'TEMPLATES=multisource', `MULTISOURCE_API_KEY=${fake.apiKey}`, `MULTISOURCE_BASE_URL=${fake.url}`, 'DIRECTORY_FILE=book.csv', ...extra].join('\n');
}

/** The paid directory as a second fallback template (e2e against the fake multisource). */
describe('the shipped multisource template, a fallback tier (e2e against the fake multisource)', () => {
  const fake = new FakeMultisource();
  const hanging = new FakeMultisource();
  const searchch = new FakeSearchCh();
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([fake.start(), hanging.start(), searchch.start()]);
    hanging.hang = true;
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'book.csv': BOOK,
        'acme.env': tenant('acme-token-1', fake),
        'badkey.env': tenant('badkey-token-1', fake).replace(`MULTISOURCE_API_KEY=${fake.apiKey}`, `MULTISOURCE_API_KEY=${'k'.repeat(24)}`),
        'slow.env': tenant('slow-token-1', hanging),
        'both.env': tenant('both-token-1', fake, [`SEARCHCH_KEY=${searchch.key}`, `SEARCHCH_BASE_URL=${searchch.url}/tel/api`]).replace('TEMPLATES=multisource', 'TEMPLATES=multisource,searchch'),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), searchch.stop()]);
  });

  const { lookup, cards, lastFailure } = templateLookups(() => gateway, 'multisource');

  it('names a company no source of the tenant knows, from the E.164 number it sent (+ encoded), with the attribution', async () => {
    const before = fake.arrivals.length;
    expect(await cards('044 668 18 00', 'acme-token-1')).toEqual([
      expect.objectContaining({ Name: 'Muster Treuhand AG', Company: 'Muster Treuhand AG', CrmName: 'multisource', CustomData: expect.objectContaining({ City: 'Zürich', Source: 'multisource, Swisscom Directories AG' }) as unknown }),
    ]);
    const [sent] = fake.arrivals.slice(before);
    expect(Object.fromEntries(sent!.query)).toEqual({ number: '+41446681800', outputFormat: '2' });
    expect(sent!.headers['auth-key']).toBe(fake.apiKey);
  });

  it('names a person by first and last name, found by a mobile number', async () => {
    const [card] = await cards('+41 78 907 22 28', 'acme-token-1');
    expect(card).toMatchObject({ Name: 'Lea Brunner', Company: '' });
  });

  it('is not asked for a caller the tenant knows, nor for a number outside Switzerland and Liechtenstein', async () => {
    const before = fake.requestCount;
    expect((await cards('+41 44 111 22 33', 'acme-token-1')).map((c) => c.Name)).toEqual(['Known Customer']);
    expect(await cards('+49 30 1234567', 'acme-token-1')).toEqual([]);
    expect(fake.requestCount).toBe(before);
  });

  it('is asked beside search.ch when both are fallbacks: both cards, each naming its source', async () => {
    const found = await cards('+41 44 668 18 00', 'both-token-1');
    expect(found.map((c) => c.CrmName).sort()).toEqual(['multisource', 'search.ch']);
  });

  it('answers no card once the plan\'s matches are used (a match without content), and never caches', async () => {
    const before = fake.requestCount;
    fake.matchesLeft = 0;
    try {
      expect(await cards('+41 44 668 18 00', 'acme-token-1')).toEqual([]);
      expect(await cards('+41 44 668 18 00', 'acme-token-1')).toEqual([]);
    } finally {
      fake.matchesLeft = 500;
    }
    expect(fake.requestCount).toBe(before + 2);
  });

  it('drops an entry whose numbers are not the caller\'s', async () => {
    fake.alsoAnswer = { dwhId: 'XYZ000000001', companyname: 'Other AG', firstname: null, name: null, street: 'x', houseNumber: '1', zip: '8000', location: 'Zürich', phoneNumbers: ['+41449999999'], mobileNumbers: [] };
    try {
      expect((await cards('+41 44 668 18 00', 'acme-token-1')).map((c) => c.Name)).toEqual(['Muster Treuhand AG']);
    } finally {
      fake.alsoAnswer = undefined;
    }
  });

  it('answers without it when the key is refused (401), in time, never logging the key', async () => {
    const started = Date.now();
    expect(await cards('+41 44 668 18 00', 'badkey-token-1')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(lastFailure('badkey')).toMatchObject({ code: 'AUTH', reason: 'multisource answered 401: Invalid Auth-Key' });
    expect(gateway.logs.text()).not.toContain('k'.repeat(24));
    expect(gateway.logs.text()).not.toContain(fake.apiKey);
  });

  it('answers by the deadline when multisource does not answer', async () => {
    const started = Date.now();
    expect(await cards('+41 44 668 18 00', 'slow-token-1')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
  });

  it('sends nothing for a number carrying an injection', async () => {
    const before = fake.requestCount;
    for (const value of INJECTION_VALUES) expect([200, 400]).toContain((await lookup(value, 'acme-token-1')).status);
    expect(fake.requestCount).toBe(before);
  });
});
