import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';

export interface WriteKnobs {
  failWrites: { status: number; retryAfterS?: number } | undefined;
  /** The next creates are stored, then their connection is cut before any answer (a lost answer). */
  cutNextWrites: number;
}

/** One CRM as the outbox suites need it: its fake, its tenant file, the call records it holds and the writes it was sent. */
export interface Crm {
  readonly name: 'salesforce' | 'hubspot' | 'sugar';
  readonly fake: WriteKnobs & { start(): Promise<unknown>; stop(): Promise<unknown> };
  tenant(): string;
  readonly contactCrmId: string;
  /** The call records, each with its talk time in seconds and the write's key it carries (Salesforce `CallObject`, HubSpot `hs_call_external_id`, Sugar its id). */
  calls(): Array<{ id: string; talkSeconds: number; key?: string }>;
  /** A talk time as the CRM keeps it (Sugar: whole minutes). */
  kept(talkSeconds: number): number;
  /** Creates and updates of call records sent to the CRM (refused ones included), with their arrival times. */
  callWrites(): number[];
}

export function salesforce(): Crm {
  const fake = new FakeSalesforce();
  return {
    name: 'salesforce',
    fake,
    tenant: () => [`SALESFORCE_LOGIN_URL=${fake.url}`, 'SALESFORCE_CLIENT_ID=fake-client-id', 'SALESFORCE_CLIENT_SECRET=fake-client-secret'].join('\n'),
    contactCrmId: 'salesforce:Contact:003000000000001AAA',
    kept: (seconds) => seconds,
    calls: () => fake.org.Task.map((task) => ({ id: String(task.Id), talkSeconds: Number(task.CallDurationInSeconds), key: (task.CallObject as string | null | undefined) ?? undefined })),
    callWrites: () => fake.writeArrivals.filter((w) => w.object === 'Task').map((w) => w.at),
  };
}

export function hubspot(): Crm {
  const fake = new FakeHubSpot();
  return {
    name: 'hubspot',
    fake,
    tenant: () => [`HUBSPOT_ACCESS_TOKEN=${fake.token}`, `HUBSPOT_BASE_URL=${fake.url}`, 'HUBSPOT_PORTAL_ID=1', 'HUBSPOT_APP_URL=https://app.hubspot.com'].join('\n'),
    contactCrmId: 'hubspot:contact:101',
    kept: (seconds) => seconds,
    calls: () =>
      fake.all('calls').map((call) => ({ id: String(call.id), talkSeconds: Number(call.properties.hs_call_duration) / 1000, key: call.properties.hs_call_external_id ?? undefined })),
    callWrites: () => fake.writeArrivals.filter((w) => w.object === 'calls').map((w) => w.at),
  };
}

export function sugar(): Crm {
  const fake = new FakeSugar();
  return {
    name: 'sugar',
    fake,
    tenant: () => [`SUGAR_URL=${fake.url}`, `SUGAR_USERNAME=${fake.username}`, `SUGAR_PASSWORD=${fake.password}`].join('\n'),
    contactCrmId: 'sugar:Contacts:c-anna',
    kept: (seconds) => Math.round(seconds / 60) * 60,
    calls: () =>
      fake.all('Calls').map((call) => ({ id: String(call.id), talkSeconds: (Number(call.duration_hours) * 60 + Number(call.duration_minutes)) * 60, key: String(call.id) })),
    callWrites: () => fake.writeArrivals.filter((w) => w.object === 'Calls').map((w) => w.at),
  };
}
