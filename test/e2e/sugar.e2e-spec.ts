import { eventually } from '../support/eventually';
import { FakeSugar } from '../fakes/sugar/fake-sugar';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'sugar-tenant-token';

function sugarTenant(fake: FakeSugar, extra = ''): string {
  return [
    `TOKEN=${TOKEN}`,
    `SUGAR_URL=${fake.url}`,
    `SUGAR_USERNAME=${fake.username}`,
    `SUGAR_PASSWORD=${fake.password}`,
    'SUGAR_CUSTOM_DATA=Title=title',
    'WORKFLOW_DEFAULT_CRM=sugar',
    'CACHE_TTL_S=0',
    extra,
  ].join('\n');
}

const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

async function namesFrom(gateway: TestApp, number: string, token = TOKEN): Promise<string[]> {
  const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token).expect(200);
  return (response.body as Array<{ Name: string }>).map((c) => c.Name);
}

const FORMATS: Array<[string, string[], string]> = [
  ['41789072228', ['Anna Muster'], '+41 78 907 22 28'],
  ['41446681800', ['Anna Muster', 'Muster Treuhand AG'], '044 668 18 00 and +41 44 668 18 00'],
  ['41791234567', ['Beat Keller'], '079.123.45.67'],
  ['41215522000', ['Chantal Favre'], '+41 (0)21 552 20 00'],
  ['14155551212', ['Julia Chen'], '+1 (415) 555-1212'],
  ['41522123456', ['Kurt Meier'], '052 212 34 56 ext 12'],
  ['442079460018', ['Ian Clarke'], '+44 20 7946 0018'],
  ['41765554433', ['Olivia Brunner'], 'a Lead: 076 555 44 33'],
  ['41338220000', ['Alpenblick Hotel AG'], 'an Account: 033 822 00 00'],
  ['49789072228', ['Fabian Weber'], 'same national digits as Anna, in Germany'],
  ['41790000000', [], 'nobody'],
];

