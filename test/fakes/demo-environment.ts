import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHubSpot } from './hubspot/fake-hubspot';
import { FakeSalesforce } from './salesforce/fake-salesforce';
import { FakeSugar } from './sugar/fake-sugar';

export interface DemoEnvironment {
  readonly tenantsDir: string;
  readonly salesforceUrl: string;
  readonly hubspotUrl: string | undefined;
  /** The fake HubSpot portal itself (its search times), unless left out. */
  readonly hubspot: FakeHubSpot | undefined;
  readonly sugarUrl: string;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** Connect the fake HubSpot portal too (its 5 searches/s cap a tenant at 2.5 lookups/s). */
  readonly hubspot?: boolean;
}

/**
 * What `npm run demo` runs beside the gateway: the example tenants, with the demo tenant connected to
 * a fake Salesforce org, HubSpot portal and SugarCRM instance on loopback ports (the fakes from the test tree,
 * seeded with sample records).
 */
export async function startDemoEnvironment(examplesDir: string, options: DemoOptions = {}): Promise<DemoEnvironment> {
  const salesforce = await new FakeSalesforce().start();
  const hubspot = options.hubspot === false ? undefined : await new FakeHubSpot().start();
  const sugar = await new FakeSugar().start();
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
      ...(hubspot
        ? ['# And a fake HubSpot portal.', `HUBSPOT_ACCESS_TOKEN=${hubspot.token}`, `HUBSPOT_BASE_URL=${hubspot.url}`, 'HUBSPOT_CUSTOM_DATA=Lifecycle=lifecyclestage', 'HUBSPOT_NAME=HubSpot (demo portal)']
        : []),
      '# And a fake SugarCRM instance, signed in on its own registered platform.',
      `SUGAR_URL=${sugar.url}`,
      `SUGAR_USERNAME=${sugar.username}`,
      `SUGAR_PASSWORD=${sugar.password}`,
      'SUGAR_PLATFORM=phone_gateway',
      'SUGAR_CUSTOM_DATA=Title=title',
      'SUGAR_NAME=SugarCRM (demo instance)',
      '',
    ].join('\n'),
  );
  return {
    tenantsDir,
    salesforceUrl: salesforce.url,
    hubspotUrl: hubspot?.url,
    hubspot,
    sugarUrl: sugar.url,
    async stop() {
      await salesforce.stop();
      await hubspot?.stop();
      await sugar.stop();
      rmSync(tenantsDir, { recursive: true, force: true });
    },
  };
}
