import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSalesforce } from './salesforce/fake-salesforce';

export interface DemoEnvironment {
  readonly tenantsDir: string;
  readonly salesforceUrl: string;
  stop(): Promise<void>;
}

/**
 * What `npm run demo` runs beside the gateway: the example tenants, with the demo tenant connected to
 * a fake Salesforce org on a loopback port (the fake from the test tree, seeded with sample records).
 */
export async function startDemoEnvironment(examplesDir: string, salesforcePort = 0): Promise<DemoEnvironment> {
  const salesforce = await new FakeSalesforce().start(salesforcePort);
  const tenantsDir = mkdtempSync(join(tmpdir(), 'gateway-demo-'));
  for (const name of readdirSync(examplesDir)) copyFileSync(join(examplesDir, name), join(tenantsDir, name));
  const demo = join(tenantsDir, 'demo.env');
  writeFileSync(
    demo,
    [
      readFileSync(demo, 'utf8').trimEnd(),
      '# Added by npm run demo: a fake Salesforce org on this machine.',
      `SALESFORCE_LOGIN_URL=${salesforce.url}`,
      'SALESFORCE_CLIENT_ID=fake-client-id',
      'SALESFORCE_CLIENT_SECRET=fake-client-secret',
      'SALESFORCE_CUSTOM_DATA=Title=Title,Owner=Owner.Name',
      'SALESFORCE_NAME=Salesforce (demo org)',
      'WORKFLOW_DEFAULT_CRM=salesforce',
      '',
    ].join('\n'),
  );
  return {
    tenantsDir,
    salesforceUrl: salesforce.url,
    async stop() {
      await salesforce.stop();
      rmSync(tenantsDir, { recursive: true, force: true });
    },
  };
}
