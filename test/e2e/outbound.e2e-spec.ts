import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_RESPONSE_BYTES } from '../../src/sources/connection-pool';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { crmFakes } from '../support/crm-fakes';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'acme-token-1';
const CALL = { direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', startedTime: '2026-11-24 10:15:00' };

/** Somewhere a redirect could send the gateway's requests, and their credentials: it must hear nothing. */
class Listener {
  readonly heard: IncomingHttpHeaders[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.heard.push(req.headers);
    res.end('{}');
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/collect`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const CRMS = crmFakes();

describe.each(CRMS)('$name: a CRM host that redirects or answers too much (e2e)', (crm) => {
  const listener = new Listener();
  let collectUrl: string;
  let gateway: TestApp;
  const files = (): Record<string, string> => ({
    'acme.env': `TOKEN=${TOKEN}\n${crm.keys()}CACHE_TTL_S=0\nWORKFLOW_DEFAULT_CRM=${crm.name}\nDIRECTORY_FILE=book.csv\n`,
    'book.csv': 'name,phone\nDirectory Person,+41 78 907 22 28\n',
  });
  const lookupNames = async (): Promise<string[]> =>
    ((await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).expect(200)).body as Array<{ Name: string }>).map((c) => c.Name);

  beforeAll(async () => {
    collectUrl = await listener.start();
    await crm.fake.start();
    gateway = await startTestApp({ env: { LOOKUP_TIMEOUT_MS: '3000', WORKFLOW_TIMEOUT_MS: '5000' }, files: files() });
    expect(await lookupNames()).toContain('Anna Muster'); // signed in, before the host misbehaves
  });
  afterAll(async () => {
    await gateway.close();
    await crm.fake.stop();
    await listener.stop();
  });
  afterEach(() => {
    crm.fake.redirectTo = undefined;
    crm.fake.oversizedAnswerBytes = undefined;
    crm.fake.oversizedWithLength = false;
  });

  it('follows no redirect: a lookup answers without the CRM, and the redirect target hears nothing', async () => {
    crm.fake.redirectTo = collectUrl;
    expect(await lookupNames()).toEqual(['Directory Person']);
    const line = gateway.logs.find((l) => l.source === crm.name && l.code === 'UNAVAILABLE' && String(l.reason).includes('redirect'));
    expect(line).toBeDefined();
    expect(listener.heard).toEqual([]);
  });

  it('follows no redirect of a workflow write: 502 naming it, nothing sent elsewhere', async () => {
    crm.fake.redirectTo = collectUrl;
    const response = await gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs: CALL }).expect(502);
    expect(response.body.message).toMatch(/redirect/);
    expect(listener.heard).toEqual([]);
  });

  it.each([
    ['sent chunked', false],
    ['announced by its Content-Length', true],
  ])(`stops reading an answer larger than ${MAX_RESPONSE_BYTES} bytes (%s), and answers without it`, async (_, withLength) => {
    crm.fake.oversizedAnswerBytes = 4 * MAX_RESPONSE_BYTES;
    crm.fake.oversizedWithLength = withLength;
    gateway.logs.lines.length = 0;
    crm.fake.oversizedBytesSent = 0;
    crm.fake.oversizedAnswers = 0;
    expect(await lookupNames()).toEqual(['Directory Person']);
    expect(gateway.logs.find((l) => l.source === crm.name && String(l.reason).includes('larger than'))).toBeDefined();
    expect(crm.fake.oversizedAnswers).toBeGreaterThan(0);
    // Per answer, about the cap and what was in flight: far from the 32 MB on offer.
    expect(crm.fake.oversizedBytesSent / crm.fake.oversizedAnswers).toBeLessThan(2 * MAX_RESPONSE_BYTES);
  });
});

describe('salesforce: a token endpoint that redirects (e2e)', () => {
  it('does not follow it with the client credentials', async () => {
    const listener = new Listener();
    const fake = new FakeSalesforce();
    await fake.start();
    fake.redirectTo = await listener.start();
    try {
      await withTestApp(
        { files: { 'acme.env': `TOKEN=${TOKEN}\nSALESFORCE_LOGIN_URL=${fake.url}\nSALESFORCE_CLIENT_ID=fake-client-id\nSALESFORCE_CLIENT_SECRET=fake-client-secret\n` } },
        async (gateway) => {
          await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).expect(200, []);
          expect(gateway.logs.text()).toMatch(/redirect/);
          expect(listener.heard).toEqual([]);
        },
      );
    } finally {
      await fake.stop();
      await listener.stop();
    }
  });
});
