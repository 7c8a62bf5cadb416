import { performance } from 'node:perf_hooks';
import { SourceError } from '../../src/core/source-error';
import { factory } from '../support/factory';
import { PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { ScriptedSource } from '../support/scripted-source';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const DEADLINE_MS = 300;
const names = (body: Array<{ Name: string }>) => body.map((c) => c.Name);

describe('fan-out to several sources (e2e)', () => {
  const alpha = new ScriptedSource('alpha', { kind: 'answer', candidates: [] });
  const beta = new ScriptedSource('beta', { kind: 'answer', candidates: [] });
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) },
      extraSources: [alpha, beta],
      files: {
        'book.csv': PHONE_BOOK_CSV,
        'acme.env': `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\nALPHA_ENABLED=on\nBETA_ENABLED=on\nCRM_ORDER=beta,alpha,directory\nCACHE_TTL_S=0\n`,
        'solo.env': 'TOKEN=solo-token-123\nALPHA_ENABLED=on\nCACHE_TTL_S=0\n',
      },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    alpha.script = { kind: 'answer', candidates: [] };
    beta.script = { kind: 'answer', candidates: [] };
  });

  const lookup = (number = '41789072228', token = TOKEN) => gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token);

  it('asks only the sources enabled for the tenant, with the normalised number and region', async () => {
    const before = beta.searches.length;
    await lookup('078 907 22 28', 'solo-token-123').expect(200);
    expect(beta.searches).toHaveLength(before);
    expect(alpha.searches.at(-1)).toMatchObject({
      tenantId: 'solo',
      region: 'CH',
      number: { kind: 'phone', e164: '+41789072228', nationalSignificant: '789072228' },
    });
  });

  it('answers by the deadline with what arrived, when a source hangs, and aborts the hanging search', async () => {
    alpha.script = { kind: 'hang' };
    beta.script = { kind: 'answer', candidates: [factory.candidate({ sourceId: 'beta', recordId: 'b1', name: 'From beta' })] };
    const abortedBefore = alpha.abortedSearches.length;
    const started = performance.now();
    const response = await lookup().expect(200);
    const elapsed = performance.now() - started;

    expect(names(response.body)).toEqual(['From beta', 'Anna Muster']);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1000); // wide margin: shared, noisy machines
    expect(alpha.abortedSearches.length).toBe(abortedBefore + 1);
    expect(gateway.logs.lines).toContainEqual(
      expect.objectContaining({ level: 40, tenant: 'acme', source: 'alpha', code: 'TIMEOUT', elapsedMs: expect.any(Number) }),
    );
  });

  it('answers with the other sources when one throws, and logs why', async () => {
    alpha.script = { kind: 'throw', error: new SourceError('AUTH', 'token rejected by the CRM (401)') };
    beta.script = { kind: 'throw', error: new TypeError('cannot read properties of undefined') };
    const response = await lookup().expect(200);
    expect(names(response.body)).toEqual(['Anna Muster']);
    expect(gateway.logs.lines).toContainEqual(
      expect.objectContaining({ tenant: 'acme', source: 'alpha', code: 'AUTH', reason: 'token rejected by the CRM (401)' }),
    );
    expect(gateway.logs.lines).toContainEqual(
      expect.objectContaining({ tenant: 'acme', source: 'beta', code: 'INTERNAL', reason: 'TypeError: cannot read properties of undefined' }),
    );
  });

  it('answers 200 [] when every source fails', async () => {
    alpha.script = { kind: 'throw', error: new Error('down') };
    await lookup('41789072228', 'solo-token-123').expect(200, []);
  });

  it('drops candidates whose stored phones do not match, whatever the source claimed', async () => {
    alpha.script = {
      kind: 'answer',
      candidates: [
        factory.candidate({ sourceId: 'alpha', recordId: 'wrong', name: 'Wrong country', phones: ['+49 78 907 22 28'] }),
        factory.candidate({ sourceId: 'alpha', recordId: 'none', name: 'No phones', phones: [] }),
        factory.candidate({ sourceId: 'alpha', recordId: 'ok', name: 'Right one', phones: ['078 907 22 28'] }),
      ],
    };
    const response = await lookup('41789072228', 'solo-token-123').expect(200);
    expect(names(response.body)).toEqual(['Right one']);
    expect(response.body[0]).toMatchObject({ Id: 'alpha:entry:ok', CrmName: 'Scripted alpha', CrmLogo: 'http://localhost:3000/logos/alpha.svg' });
  });

  it("ranks equal matches by the tenant's CRM_ORDER, people before companies, stronger matches first", async () => {
    alpha.script = {
      kind: 'answer',
      candidates: [
        factory.candidate({ sourceId: 'alpha', recordId: 'a', name: 'Alpha person' }),
        factory.candidate({ sourceId: 'alpha', recordId: 'e', name: 'Alpha switchboard', phones: ['+41 78 907 22 28 ext 9'] }),
      ],
    };
    beta.script = {
      kind: 'answer',
      candidates: [
        factory.candidate({ sourceId: 'beta', recordId: 'c', name: 'Beta company', kind: 'company' }),
        factory.candidate({ sourceId: 'beta', recordId: 'p', name: 'Beta person' }),
      ],
    };
    const response = await lookup().expect(200);
    expect(names(response.body)).toEqual(['Beta person', 'Alpha person', 'Anna Muster', 'Beta company', 'Alpha switchboard']);
  });

  it('answers at most LOOKUP_MAX_RESULTS cards', async () => {
    alpha.script = {
      kind: 'answer',
      candidates: Array.from({ length: 9 }, (_, i) => factory.candidate({ sourceId: 'alpha', recordId: `r${i}`, name: `Person ${i}` })),
    };
    const response = await lookup().expect(200);
    expect(response.body).toHaveLength(5);
  });

  it('drops the same record returned twice', async () => {
    const twice = factory.candidate({ sourceId: 'alpha', recordId: 'same', name: 'Twice' });
    alpha.script = { kind: 'answer', candidates: [twice, twice] };
    const response = await lookup('41789072228', 'solo-token-123').expect(200);
    expect(names(response.body)).toEqual(['Twice']);
  });
});

describe('a smaller LOOKUP_MAX_RESULTS (e2e)', () => {
  it('truncates after ranking', async () => {
    await withTestApp({
      env: { LOOKUP_MAX_RESULTS: '1' },
      files: { 'book.csv': PHONE_BOOK_CSV, 'acme.env': `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\n` },
    }, async (gateway) => {
      const response = await gateway.http.get('/lookup?PhoneNumber=41446681800').set(HEADER, TOKEN).expect(200);
      expect(names(response.body)).toEqual(['Anna Muster']);
    });
  });
});
