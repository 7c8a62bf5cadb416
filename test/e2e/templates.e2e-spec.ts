import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakePipedrive } from '../fakes/pipedrive/fake-pipedrive';
import { INJECTION_VALUES } from '../support/injection-values';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 1500;
const ROOT = join(__dirname, '../..');
/** In the phone book of every tenant, so a lookup answers something while Pipedrive fails. */
const BOOK = 'name,phone\nDirectory Person,+41 44 668 18 00\n';

function tenant(token: string, fake: FakePipedrive, extra = ''): string {
  return [`TOKEN=${token}`, 'TEMPLATES=pipedrive', `PIPEDRIVE_API_TOKEN=${fake.token}`, `PIPEDRIVE_BASE_URL=${fake.url}`, 'DIRECTORY_FILE=book.csv', 'CACHE_TTL_S=0', extra].join('\n');
}

/**
 * A template of an admin's own, in TEMPLATES_DIR: another id and prefix, over the same fake (as a
 * second Pipedrive company would be), one request per written form, links from the base URL. No code
 * knows it.
 */
const OWN_TEMPLATE = `
id: my-crm
name: My CRM
prefix: MYCRM
badge: { letters: MC, color: "#884400" }
baseUrl: https://my-crm.example.ch
parameters:
  - name: KEY
    required: true
    secret: true
auth: { type: apiKey, in: header, name: x-api-token, value: "{{param.KEY}}" }
requests:
  - name: people
    method: GET
    path: /api/v2/persons/search
    forEach: { numberForm: [e164, nationalSignificant] }
    query: { term: "{{number.form}}", fields: phone, exact_match: "false" }
    response:
      records: "$.data.items[*].item"
      objectType: person
      idPattern: "^[0-9]+$"
      id: "$.id"
      kind: person
      name: "$.name"
      company: "$.organization.name"
      phones: "$.phones[*]"
      contactUrl: "{{param.BASE_URL}}/people/{{record.id}}"
`;

