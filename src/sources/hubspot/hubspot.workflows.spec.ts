import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { FakeHubSpot } from '../../../test/fakes/hubspot/fake-hubspot';
import { handlersOf } from '../../../test/support/source-handlers';
import { workflowCall } from '../../../test/support/workflow-calls';
import { CALL_FLOW, CREATE_CONTACT, CREATE_TICKET, OwnerRefusedError, type WorkflowCall } from '../../core/workflow-handler';
import { loadGlobalSettings } from '../../config/global-settings';
import { GatewayMetrics } from '../../observability/gateway-metrics';
import { RedisConnection } from '../../shared-state/redis-connection';
import { crmHttpOptions } from '../connection-pool';
import { HubSpotSettings } from './hubspot.settings';
import { HubSpotSource } from './hubspot.source';
import { CALL_DISPOSITIONS, HUBSPOT_WORKFLOWS } from './hubspot.workflows';

/** No REDIS_URL: each client keeps its own state, as a single replica does. */
const NO_REDIS = new RedisConnection(loadGlobalSettings({}), new GatewayMetrics());

const ANNA = { sourceId: 'hubspot', objectType: 'contact', recordId: '101' } as const;
const MUSTER_AG = { sourceId: 'hubspot', objectType: 'company', recordId: '201' } as const;
const LINKS = 'https://app-eu1.hubspot.com/contacts/4711/record';