describe('Sugar source with global search (e2e against the fake Sugar)', () => {
  const fake = new FakeSugar();
  let gateway: TestApp;

  beforeAll(async () => {
    await fake.start();
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: '700' },
      files: {
        'acme.env': sugarTenant(fake),
        'book.csv': 'name,phone\nDirectory Person,+41 78 907 22 28\n',
        'mixed.env': `TOKEN=mixed-token-1\nSUGAR_URL=${fake.url}\nSUGAR_USERNAME=${fake.username}\nSUGAR_PASSWORD=${fake.password}\nSUGAR_PLATFORM=phone_gateway\nDIRECTORY_FILE=book.csv\nCACHE_TTL_S=0\n`,
      },
    });
    await settle();
  });
  afterAll(async () => {
    await gateway.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.hang = false;
    fake.delayMs = 0;
  });
  const names = (number: string, token = TOKEN) => namesFrom(gateway, number, token);

  it.each(FORMATS)('finds %s: %j (stored as %s)', async (number, expected) => {
    expect(await names(number)).toEqual(expected);
  });

  it('asks global search for the national number, with the OAuth-Token header', async () => {
    const before = fake.requests.length;
    await names('+41 78 907 22 28');
    const search = fake.requests.slice(before).find((r) => r.path === '/rest/v11/globalsearch')!;
    expect(search.query).toMatchObject({ q: '789072228', module_list: 'Contacts,Leads,Accounts', max_num: '20' });
    expect(search.token).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps Contacts, Leads and Accounts into cards with Sugar links', async () => {
    const response = await gateway.http.get('/lookup?PhoneNumber=41446681800').set(HEADER, TOKEN).expect(200);
    expect(response.body).toEqual([
      {
        Name: 'Anna Muster',
        Company: 'Muster Treuhand AG',
        ContactUri: `${fake.url}/#Contacts/c-anna`,
        CompanyUri: `${fake.url}/#Accounts/acc-muster`,
        Id: 'sugar:Contacts:c-anna',
        CrmName: 'SugarCRM',
        CrmLogo: 'http://localhost:3000/logos/sugar.svg',
        CrmActions: ['CallFlow', 'CreateContact', 'CreateTicket'],
        CustomData: { Title: 'CFO' },
        CustomFields: { Title: 'CFO' },
      },
      expect.objectContaining({ Name: 'Muster Treuhand AG', Id: 'sugar:Accounts:acc-muster', ContactUri: `${fake.url}/#Accounts/acc-muster` }),
    ]);
    const lead = (await gateway.http.get('/lookup?PhoneNumber=41765554433').set(HEADER, TOKEN).expect(200)).body as Array<Record<string, unknown>>;
    expect(lead[0]).toMatchObject({ Id: 'sugar:Leads:l-olivia', Company: 'Brunner Bau AG', CompanyUri: '' });
  });

  it('refreshes an expired token once, keeps the rotated refresh token, and ten lookups in a row all succeed', async () => {
    await names('41791234567');
    fake.expireTokens();
    const refreshes = fake.tokenRequests('refresh_token').length;
    for (let i = 0; i < 10; i++) expect(await names('41791234567')).toEqual(['Beat Keller']);
    expect(fake.tokenRequests('refresh_token').length).toBe(refreshes + 1);
    fake.expireTokens();
    for (let i = 0; i < 3; i++) expect(await names('41791234567')).toEqual(['Beat Keller']);
    // The second refresh used the rotated token (the first one is no longer valid), so no login was needed.
    expect(fake.tokenRequests('refresh_token').length).toBe(refreshes + 2);
    const [first, second] = fake.tokenRequests('refresh_token').slice(-2).map((r) => (r.body as { refresh_token: string }).refresh_token);
    expect(second).not.toBe(first);
  });

  it('shares one refresh among concurrent lookups', async () => {
    await names('41791234567');
    fake.expireTokens();
    const refreshes = fake.tokenRequests('refresh_token').length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => names('41791234567')));
    expect(answers).toEqual(Array(6).fill(['Beat Keller']));
    expect(fake.tokenRequests('refresh_token').length).toBe(refreshes + 1);
  });

  it('recovers when a person logs in with the same user on platform base (its session ends ours)', async () => {
    await names('41791234567');
    fake.personLogsIn('base');
    const logins = fake.tokenRequests('password').length;
    expect(await names('41791234567')).toEqual(['Beat Keller']);
    expect(fake.tokenRequests('password').length).toBe(logins + 1);
  });

  it('keeps its session on a registered platform when a person logs in on base', async () => {
    await names('41789072228', 'mixed-token-1');
    const logins = fake.tokenRequests('password').length;
    fake.personLogsIn('base');
    expect(await names('41789072228', 'mixed-token-1')).toEqual(['Anna Muster', 'Directory Person']);
    expect(fake.tokenRequests('password').length).toBe(logins);
  });

  it('answers a hanging Sugar by the deadline with the other sources', async () => {
    await names('41789072228', 'mixed-token-1');
    fake.hang = true;
    const started = Date.now();
    expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
    expect(Date.now() - started).toBeLessThan(700 + 1000);
    expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ tenant: 'mixed', source: 'sugar', code: 'TIMEOUT' }));
  });

  it('finds the caller when Sugar closed the kept-alive connection just as the lookup was sent on it', async () => {
    await names('41789072228');
    const ours = fake.requests.at(-1)!.token; // this tenant's session: other tests' tenants share the fake
    fake.dropIdleConnections();
    const before = fake.requests.length;
    await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).set('X-Request-Id', 'sugar-stale-1').expect(200);
    const line = gateway.logs.lines.find((l) => l.reqId === 'sugar-stale-1' && l.msg === 'request completed') as { lookup?: { results: number; sources: Record<string, { outcome: string }> } };
    expect(line.lookup).toMatchObject({ results: 1, sources: { sugar: { outcome: 'ok' } } });
    const searches = fake.requests.slice(before).filter((r) => r.path === '/rest/v11/globalsearch' && r.token === ours);
    expect(searches).toHaveLength(1); // the reset one never reached Sugar
  });

  describe('workflows', () => {
    const call = { direction: 'incoming', originatorNumber: '41789072228', originatorName: 'Anna Muster', destinationNumber: '41446681800', userCrmId: 'sugar:seed-user-sales' };
    const post = (workflow: string, inputs: Record<string, unknown>) => gateway.http.post(`/lookup/${workflow}`).set(HEADER, TOKEN).send({ inputs });

    it('CallFlow creates one Calls record under the account, linked to the contact, then updates it', async () => {
      const callsBefore = fake.all('Calls').length;
      const first = await post('CallFlow', { ...call, contactCrmId: 'sugar:Contacts:c-anna', startedTime: '2026-11-24 10:15:00' }).expect(200);
      expect(first.body.id).toMatch(/^sugar:Calls:[0-9a-f-]{36}$/);
      const callId = (first.body.id as string).split(':')[2]!;
      expect(first.body.url).toBe(`${fake.url}/#Calls/${callId}`);
      const created = fake.all('Calls').find((c) => c.id === callId)!;
      expect(created).toMatchObject({
        direction: 'Inbound',
        status: 'Not Held',
        date_start: '2026-11-24T09:15:00+00:00',
        parent_type: 'Accounts',
        parent_id: 'acc-muster',
        assigned_user_id: 'seed-user-sales',
        duration_hours: 0,
        duration_minutes: 0,
        auto_invite_parent: false,
      });
      expect(String(created.name)).toBe('Missed call from Anna Muster (+41 78 907 22 28)'.slice(0, 50));
      expect([...fake.links.get(`Calls/${callId}`)!]).toEqual(['Contacts/c-anna']);

      const ended = await post('CallFlow', {
        ...call,
        contactCrmId: 'sugar:Contacts:c-anna',
        startedTime: '2026-11-24 10:15:00',
        answeredTime: '2026-11-24 10:15:10',
        endedTime: '2026-11-24 11:20:10',
        id: first.body.id,
      }).expect(200);
      expect(ended.body).toEqual(first.body);
      expect(fake.all('Calls')).toHaveLength(callsBefore + 1);
      expect(created).toMatchObject({ status: 'Held', duration_hours: 1, duration_minutes: 5, date_end: '2026-11-24T10:20:10+00:00' });
      expect(fake.requests.filter((r) => r.method === 'PUT').at(-1)?.path).toBe(`/rest/v11/Calls/${callId}`);
    });

    it('CallFlow on a Lead makes the Lead the parent and links it', async () => {
      const response = await post('CallFlow', { ...call, contactCrmId: 'sugar:Leads:l-olivia', startedTime: '2026-11-24 11:00:00' }).expect(200);
      const callId = (response.body.id as string).split(':')[2]!;
      expect(fake.all('Calls').find((c) => c.id === callId)).toMatchObject({ parent_type: 'Leads', parent_id: 'l-olivia' });
      expect([...fake.links.get(`Calls/${callId}`)!]).toEqual(['Leads/l-olivia']);
    });

    it('CreateTicket opens a Case linked to the contact and its account', async () => {
      const response = await post('CreateTicket', { ...call, contactCrmId: 'sugar:Contacts:c-anna', startedTime: '2026-11-24 11:30:00' }).expect(200);
      const caseId = (response.body.id as string).split(':')[2]!;
      expect(fake.all('Cases').find((c) => c.id === caseId)).toMatchObject({ account_id: 'acc-muster', status: 'New' });
      expect([...fake.links.get(`Cases/${caseId}`)!]).toEqual(['Contacts/c-anna']);
    });

    it('does not send a userCrmId that cannot be a Sugar user id as the assigned user, and warns naming it', async () => {
      const userId = 'Sarah Sales (sales team Zurich)';
      const response = await post('CallFlow', { ...call, userCrmId: `sugar:${userId}`, contactCrmId: 'sugar:Contacts:c-anna', startedTime: '2026-11-24 11:45:00' })
        .set('X-Request-Id', 'sugar-owner-form')
        .expect(200);
      const created = fake.all('Calls').find((c) => c.id === (response.body.id as string).split(':')[2])!;
      expect(created.assigned_user_id).not.toBe(userId);
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({ reqId: 'sugar-owner-form', level: 40, userCrmId: userId, msg: expect.stringContaining('it is not a SugarCRM user id') }),
      );
    });

    it('CreateContact creates a Lead for a new number, and returns the existing record for a known one', async () => {
      const leadsBefore = fake.all('Leads').length;
      const created = await post('CreateContact', { ...call, originatorNumber: '41795556677', originatorName: 'Neue Kundin', startedTime: '2026-11-24 12:00:00' }).expect(200);
      expect(created.body.id).toMatch(/^sugar:Leads:/);
      expect(fake.all('Leads').at(-1)).toMatchObject({ first_name: 'Neue', last_name: 'Kundin', phone_work: '+41795556677' });
      const existing = await post('CreateContact', { ...call, originatorNumber: '41791234567', startedTime: '2026-11-24 12:05:00' }).expect(200);
      expect(existing.body).toEqual({ id: 'sugar:Contacts:c-beat', url: `${fake.url}/#Contacts/c-beat` });
      expect(fake.all('Leads')).toHaveLength(leadsBefore + 1);
    });
  });
});

