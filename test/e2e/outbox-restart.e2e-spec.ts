import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../support/eventually';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { hubspot, salesforce, sugar } from '../support/outbox-crms';

const MAIN = resolve(__dirname, '../../dist/main.js');
const HEADER = 'X-Execution-Token';
const TOKEN = 'restart-tenant-token';

jest.setTimeout(60_000);

/** The gateway as deployed (`node dist/main.js`), killed with SIGKILL while a call waits in its outbox. */
describe.each([salesforce, hubspot, sugar])('the outbox across a crash (e2e, a real process), with %p', (makeCrm) => {
  const crm = makeCrm();
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
    await crm.fake.start();
    tenants = mkdtempSync(join(tmpdir(), 'outbox-restart-tenants-'));
    workdir = mkdtempSync(join(tmpdir(), 'outbox-restart-cwd-'));
    writeFileSync(
      join(tenants, 'acme.env'),
      [`TOKEN=${TOKEN}`, crm.tenant(), ''].join('\n'),
    );
    gateway = await start();
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await crm.fake.stop();
    rmSync(tenants, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
  });

  it('delivers a call queued before a SIGKILL once the gateway is started again and the CRM is back: one record', async () => {
    const calls = crm.calls().length;
    crm.fake.failWrites = { status: 503 };
    const response = await fetch(`${gateway!.url}/lookup/CallFlow`, {
      method: 'POST',
      headers: { [HEADER]: TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: {
          direction: 'incoming',
          originatorNumber: '41789072228',
          destinationNumber: '41446681800',
          contactCrmId: crm.contactCrmId,
          startedTime: '2026-12-01 10:00:00',
          answeredTime: '2026-12-01 10:00:05',
          endedTime: '2026-12-01 10:03:40',
        },
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: expect.stringMatching(new RegExp(`^${crm.name}:queued:[0-9a-f-]{36}$`)) });

    await gateway!.stop('SIGKILL');
    gateway = undefined;
    crm.fake.failWrites = undefined;
    gateway = await start();
    await eventually(() => crm.calls().length === calls + 1, 15_000);
    await gateway.waitForLine(new RegExp(`^Queued CallFlow delivered to ${crm.name}`));
    expect(crm.calls().length).toBe(calls + 1);
    expect(crm.calls().at(-1)!.talkSeconds).toBe(crm.kept(215));
  });
});
