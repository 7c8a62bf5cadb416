import { workflowCall } from '../../../test/support/workflow-calls';
import { prepareWrite } from './template-client';
import { loadTemplateText, TemplateError } from './template-loader';
import { SourceError } from '../../core/source-error';
import type { PreparedRequest, TemplateClient } from './template-client';
import type { TemplateSource } from './template.source';
import { callValue, TemplateWorkflowHandler, writeValues } from './template-workflows';

/** A template with a CallFlow (create, update, find) beside its lookup; the tests break one piece at a time. */
const TEMPLATE = `id: demo
name: Demo CRM
prefix: DEMO
badge: { letters: DC, color: "#336699" }
baseUrl: https://crm.example.ch
auth: { type: none }
requests:
  - name: people
    method: GET
    path: /people
    query: { phone: "{{number.e164}}" }
    response: { records: "$.data[*]", objectType: person, idPattern: "^[0-9]+$", id: "$.id", kind: person, name: "$.name", phones: "$.phone" }
workflows:
  CallFlow:
    objectType: call
    idPattern: "^[0-9a-f-]{36}$"
    url: "https://crm.example.ch/calls/{{record.id}}"
    create:
      method: POST
      path: /calls
      id: "$.id"
      body:
        id: "{{call.key}}"
        subject: "{{call.subject}}"
        notes: "{{call.description}}"
        outgoing: "{{call.outgoing}}"
        seconds: "{{call.talkSeconds}}"
        person: "{{contact.personId}}"
        label: "Call {{call.key}} with {{contact.id}}"
        owner: "{{user.id}}"
        tags: ["phone", "{{user.id}}"]
        caller: "{{number.nationalGrouped}}"
    update:
      method: PATCH
      path: /calls/{{previous.id}}
      body: { seconds: "{{call.talkSeconds}}" }
    find:
      path: /calls/{{call.key}}
      empty: { statuses: [404] }
      id: "$.id"
`;

function problemsOf(text: string): string[] {
  try {
    loadTemplateText(text, 'templates/demo.yaml');
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return error.problems.map((p) => `${p.line}:${p.column}: ${p.problem}`);
  }
  throw new Error('the template was accepted');
}

const KEY = '0b6f3a52-6d4c-4c59-9a0e-2f1f4d7c9b11';