/** What HubSpot's workflows send (crm-apis.md §2.6), against the fake portal on a loopback port. */
describe('HubSpot workflows', () => {
  const hubspot = new FakeHubSpot();
  const source = new HubSpotSource(new HttpService(axios.create(crmHttpOptions(4))), NO_REDIS);
  const handlers = handlersOf(HUBSPOT_WORKFLOWS, source);
  let settings: HubSpotSettings;

  beforeAll(async () => {
    await hubspot.start();
    settings = Object.assign(new HubSpotSettings(), {
      HUBSPOT_ACCESS_TOKEN: hubspot.token,
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_PORTAL_ID: '4711',
      HUBSPOT_APP_URL: 'https://app-eu1.hubspot.com',
      HUBSPOT_TICKET_PIPELINE: 'support',
      HUBSPOT_TICKET_STAGE: 'new-stage',
    });
    await source.attachTenant({ tenantId: 'acme', tenantFile: '/tenants/acme.env', region: 'CH', settings });
  });
  beforeEach(() => hubspot.reset());
  afterAll(() => hubspot.stop());

  /** What a CallFlow writes of an answered call, and writes again on each later request. */
  const progress = (call: WorkflowCall) => ({
    hs_call_title: 'Incoming call from Anna Muster (+41 78 907 22 28)',
    hs_call_body: call.facts.description,
    hs_call_status: 'COMPLETED',
    hs_call_disposition: CALL_DISPOSITIONS.connected,
    hs_call_duration: '125000',
  });
  const sent = () => hubspot.requests.map(({ method, path, body }) => ({ method, path, body }));

  it('CallFlow logs a call on the contact, with its owner, and links to it', async () => {
    const call = workflowCall(settings, { contact: ANNA, userId: '5150' });
    const result = await handlers[CALL_FLOW]!.run(call);
    const id = hubspot.all('calls')[0]!.id;
    expect(result).toEqual({ objectType: 'call', recordId: id, url: `${LINKS}/0-48/${id}` });
    expect(sent()).toEqual([
      {
        method: 'POST',
        path: '/crm/v3/objects/calls',
        body: {
          properties: {
            ...progress(call),
            hs_timestamp: '2026-11-20T08:15:00.000Z',
            hs_call_direction: 'INBOUND',
            hs_call_from_number: '+41789072228',
            hs_call_to_number: '+41446681800',
            hubspot_owner_id: '5150',
          },
          associations: [{ to: { id: '101' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] }],
        },
      },
    ]);
  });

  it("CallFlow puts the write's key into hs_call_external_id, and findWritten finds that call by it, nothing for another key", async () => {
    const key = '3f2a9c1e-77b0-5c3d-a1e2-0123456789ab';
    const written = await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: ANNA, callKey: key }));
    expect(sent()[0]!.body).toMatchObject({ properties: { hs_call_external_id: key } });
    expect(hubspot.all('calls').find((c) => c.id === written.recordId)?.properties.hs_call_external_id).toBe(key);

    hubspot.requests.length = 0;
    await expect(handlers[CALL_FLOW]!.findWritten!(workflowCall(settings, { contact: ANNA, callKey: key }))).resolves.toEqual(written);
    expect(sent()).toEqual([
      {
        method: 'POST',
        path: '/crm/v3/objects/calls/search',
        body: { filterGroups: [{ filters: [{ propertyName: 'hs_call_external_id', operator: 'EQ', value: key }] }], properties: ['hs_call_external_id'], limit: 1 },
      },
    ]);
    await expect(handlers[CALL_FLOW]!.findWritten!(workflowCall(settings, { callKey: '00000000-0000-5000-a000-000000000000' }))).resolves.toBeUndefined();
    await expect(handlers[CALL_FLOW]!.findWritten!(workflowCall(settings))).resolves.toBeUndefined();
    expect(hubspot.requests).toHaveLength(2);
  });

  it("looks for a call no sooner than HUBSPOT_SEARCH_LAG_S after its write, and for no ticket (a ticket carries no key)", () => {
    expect(handlers[CALL_FLOW]!.findableAfterMs).toBe(30_000);
    expect(handlersOf(HUBSPOT_WORKFLOWS, source, loadGlobalSettings({ HUBSPOT_SEARCH_LAG_S: '2' }))[CALL_FLOW]!.findableAfterMs).toBe(2000);
    expect(handlers[CREATE_TICKET]).toMatchObject({ findWritten: undefined, findableAfterMs: undefined });
    expect(handlers[CREATE_CONTACT]).toMatchObject({ findWritten: undefined, findableAfterMs: undefined });
  });

  it("counts findWritten's searches against the token's search budget: six at once get no 429", async () => {
    await Promise.all(Array.from({ length: 6 }, () => handlers[CALL_FLOW]!.findWritten!(workflowCall(settings, { callKey: '00000000-0000-5000-a000-000000000000' }))));
    expect(hubspot.searchArrivals).toHaveLength(6);
    expect(hubspot.searchTimes).toHaveLength(6);
    expect(hubspot.maxSearchesPerSecond()).toBeLessThanOrEqual(5);
  });

  it('CallFlow logs an outgoing missed call on a company, without an owner', async () => {
    const outgoing = { direction: 'outgoing', originatorNumber: '+41446681800', originatorName: 'Front desk', destinationNumber: '+41789072228', destinationName: 'Anna Muster' } as const;
    await handlers[CALL_FLOW]!.run(workflowCall(settings, { contact: MUSTER_AG, call: { ...outgoing, answeredAt: undefined, endedAt: new Date('2026-11-20T08:15:30Z') } }));
    expect(sent()[0]!.body).toEqual({
      properties: expect.objectContaining({
        hs_call_title: 'Unanswered call to Anna Muster (+41 78 907 22 28)',
        hs_call_status: 'NO_ANSWER',
        hs_call_disposition: CALL_DISPOSITIONS.noAnswer,
        hs_call_duration: '0',
        hs_call_direction: 'OUTBOUND',
        hs_call_from_number: '+41446681800',
        hs_call_to_number: '+41789072228',
      }),
      associations: [{ to: { id: '201' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 182 }] }],
    });
    expect(sent()[0]!.body).not.toHaveProperty('properties.hubspot_owner_id');
  });

  it('CallFlow with the id of the call it logged updates that call: its progress only', async () => {
    const logged = hubspot.add('calls', { hs_timestamp: '2026-11-20T08:15:00.000Z', hs_call_title: 'Incoming call', hs_call_status: 'IN_PROGRESS' }, [], '9500');
    const call = workflowCall(settings, { contact: ANNA, previous: { sourceId: 'hubspot', objectType: 'call', recordId: logged.id } });
    await expect(handlers[CALL_FLOW]!.run(call)).resolves.toEqual({ objectType: 'call', recordId: '9500', url: `${LINKS}/0-48/9500` });
    expect(sent()).toEqual([
      {
        method: 'PATCH',
        path: '/crm/v3/objects/calls/9500',
        body: {
          properties: progress(call),
        },
      },
    ]);
  });

  it("CreateTicket opens a ticket in the tenant's pipeline on the company (a logged call is context only)", async () => {
    const call = workflowCall(settings, { contact: MUSTER_AG, previous: { sourceId: 'hubspot', objectType: 'call', recordId: '9500' }, userId: '5151' });
    const result = await handlers[CREATE_TICKET]!.run(call);
    expect(result).toEqual({ objectType: 'ticket', recordId: hubspot.all('tickets')[0]!.id, url: `${LINKS}/0-5/${hubspot.all('tickets')[0]!.id}` });
    expect(sent()).toEqual([
      {
        method: 'POST',
        path: '/crm/v3/objects/tickets',
        body: {
          properties: { subject: 'Incoming call from Anna Muster (+41 78 907 22 28)', content: call.facts.description, hs_pipeline: 'support', hs_pipeline_stage: 'new-stage', hubspot_owner_id: '5151' },
          associations: [{ to: { id: '201' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 26 }] }],
        },
      },
    ]);
  });

  it("CreateContact creates a contact with the caller's number and name, and one without a name with the number alone", async () => {
    await handlers[CREATE_CONTACT]!.run(workflowCall(settings, { userId: '5150' }));
    await handlers[CREATE_CONTACT]!.run(workflowCall(settings, { call: { originatorName: undefined } }));
    expect(sent().map((request) => request.body)).toEqual([
      { properties: { phone: '+41789072228', firstname: 'Anna', lastname: 'Muster', hubspot_owner_id: '5150' }, associations: [] },
      { properties: { phone: '+41789072228' }, associations: [] },
    ]);
  });

  it('reports an owner HubSpot refuses as such, having written nothing', async () => {
    const failure = await handlers[CREATE_TICKET]!.run(workflowCall(settings, { contact: ANNA, userId: '77' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OwnerRefusedError);
    expect(failure).toMatchObject({ userId: '77' });
    expect(hubspot.all('tickets')).toEqual([]);
  });
});