describe('Sugar closing a kept-alive connection as a workflow writes on it (e2e)', () => {
  it('keeps the write (Sugar may have it: 200 with a queued id), looks for it by its key before sending it again, and writes it once', async () => {
    const fake = await new FakeSugar().start();
    await withTestApp({ env: { WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' }, files: { 'acme.env': sugarTenant(fake) } }, async (gateway) => {
      await settle();
      expect(await namesFrom(gateway, '41789072228')).toEqual(['Anna Muster']); // one kept-alive connection
      fake.dropIdleConnections();
      const callsBefore = fake.all('Calls').length;
      const inputs = { direction: 'incoming', originatorNumber: '41338220000', destinationNumber: '41446681800', contactCrmId: 'sugar:Accounts:acc-alpenblick', startedTime: '2026-11-24 13:00:00' };
      const post = () => gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs });
      const kept = await post().expect(200);
      expect(kept.body).toEqual({ id: expect.stringMatching(/^sugar:queued:[0-9a-f-]{36}$/) });
      const delivery = (kept.body.id as string).split(':')[2]!;
      expect(gateway.logs.lines.find((l) => l.delivery === delivery)).toMatchObject({ reason: expect.stringContaining('ECONNRESET') });
      expect(fake.all('Calls')).toHaveLength(callsBefore); // the reset came before Sugar read the write
      await eventually(() => fake.all('Calls').length === callsBefore + 1);
      expect(fake.all('Calls').at(-1)!.id).toBe(delivery);
      expect((await post().expect(200)).body).toEqual(kept.body);
      expect(fake.all('Calls')).toHaveLength(callsBefore + 1);
    }).finally(() => fake.stop());
  });
});

