import { FakePipedrive } from '../fakes/pipedrive/fake-pipedrive';
import { startTestApp, type TestApp } from '../support/test-app';
import { templateLookups } from '../support/template-lookups';

const DEADLINE_MS = 1500;

function tenant(token: string, fake: FakePipedrive, extra: string[] = []): string {
  return [`TOKEN=${token}`, 'TEMPLATES=pipedrive', `PIPEDRIVE_API_TOKEN=${fake.token}`, `PIPEDRIVE_BASE_URL=${fake.url}`, 'CACHE_TTL_S=0', ...extra].join('\n');
}

/**
 * The shipped Pipedrive template's organizations: searched (PIPEDRIVE_SEARCH_ORGANIZATIONS=true) with
 * `GET /api/v2/organizations/search?fields=custom_fields`, their phone read from the custom field values
 * the answer carries, verified by the core like every record (e2e against the fake Pipedrive).
 */
describe('the shipped Pipedrive template: organizations by a custom phone field (e2e against the fake Pipedrive)', () => {
  // One Pipedrive company (one token, one search burst of 10 per 2 s) per tenant, as in real life.
  const fake = new FakePipedrive();
  const noLinks = new FakePipedrive();
  const unset = new FakePipedrive();
  const off = new FakePipedrive();
  /** Answers the other reading of the item shape: every searchable custom field's value in custom_fields. */
  const everyField = new FakePipedrive();
  const fakes = [fake, noLinks, unset, off, everyField];
  let gateway: TestApp;

  beforeAll(async () => {
    await Promise.all(fakes.map((f) => f.start()));
    everyField.everyCustomFieldInItems = true;
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      files: {
        'orgs.env': tenant('orgs-token-1', fake, ['PIPEDRIVE_COMPANY_DOMAIN=acme', 'PIPEDRIVE_SEARCH_ORGANIZATIONS=true']),
        'nolinks.env': tenant('nolinks-token-1', noLinks, ['PIPEDRIVE_SEARCH_ORGANIZATIONS=true']),
        'unset.env': tenant('unset-token-1', unset, ['PIPEDRIVE_COMPANY_DOMAIN=acme']),
        'off.env': tenant('off-token-1', off, ['PIPEDRIVE_COMPANY_DOMAIN=acme', 'PIPEDRIVE_SEARCH_ORGANIZATIONS=false']),
        'every.env': tenant('every-token-1', everyField, ['PIPEDRIVE_COMPANY_DOMAIN=acme', 'PIPEDRIVE_SEARCH_ORGANIZATIONS=true']),
      },
    });
  });
  // Each lookup costs two searches with organizations on: a fresh burst window per test keeps Pipedrive's 429 out of tests that are not about it.
  beforeEach(() => fakes.forEach((f) => f.resetBurst()));
  afterAll(async () => {
    await gateway.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });

  const { cards, names } = templateLookups(() => gateway, 'pipedrive');

  it('finds an organization whose custom phone field holds "+41 (0)44 668 18 00" when called as +41446681800, beside its person, with one search each', async () => {
    const [persons, organizations] = [fake.searches.length, fake.organizationSearches.length];
    const found = await cards('+41446681800', 'orgs-token-1');
    expect(found.map((c) => c.Name)).toEqual(['Anna Muster', 'Muster Treuhand AG']);
    expect(found[1]).toMatchObject({
      Company: '',
      ContactUri: 'https://acme.pipedrive.com/organization/7',
      CompanyUri: 'https://acme.pipedrive.com/organization/7',
      CrmName: 'Pipedrive',
      CustomData: { Address: 'Bahnhofstrasse 1, 8001 Zürich' },
    });
    expect(String(found[1]!.Id)).toMatch(/^pipedrive:organization:7(:|$)/);
    expect(fake.searches.length - persons).toBe(1);
    const sent = fake.organizationSearches.slice(organizations);
    expect(sent).toHaveLength(1);
    expect(Object.fromEntries(sent[0]!.query)).toEqual({ term: '446681800', fields: 'custom_fields', exact_match: 'false', limit: '20' });
    expect(sent[0]!.headers['x-api-token']).toBe(fake.token);
    expect(sent[0]!.status).toBe(200);
  });

  it.each([
    ['031/311.22.33', '+41313112233', 'Hotel Alpenblick'],
    ['0041 (0)27 966 01 01', '41279660101', 'Bergbahnen Zermatt AG'],
  ])('finds an organization whose custom phone field holds %s when called as %s', async (_stored, number, name) => {
    expect(await names(number, 'orgs-token-1')).toEqual([name]);
  });

  it('does not find an organization whose number is only in a note: the search reads custom fields only', async () => {
    // Notiz AG's note holds 031 311 22 33, Hotel Alpenblick's custom field the same number.
    expect(await names('+41313112233', 'orgs-token-1')).not.toContain('Notiz AG');
  });

  it("drops an organization Pipedrive found whose custom phone only shares the number's digits (+49 4466 81800), and finds it for its own number", async () => {
    const before = fake.organizationSearches.length;
    expect(await names('+41446681800', 'orgs-token-1')).toEqual(['Anna Muster', 'Muster Treuhand AG']);
    // Pipedrive's substring search answered both organizations; the core kept the one whose number it is.
    expect(fake.organizationSearches.slice(before).map((s) => s.answered)).toEqual([2]);
    expect(await names('+49 4466 81800', 'orgs-token-1')).toEqual(['Hans Suffix', 'Suffix GmbH']);
  });

  it.each([
    ['unset', unset],
    ['off', off],
  ])('does not ask for organizations when PIPEDRIVE_SEARCH_ORGANIZATIONS is %s', async (tenantId, company) => {
    const persons = company.searches.length;
    expect(await names('+41446681800', `${tenantId}-token-1`)).toEqual(['Anna Muster']);
    expect(company.searches.length - persons).toBe(1);
    expect(company.organizationSearches).toEqual([]);
  });

  it("shows a person's organization name on the person's card, without a link to the organization", async () => {
    const [anna] = await cards('+41446681800', 'unset-token-1');
    expect(anna).toMatchObject({ Name: 'Anna Muster', Company: 'Muster Treuhand AG', ContactUri: 'https://acme.pipedrive.com/person/1', CompanyUri: '' });
    // Beat Keller has no organization (organization: null in the answer).
    expect(await cards('+41791234567', 'unset-token-1')).toEqual([expect.objectContaining({ Name: 'Beat Keller', Company: '', CompanyUri: '' })]);
  });

  it('gives organization cards no links without PIPEDRIVE_COMPANY_DOMAIN', async () => {
    const found = await cards('+41313112233', 'nolinks-token-1');
    expect(found).toEqual([expect.objectContaining({ Name: 'Hotel Alpenblick', ContactUri: '', CompanyUri: '' })]);
  });

  it('finds the organization when the answer carries every custom field value (its website too), not only the one that matched', async () => {
    const before = everyField.organizationSearches.length;
    expect(await names('+41446681800', 'every-token-1')).toEqual(['Anna Muster', 'Muster Treuhand AG']);
    expect(await names('+41313112233', 'every-token-1')).toEqual(['Hotel Alpenblick']);
    expect(everyField.organizationSearches.slice(before).map((s) => s.answered)).toEqual([2, 1]);
  });
});

describe('the Pipedrive template keys for organizations (e2e)', () => {
  it('stops the start at a PIPEDRIVE_SEARCH_ORGANIZATIONS that is not true or false', async () => {
    const env = ['TOKEN=acme-token-1', 'TEMPLATES=pipedrive', 'PIPEDRIVE_API_TOKEN=659c9fddb16335e48cc67114694b52074e812e03', 'PIPEDRIVE_SEARCH_ORGANIZATIONS=yes'].join('\n');
    await expect(startTestApp({ files: { 'acme.env': env } })).rejects.toThrow(/PIPEDRIVE_SEARCH_ORGANIZATIONS="yes": must be true to search organizations too/);
  });

  it('stops the start at PIPEDRIVE_SEARCH_ORGANIZATIONS set for a tenant without the template', async () => {
    await expect(startTestApp({ files: { 'acme.env': 'TOKEN=acme-token-1\nPIPEDRIVE_SEARCH_ORGANIZATIONS=true\n' } })).rejects.toThrow(
      /PIPEDRIVE_SEARCH_ORGANIZATIONS: set, but pipedrive is not in TEMPLATES/,
    );
  });
});
