import { PHONE_BOOK_CSV } from '../support/phone-book';
import { withTestApp, type TestApp } from '../support/test-app';

const FILES = { 'acme.env': 'TOKEN=old-token-1,new-token-2\nDIRECTORY_FILE=book.csv\n', 'book.csv': PHONE_BOOK_CSV };
const LOOKUP = '/lookup?PhoneNumber=41789072228';

const lookup = (gateway: TestApp, token: string, forwardedFor?: string) => {
  const request = gateway.http.get(LOOKUP).set('X-Execution-Token', token);
  return forwardedFor ? request.set('X-Forwarded-For', forwardedFor) : request;
};
const failures = async (gateway: TestApp, count: number, forwardedFor?: string): Promise<number[]> => {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await lookup(gateway, `guess-${i}-abcdefgh`, forwardedFor)).status);
  return statuses;
};

describe('failed token attempts (e2e)', () => {
  it('answers 429 with Retry-After past AUTH_FAILURES_PER_MINUTE, and serves a trusted address\'s valid tokens on', async () => {
    await withTestApp({ files: FILES, env: { AUTH_FAILURES_PER_MINUTE: '5', METRICS_TOKEN: 'metrics-secret-0123456789' } }, async (gateway) => {
      await lookup(gateway, 'old-token-1').expect(200); // this address presented a valid token: trusted
      expect(await failures(gateway, 8)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      const throttled = await lookup(gateway, 'yet-another-guess').expect(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(throttled.headers.connection).toBe('close');
      expect(throttled.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringContaining('Too many invalid tokens') });
      const served = await lookup(gateway, 'new-token-2').expect(200);
      expect(served.body.map((card: { Name: string }) => card.Name)).toContain('Anna Muster');
      // A body without a token is throttled before it is read, too.
      await gateway.http.post('/lookup/CallFlow').send({ inputs: {} }).expect(429);

      // One line says the address is throttled; its refused attempts write none of their own.
      const announcements = gateway.logs.lines.filter((line) => String(line.msg).includes('invalid tokens within 60 s'));
      expect(announcements).toHaveLength(1);
      expect(announcements[0]!.level).toBe(40);
      expect(gateway.logs.lines.filter((line) => line.status === 429)).toHaveLength(1);
      expect(gateway.logs.lines.filter((line) => line.status === 401)).toHaveLength(5);
      expect(announcements[0]!.msg).toContain('its failing attempts get 429');
      const metrics = (await gateway.http.get('/metrics').set('Authorization', 'Bearer metrics-secret-0123456789').expect(200)).text;
      expect(metrics).toMatch(/gateway_auth_failures_total\{outcome="refused"\} 5\n/);
      expect(metrics).toMatch(/gateway_auth_failures_total\{outcome="throttled"\} 5\n/);
    });
  });

  it("refuses a throttled stranger without looking at the token: a correct guess gets 429 too", async () => {
    await withTestApp({ files: FILES, env: { AUTH_FAILURES_PER_MINUTE: '3' } }, async (gateway) => {
      expect(await failures(gateway, 4)).toEqual([401, 401, 401, 429]);
      const guessed = await lookup(gateway, 'new-token-2').expect(429);
      expect(guessed.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringContaining('Too many invalid tokens') });
      expect(gateway.logs.find((line) => String(line.msg).includes('its requests get 429'))).toBeDefined();
      // Public routes stay open to it (a load balancer's probe may share its address).
      await gateway.http.get('/health').expect(200);
    });
  });

  it('tells clients behind a trusted proxy apart by X-Forwarded-For (TRUST_PROXY)', async () => {
    await withTestApp({ files: FILES, env: { AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'loopback' } }, async (gateway) => {
      expect(await failures(gateway, 4, '203.0.113.7')).toEqual([401, 401, 401, 429]);
      expect(await failures(gateway, 1, '198.51.100.9')).toEqual([401]);
      await lookup(gateway, 'new-token-2', '198.51.100.9').expect(200);
      await lookup(gateway, 'new-token-2', '203.0.113.7').expect(429);
      expect(gateway.logs.find((line) => String(line.msg).includes('Client 203.0.113.7 sent more than 3 invalid tokens'))).toBeDefined();
    });
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot pick the address it is counted under', async () => {
    await withTestApp({ files: FILES, env: { AUTH_FAILURES_PER_MINUTE: '3' } }, async (gateway) => {
      expect(await failures(gateway, 3, '203.0.113.7')).toEqual([401, 401, 401]);
      expect(await failures(gateway, 1, '198.51.100.9')).toEqual([429]);
    });
  });

  it('does not throttle with AUTH_FAILURES_PER_MINUTE=0', async () => {
    await withTestApp({ files: FILES, env: { AUTH_FAILURES_PER_MINUTE: '0' } }, async (gateway) => {
      expect(new Set(await failures(gateway, 40))).toEqual(new Set([401]));
    });
  });
});

describe('what the request line says about tokens and paths (e2e)', () => {
  it("names which token of the tenant's list was used, never the token", async () => {
    await withTestApp({ files: FILES }, async (gateway) => {
      await lookup(gateway, 'old-token-1').expect(200);
      await lookup(gateway, 'new-token-2').expect(200);
      const lines = gateway.logs.lines.filter((line) => line.route === '/lookup' && line.status === 200);
      expect(lines.map((line) => [line.tenant, line.token])).toEqual([
        ['acme', 1],
        ['acme', 2],
      ]);
      expect(gateway.logs.text()).not.toMatch(/old-token-1|new-token-2/);
    });
  });

  it('cuts a long path in the log line, whoever sent it', async () => {
    await withTestApp({ files: FILES }, async (gateway) => {
      await gateway.http.get(`/${'a'.repeat(15_000)}`).expect(404);
      const line = gateway.logs.find((l) => l.status === 404)!;
      expect(line.route).toBe(`/${'a'.repeat(199)}… (15001 characters)`);
      expect(JSON.stringify(line).length).toBeLessThan(1000);
    });
  });
});
