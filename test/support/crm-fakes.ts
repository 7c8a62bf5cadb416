import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import type { LoopbackFake } from '../fakes/loopback-fake';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';

/** One fake CRM and the tenant keys that point a tenant at it. */
export interface CrmFake {
  readonly name: 'salesforce' | 'hubspot' | 'sugar';
  readonly fake: LoopbackFake & { readonly requests: readonly unknown[] };
  /** `<PREFIX>_…` lines for a tenant file, each ending in a newline. */
  keys(): string;
}

/** A fake Salesforce org, HubSpot portal and SugarCRM, for tests that treat every CRM alike. */
export function crmFakes(): readonly CrmFake[] {
  const salesforce = new FakeSalesforce();
  const hubspot = new FakeHubSpot();
  const sugar = new FakeSugar();
  return [
    {
      name: 'salesforce',
      fake: salesforce,
      keys: () => `SALESFORCE_LOGIN_URL=${salesforce.url}\nSALESFORCE_CLIENT_ID=fake-client-id\nSALESFORCE_CLIENT_SECRET=fake-client-secret\n`,
    },
    {
      name: 'hubspot',
      fake: hubspot,
      keys: () => `HUBSPOT_ACCESS_TOKEN=${hubspot.token}\nHUBSPOT_BASE_URL=${hubspot.url}\nHUBSPOT_PORTAL_ID=1\nHUBSPOT_APP_URL=https://app.hubspot.com\n`,
    },
    { name: 'sugar', fake: sugar, keys: () => `SUGAR_URL=${sugar.url}\nSUGAR_USERNAME=${sugar.username}\nSUGAR_PASSWORD=${sugar.password}\n` },
  ];
}