describe('a declarative HTTP source: the shipped Pipedrive template (e2e against the fake Pipedrive)', () => {
  const fake = new FakePipedrive();
  const hanging = new FakePipedrive();
  const overLimit = new FakePipedrive();
  const templatesDir = mkdtempSync(join(tmpdir(), 'gateway-templates-'));
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all([fake.start(), hanging.start(), overLimit.start()]);
    hanging.hang = true;
    overLimit.overLimit = true;
    writeFileSync(join(templatesDir, 'my-crm.yaml'), OWN_TEMPLATE);
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS), TEMPLATES_DIR: templatesDir },
      files: {
        'book.csv': BOOK,
        'acme.env': tenant('acme-token-1', fake, 'PIPEDRIVE_COMPANY_DOMAIN=acme\nCRM_ORDER=pipedrive,directory'),
        'badtoken.env': tenant('badtoken-token-1', fake).replace(fake.token, 'a'.repeat(40)),
        'slow.env': tenant('slow-token-1', hanging),
        'limited.env': tenant('limited-token-1', overLimit),
        'own.env': ['TOKEN=own-token-1', 'TEMPLATES=my-crm', `MYCRM_KEY=${fake.token}`, `MYCRM_BASE_URL=${fake.url}`, 'CACHE_TTL_S=0'].join('\n'),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([fake.stop(), hanging.stop(), overLimit.stop()]);
    rmSync(templatesDir, { recursive: true, force: true });
  });

  const { lookup, cards, names } = templateLookups(() => gateway, 'pipedrive');

  it('finds a person stored as "044 668 18 00" when called as +41446681800, searching the significant digits', async () => {
    const before = fake.searches.length;
    const found = await cards('+41446681800', 'acme-token-1');
    expect(found.map((c) => c.Name)).toEqual(['Anna Muster', 'Directory Person']);
    expect(found[0]).toMatchObject({ Company: 'Muster Treuhand AG', ContactUri: 'https://acme.pipedrive.com/person/1', CrmName: 'Pipedrive' });
    expect(String(found[0]!.Id)).toMatch(/^pipedrive:person:1(:|$)/);
    const [search] = fake.searches.slice(before);
    expect(Object.fromEntries(search!.query)).toEqual({ term: '446681800', fields: 'phone', exact_match: 'false', limit: '20' });
    expect(search!.headers['x-api-token']).toBe(fake.token);
  });

  it("drops a record Pipedrive found whose phone only shares the number's digits (+49 446 681800)", async () => {
    const before = fake.searches.length;
    expect(await names('41446681800', 'acme-token-1')).toEqual(['Anna Muster', 'Directory Person']);
    expect(fake.searches.slice(before).map((s) => s.answered)).toEqual([2]);
  });

  it('serves its badge at /logos/pipedrive.svg', async () => {
    const logo = await gateway.http.get('/logos/pipedrive.svg').expect(200);
    expect(String(logo.body)).toContain('PD');
  });

  it('answers without Pipedrive when its token is refused (401), in time, saying why in the log', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'badtoken-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    const failure = gateway.logs.lines.filter((l) => l.tenant === 'badtoken' && l.source === 'pipedrive').at(-1);
    expect(failure).toMatchObject({ code: 'AUTH', msg: 'Source pipedrive failed (AUTH); answered without it', reason: 'Pipedrive answered 401: unauthorized access' });
    expect(gateway.logs.text()).not.toContain('a'.repeat(40));
  });

  it('answers without Pipedrive when it answers 429, and waits as long as it said before asking again', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(gateway.logs.lines.filter((l) => l.tenant === 'limited' && l.source === 'pipedrive').at(-1)).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'Pipedrive answered 429: Request over limit',
    });
    const asked = overLimit.searches.length;
    expect(await names('41446681800', 'limited-token-1')).toEqual(['Directory Person']);
    // x-ratelimit-reset said 2 s: the next lookup within them does not ask.
    expect(overLimit.searches.length).toBe(asked);
  });

  it('answers by the deadline when Pipedrive does not answer', async () => {
    const started = Date.now();
    expect(await names('41446681800', 'slow-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(hanging.requestCount).toBeGreaterThan(0);
    expect(gateway.logs.lines.filter((l) => l.tenant === 'slow' && l.source === 'pipedrive').at(-1)).toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends Pipedrive nothing for a number carrying an injection', async () => {
    const before = fake.requestCount;
    for (const value of INJECTION_VALUES) {
      const response = await lookup(value, 'acme-token-1');
      expect([200, 400]).toContain(response.status);
      if (response.status === 200) expect(response.body).toEqual([]);
    }
    expect(fake.requestCount).toBe(before);
  });

  it('uses a template of TEMPLATES_DIR with no code change: one request per form, links from the base URL', async () => {
    const before = fake.searches.length;
    const found = await cards('41446681800', 'own-token-1');
    expect(found.map((c) => c.Name)).toEqual(['Anna Muster']);
    expect(found[0]).toMatchObject({ CrmName: 'My CRM', ContactUri: `${fake.url}/people/1` });
    expect(fake.searches.slice(before).map((s) => s.query.get('term')).sort()).toEqual(['+41446681800', '446681800']);
    await gateway.http.get('/logos/my-crm.svg').expect(200);
  });
});

describe('templates that stop the start (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-templates-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const acme = { 'acme.env': 'TOKEN=acme-token-1\nDIRECTORY_FILE=book.csv\n', 'book.csv': BOOK };

  it('stops the start at a broken template, naming its file, line and column, and the problem', async () => {
    const broken = readFileSync(join(ROOT, 'templates/pipedrive.yaml'), 'utf8').replace('id: pipedrive', 'id: broken').replace('prefix: PIPEDRIVE', 'prefix: BROKEN').replace('      kind: person', '      kind: people');
    writeFileSync(join(dir, 'broken.yaml'), broken);
    const line = broken.split('\n').findIndex((l) => l === '      kind: people') + 1;
    await expect(startTestApp({ env: { TEMPLATES_DIR: dir }, files: acme })).rejects.toThrow(
      new RegExp(`broken\\.yaml:${line}:13: requests\\[0\\]\\.response\\.kind: must match pattern`),
    );
    rmSync(join(dir, 'broken.yaml'));
  });

  it('stops the start at a tenant naming a template that does not exist', async () => {
    await expect(startTestApp({ files: { ...acme, 'acme.env': 'TOKEN=acme-token-1\nTEMPLATES=pipedrive,zohocrm\nPIPEDRIVE_API_TOKEN=659c9fddb16335e48cc67114694b52074e812e03\n' } })).rejects.toThrow(
      'TEMPLATES="pipedrive,zohocrm": names unknown template(s) zohocrm',
    );
  });
});
