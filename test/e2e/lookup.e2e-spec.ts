import { ACME_TENANT, PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';

describe('lookup (e2e)', () => {
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      files: {
        'acme.env': ACME_TENANT,
        'book.csv': PHONE_BOOK_CSV,
        'camel.env': 'TOKEN=camel-token-123\nRESPONSE_CASE=camel\nDIRECTORY_FILE=book.csv\nDIRECTORY_NAME=Phone book\n',
        'custom.env': 'TOKEN=old-token-123,new-token-456\nAUTH_HEADER=X-Api-Key\nDIRECTORY_FILE=book.csv\n',
      },
    });
  });
  afterAll(() => gateway.close());

  const lookup = (number: string) => gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, TOKEN);

  it('answers the CONNECTOR with the matching cards, best first', async () => {
    const response = await lookup('41446681800').expect(200).expect('Content-Type', /json/);
    expect(response.body).toEqual([
      {
        Name: 'Anna Muster',
        Company: 'Muster Treuhand AG',
        ContactUri: 'https://crm.example.ch/c/anna',
        CompanyUri: 'https://crm.example.ch/a/muster',
        Id: expect.stringMatching(/^directory:entry:.+/),
        CrmName: 'Directory',
        CrmLogo: 'http://localhost:3000/logos/directory.svg',
        CrmActions: [],
        CustomData: { Department: 'Accounting' },
        CustomFields: { Department: 'Accounting' },
      },
      expect.objectContaining({ Name: 'Muster Treuhand AG', Company: '', CustomData: {} }),
    ]);
  });

  it.each(['41789072228', '+41789072228', '+41 78 907 22 28', '0041789072228', '0789072228', '078 907 22 28'])(
    'finds the caller from %j',
    async (number) => {
      const response = await lookup(number).expect(200);
      expect(response.body.map((c: { Name: string }) => c.Name)).toEqual(['Anna Muster']);
    },
  );

  it.each([
    ['41791234567', 'Beat Keller'],
    ['442079460018', 'Ian Clarke'],
    ['14155551212', 'Julia Chen'],
    ['49789072228', 'Fabian Weber'],
    ['201', 'Nina Graf'],
  ])('finds %s stored in another format', async (number, name) => {
    const response = await lookup(number).expect(200);
    expect(response.body.map((c: { Name: string }) => c.Name)).toEqual([name]);
  });

  it('does not confuse the same national digits in another country', async () => {
    // Anna's 078 907 22 28 and Fabian's +49 78 907 22 28 share their national digits.
    const german = await lookup('49789072228').expect(200);
    expect(german.body.map((c: { Name: string }) => c.Name)).toEqual(['Fabian Weber']);
    const swiss = await lookup('41789072228').expect(200);
    expect(swiss.body.map((c: { Name: string }) => c.Name)).toEqual(['Anna Muster']);
  });

  it.each(['anonymous', 'unknown', '', '   ', 'abc', '41789072229', '202'])('answers 200 [] for %j', async (number) => {
    await lookup(number).expect(200, []);
  });

  it('matches the parameter name in any case', async () => {
    for (const name of ['phonenumber', 'PHONENUMBER', 'phoneNumber']) {
      const response = await gateway.http.get(`/lookup?${name}=41789072228`).set(HEADER, TOKEN).expect(200);
      expect(response.body).toHaveLength(1);
    }
  });

  describe('the three URL forms answer the same', () => {
    let expected: unknown;
    beforeAll(async () => {
      expected = (await lookup('41789072228')).body;
      expect(expected).toHaveLength(1);
    });

    it.each([
      ['GET /lookup?PhoneNumber', (t: TestApp) => t.http.get('/lookup?PhoneNumber=41789072228')],
      ['POST /lookup?PhoneNumber', (t: TestApp) => t.http.post('/lookup?PhoneNumber=41789072228')],
      ['POST /lookup with body', (t: TestApp) => t.http.post('/lookup').send({ inputs: { phoneNumber: '41789072228' } })],
      ['POST /lookup/Lookup with body', (t: TestApp) => t.http.post('/lookup/Lookup').send({ inputs: { phoneNumber: '41789072228' } })],
      ['GET /lookup/Lookup with body', (t: TestApp) => t.http.get('/lookup/Lookup').send({ inputs: { phoneNumber: '41789072228' } })],
      ['POST /lookup/lookup (any case)', (t: TestApp) => t.http.post('/lookup/lookup').send({ inputs: { phoneNumber: '41789072228' } })],
      ['POST /lookup with a numeric body value', (t: TestApp) => t.http.post('/lookup').send({ inputs: { phoneNumber: 41789072228 } })],
    ])('%s', async (_form, send) => {
      const response = await send(gateway).set(HEADER, TOKEN).expect(200);
      expect(response.body).toEqual(expected);
    });

    it('prefers the query parameter over the body', async () => {
      const response = await gateway.http
        .post('/lookup?PhoneNumber=41789072228')
        .send({ inputs: { phoneNumber: '14155551212' } })
        .set(HEADER, TOKEN)
        .expect(200);
      expect(response.body).toEqual(expected);
    });
    it('ignores the body, even a malformed one, when the query parameter gives the number', async () => {
      const response = await gateway.http
        .post('/lookup?PhoneNumber=41789072228')
        .send({ inputs: { phoneNumber: { digits: 1 } } })
        .set(HEADER, TOKEN)
        .expect(200);
      expect(response.body).toEqual(expected);
    });
  });

  describe('bad requests', () => {
    it('answers 400 with a clear JSON message when the number is missing', async () => {
      for (const send of [
        () => gateway.http.get('/lookup'),
        () => gateway.http.post('/lookup'),
        () => gateway.http.post('/lookup/Lookup').send({ inputs: {} }),
        () => gateway.http.post('/lookup').send({ other: 'x' }),
      ]) {
        const response = await send().set(HEADER, TOKEN).expect(400).expect('Content-Type', /json/);
        expect(response.body.message).toMatch(/PhoneNumber is required/);
      }
    });

    it('names the field of a wrongly typed body', async () => {
      const response = await gateway.http.post('/lookup').send({ inputs: { phoneNumber: { digits: 1 } } }).set(HEADER, TOKEN).expect(400);
      expect(response.body.message).toEqual([expect.stringMatching(/^inputs\.phoneNumber must be the phone number as a string/)]);
    });

    it.each([
      ['POST /lookup', { inputs: 'x' }],
      ['POST /lookup', { inputs: ['41789072228'] }],
      ['POST /lookup/Lookup', { inputs: 41789072228 }],
      ['POST /lookup/Lookup', ['41789072228']],
    ])('%s with the body %j says in one sentence what the body must be', async (route, body) => {
      const response = await gateway.http.post(route.split(' ')[1]!).send(body).set(HEADER, TOKEN).expect(400);
      expect(response.body.message).toBe('The body must be a JSON object with an "inputs" object: {"inputs":{"phoneNumber":"41789072228"}}');
    });

    it('answers 400 for malformed JSON', async () => {
      const response = await gateway.http.post('/lookup').set(HEADER, TOKEN).set('Content-Type', 'application/json').send('{"inputs":').expect(400);
      expect(response.body.statusCode).toBe(400);
    });

    it('uses the first value of a repeated parameter', async () => {
      const response = await gateway.http.get('/lookup?PhoneNumber=41789072228&PhoneNumber=1').set(HEADER, TOKEN).expect(200);
      expect(response.body.map((c: { Name: string }) => c.Name)).toEqual(['Anna Muster']);
    });

    it('answers 413 for a body over 64 KB', async () => {
      await gateway.http
        .post('/lookup')
        .set(HEADER, TOKEN)
        .send({ inputs: { phoneNumber: '41789072228', padding: 'x'.repeat(70 * 1024) } })
        .expect(413);
    });
  });

  describe('authentication', () => {
    const unauthorized = { statusCode: 401, error: 'Unauthorized', message: 'Missing or invalid execution token.' };

    it('answers 401 without a token, with a wrong token, or with the token in the wrong header', async () => {
      await gateway.http.get('/lookup?PhoneNumber=41789072228').expect(401, unauthorized);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'wrong-token-123').expect(401, unauthorized);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, `${TOKEN}x`).expect(401, unauthorized);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'new-token-456').expect(401, unauthorized);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Api-Key', TOKEN).expect(401, unauthorized);
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set('Authorization', `Bearer ${TOKEN}`).expect(401, unauthorized);
    });

    it('checks the token before reading the request', async () => {
      await gateway.http.get('/lookup').expect(401, unauthorized);
    });

    it("accepts each of a tenant's tokens in its own header (rotation)", async () => {
      for (const token of ['old-token-123', 'new-token-456']) {
        const response = await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Api-Key', token).expect(200);
        expect(response.body).toHaveLength(1);
      }
    });

    it('reads the header name in any case', async () => {
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set('x-api-key', 'old-token-123').expect(200);
    });
  });

  it('answers in camelCase for a tenant that asks', async () => {
    const response = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'camel-token-123').expect(200);
    expect(response.body).toEqual([
      expect.objectContaining({ name: 'Anna Muster', company: 'Muster Treuhand AG', crmName: 'Phone book', customData: { Department: 'Accounting' } }),
    ]);
    expect(response.body[0]).not.toHaveProperty('Name');
  });

  it('answers without an ETag or an X-Powered-By header', async () => {
    const response = await lookup('+41 78 907 22 28').expect(200);
    expect(response.headers).not.toHaveProperty('etag');
    expect(response.headers).not.toHaveProperty('x-powered-by');
  });

  it('logs one line per request with its id, tenant, route, status, duration and sources, the number masked', async () => {
    await lookup('+41 78 907 22 28').set('X-Request-Id', 'call-4711').expect(200).expect('X-Request-Id', 'call-4711');
    const line = gateway.logs.lines.find((l) => l.reqId === 'call-4711');
    expect(line).toMatchObject({
      msg: 'request completed',
      tenant: 'acme',
      method: 'GET',
      route: '/lookup',
      status: 200,
      durationMs: expect.any(Number),
      lookup: { number: '+41******228', results: 1, sources: { directory: { outcome: 'ok', ms: expect.any(Number) } } },
    });
    await gateway.http.get('/lookup').expect(401);
    expect(gateway.logs.lines.at(-1)).toMatchObject({ route: '/lookup', status: 401, reqId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const text = gateway.logs.text();
    for (const secret of [TOKEN, 'old-token-123', 'camel-token-123', '41789072228', '789072228', '4155551212', '7946 0018']) {
      expect(text).not.toContain(secret);
    }
  });

  it('logs and tags requests whose body cannot be read, too', async () => {
    const post = (id: string) => gateway.http.post('/lookup').set(HEADER, TOKEN).set('X-Request-Id', id).set('Content-Type', 'application/json');
    await post('body-malformed').send('{"inputs":').expect(400).expect('X-Request-Id', 'body-malformed');
    await post('body-too-big').send(JSON.stringify({ inputs: { phoneNumber: 'x'.repeat(70_000) } })).expect(413).expect('X-Request-Id', 'body-too-big');
    expect(gateway.logs.lines.find((l) => l.reqId === 'body-malformed')).toMatchObject({ msg: 'request completed', route: '/lookup', status: 400 });
    expect(gateway.logs.lines.find((l) => l.reqId === 'body-too-big')).toMatchObject({ msg: 'request completed', route: '/lookup', status: 413 });
  });
});
