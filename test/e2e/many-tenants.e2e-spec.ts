import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WARM_UPS_AT_ONCE } from '../../src/tenants/tenant-registry';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { freePort, GatewayProcess } from '../support/gateway-process';

const MAIN = resolve(__dirname, '../../dist/main.js');
const TENANTS = 40;
const DEADLINE_MS = 1500;

jest.setTimeout(60_000);

/** Many tenants on one Salesforce org whose logins take a while, in a gateway process as `npm start` runs it. */
describe('many tenants starting at once (e2e, a gateway process)', () => {
  const salesforce = new FakeSalesforce();
  let tenants: string;
  let workdir: string;
  let gateway: GatewayProcess | undefined;

  const tokenOf = (i: number): string => `many-tenant-token-${String(i).padStart(3, '0')}`;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
    await salesforce.start();
    tenants = mkdtempSync(join(tmpdir(), 'many-tenants-'));
    workdir = mkdtempSync(join(tmpdir(), 'many-tenants-cwd-'));
    for (let i = 1; i <= TENANTS; i += 1) {
      const file = [`TOKEN=${tokenOf(i)}`, `SALESFORCE_LOGIN_URL=${salesforce.url}`, 'SALESFORCE_CLIENT_ID=fake-client-id', 'SALESFORCE_CLIENT_SECRET=fake-client-secret', ''];
      writeFileSync(join(tenants, `t${String(i).padStart(3, '0')}.env`), file.join('\n'));
    }
  });

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await salesforce.stop();
    rmSync(tenants, { recursive: true, force: true });
    rmSync(workdir, { recursive: true, force: true });
  });

  it(`is ready only once it serves, signs its tenants in ${WARM_UPS_AT_ONCE} at a time, and a tenant not warmed up yet signs in on its own first lookup, on time`, async () => {
    salesforce.tokenDelayMs = 300;
    const env = { TENANTS_DIR: tenants, DATA_DIR: join(workdir, 'data'), LOOKUP_TIMEOUT_MS: String(DEADLINE_MS) };
    gateway = new GatewayProcess(process.execPath, [MAIN], { cwd: workdir, env, port: await freePort() });
    const running = gateway;
    // Readiness first: the moment it says ready, a lookup for any tenant is served.
    const readiness = async (): Promise<number> => (await fetch(`${running.url}/health/ready`).catch(() => undefined))?.status ?? 0;
    await eventually(async () => (await readiness()) === 200, 30_000);

    // The last tenant in the queue: its warm-up comes after 39 others, 300 ms each, 8 at a time. Had
    // its lookup waited for them, Salesforce would have missed the deadline and the card would be missing.
    const response = await fetch(`${gateway.url}/lookup?PhoneNumber=41789072228`, { headers: { 'X-Execution-Token': tokenOf(TENANTS) } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([expect.objectContaining({ CrmName: 'Salesforce' })]);

    await eventually(() => salesforce.tokensIssued >= TENANTS, 30_000);
    expect(salesforce.maxTokensInFlight).toBeLessThanOrEqual(WARM_UPS_AT_ONCE + 1); // + the lookup's own sign-in
    expect(salesforce.maxTokensInFlight).toBeGreaterThan(1);
    // Every tenant signed in once: the lookup's own sign-in served its warm-up too.
    expect(salesforce.tokensIssued).toBe(TENANTS);
  });
});