describe('templated workflows', () => {
  const loaded = loadTemplateText(TEMPLATE, 'templates/demo.yaml');
  const callFlow = loaded.workflows[0]!;
  const client = { paramValue: () => undefined };

  it('reads a workflow: its record type, its writes and its look-up by key', () => {
    expect(loaded.template.workflows).toEqual([expect.objectContaining({ name: 'CallFlow', objectType: 'call', create: expect.objectContaining({ method: 'POST', id: '$.id' }) as unknown })]);
    expect(callFlow.update?.method).toBe('PATCH');
    expect(callFlow.find?.method).toBe('GET');
  });

  it('renders a create: values keep their type when alone, entries without a value are left out, lines of the description kept', () => {
    const call = workflowCall({}, { callKey: KEY, contact: { sourceId: 'demo', objectType: 'person', recordId: '17' } });
    const prepared = prepareWrite(callFlow.create, writeValues(client, call));
    expect(prepared).toMatchObject({ method: 'POST', pathAndQuery: '/calls' });
    expect(prepared.body).toEqual({
      id: KEY,
      subject: 'Incoming call from Anna Muster (+41 78 907 22 28)',
      notes: expect.stringContaining('\n') as unknown,
      outgoing: false,
      seconds: 125,
      person: '17',
      label: `Call ${KEY} with 17`,
      tags: ['phone'],
      caller: '078 907 22 28',
    });
  });

  it('leaves out a binding of another type, and everything about a contact or key the call does not have', () => {
    const company = prepareWrite(callFlow.create, writeValues(client, workflowCall({}, { contact: { sourceId: 'demo', objectType: 'company', recordId: '9' } }))).body as Record<string, unknown>;
    expect(company).not.toHaveProperty('person');
    expect(company).not.toHaveProperty('id');
    expect(company).not.toHaveProperty('label');
    const withUser = prepareWrite(callFlow.create, writeValues(client, workflowCall({}, { userId: 'u-1' }))).body as Record<string, unknown>;
    expect(withUser).toMatchObject({ owner: 'u-1', tags: ['phone', 'u-1'] });
  });

  it('renders the update by the earlier record, and the look-up by the key, each encoded for the path', () => {
    const call = workflowCall({}, { callKey: KEY, previous: { sourceId: 'demo', objectType: 'call', recordId: '../admin' } });
    expect(prepareWrite(callFlow.update!, writeValues(client, call)).pathAndQuery).toBe('/calls/..%2Fadmin');
    expect(prepareWrite(callFlow.find!, writeValues(client, call)).pathAndQuery).toBe(`/calls/${KEY}`);
    // No earlier record: the update's path would be /calls/, another resource: refused, nothing sent.
    expect(() => prepareWrite(callFlow.update!, writeValues(client, workflowCall({})))).toThrow(/a value of the write's path is missing/);
  });

  it("says every call value as the core computed it", () => {
    const { facts } = workflowCall({}, { call: { direction: 'outgoing', destinationName: undefined } });
    expect(callValue(facts, 'outgoing', undefined)).toBe(true);
    expect(callValue(facts, 'talkMinutes', undefined)).toBe(3);
    expect(callValue(facts, 'startedAt', undefined)).toBe('2026-11-20T08:15:00.000Z');
    // The other party of an outgoing call is its callee, here without a name.
    expect([callValue(facts, 'externalFirstName', undefined), callValue(facts, 'externalName', undefined), callValue(facts, 'externalNumber', undefined)]).toEqual([undefined, undefined, '+41446681800']);
    // A record is never nameless: the number stands as the last name.
    expect(callValue(facts, 'externalLastName', undefined)).toBe('+41 44 668 18 00');
    const incoming = workflowCall({}).facts;
    expect([callValue(incoming, 'externalFirstName', KEY), callValue(incoming, 'externalLastName', KEY), callValue(incoming, 'externalNumber', KEY), callValue(incoming, 'key', KEY)]).toEqual(['Anna', 'Muster', '+41789072228', KEY]);
  });

  it.each<[string, string, string]>([
    ['a find whose create does not carry the key', '        id: "{{call.key}}"\n', '19:7: workflows.CallFlow.create: a workflow with find must send {{call.key}} with its create: find looks the record up by it'],
    ['the earlier record in a create', '        owner: "{{user.id}}"\n', "30:16: workflows.CallFlow.create.body.owner: {{previous.id}}: the earlier record is known in a workflow's update only"],
    ['a binding of a type no lookup hands out', '        person: "{{contact.personId}}"\n', '28:17: workflows.CallFlow.create.body.person: {{contact.ticketId}}: no request of this template hands out records of type ticket (types: person)'],
    ['a call value in a lookup', '    query: { phone: "{{number.e164}}" }\n', "11:21: requests[0].query.phone: {{call.subject}}: the call's values are known in a workflow's writes only"],
  ])('names the line of %s', (_what, line, problem) => {
    const broken = {
      'a find whose create does not carry the key': TEMPLATE.replace(line, '').replace('        label: "Call {{call.key}} with {{contact.id}}"\n', ''),
      'the earlier record in a create': TEMPLATE.replace(line, '        owner: "{{previous.id}}"\n'),
      'a binding of a type no lookup hands out': TEMPLATE.replace(line, '        person: "{{contact.ticketId}}"\n'),
      'a call value in a lookup': TEMPLATE.replace(line, '    query: { phone: "{{call.subject}}" }\n'),
    }[_what]!;
    expect(problemsOf(broken)).toEqual([problem]);
  });

  it('refuses a workflow the contract does not name, and a write method that is not one', () => {
    expect(problemsOf(TEMPLATE.replace('  CallFlow:', '  SendFax:'))[0]).toMatch(/workflows\.SendFax: unknown key/);
    expect(problemsOf(TEMPLATE.replace('      method: PATCH', '      method: DELETE'))[0]).toMatch(/workflows\.CallFlow\.update\.method: must be one of "POST", "PATCH", "PUT"/);
  });

  describe('a handler', () => {
    /** A client that answers each write by its method (a create, an update, a find) as scripted. */
    function handlerWith(answers: Record<string, () => unknown>): { handler: TemplateWorkflowHandler; sent: PreparedRequest[] } {
      const sent: PreparedRequest[] = [];
      const client = {
        paramValue: () => undefined,
        write: (prepared: PreparedRequest) => {
          sent.push(prepared);
          return Promise.resolve().then(answers[prepared.method]);
        },
      } as unknown as TemplateClient;
      const source = { id: 'demo', template: loaded.template, loadedTemplate: loaded, clientOf: () => client } as unknown as TemplateSource;
      return { handler: new TemplateWorkflowHandler(source, callFlow), sent };
    }

    it('creates, answering the id of the form its pattern says, and the link', async () => {
      const { handler, sent } = handlerWith({ POST: () => ({ id: KEY }) });
      expect(await handler.run(workflowCall({}, { callKey: KEY }))).toEqual({ objectType: 'call', recordId: KEY, url: `https://crm.example.ch/calls/${KEY}` });
      expect(sent.map((p) => p.method)).toEqual(['POST']);
      expect(handler).toMatchObject({ sourceId: 'demo', workflow: 'CallFlow', updates: ['call'], previousTypes: { call: 'a call logged by CallFlow' } });
    });

    it('updates the earlier record of the call instead of creating', async () => {
      const { handler, sent } = handlerWith({ PATCH: () => undefined });
      expect(await handler.run(workflowCall({}, { previous: { sourceId: 'demo', objectType: 'call', recordId: KEY } }))).toMatchObject({ recordId: KEY });
      expect(sent.map((p) => `${p.method} ${p.pathAndQuery}`)).toEqual([`PATCH /calls/${KEY}`]);
    });

    it('adopts the record of its own key when the create is refused as a duplicate (an earlier try was carried out after all)', async () => {
      const { handler, sent } = handlerWith({
        POST: () => {
          throw new SourceError('BAD_REQUEST', 'CRM answered 412: A record with matching key values already exists.');
        },
        GET: () => ({ id: KEY }),
      });
      expect(await handler.run(workflowCall({}, { callKey: KEY }))).toMatchObject({ recordId: KEY });
      expect(sent.map((p) => `${p.method} ${p.pathAndQuery}`)).toEqual(['POST /calls', `GET /calls/${KEY}`]);
    });

    it('passes a refusal on when the key finds nothing, and fails a create answered without an id (it may have written)', async () => {
      const refused = new SourceError('BAD_REQUEST', 'CRM answered 400: bad field');
      await expect(handlerWith({ POST: () => Promise.reject(refused), GET: () => undefined }).handler.run(workflowCall({}, { callKey: KEY }))).rejects.toBe(refused);
      await expect(handlerWith({ POST: () => ({ id: 'not-a-uuid' }) }).handler.run(workflowCall({}, { callKey: KEY }))).rejects.toMatchObject({ code: 'UNAVAILABLE', mayHaveWritten: true });
    });
  });
});
