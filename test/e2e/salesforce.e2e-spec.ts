import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'sf-tenant-token';
const ANNA = '003000000000001AAA';
const MUSTER_AG = '001000000000001AAA';

function salesforceTenant(fake: FakeSalesforce, extra = ''): string {
  return [
    `TOKEN=${TOKEN}`,
    `SALESFORCE_LOGIN_URL=${fake.url}`,
    'SALESFORCE_CLIENT_ID=fake-client-id',
    'SALESFORCE_CLIENT_SECRET=fake-client-secret',
    'SALESFORCE_CUSTOM_DATA=Title=Title,Owner=Owner.Name',
    'WORKFLOW_DEFAULT_CRM=salesforce',
    'LANGUAGE=en',
    // Every lookup reaches the fake: the cache has tests of its own.
    'CACHE_TTL_S=0',
    extra,
  ].join('\n');
}

async function settle(ms = 150): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Salesforce source (e2e against the fake Salesforce)', () => {
  const fake = new FakeSalesforce();
  let gateway: TestApp;

  beforeAll(async () => {
    await fake.start();
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: '700', WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' },
      files: {
        'acme.env': salesforceTenant(fake),
        'book.csv': 'name,phone\nDirectory Person,+41 78 907 22 28\n',
        'mixed.env': `TOKEN=mixed-token-1\nSALESFORCE_LOGIN_URL=${fake.url}\nSALESFORCE_CLIENT_ID=fake-client-id\nSALESFORCE_CLIENT_SECRET=fake-client-secret\nDIRECTORY_FILE=book.csv\nCACHE_TTL_S=0\n`,
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
    fake.limitExceeded = false;
    fake.refuseAllTokens = false;
    fake.delayMs = 0;
    fake.fieldsInErrors = true;
  });

  const lookup = (number: string, token = TOKEN) => gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token);
  const names = async (number: string, token = TOKEN): Promise<string[]> =>
    (await lookup(number, token).expect(200)).body.map((c: { Name: string }) => c.Name);

  describe('lookup', () => {
    it.each([
      ['41789072228', ['Anna Muster'], '+41 78 907 22 28'],
      ['41446681800', ['Anna Muster', 'Muster Treuhand AG'], '044 668 18 00 / +41 44 668 18 00'],
      ['41791234567', ['Beat Keller'], '079.123.45.67'],
      ['41792223344', ['Chantal Favre'], '41 79 222 33 44'],
      ['41313501111', ['Daniel Bühler'], '+41 (0)31 350 11 11'],
      ['442079460018', ['Ian Clarke', 'Clarke & Partners Ltd'], '+44 (0)20 7946 0018'],
      ['390212345678', ['Elena Rossi'], '+39 02 1234 5678'],
      ['14155551212', ['Julia Chen'], '+1 (415) 555-1212'],
      ['41522123456', ['Kurt Meier'], '+41 52 212 34 56 ext 12'],
      ['41612710000', ['Laura Steiner'], '+41612710000'],
      ['41919223344', ['Marco Bernasconi'], '0041 91 922 33 44'],
      ['41765554433', ['Olivia Brunner'], 'a Lead'],
      ['49789072228', ['Fabian Weber'], 'same national digits as Anna, in Germany'],
      ['41790000000', [], 'nobody'],
    ])('finds %s: %j (stored as %s)', async (number, expected) => {
      expect(await names(number)).toEqual(expected);
    });

    it('finds the caller whatever form the CONNECTOR sends', async () => {
      for (const form of ['+41789072228', '0041789072228', '0789072228', '+41 78 907 22 28']) expect(await names(form)).toEqual(['Anna Muster']);
    });

    it('maps Contacts, Accounts and Leads into cards with Lightning links and custom data', async () => {
      const anna = (await lookup('41446681800').expect(200)).body;
      expect(anna).toEqual([
        {
          Name: 'Anna Muster',
          Company: 'Muster Treuhand AG',
          ContactUri: `${fake.url}/lightning/r/Contact/${ANNA}/view`,
          CompanyUri: `${fake.url}/lightning/r/Account/${MUSTER_AG}/view`,
          Id: `salesforce:Contact:${ANNA}`,
          CrmName: 'Salesforce',
          CrmLogo: 'http://localhost:3000/logos/salesforce.svg',
          CrmActions: ['CallFlow', 'CreateContact', 'CreateTicket'],
          CustomData: { Title: 'CFO', Owner: 'Sarah Sales' },
          CustomFields: { Title: 'CFO', Owner: 'Sarah Sales' },
        },
        expect.objectContaining({
          Name: 'Muster Treuhand AG',
          Company: '',
          Id: `salesforce:Account:${MUSTER_AG}`,
          ContactUri: `${fake.url}/lightning/r/Account/${MUSTER_AG}/view`,
          CompanyUri: `${fake.url}/lightning/r/Account/${MUSTER_AG}/view`,
          CustomData: { Owner: 'Sarah Sales' },
        }),
      ]);
      const lead = (await lookup('41765554433').expect(200)).body;
      expect(lead[0]).toMatchObject({ Name: 'Olivia Brunner', Company: 'Brunner Bau AG', Id: 'salesforce:Lead:00Q000000000001EAA' });
    });

    it('leaves converted Leads out of the search', async () => {
      const cards = (await lookup('41789072228').expect(200)).body as Array<{ Id: string }>;
      expect(cards.map((c) => c.Id)).toEqual([`salesforce:Contact:${ANNA}`]);
      expect(fake.requestsTo('/search').at(-1)?.q).toContain('Lead(Id, Name, Company, LastModifiedDate, Phone, MobilePhone, Owner.Name WHERE IsConverted = false LIMIT 20)');
    });

    it('sends one SOSL search over the phone fields with the number variants ORed', async () => {
      const before = fake.requestsTo('/search').length;
      await lookup('+41 (78) 907-22-28').expect(200);
      const searches = fake.requestsTo('/search').slice(before);
      expect(searches).toHaveLength(1);
      expect(searches[0]!.q).toMatch(
        /^FIND \{41789072228 OR 0789072228 OR 789072228 OR 0041789072228 OR 410789072228 OR 00410789072228\} IN PHONE FIELDS RETURNING Contact\(Id, Name, AccountId, Account\.Name, /,
      );
    });

    it('never lets SOSL syntax from the request reach Salesforce', async () => {
      const before = fake.requestsTo('/search').length;
      await lookup('41789072228} OR {*').expect(200, []);
      await lookup('41789072228\\ RETURNING User(Id)').expect(200, []);
      expect(fake.requestsTo('/search')).toHaveLength(before);
    });

    it('does not ask Salesforce about internal extensions', async () => {
      const before = fake.requests.length;
      expect(await names('201')).toEqual([]);
      expect(fake.requests).toHaveLength(before);
    });

    it('answers the mixed tenant with Salesforce beside the directory, ranked by source order', async () => {
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Anna Muster', 'Directory Person']);
    });
  });

  describe('tokens', () => {
    it('re-authenticates once when the token expires, and ten lookups in a row all succeed', async () => {
      fake.expireTokens();
      const issued = fake.tokensIssued;
      for (let i = 0; i < 10; i++) expect(await names('41791234567')).toEqual(['Beat Keller']);
      expect(fake.tokensIssued).toBe(issued + 1);
    });

    it('shares one re-authentication among concurrent lookups', async () => {
      await names('41791234567');
      fake.expireTokens();
      const issued = fake.tokensIssued;
      const answers = await Promise.all(Array.from({ length: 6 }, () => names('41791234567')));
      expect(answers).toEqual(Array(6).fill(['Beat Keller']));
      expect(fake.tokensIssued).toBe(issued + 1);
    });

  });

  describe('a slow, limited or failing Salesforce', () => {
    it('answers a hanging Salesforce by the deadline with the other sources, and logs the timeout', async () => {
      await names('41789072228', 'mixed-token-1');
      fake.hang = true;
      const started = Date.now();
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      expect(Date.now() - started).toBeLessThan(700 + 1000);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ tenant: 'mixed', source: 'salesforce', code: 'TIMEOUT' }));
    });

    it('does not let a slow answer stretch the lookup', async () => {
      fake.delayMs = 3000;
      const started = Date.now();
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      expect(Date.now() - started).toBeLessThan(700 + 1000);
    });

    it('reports the org limit as RATE_LIMITED with its Salesforce code', async () => {
      fake.limitExceeded = true;
      expect(await names('41789072228', 'mixed-token-1')).toEqual(['Directory Person']);
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({ source: 'salesforce', code: 'RATE_LIMITED', vendorCode: 'REQUEST_LIMIT_EXCEEDED' }),
      );
    });
  });

  describe('workflows', () => {
    const call = {
      direction: 'incoming',
      originatorNumber: '41789072228',
      originatorName: 'Anna Muster',
      destinationNumber: '41446681800',
      destinationName: 'Reception',
      userCrmId: 'salesforce:005000000000001AAA,hubspot:77',
    };
    const post = (workflow: string, inputs: Record<string, unknown>) =>
      gateway.http.post(`/lookup/${workflow}`).set(HEADER, TOKEN).send({ inputs });

    it('CallFlow creates one Task on the Contact and its Account, then updates that same Task', async () => {
      const tasksBefore = fake.org.Task.length;
      const first = await post('CallFlow', { ...call, contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 10:15:00', id: null }).expect(200);
      expect(first.body.id).toMatch(/^salesforce:Task:00T\w{15}$/);
      const taskId = (first.body.id as string).split(':')[2]!;
      expect(first.body.url).toBe(`${fake.url}/lightning/r/Task/${taskId}/view`);
      expect(fake.org.Task.find((t) => t.Id === taskId)).toMatchObject({
        TaskSubtype: 'Call',
        CallType: 'Inbound',
        Status: 'Completed',
        WhoId: ANNA,
        WhatId: MUSTER_AG,
        OwnerId: '005000000000001AAA',
        ActivityDate: '2026-11-24',
        CallDurationInSeconds: 0,
        CallDisposition: 'missed',
        Subject: 'Missed call from Anna Muster (+41 78 907 22 28)',
      });

      const ended = await post('CallFlow', {
        ...call,
        contactCrmId: `salesforce:Contact:${ANNA}`,
        startedTime: '2026-11-24 10:15:00',
        answeredTime: '2026-11-24 10:15:08',
        endedTime: '2026-11-24 10:19:08',
        id: first.body.id,
      }).expect(200);
      expect(ended.body).toEqual(first.body);
      expect(fake.org.Task).toHaveLength(tasksBefore + 1);
      expect(fake.org.Task.find((t) => t.Id === taskId)).toMatchObject({
        CallDurationInSeconds: 240,
        CallDisposition: 'answered',
        Subject: 'Incoming call from Anna Muster (+41 78 907 22 28)',
      });
      const patch = fake.requests.filter((r) => r.method === 'PATCH').at(-1)!;
      expect(patch.path).toBe(`/services/data/v62.0/sobjects/Task/${taskId}`);
      expect(JSON.parse(patch.body!)).not.toHaveProperty('TaskSubtype');
    });

    it('CallFlow on a Lead leaves WhatId empty', async () => {
      const response = await post('CallFlow', { ...call, contactCrmId: 'salesforce:Lead:00Q000000000001EAA', startedTime: '2026-11-24 11:00:00' }).expect(200);
      const task = fake.org.Task.find((t) => t.Id === (response.body.id as string).split(':')[2]);
      expect(task).toMatchObject({ WhoId: '00Q000000000001EAA' });
      expect(task?.WhatId).toBeUndefined();
    });

    it('CreateTicket opens a Case for the Contact and its Account', async () => {
      const response = await post('CreateTicket', { ...call, contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 11:30:00' }).expect(200);
      expect(response.body.id).toMatch(/^salesforce:Case:500/);
      expect(fake.org.Case.at(-1)).toMatchObject({ ContactId: ANNA, AccountId: MUSTER_AG, Origin: 'Phone', SuppliedPhone: '+41789072228' });
    });

    it('CreateContact creates a Lead for a new number, and none for a number Salesforce has', async () => {
      const leadsBefore = fake.org.Lead.length;
      const created = await post('CreateContact', { ...call, originatorNumber: '41795556677', originatorName: 'Neue Kundin', startedTime: '2026-11-24 12:00:00' }).expect(200);
      expect(created.body.id).toMatch(/^salesforce:Lead:00Q/);
      expect(fake.org.Lead.at(-1)).toMatchObject({ FirstName: 'Neue', LastName: 'Kundin', Company: 'Unknown', Phone: '+41795556677' });

      const existing = await post('CreateContact', { ...call, originatorNumber: '41791234567', startedTime: '2026-11-24 12:05:00' }).expect(200);
      expect(existing.body).toEqual({ id: 'salesforce:Contact:003000000000002AAA', url: `${fake.url}/lightning/r/Contact/003000000000002AAA/view` });
      expect(fake.org.Lead).toHaveLength(leadsBefore + 1);
    });

    it.each([
      ['contactCrmId', 'an Account id as a Contact', `salesforce:Contact:${MUSTER_AG}`],
      ['contactCrmId', 'a case-safe suffix that does not match', 'salesforce:Contact:003000000000001AAB'],
      ['contactCrmId', 'a Lead id whose case was changed', 'salesforce:Lead:00q000000000001EAA'],
      ['id', 'no Salesforce id at all', 'salesforce:Task:zzzzzzzzzzzzzzz'],
      ['id', 'a Contact key prefix on a Task', 'salesforce:Task:003000000000001AAA'],
    ])('refuses %s with %s as the caller\'s mistake (422), asking Salesforce nothing', async (field, _, id) => {
      const before = fake.requests.length;
      const response = await post('CallFlow', { ...call, startedTime: '2026-11-24 12:30:00', [field]: id }).expect(422);
      expect(response.body.message).toBe(`inputs.${field} is not an id this gateway issued`);
      expect(fake.requests.length).toBe(before);
    });

    describe('with a userCrmId that is no Salesforce user', () => {
      const taskPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sobjects/Task'));
      const warningsOf = (reqId: string) => gateway.logs.lines.filter((l) => l.reqId === reqId && (l.level as number) >= 40);

      it('logs the call all the same, without an owner, once Salesforce refused the owner, and warns naming the id', async () => {
        const postsBefore = taskPosts().length;
        const response = await post('CallFlow', { ...call, userCrmId: 'salesforce:005000000000009AAA', contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 14:00:00' })
          .set('X-Request-Id', 'sf-owner-unknown')
          .expect(200);
        const task = fake.org.Task.find((t) => t.Id === (response.body.id as string).split(':')[2])!;
        expect(task).toMatchObject({ WhoId: ANNA, WhatId: MUSTER_AG });
        expect(task.OwnerId).toBeUndefined();
        const [refused, sent] = taskPosts().slice(postsBefore).map((r) => JSON.parse(r.body!) as Record<string, unknown>);
        expect(refused).toMatchObject({ OwnerId: '005000000000009AAA' });
        expect(sent).not.toHaveProperty('OwnerId');
        expect(warningsOf('sf-owner-unknown')).toEqual([
          expect.objectContaining({
            level: 40,
            userCrmId: '005000000000009AAA',
            number: '+41******228',
            msg: expect.stringContaining('userCrmId "005000000000009AAA" left out, salesforce refused it as the owner (INVALID_CROSS_REFERENCE_KEY'),
          }),
        ]);
      });

      it('knows the refusal was about the owner also when Salesforce names no field: it asks whether the user exists', async () => {
        fake.fieldsInErrors = false;
        const postsBefore = taskPosts().length;
        const queriesBefore = fake.requestsTo('/query').length;
        const response = await post('CallFlow', { ...call, userCrmId: 'salesforce:005000000000008AAA', contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 14:02:00' })
          .set('X-Request-Id', 'sf-owner-no-fields')
          .expect(200);
        expect(fake.org.Task.find((t) => t.Id === (response.body.id as string).split(':')[2])?.OwnerId).toBeUndefined();
        expect(taskPosts().length - postsBefore).toBe(2);
        expect(fake.requestsTo('/query').slice(queriesBefore).map((r) => r.q)).toContain("SELECT Id FROM User WHERE Id = '005000000000008AAA'");
        expect(warningsOf('sf-owner-no-fields')).toEqual([expect.objectContaining({ userCrmId: '005000000000008AAA' })]);
      });

      it.each([
        ['a Contact id', '003000000000001AAA', '2026-11-24 14:05:00'],
        ['no Salesforce id at all', 'sarah.sales', '2026-11-24 14:10:00'],
      ])('does not send %s as the owner, and warns naming it', async (_, userId, startedTime) => {
        const postsBefore = taskPosts().length;
        const reqId = `sf-owner-${userId}`;
        await post('CallFlow', { ...call, userCrmId: `salesforce:${userId}`, contactCrmId: `salesforce:Contact:${ANNA}`, startedTime })
          .set('X-Request-Id', reqId)
          .expect(200);
        expect(taskPosts().slice(postsBefore).map((r) => JSON.parse(r.body!) as Record<string, unknown>)).toEqual([expect.not.objectContaining({ OwnerId: expect.anything() })]);
        expect(warningsOf(reqId)).toEqual([
          expect.objectContaining({ level: 40, userCrmId: userId, msg: expect.stringContaining(`userCrmId "${userId}" left out, it is not a Salesforce user id`) }),
        ]);
      });
    });

    it("keeps the write while Salesforce's API limit is exceeded (200 with a queued id) and delivers it once the limit is lifted", async () => {
      const tasks = fake.org.Task.length;
      fake.limitExceeded = true;
      const queued = await post('CallFlow', { ...call, contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 13:00:00' }).expect(200);
      expect(queued.body).toEqual({ id: expect.stringMatching(/^salesforce:queued:[0-9a-f-]{36}$/) });
      const kept = gateway.logs.lines.find((l) => l.delivery === (queued.body.id as string).split(':')[2]);
      expect(kept).toMatchObject({ msg: 'Workflow CallFlow kept in the outbox: salesforce refused it for now', reason: expect.stringContaining('REQUEST_LIMIT_EXCEEDED') });
      fake.limitExceeded = false;
      await eventually(() => fake.org.Task.length === tasks + 1);
    });

    it('answers 502 with the Salesforce error when the write is refused for good', async () => {
      fake.failWrites = { status: 400 };
      try {
        const response = await post('CallFlow', { ...call, contactCrmId: `salesforce:Contact:${ANNA}`, startedTime: '2026-11-24 13:30:00' }).expect(502);
        expect(response.body).toMatchObject({ source: 'salesforce', code: 'BAD_REQUEST', message: expect.stringContaining('FIELD_INTEGRITY_EXCEPTION') });
      } finally {
        fake.failWrites = undefined;
      }
    });
  });
});

describe('Salesforce with hidden fields and other sign-ins (e2e)', () => {
  const fake = new FakeSalesforce();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('leaves out a field that field-level security hides, instead of failing every lookup', async () => {
    fake.hiddenFields = { Lead: ['MobilePhone'], Contact: ['Title'] };
    await withTestApp({ files: { 'acme.env': salesforceTenant(fake) } }, async (gateway) => {
      expect((await gateway.http.get('/lookup?PhoneNumber=41765554433').set(HEADER, TOKEN).expect(200)).body).toEqual([
        expect.objectContaining({ Name: 'Olivia Brunner' }),
      ]);
      const q = fake.requestsTo('/search').at(-1)!.q!;
      expect(q).toContain('Lead(Id, Name, Company, LastModifiedDate, Phone, Owner.Name WHERE');
      expect(q).not.toContain('Title');
      expect(fake.requestsTo('/describe').length).toBe(3);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).expect(200);
      expect(fake.requestsTo('/describe').length).toBe(3);
    }).finally(() => fake.reset());
  });

  it('signs in with the username-password flow', async () => {
    await withTestApp({
      files: { 'acme.env': salesforceTenant(fake, 'SALESFORCE_USERNAME=integration@acme.example\nSALESFORCE_PASSWORD=password+securitytoken') },
    }, async (gateway) => {
      expect((await gateway.http.get('/lookup?PhoneNumber=41791234567').set(HEADER, TOKEN).expect(200)).body[0].Name).toBe('Beat Keller');
      const grant = new URLSearchParams(fake.requestsTo('/oauth2/token').at(-1)!.body);
      expect(grant.get('grant_type')).toBe('password');
    }).finally(() => fake.reset());
  });

  it('uses a fixed access token, and reports AUTH when it stops working', async () => {
    const accessToken = fake.issueToken();
    await withTestApp({
      files: { 'acme.env': `TOKEN=${TOKEN}\nSALESFORCE_INSTANCE_URL=${fake.url}\nSALESFORCE_ACCESS_TOKEN=${accessToken}\nCACHE_TTL_S=0\n` },
    }, async (gateway) => {
      expect((await gateway.http.get('/lookup?PhoneNumber=41791234567').set(HEADER, TOKEN).expect(200)).body[0].Name).toBe('Beat Keller');
      fake.expireTokens();
      await gateway.http.get('/lookup?PhoneNumber=41791234567').set(HEADER, TOKEN).expect(200, []);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ source: 'salesforce', code: 'AUTH', vendorCode: 'INVALID_SESSION_ID' }));
      expect(fake.requestsTo('/oauth2/token')).toHaveLength(0);
      expect(gateway.logs.text()).not.toContain(accessToken);
    }).finally(() => fake.reset());
  });

  it('reports a wrong client secret once a minute, not on every lookup, and does not hammer the token endpoint', async () => {
    await withTestApp({
      files: { 'acme.env': salesforceTenant(fake).replace('SALESFORCE_CLIENT_SECRET=fake-client-secret', 'SALESFORCE_CLIENT_SECRET=wrong-secret') },
    }, async (gateway) => {
      await settle();
      for (let i = 0; i < 4; i++) await gateway.http.get('/lookup?PhoneNumber=41791234567').set(HEADER, TOKEN).expect(200, []);
      const refusals = gateway.logs.lines.filter((l) => String(l.msg).includes('Salesforce refused the credentials of tenant acme'));
      expect(refusals).toHaveLength(1);
      expect(String(refusals[0]!.msg)).toContain('invalid_client');
      expect(fake.requestsTo('/oauth2/token')).toHaveLength(1);
      expect(gateway.logs.text()).not.toContain('wrong-secret');
    }).finally(() => fake.reset());
  });

  it('does not spin when Salesforce refuses even fresh tokens (a revoked app)', async () => {
    await withTestApp({ files: { 'acme.env': salesforceTenant(fake) } }, async (gateway) => {
      await settle();
      fake.refuseAllTokens = true;
      const issued = fake.tokensIssued;
      const started = Date.now();
      for (let i = 0; i < 5; i++) await gateway.http.get('/lookup?PhoneNumber=41791234567').set(HEADER, TOKEN).expect(200, []);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(fake.tokensIssued - issued).toBeLessThanOrEqual(1);
      expect(fake.requestsTo('/search').length).toBeLessThanOrEqual(2);
      expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ source: 'salesforce', code: 'AUTH', tenant: 'acme' }));
    }).finally(() => fake.reset());
  });

  it('refuses to start on a partial set of credentials, naming what is missing', async () => {
    await expect(
      startTestApp({ files: { 'acme.env': `TOKEN=${TOKEN}\nSALESFORCE_LOGIN_URL=${fake.url}\nSALESFORCE_CLIENT_ID=x\n` } }),
    ).rejects.toThrow('SALESFORCE_CLIENT_SECRET: missing: the client-credentials flow needs SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET');
    await expect(startTestApp({ files: { 'acme.env': `TOKEN=${TOKEN}\nSALESFORCE_ACCESS_TOKEN=abc\n` } })).rejects.toThrow(
      'SALESFORCE_INSTANCE_URL: missing: a fixed token needs SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN',
    );
  });
});

describe('Salesforce closing a kept-alive connection (e2e)', () => {
  it('finds the caller when the lookup went out on a connection Salesforce had just closed', async () => {
    const fake = await new FakeSalesforce().start();
    await withTestApp({ files: { 'acme.env': salesforceTenant(fake) } }, async (gateway) => {
      await settle();
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).expect(200); // one kept-alive connection
      fake.dropIdleConnections();
      const before = fake.requests.length;
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).set('X-Request-Id', 'sf-stale-1').expect(200);
      const line = gateway.logs.lines.find((l) => l.reqId === 'sf-stale-1' && l.msg === 'request completed') as { lookup?: { results: number; sources: Record<string, { outcome: string }> } };
      expect(line.lookup).toMatchObject({ results: 1, sources: { salesforce: { outcome: 'ok' } } });
      expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/search'))).toHaveLength(1); // the reset one never reached Salesforce
    }).finally(() => fake.stop());
  });
});
