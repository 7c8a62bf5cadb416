import { ACME_TENANT, PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { startTestApp, type TestApp } from '../support/test-app';

describe('logos and health (e2e)', () => {
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { PUBLIC_URL: 'https://lookup.example.ch/' },
      files: {
        'acme.env': ACME_TENANT,
        'book.csv': PHONE_BOOK_CSV,
        'own.env': 'TOKEN=own-logo-token\nDIRECTORY_FILE=book.csv\nDIRECTORY_LOGO_URL=https://intranet.example.ch/book.png\n',
      },
    });
  });
  afterAll(() => gateway.close());

  it('serves a badge per source as SVG, without a token', async () => {
    const response = await gateway.http.get('/logos/directory.svg').expect(200).expect('Content-Type', /^image\/svg\+xml/);
    const svg = response.text || String(response.body);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<title>Directory<\/title>[\s\S]*DIR<\/text><\/svg>$/);
  });

  it('answers 404 for a logo it does not have', async () => {
    await gateway.http.get('/logos/salesforce.png').expect(404);
    await gateway.http.get('/logos/nothing.svg').expect(404);
  });

  it('points CrmLogo at the badge under PUBLIC_URL, or at the tenant override', async () => {
    const ours = await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Execution-Token', TOKEN).expect(200);
    expect(ours.body[0].CrmLogo).toBe('https://lookup.example.ch/logos/directory.svg');
    await gateway.http.get(new URL(ours.body[0].CrmLogo as string).pathname).expect(200);

    const own = await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Execution-Token', 'own-logo-token').expect(200);
    expect(own.body[0].CrmLogo).toBe('https://intranet.example.ch/book.png');
  });

  it('answers health without a token and without naming tenants', async () => {
    await gateway.http.get('/health').expect(200, { status: 'ok' });
  });
});
