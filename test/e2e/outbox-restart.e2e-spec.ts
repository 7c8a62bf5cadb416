import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { freePort, GatewayProcess } from '../support/gateway-process';

const MAIN = resolve(__dirname, '../../dist/main.js');
const HEADER = 'X-Execution-Token';
const TOKEN = 'restart-tenant-token';

jest.setTimeout(60_000);

/** The gateway as deployed (`node dist/main.js`), killed with SIGKILL while a call waits in its outbox. */
describe('the outbox across a crash (e2e, a real process)', () => {
  const salesforce = new FakeSalesforce();
  let tenants: string;
  let workdir: string;
  let gateway: GatewayProcess | undefined;

  async function start(): Promise<GatewayProcess> {
    const env = { TENANTS_DIR: tenants, DATA_DIR: join(workdir, 'data'), WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' };
    const started = new GatewayProcess(process.execPath, [MAIN], { cwd: workdir, env, port: await freePort() });
    await started.waitForLine(/^Gateway listening on /);
    return started;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
    await salesforce.start();
    tenants = mkdtempSync(join(tmpdir(), 'outbox-restart-tenants-'));
    workdir = mkdtempSync(join(tmpdir(), 'outbox-restart-cwd-'));
    writeFileSync(
      join(tenants, 'acme.env'),
      [`TOKEN=${TOKEN}`, `SALESFORCE_LOGIN_URL=${salesforce.url}`, 'SALESFORCE_CLIENT_ID=fake-client-id', 'SALESFORCE_CLIENT_SECRET=fake-client-secret', ''].join('\n'),
    );
    gateway = await start();
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await salesforce.stop();
    rmSync(tenants, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
  });

  it('delivers a call queued before a SIGKILL once the gateway is started again and Salesforce is back: one Task', async () => {
    const tasks = salesforce.org.Task.length;
    salesforce.failWrites = { status: 503 };
    const response = await fetch(`${gateway!.url}/lookup/CallFlow`, {
      method: 'POST',
      headers: { [HEADER]: TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: {
          direction: 'incoming',
          originatorNumber: '41789072228',
          destinationNumber: '41446681800',
          contactCrmId: 'salesforce:Contact:003000000000001AAA',
          startedTime: '2026-12-01 10:00:00',
          answeredTime: '2026-12-01 10:00:05',
          endedTime: '2026-12-01 10:03:40',
        },
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: expect.stringMatching(/^salesforce:queued:[0-9a-f-]{36}$/) });

    await gateway!.stop('SIGKILL');
    gateway = undefined;
    salesforce.failWrites = undefined;
    gateway = await start();
    await eventually(() => salesforce.org.Task.length === tasks + 1, 15_000);
    await gateway.waitForLine(/^Queued CallFlow delivered to salesforce/);
    expect(salesforce.org.Task.at(-1)).toMatchObject({ CallDurationInSeconds: 215, WhoId: '003000000000001AAA' });
  });
});
