import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { PHONE_BOOK_CSV } from '../support/phone-book';

const MAIN = resolve(__dirname, '../../dist/main.js');

jest.setTimeout(60_000);

describe('the gateway process (e2e)', () => {
  let tenants: string;
  /** An empty working folder, so no developer's .env leaks into these runs. */
  let workdir: string;
  let gateway: GatewayProcess | undefined;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
  });
  beforeEach(() => {
    tenants = mkdtempSync(join(tmpdir(), 'gateway-process-'));
    workdir = mkdtempSync(join(tmpdir(), 'gateway-cwd-'));
  });
  afterEach(async () => {
    await gateway?.stop('SIGKILL');
    gateway = undefined;
    rmSync(tenants, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}): Promise<GatewayProcess> => {
    gateway = new GatewayProcess(process.execPath, [MAIN], { cwd: workdir, env: { TENANTS_DIR: tenants, ...env }, port: await freePort() });
    return gateway;
  };
  const started = async (env: Record<string, string> = {}): Promise<GatewayProcess> => {
    const running = await start(env);
    await running.waitForLine(/^Gateway listening on /);
    return running;
  };

  it('refuses to start without tenants, says how to add one, and exits 1', async () => {
    const run = await start();
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr).toContain('The gateway did not start.');
    expect(run.stderr).toContain('No tenants configured');
    expect(run.stderr).toContain('npm run demo');
  });

  it('refuses a bad global setting, naming the variable, the value and the rule, once', async () => {
    const run = await start({ LOOKUP_TIMEOUT_MS: 'soon' });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr.match(/LOOKUP_TIMEOUT_MS="soon": must be a whole number of milliseconds from 100 to 30000/g)).toHaveLength(1);
  });

  it('logs JSON lines only, no framework chatter at info, and no secret', async () => {
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-1\n');
    const run = await started();
    expect(run.messages()).toEqual(expect.arrayContaining([expect.stringMatching(/^Tenant acme ready with no source: its lookups answer \[\]/)]));
    expect(run.lines.find((l) => String(l.msg).startsWith('Tenant acme ready'))?.level).toBe(40);
    expect(run.messages().filter((m) => /Mapped \{|successfully started|dependencies initialized/.test(m))).toEqual([]);
    expect(run.stdout).not.toContain('secret-token-1');
    expect(run.stderr).toBe('');
  });

  it('ends a failed start with its reason: another process on the port', async () => {
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-1\n');
    const first = await started();
    const second = new GatewayProcess(process.execPath, [MAIN], { cwd: workdir, env: { TENANTS_DIR: tenants }, port: first.port });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr.trim().split('\n').pop()).toBe(`Another process already listens on 127.0.0.1:${first.port}: stop it, or set PORT to a free port.`);
    expect(second.messages().filter((m) => m.includes('successfully started'))).toEqual([]);
  });

  it('warns of a misspelt key in .env, naming the setting it resembles', async () => {
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-1\n');
    writeFileSync(join(workdir, '.env'), 'METRIC_TOKEN=metrics-secret-0123456789\n');
    const run = await started();
    const warning = run.lines.find((l) => String(l.msg).includes('METRIC_TOKEN'));
    expect(warning).toMatchObject({ level: 40, msg: 'Unknown setting ignored: .env: METRIC_TOKEN: unknown key: did you mean METRICS_TOKEN?' });
    expect(run.stdout).not.toContain('metrics-secret-0123456789');
  });

  it('reloads the tenants folder on SIGHUP and keeps running (nohup or not)', async () => {
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-1\nDIRECTORY_FILE=book.csv\n');
    writeFileSync(join(tenants, 'book.csv'), PHONE_BOOK_CSV);
    const run = await started();
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-2\nDIRECTORY_FILE=book.csv\n');
    run.signal('SIGHUP');
    await run.waitForLine(/^Reloading the tenants folder \(SIGHUP\)$/);
    await run.waitForLine(/^Tenant acme reloaded from acme\.env/);
    const answer = await fetch(`${run.url}/lookup?PhoneNumber=41789072228`, { headers: { 'X-Execution-Token': 'secret-token-2' } });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as Array<{ Name: string }>).map((card) => card.Name)).toEqual(['Anna Muster']);
    expect(run.messages().some((m) => m.includes('stopping'))).toBe(false);
  });

  describe.each(['SIGTERM', 'SIGINT'] as const)('on %s', (signal) => {
    const salesforce = new FakeSalesforce();
    beforeAll(() => salesforce.start());
    afterAll(() => salesforce.stop());
    afterEach(() => salesforce.reset());

    it('finishes the lookup in flight, says it is stopping and that it stopped, and exits 0', async () => {
      writeFileSync(
        join(tenants, 'acme.env'),
        `TOKEN=secret-token-1\nSALESFORCE_LOGIN_URL=${salesforce.url}\nSALESFORCE_CLIENT_ID=fake-client-id\nSALESFORCE_CLIENT_SECRET=fake-client-secret\n`,
      );
      const run = await started({ LOOKUP_TIMEOUT_MS: '10000' });
      salesforce.delayMs = 700;
      const inFlight = fetch(`${run.url}/lookup?PhoneNumber=41789072228`, { headers: { 'X-Execution-Token': 'secret-token-1' } });
      await eventually(() => salesforce.requestsTo('/search').length > 0, 10_000);
      run.signal(signal);
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Array<{ Name: string }>).map((card) => card.Name)).toEqual(['Anna Muster']);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      const stopping = run.messages().findIndex((m) => m === `${signal}: stopping; new connections are refused, the requests in flight finish`);
      const stopped = run.messages().findIndex((m) => m === `Stopped (${signal})`);
      expect(stopping).toBeGreaterThan(-1);
      expect(stopped).toBeGreaterThan(stopping);
      // Nothing after it but, at most, the request line of the lookup it waited for (written as its connection closes).
      expect(run.lines.slice(stopped + 1).filter((line) => line.msg !== 'request completed')).toEqual([]);
    });
  });
});
