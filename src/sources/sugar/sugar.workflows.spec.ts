import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { FakeSugar } from '../../../test/fakes/sugar/fake-sugar';
import { handlersOf } from '../../../test/support/source-handlers';
import { workflowCall } from '../../../test/support/workflow-calls';
import { CALL_FLOW, CREATE_CONTACT, CREATE_TICKET, type WorkflowCall } from '../../core/workflow-handler';
import { loadGlobalSettings } from '../../config/global-settings';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { SugarSettings } from './sugar.settings';
import { SugarSource } from './sugar.source';
import { SUGAR_WORKFLOWS } from './sugar.workflows';

/** No REDIS_URL: each client keeps its own state, as a single replica does. */
const NO_REDIS = new RedisConnection(loadGlobalSettings({}), new GatewayMetrics());

const ANNA = { sourceId: 'sugar', objectType: 'Contacts', recordId: 'c-anna' } as const;
const BEAT = { sourceId: 'sugar', objectType: 'Contacts', recordId: 'c-beat' } as const;
const OLIVIA = { sourceId: 'sugar', objectType: 'Leads', recordId: 'l-olivia' } as const;
const SARAH = 'seed-user-sales';

/** What Sugar's workflows send (crm-apis.md §3.7, §3.8), against the fake Sugar on a loopback port. */
describe('Sugar workflows', () => {
  const sugar = new FakeSugar();
  const source = new SugarSource(new HttpService(axios.create(crmHttpOptions(4))), NO_REDIS);
  const handlers = handlersOf(SUGAR_WORKFLOWS, source);
  let settings: SugarSettings;

  beforeAll(() => sugar.start());
  // The fake's reset ends its sessions: each test signs in anew, on settings of its own.
  beforeEach(async () => {
    sugar.reset();
    settings = Object.assign(new SugarSettings(), { SUGAR_URL: sugar.url, SUGAR_USERNAME: sugar.username, SUGAR_PASSWORD: sugar.password });
    await source.attachTenant({ tenantId: 'acme', tenantFile: '/tenants/acme.env', region: 'CH', settings });
  });
  afterAll(() => sugar.stop());

  /** The API requests, without the sign-in. */
  const sent = () =>
    sugar.requests
      .filter((r) => !r.path.endsWith('/oauth2/token'))
      .map(({ method, path, query, body }) => ({ method, path: path.replace('/rest/v11', ''), ...(Object.keys(query).length > 0 ? { query } : {}), ...(body === undefined ? {} : { body }) }));
  /** What a CallFlow writes of an answered call, and writes again on each later request. */
  const progress = (call: WorkflowCall) => ({
    name: 'Incoming call from Anna Muster (+41 78 907 22 28)',
    description: call.facts.description,
    status: 'Held',
    date_end: '2026-11-20T08:17:17+00:00',
    duration_hours: 0,
    duration_minutes: 2,
  });
  const url = (module: string, id: string) => `${sugar.url}/#${module}/${id}`;

  it("CallFlow logs a Calls record under the contact's Account, the contact linked and not invited twice, with its owner", async () => {
    const call = workflowCall(settings, { contact: ANNA, userId: SARAH });
    const result = await handlers[CALL_FLOW]!.run(call);
    const logged = sugar.all('Calls')[0]!;
    expect(result).toEqual({ objectType: 'Calls', recordId: logged.id, url: url('Calls', logged.id) });
    expect(sent()).toEqual([
      { method: 'GET', path: '/Contacts/c-anna', query: { fields: 'account_id' } },
      {
        method: 'POST',
        path: '/Calls',
        body: {
          ...progress(call),
          direction: 'Inbound',
          date_start: '2026-11-20T08:15:00+00:00',
          parent_type: 'Accounts',
          parent_id: 'acc-muster',
          assigned_user_id: SARAH,
          contacts: { add: ['c-anna'] },
          auto_invite_parent: false,
        },
      },
    ]);
  });

  it('CallFlow on a contact without an account takes the contact as the parent; on a Lead, the lead (linked as a lead)', async () => {
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: BEAT }));
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: OLIVIA, call: { answeredAt: undefined, endedAt: new Date('2026-11-20T08:15:30Z') } }));
    const [beat, olivia] = sent().filter((request) => request.method === 'POST').map((request) => request.body);
    expect(beat).toMatchObject({ parent_type: 'Contacts', parent_id: 'c-beat', contacts: { add: ['c-beat'] }, auto_invite_parent: false });
    expect(olivia).toMatchObject({ parent_type: 'Leads', parent_id: 'l-olivia', leads: { add: ['l-olivia'] }, status: 'Not Held', duration_minutes: 0, date_end: '2026-11-20T08:15:30+00:00' });
    expect(olivia).not.toHaveProperty('assigned_user_id');
    expect(sent().filter((request) => request.method === 'GET')).toHaveLength(1);
  });

  it('CallFlow with the id of the Calls record it logged updates its progress only', async () => {
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: ANNA }));
    const logged = sugar.all('Calls')[0]!;
    sugar.requests.length = 0;
    const call = workflowCall(settings, { contact: ANNA, previous: { sourceId: 'sugar', objectType: 'Calls', recordId: logged.id } });
    await expect(handlers[CALL_FLOW]!.run(call)).resolves.toEqual({ objectType: 'Calls', recordId: logged.id, url: url('Calls', logged.id) });
    expect(sent()).toEqual([
      {
        method: 'PUT',
        path: `/Calls/${logged.id}`,
        body: progress(call),
      },
    ]);
  });

  it("CreateTicket opens a Case on the contact and its account, its name cut to Sugar's 50 characters", async () => {
    const call = workflowCall(settings, { contact: ANNA, userId: SARAH, call: { originatorName: 'Anna-Barbara Muster-Schwarzenbach von Rotz' } });
    const result = await handlers[CREATE_TICKET]!.run(call);
    expect(result).toMatchObject({ objectType: 'Cases', recordId: sugar.all('Cases')[0]!.id });
    expect(sent().at(-1)).toEqual({
      method: 'POST',
      path: '/Cases',
      body: {
        name: call.facts.subject.slice(0, 50),
        description: call.facts.description,
        status: 'New',
        priority: 'P2',
        account_id: 'acc-muster',
        contacts: { add: ['c-anna'] },
        assigned_user_id: SARAH,
      },
    });
    expect(call.facts.subject.length).toBeGreaterThan(50);
  });

  it("CreateContact creates a Lead with the caller's name and number, or a placeholder name", async () => {
    await handlers[CREATE_CONTACT]!.run(workflowCall(settings, { userId: SARAH }));
    await handlers[CREATE_CONTACT]!.run(workflowCall(settings, { call: { originatorName: undefined } }));
    expect(sent().map((request) => request.body)).toEqual([
      { first_name: 'Anna', last_name: 'Muster', phone_work: '+41789072228', lead_source: 'Cold Call', assigned_user_id: SARAH },
      { last_name: 'Unknown caller', phone_work: '+41789072228', lead_source: 'Cold Call' },
    ]);
  });
});
