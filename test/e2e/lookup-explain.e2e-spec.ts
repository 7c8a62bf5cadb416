import { LookupExplainer } from '../../src/lookup/lookup-explainer';
import { LookupHistory } from '../../src/lookup/lookup-history';
import type { ExplainedSource, LookupExplanation } from '../../src/lookup/lookup-insight';
import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const SALESFORCE_SECRET = 'fake-client-secret';

/**
 * `LookupExplainer` in the gateway as production wires it, against the fake CRMs: what the console's
 * "explain a lookup" and `npm run lookup` show.
 */
describe('explaining a lookup (e2e against the CRM fakes)', () => {
  const salesforce = new FakeSalesforce();
  const hubspot = new FakeHubSpot();
  const sugar = new FakeSugar();
  let gateway: TestApp;
  let explainer: LookupExplainer;

  const tenantFile = (token: string, region: string): string =>
    [
      `TOKEN=${token}`,
      `DEFAULT_REGION=${region}`,
      `SALESFORCE_LOGIN_URL=${salesforce.url}`,
      'SALESFORCE_CLIENT_ID=fake-client-id',
      `SALESFORCE_CLIENT_SECRET=${SALESFORCE_SECRET}`,
      `HUBSPOT_ACCESS_TOKEN=${hubspot.token}`,
      `HUBSPOT_BASE_URL=${hubspot.url}`,
      `SUGAR_URL=${sugar.url}`,
      `SUGAR_USERNAME=${sugar.username}`,
      `SUGAR_PASSWORD=${sugar.password}`,
      '',
    ].join('\n');

  beforeAll(async () => {
    await Promise.all([salesforce.start(), hubspot.start(), sugar.start()]);
    gateway = await startTestApp({
      // The console on: the history of the CONNECTOR's lookups is kept only then.
      env: { LOOKUP_TIMEOUT_MS: '3000', ADMIN_TOKEN: 'admin-token-0123456789abcdef' },
      files: {
        'acme.env': tenantFile('acme-token-123', 'CH'),
        'berlin.env': tenantFile('berlin-token-123', 'DE'),
        'zurich.env': tenantFile('zurich-token-123', 'CH'),
      },
    });
    explainer = gateway.app.get(LookupExplainer);
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([salesforce.stop(), hubspot.stop(), sugar.stop()]);
  });
  afterEach(() => {
    hubspot.revoked = false;
    sugar.searchUnavailable = false;
  });

  const source = (explanation: LookupExplanation, id: string): ExplainedSource => explanation.sources.find((s) => s.source === id)!;
  const secrets = (): string[] => [SALESFORCE_SECRET, hubspot.token, sugar.password];

  it('shows a number stored in an odd form matched, with its strength, the SOSL sent, and the cards', async () => {
    // Kurt Meier's phone is stored as `+41 52 212 34 56 ext 12`: the caller may be his colleague on the same line.
    const explanation = await explainer.explain('acme', '052 212 34 56', { bypassCache: true });
    expect(explanation.readAs).toMatchObject({ kind: 'phone', e164: '+41522123456', national: '052 212 34 56', region: 'CH' });
    const sf = source(explanation, 'salesforce');
    expect(sf.outcome).toBe('ok');
    expect(sf.queries).toEqual([expect.stringMatching(/^GET \/search\?q=FIND \{41522123456 OR 0522123456 OR .*\} IN PHONE FIELDS RETURNING Contact\(/)]);
    expect(sf.candidates).toEqual([
      expect.objectContaining({ recordId: '003000000000008AAA', objectType: 'Contact', name: 'Kurt Meier', phones: ['+41 52 212 34 56 ext 12'], strength: 'main number of an extension' }),
    ]);
    expect(sf.candidates[0]!.dropped).toBeUndefined();
    expect(source(explanation, 'hubspot').queries).toEqual(
      expect.arrayContaining([expect.stringMatching(/^POST \/crm\/v3\/objects\/contacts\/search \{.*"value":"522123456"/)]),
    );
    expect(source(explanation, 'sugar').queries).toEqual([expect.stringMatching(/^GET \/globalsearch\?q=522123456&module_list=/)]);
    // The same person in each CRM: one card each, as the CONNECTOR gets them.
    expect(explanation.cards).toEqual(
      expect.arrayContaining([expect.objectContaining({ Name: 'Kurt Meier', CrmName: 'Salesforce', Id: expect.stringMatching(/^salesforce:Contact:003000000000008AAA/) })]),
    );
    expect(explanation.cards.every((card) => (card as { Name: string }).Name === 'Kurt Meier')).toBe(true);
  });

  it('shows a candidate the CRM returned whose phones are not the number as dropped, and why', async () => {
    // In a German tenant `044 668 18 00` is a Berlin-less German number: Salesforce finds Anna Muster by its digits, the core does not.
    const explanation = await explainer.explain('berlin', '+41 44 668 18 00', { bypassCache: true });
    const candidates = source(explanation, 'salesforce').candidates;
    expect(candidates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Muster Treuhand AG', phones: ['+41 44 668 18 00'], strength: 'exact' }),
        expect.objectContaining({ name: 'Anna Muster', strength: 'none', dropped: 'none of its stored phones is this number' }),
      ]),
    );
    expect(explanation.cards.map((card) => (card as { Name: string }).Name)).not.toContain('Anna Muster');
  });

  it('shows a failing source with its error, and no secret anywhere', async () => {
    hubspot.revoked = true;
    const explanation = await explainer.explain('acme', '41789072228', { bypassCache: true });
    const hs = source(explanation, 'hubspot');
    expect(hs).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/^AUTH/) });
    expect(hs.queries.length).toBeGreaterThan(0);
    expect(source(explanation, 'salesforce').outcome).toBe('ok');
    expect(explanation.cards.length).toBeGreaterThan(0);
    const text = JSON.stringify(explanation);
    for (const secret of secrets()) expect(text).not.toContain(secret);
  });

  it("shows Sugar's fallback to the filter API, with each module's filter", async () => {
    sugar.searchUnavailable = true;
    const explanation = await explainer.explain('zurich', '+41 78 907 22 28', { bypassCache: true });
    const sugarSource = source(explanation, 'sugar');
    expect(sugarSource.outcome).toBe('ok');
    expect(sugarSource.notes).toEqual([expect.stringContaining('search_unavailable')]);
    expect(sugarSource.queries).toEqual([
      expect.stringMatching(/^GET \/globalsearch\?/),
      expect.stringMatching(/^POST \/Contacts\/filter \{"filter":\[\{"\$or":\[\{"phone_work":\{"\$contains":/),
      expect.stringMatching(/^POST \/Leads\/filter /),
      expect.stringMatching(/^POST \/Accounts\/filter /),
    ]);
    expect(sugarSource.candidates).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Anna Muster', strength: 'exact' })]));
  });

  it('is not one of the CONNECTOR\'s lookups: those are listed in the history, masked; the explanation is not', async () => {
    const history = gateway.app.get(LookupHistory);
    const before = history.recent('acme').length;
    await explainer.explain('acme', '41789072228', { bypassCache: false });
    expect(history.recent('acme')).toHaveLength(before);
    await gateway.http.get('/lookup').query({ PhoneNumber: '41789072228' }).set(HEADER, 'acme-token-123').expect(200);
    const [newest] = history.recent('acme');
    expect(newest).toMatchObject({ tenant: 'acme', number: '+41******228', cards: expect.any(Number) });
    expect(newest!.sources.map((s) => s.source)).toEqual(['salesforce', 'hubspot', 'sugar']);
    expect(history.overview('acme').map((row) => `${row.source}: ${row.lastHour.at(-1)!.lookups > 0}`)).toEqual(['salesforce: true', 'hubspot: true', 'sugar: true']);
  });
});