describe('Sugar without a search service, and bad settings (e2e)', () => {
  const fake = new FakeSugar();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  afterEach(() => fake.reset());

  it('falls back to the filter API with the common stored forms, and remembers it', async () => {
    fake.searchUnavailable = true;
    await withTestApp({ files: { 'acme.env': sugarTenant(fake) } }, async (gateway) => {
      // Raw-string filters find the forms people commonly type; a German number typed in Swiss
      // grouping (+49 78 907 22 28) is one only global search finds.
      for (const [number, expected] of FORMATS.filter(([n]) => n !== '49789072228')) {
        expect({ number, names: await namesFrom(gateway, number) }).toEqual({ number, names: expected });
      }
      expect(fake.requests.filter((r) => r.path.endsWith('/globalsearch'))).toHaveLength(1);
      const filter = fake.requests.find((r) => r.path === '/rest/v11/Contacts/filter')!;
      expect(JSON.stringify(filter.body)).toContain('{"phone_mobile":{"$contains":"78 907 22 28"}}');
    });
  });

  it('reports a wrong password once a minute as a configuration error, without retrying it on every call', async () => {
    await withTestApp({ files: { 'acme.env': sugarTenant(fake).replace(`SUGAR_PASSWORD=${fake.password}`, 'SUGAR_PASSWORD=wrong-password') } }, async (gateway) => {
      await settle();
      for (let i = 0; i < 4; i++) expect(await namesFrom(gateway, '41789072228')).toEqual([]);
      const refusals = gateway.logs.lines.filter((l) => String(l.msg).includes('Sugar refused the login of tenant acme'));
      expect(refusals).toHaveLength(1);
      expect(fake.tokenRequests('password')).toHaveLength(1);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ source: 'sugar', code: 'CONFIG', vendorCode: 'need_login' }));
      expect(gateway.logs.text()).not.toContain('wrong-password');
    });
  });

  it('reports an API version the server does not know (301 incorrect_version) as a configuration error', async () => {
    await withTestApp({ files: { 'acme.env': sugarTenant(fake, 'SUGAR_API_VERSION=v11_99') } }, async (gateway) => {
      expect(await namesFrom(gateway, '41789072228')).toEqual([]);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ source: 'sugar', code: 'CONFIG', vendorCode: 'incorrect_version' }));
    });
  });

  it('refuses to start on a partial set of credentials, naming what is missing', async () => {
    await expect(startTestApp({ files: { 'acme.env': `TOKEN=${TOKEN}\nSUGAR_URL=${fake.url}\nSUGAR_USERNAME=x\n` } })).rejects.toThrow(
      'SUGAR_PASSWORD: missing: Sugar needs SUGAR_URL, SUGAR_USERNAME, SUGAR_PASSWORD',
    );
  });
});
