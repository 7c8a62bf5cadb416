import { SourceError } from '../../src/core/source-error';
import { DuplicateWorkflowHandlerError } from '../../src/sources/workflow-registry';
import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import { eventually } from '../support/eventually';
import { factory } from '../support/factory';
import { PHONE_BOOK_CSV } from '../support/phone-book';
import { losingTheAnswer, recordingHandlers, rejectingWith, WorkflowRecorder } from '../support/recording-workflows';
import { ScriptedSource } from '../support/scripted-source';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const ACME = 'acme-token-123';
const BARE = 'bare-token-123';
const WORKFLOWS = ['CallFlow', 'CreateTicket', 'CreateContact'];

let callMinute = 0;
/** The first request of a new call: each test's calls start at their own minute, as real calls do. */
function newCall(): typeof firstRequest {
  callMinute += 1;
  const minute = String(callMinute % 60).padStart(2, '0');
  const hour = String(16 + Math.floor(callMinute / 60)).padStart(2, '0');
  return { ...firstRequest, startedTime: `2026-11-23 ${hour}:${minute}:00` };
}

const firstRequest = {
  direction: 'incoming',
  originatorNumber: '41789072228',
  originatorName: 'Alexa Holiday',
  destinationNumber: '41446681800',
  destinationName: 'Reception',
  startedTime: '2026-11-24 10:15:00',
  answeredTime: '',
  endedTime: null,
  declinedTime: '',
  id: null,
};

interface LoggedLookup {
  readonly reqId?: string;
  readonly msg?: string;
  readonly lookup?: { readonly sources?: Record<string, { readonly outcome: string }> };
}

/** What a lookup's request line says of each source: `{ alpha: 'skipped' }`. */
function outcomesOf(gateway: TestApp, reqId: string): Record<string, string> {
  const line = gateway.logs.lines.find((l) => l.reqId === reqId && l.msg === 'request completed') as LoggedLookup | undefined;
  return Object.fromEntries(Object.entries(line?.lookup?.sources ?? {}).map(([id, { outcome }]) => [id, outcome]));
}

/** A tenant of the door's tests: its own breaker, budget and cache. */
const doorTenant = (token: string, extra: string): string => `TOKEN=${token}\nALPHA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=alpha\n${extra}`;

describe('business workflows (e2e)', () => {
  const alpha = new ScriptedSource('alpha', { kind: 'answer', candidates: [] });
  const beta = new ScriptedSource('beta', { kind: 'answer', candidates: [] });
  const recorder = new WorkflowRecorder();
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { WORKFLOW_TIMEOUT_MS: '1000', BREAKER_FAILURES: '2', LOOKUP_TIMEOUT_MS: '200', WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' },
      extraSources: [alpha, beta],
      providers: recordingHandlers('alpha', recorder, WORKFLOWS),
      files: {
        'open.env': doorTenant('open-token-123', 'CACHE_TTL_S=0\n'),
        'slow.env': doorTenant('slow-token-123', 'CACHE_TTL_S=0\n'),
        'spent.env': doorTenant('spent-token-123', 'CACHE_TTL_S=0\nALPHA_MAX_RPS=1\n'),
        'spends.env': doorTenant('spends-token-12', 'CACHE_TTL_S=0\nALPHA_MAX_RPS=1\n'),
        'cached.env': doorTenant('cached-token-12', 'BETA_ENABLED=on\n'),
        'book.csv': PHONE_BOOK_CSV,
        'acme.env': `TOKEN=${ACME}\nALPHA_ENABLED=on\nDIRECTORY_FILE=book.csv\nWORKFLOW_DEFAULT_CRM=alpha\nLANGUAGE=de\nTIMEZONE=Europe/Zurich\nCACHE_TTL_S=0\n`,
        'bare.env': `TOKEN=${BARE}\nALPHA_ENABLED=on\nRESPONSE_CASE=camel\nCACHE_TTL_S=0\n`,
        'book.env': 'TOKEN=book-token-123\nDIRECTORY_FILE=book.csv\n',
      },
    });
  });
  afterAll(() => gateway.close());
  let callStart: ReturnType<typeof newCall>;
  beforeEach(() => {
    callStart = newCall();
    recorder.reset();
    alpha.script = { kind: 'answer', candidates: [] };
    beta.script = { kind: 'answer', candidates: [] };
  });

  const post = (workflow: string, inputs: Record<string, unknown>, token = ACME) =>
    gateway.http.post(`/lookup/${workflow}`).set(HEADER, token).send({ inputs });

  describe('CallFlow', () => {
    it('creates one call activity on the contact, with the call facts in the tenant language and zone', async () => {
      const response = await post('CallFlow', {
        ...callStart,
        startedTime: '2026-11-24 10:15:00',
        contactCrmId: 'alpha:Contact:c-7',
        userCrmId: 'alpha:u-1,other:9',
      }).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Task:task-1', url: 'https://crm.test/Task/task-1' });
      expect(recorder.calls).toHaveLength(1);
      const { call } = recorder.calls[0]!;
      expect(call).toMatchObject({
        tenantId: 'acme',
        region: 'CH',
        contact: { sourceId: 'alpha', objectType: 'Contact', recordId: 'c-7' },
        userId: 'u-1',
        facts: { direction: 'incoming', outcome: 'missed', ended: false, subject: 'Verpasster Anruf von Alexa Holiday (+41 78 907 22 28)' },
      });
      expect(call.previous).toBeUndefined();
      expect(call.facts.startedAt.toISOString()).toBe('2026-11-24T09:15:00.000Z');
    });

    it('updates the same activity on every later request carrying our id', async () => {
      const call = { ...callStart, startedTime: '2026-11-25 10:15:00', contactCrmId: 'alpha:Contact:c-7' };
      const first = await post('CallFlow', call).expect(200);
      const answered = await post('CallFlow', { ...call, id: first.body.id, answeredTime: '2026-11-25 10:15:09' }).expect(200);
      const ended = await post('CallFlow', {
        ...call,
        id: answered.body.id,
        answeredTime: '2026-11-25 10:15:09',
        endedTime: '2026-11-25T10:17:14+01:00',
      }).expect(200);
      expect([answered.body.id, ended.body.id]).toEqual([first.body.id, first.body.id]);
      expect(recorder.records.size).toBe(1);
      expect(recorder.calls.map((c) => c.call.previous?.recordId)).toEqual([undefined, 'task-1', 'task-1']);
      expect(recorder.calls[2]!.call.facts).toMatchObject({ outcome: 'answered', ended: true, talkSeconds: 125, ringSeconds: 9 });
    });

    it('answers a repeated first request with the first answer and writes nothing more', async () => {
      const first = await post('CallFlow', { ...callStart, startedTime: '2026-11-26 10:15:00' }).expect(200);
      // The same instant, written with its offset: still the same call.
      const repeat = await post('CallFlow', { ...callStart, startedTime: '2026-11-26T10:15:00+01:00' }).expect(200);
      expect(repeat.body).toEqual(first.body);
      expect(recorder.calls).toHaveLength(1);
    });

    it('writes once when repeats arrive at the same time', async () => {
      recorder.script = { kind: 'slow', ms: 100 };
      const inputs = { ...callStart, startedTime: '2026-11-24 11:00:00' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => post('CallFlow', inputs)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.id as string)).size).toBe(1);
      expect(recorder.calls).toHaveLength(1);
    });

    it('writes a new activity for a different call', async () => {
      await post('CallFlow', callStart).expect(200);
      await post('CallFlow', { ...callStart, startedTime: '2026-11-24 10:20:00' }).expect(200);
      await post('CallFlow', { ...callStart, direction: 'outgoing' }).expect(200);
      expect(recorder.records.size).toBe(3);
    });

    it('routes an unknown caller to WORKFLOW_DEFAULT_CRM', async () => {
      await post('CallFlow', { ...callStart, originatorNumber: '41790000000', startedTime: '2026-11-24 12:00:00' }).expect(200);
      expect(recorder.calls[0]!.call.contact).toBeUndefined();
    });
  });

  describe('failures', () => {
    it('answers 502 naming the source and reason when the CRM refuses the write for good, and its retry writes once', async () => {
      recorder.script = rejectingWith('BAD_REQUEST', 'CRM answered 400: Subject too long');
      const inputs = { ...callStart, startedTime: '2026-11-24 13:00:00' };
      const failed = await post('CallFlow', inputs).expect(502);
      expect(failed.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        source: 'alpha',
        code: 'BAD_REQUEST',
        message: 'alpha: CRM answered 400: Subject too long',
      });
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({ tenant: 'acme', workflow: 'CallFlow', source: 'alpha', code: 'BAD_REQUEST', number: '+41******228', direction: 'incoming' }),
      );
      recorder.script = { kind: 'write' };
      await post('CallFlow', inputs).expect(200);
      await post('CallFlow', inputs).expect(200);
      expect(recorder.records.size).toBe(1);
    });

    it("puts the request's id on the workflow's own lines, so they join its request line", async () => {
      recorder.script = rejectingWith('BAD_REQUEST', 'CRM answered 400');
      await post('CallFlow', { ...callStart, startedTime: '2026-11-24 13:10:00' }).set('X-Request-Id', 'wf-failed-1').expect(502);
      recorder.script = rejectingWith('UNAVAILABLE', 'CRM answered 503 Service Unavailable');
      const queued = await post('CallFlow', { ...callStart, startedTime: '2026-11-24 13:12:00' }).set('X-Request-Id', 'wf-queued-1').expect(200);
      recorder.script = { kind: 'write' };
      // Delivered before the next test counts its own writes.
      await eventually(() => gateway.logs.lines.some((l) => l.delivery === (queued.body.id as string).split(':')[2] && l.msg === 'Queued CallFlow delivered to alpha'), 10_000);
      await post('CallFlow', { ...callStart, startedTime: '2026-11-24 13:15:00' }).set('X-Request-Id', 'wf-written-1').expect(200);
      const linesOf = (reqId: string) => gateway.logs.lines.filter((l) => l.reqId === reqId).map((l) => l.msg);
      expect(linesOf('wf-failed-1')).toEqual(['Workflow CallFlow failed', 'request failed']);
      expect(linesOf('wf-queued-1')).toEqual(['Workflow CallFlow kept in the outbox: alpha refused it for now', 'request completed']);
      expect(linesOf('wf-written-1')).toEqual(['Workflow CallFlow written', 'request completed']);
    });

    it.each([
      ['is unavailable', rejectingWith('UNAVAILABLE', 'CRM answered 503 Service Unavailable'), '13:20'],
      ['reports a timeout before anything was sent', rejectingWith('TIMEOUT', 'no time left before the deadline'), '13:25'],
    ])('answers 200 with a queued id when the CRM %s, and delivers the call once it takes writes again', async (_, failing, time) => {
      recorder.script = failing;
      const inputs = { ...callStart, startedTime: `2026-11-24 ${time}:00` };
      const queued = await post('CallFlow', inputs).expect(200);
      expect(queued.body).toEqual({ id: expect.stringMatching(/^alpha:queued:[0-9a-f-]{36}$/) });
      const records = recorder.records.size;
      recorder.script = { kind: 'write' };
      const delivery = (queued.body.id as string).split(':')[2];
      await eventually(() => gateway.logs.lines.some((l) => l.delivery === delivery && l.msg === 'Queued CallFlow delivered to alpha'), 10_000);
      expect(recorder.records.size).toBe(records + 1);
      expect((await post('CallFlow', inputs).expect(200)).body).toEqual(queued.body); // a repeat: nothing written
      const followUp = await post('CallFlow', { ...inputs, endedTime: `2026-11-24 ${time}:30`, id: queued.body.id }).expect(200);
      expect(followUp.body.id).toMatch(/^alpha:Task:/);
      expect(recorder.records.size).toBe(records + 1);
    });

    it('answers 502 as before when the write may have been carried out though no answer came: not sent again blindly', async () => {
      recorder.script = rejectingWith('UNAVAILABLE', 'connection reset after the request was sent', { mayHaveWritten: true });
      const response = await post('CallFlow', { ...callStart, startedTime: '2026-11-24 13:40:00' }).expect(502);
      expect(response.body).toMatchObject({ source: 'alpha', code: 'UNAVAILABLE' });
    });

    it('answers 200 with a queued id past WORKFLOW_TIMEOUT_MS, and the retry gets that id instead of a duplicate', async () => {
      recorder.script = { kind: 'slow', ms: 1500 };
      const inputs = { ...callStart, startedTime: '2026-11-24 14:00:00' };
      const late = await post('CallFlow', inputs).expect(200);
      expect(late.body).toEqual({ id: expect.stringMatching(/^alpha:queued:[0-9a-f-]{36}$/) });
      const delivery = (late.body.id as string).split(':')[2];
      await eventually(() => gateway.logs.lines.some((l) => l.delivery === delivery && l.msg === 'Workflow CallFlow written after its answer'));
      expect(recorder.records.size).toBe(1);
      const retry = await post('CallFlow', inputs).expect(200);
      expect(retry.body).toEqual(late.body);
      expect(recorder.calls).toHaveLength(1);
      const followUp = await post('CallFlow', { ...inputs, endedTime: '2026-11-24 14:01:00', id: late.body.id }).expect(200);
      expect(followUp.body.id).toMatch(/^alpha:Task:/);
      expect(recorder.records.size).toBe(1);
    });
  });

  describe('routing and refusals', () => {
    it('matches workflow names in any case', async () => {
      await post('callflow', callStart).expect(200);
      await post('CALLFLOW', callStart).expect(200);
      expect(recorder.calls).toHaveLength(1);
    });

    it('answers 404 for an unknown workflow, listing the names the tenant can use', async () => {
      const response = await post('SendFax', callStart).expect(404);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Unknown workflow "SendFax". This tenant can use: CallFlow, CreateContact, CreateTicket.',
        workflows: ['CallFlow', 'CreateContact', 'CreateTicket'],
      });
    });

    it.each<[string, (request: ReturnType<typeof gateway.http.post>) => ReturnType<typeof gateway.http.post>]>([
      ['no body', (request) => request],
      ['an empty body', (request) => request.set('Content-Type', 'application/json').send('')],
      ['a body that is not JSON', (request) => request.set('Content-Type', 'application/json').send('{"inputs":')],
      ['a body without inputs', (request) => request.send({ phoneNumber: '41789072228' })],
    ])('answers 404 for an unknown workflow with %s: the route decides before the body is read', async (_, withBody) => {
      const response = await withBody(gateway.http.post('/lookup/SendFax').set(HEADER, ACME)).expect(404);
      expect(response.body).toMatchObject({ message: 'Unknown workflow "SendFax". This tenant can use: CallFlow, CreateContact, CreateTicket.' });
      expect(response.headers.connection).toBe('close');
      expect(recorder.calls).toHaveLength(0);
    });

    it('answers 404 listing none for a tenant whose sources offer no workflows', async () => {
      const response = await post('CallFlow', callStart, 'book-token-123').expect(404);
      expect(response.body.message).toBe('Unknown workflow "CallFlow". No source of this tenant offers workflows.');
    });

    it.each([
      [{ contactCrmId: 'not-ours' }, 'inputs.contactCrmId is not an id this gateway issued'],
      [{ contactCrmId: 'salesforce:Contact:003' }, 'inputs.contactCrmId names source "salesforce", which this tenant does not use'],
      [{ id: '12345' }, 'inputs.id is not an id this gateway issued'],
      [{ contactCrmId: 'directory:entry:vHIwM2LRUdeGN5YB' }, 'Source "directory" does not support workflow "CallFlow" (it supports: none).'],
    ])('answers 422 for %j and writes nothing', async (ids, message) => {
      const response = await post('CallFlow', { ...callStart, ...ids }).expect(422);
      expect(response.body).toEqual({ statusCode: 422, error: 'Unprocessable Entity', message });
      expect(recorder.calls).toHaveLength(0);
    });

    it('answers 422 for an unknown caller without WORKFLOW_DEFAULT_CRM', async () => {
      const response = await post('CallFlow', callStart, BARE).expect(422);
      expect(response.body.message).toContain('WORKFLOW_DEFAULT_CRM');
      expect(recorder.calls).toHaveLength(0);
    });

    it('answers 400 naming the field for bad inputs, and writes nothing', async () => {
      const response = await post('CallFlow', { ...callStart, endedTime: 'later' }).expect(400);
      expect(response.body.message).toEqual([expect.stringMatching(/^inputs\.endedTime must be an ISO 8601 time/)]);
      expect(recorder.calls).toHaveLength(0);
    });

    it.each<[string, (request: ReturnType<typeof gateway.http.post>) => ReturnType<typeof gateway.http.post>]>([
      ['no body', (request) => request],
      ['a body without inputs', (request) => request.send({ direction: 'incoming' })],
      ['inputs that are text', (request) => request.send({ inputs: 'incoming call' })],
      ['inputs that are a list', (request) => request.send({ inputs: [callStart] })],
      ['a list for a body', (request) => request.send([{ inputs: callStart }])],
    ])('answers 400 for %s, saying in one sentence what the body must be', async (_, withBody) => {
      const response = await withBody(gateway.http.post('/lookup/CallFlow').set(HEADER, ACME)).expect(400);
      expect(response.body.message).toEqual(['The body must be a JSON object with an "inputs" object: {"inputs":{…}} holding the call\'s facts']);
      expect(recorder.calls).toHaveLength(0);
    });

    it.each([
      [{ endedTime: '2026-11-24 10:14:00' }, ['inputs.endedTime (2026-11-24 10:14:00) is before inputs.startedTime (2026-11-24 10:15:00)']],
      [{ answeredTime: '2026-11-24T10:14:59+01:00' }, ['inputs.answeredTime (2026-11-24T10:14:59+01:00) is before inputs.startedTime (2026-11-24 10:15:00)']],
      [{ declinedTime: 1795511640 }, ['inputs.declinedTime (1795511640) is before inputs.startedTime (2026-11-24 10:15:00)']],
      [
        { answeredTime: '2026-11-24 10:15:30', endedTime: '2026-11-24 10:15:10' },
        ['inputs.endedTime (2026-11-24 10:15:10) is before inputs.answeredTime (2026-11-24 10:15:30)'],
      ],
    ])('answers 400 for times out of order %j, naming the fields, writes nothing and logs no error', async (times, message) => {
      const reqId = `times-${callMinute}`;
      const response = await post('CallFlow', { ...callStart, startedTime: '2026-11-24 10:15:00', ...times }).set('X-Request-Id', reqId).expect(400);
      expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
      expect(recorder.calls).toHaveLength(0);
      expect(gateway.logs.lines.filter((l) => l.reqId === reqId).map((l) => l.level)).toEqual([30]);
    });

    it('ignores unknown fields', async () => {
      await post('CallFlow', { ...callStart, recordingUrl: 'https://pbx/rec/1', queue: { name: 'Support' } }).expect(200);
      expect(recorder.calls).toHaveLength(1);
    });

    it('answers 413 for a body over 64 KB', async () => {
      await post('CallFlow', { ...callStart, note: 'x'.repeat(70 * 1024) }).expect(413);
    });

    it('needs the tenant token', async () => {
      await gateway.http.post('/lookup/CallFlow').send({ inputs: callStart }).expect(401);
    });

    it('leaves POST /lookup/Lookup to the lookup', async () => {
      const response = await gateway.http.post('/lookup/Lookup').set(HEADER, ACME).send({ inputs: { phoneNumber: '41789072228' } }).expect(200);
      expect(Array.isArray(response.body)).toBe(true);
    });
  });

  describe('CreateTicket and CreateContact', () => {
    it('opens a ticket linked to the contact, subject from the call', async () => {
      const response = await post('CreateTicket', { ...callStart, contactCrmId: 'alpha:Contact:c-7' }).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Case:case-1', url: 'https://crm.test/Case/case-1' });
      expect(recorder.calls[0]).toMatchObject({ workflow: 'CreateTicket', call: { contact: { recordId: 'c-7' }, facts: { subject: expect.stringContaining('Alexa Holiday') } } });
    });

    it('opens one ticket when a request naming the call as its context is repeated (a retry after a 504), also at once', async () => {
      const call = { ...callStart, contactCrmId: 'alpha:Contact:c-7' };
      const logged = await post('CallFlow', call).expect(200);
      recorder.script = { kind: 'slow', ms: 100 };
      const tickets = await Promise.all(Array.from({ length: 3 }, () => post('CreateTicket', { ...call, id: logged.body.id })));
      const again = await post('CreateTicket', { ...call, id: logged.body.id }).expect(200);
      expect(tickets.map((t) => t.status)).toEqual([200, 200, 200]);
      expect(new Set([...tickets, again].map((t) => t.body.id as string))).toEqual(new Set(['alpha:Case:case-2']));
      expect(recorder.calls.filter((c) => c.workflow === 'CreateTicket')).toHaveLength(1);
    });

    it('creates a contact for an unknown number', async () => {
      const response = await post('CreateContact', { ...callStart, originatorNumber: '41791112233', originatorName: 'New Caller' }).expect(200);
      expect(response.body.id).toBe('alpha:Contact:contact-1');
      expect(recorder.calls[0]!.call.facts.external).toMatchObject({ number: '+41791112233', name: 'New Caller' });
    });

    it('returns the existing record instead of creating a duplicate when the number is already stored', async () => {
      alpha.script = {
        kind: 'answer',
        candidates: [factory.candidate({ sourceId: 'alpha', objectType: 'Lead', recordId: 'l-3', phones: ['078 907 22 28'], contactUri: 'https://crm.test/Lead/l-3' })],
      };
      const response = await post('CreateContact', { ...callStart, startedTime: '2026-11-24 15:00:00' }).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Lead:l-3', url: 'https://crm.test/Lead/l-3' });
      expect(recorder.calls).toHaveLength(0);
    });

    it('returns the known contact when the request already names one', async () => {
      const response = await post('CreateContact', { ...callStart, contactCrmId: 'alpha:Contact:c-7', startedTime: '2026-11-24 15:30:00' }).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Contact:c-7' });
      expect(recorder.calls).toHaveLength(0);
    });
  });

  describe("CreateContact's duplicate check, through the door a lookup uses", () => {
    const LEAD = factory.candidate({ sourceId: 'alpha', objectType: 'Lead', recordId: 'l-3', phones: ['078 907 22 28'], contactUri: 'https://crm.test/Lead/l-3' });
    const DOWN = { kind: 'throw', error: new SourceError('UNAVAILABLE', 'CRM answered 503') } as const;
    const createContact = (token: string, inputs: Record<string, unknown>) => post('CreateContact', inputs, token);
    const lookup = async (token: string, number: string, reqId: string): Promise<string[]> => {
      const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token).set('X-Request-Id', reqId).expect(200);
      return (response.body as Array<{ Name: string }>).map((card) => card.Name);
    };
    const searches = (source: ScriptedSource, tenantId: string): number => source.searches.filter((s) => s.tenantId === tenantId).length;

    it('does not ask a source whose circuit is open, and answers as a CRM outage does, writing nothing', async () => {
      alpha.script = DOWN;
      for (const i of [1, 2]) await lookup('open-token-123', `4179000000${i}`, `open-${i}`);
      expect(gateway.logs.lines.some((l) => String(l.msg).startsWith('Circuit of source alpha for tenant open is now open'))).toBe(true);
      alpha.script = { kind: 'answer', candidates: [] };
      const before = searches(alpha, 'open');

      const response = await createContact('open-token-123', { ...callStart, originatorNumber: '41795550022', originatorName: 'New Caller' }).expect(502);
      expect(response.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        source: 'alpha',
        code: 'UNAVAILABLE',
        message: 'alpha: circuit open after repeated failures: not asked, nothing written',
      });
      expect(searches(alpha, 'open')).toBe(before);
      expect(recorder.calls).toHaveLength(0);
    });

    it('answers 504 naming the source when the duplicate check gets no answer within LOOKUP_TIMEOUT_MS, and writes nothing', async () => {
      alpha.script = { kind: 'hang' };
      const response = await createContact('slow-token-123', { ...callStart, originatorNumber: '41795550023', originatorName: 'New Caller' }).expect(504);
      expect(response.body).toMatchObject({ statusCode: 504, source: 'alpha', code: 'TIMEOUT' });
      expect(alpha.abortedSearches.filter((s) => s.tenantId === 'slow')).toHaveLength(1);
      expect(recorder.calls).toHaveLength(0);
    });

    it('spends a slot of the source\'s budget (ALPHA_MAX_RPS): a lookup right after it is skipped', async () => {
      await createContact('spends-token-12', { ...callStart, originatorNumber: '41795550033', originatorName: 'New Caller' }).expect(200);
      expect(searches(alpha, 'spends')).toBe(1);
      expect(await lookup('spends-token-12', '41795550034', 'spends-lookup')).toEqual([]);
      expect(searches(alpha, 'spends')).toBe(1);
      expect(outcomesOf(gateway, 'spends-lookup')).toEqual({ alpha: 'skipped' });
    });

    it('over the budget, answers as a CRM outage does without asking the source or writing', async () => {
      await lookup('spent-token-123', '41795550044', 'spent-lookup');
      expect(searches(alpha, 'spent')).toBe(1);
      const response = await createContact('spent-token-123', { ...callStart, originatorNumber: '41795550045', originatorName: 'New Caller' }).expect(502);
      expect(response.body).toMatchObject({ statusCode: 502, source: 'alpha', code: 'RATE_LIMITED', message: expect.stringContaining('ALPHA_MAX_RPS') });
      expect(searches(alpha, 'spent')).toBe(1);
      expect(recorder.calls).toHaveLength(0);
    });

    it("answers with a lookup's fresh cached match without asking the source again", async () => {
      alpha.script = { kind: 'answer', candidates: [LEAD] };
      expect(await lookup('cached-token-12', '41789072228', 'cached-match')).toEqual(['Anna Muster']);
      alpha.script = DOWN;
      const before = searches(alpha, 'cached');
      const response = await createContact('cached-token-12', callStart).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Lead:l-3', url: 'https://crm.test/Lead/l-3' });
      expect(searches(alpha, 'cached')).toBe(before);
      expect(recorder.calls).toHaveLength(0);
    });

    it('asks again when the cached answer is "no match": a record added since is found, not duplicated', async () => {
      expect(await lookup('cached-token-12', '41791112244', 'cached-miss')).toEqual([]);
      alpha.script = { kind: 'answer', candidates: [{ ...LEAD, phones: ['+41 79 111 22 44'] }] };
      const response = await createContact('cached-token-12', { ...callStart, originatorNumber: '41791112244' }).expect(200);
      expect(response.body).toEqual({ id: 'alpha:Lead:l-3', url: 'https://crm.test/Lead/l-3' });
      expect(recorder.calls).toHaveLength(0);
    });

    it("forgets every source's cached \"no match\" for the new contact's number, not only the owning source's", async () => {
      expect(await lookup('cached-token-12', '41791112255', 'before-create')).toEqual([]);
      expect(outcomesOf(gateway, 'before-create')).toEqual({ alpha: 'ok', beta: 'ok' });
      await createContact('cached-token-12', { ...callStart, originatorNumber: '41791112255', originatorName: 'New Caller' }).expect(200);
      expect(recorder.calls).toHaveLength(1);
      await lookup('cached-token-12', '41791112255', 'after-create');
      expect(outcomesOf(gateway, 'after-create')).toEqual({ alpha: 'ok', beta: 'ok' });
    });
  });

  it('lists the source workflows as CrmActions on lookup cards', async () => {
    alpha.script = { kind: 'answer', candidates: [factory.candidate({ sourceId: 'alpha', recordId: 'c-7' })] };
    const response = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, BARE).expect(200);
    expect(response.body).toEqual([expect.objectContaining({ id: 'alpha:entry:c-7', crmActions: ['CallFlow', 'CreateContact', 'CreateTicket'] })]);
    const directoryCard = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'book-token-123').expect(200);
    expect(directoryCard.body[0].CrmActions).toEqual([]);
  });
});

describe('CreateContact against the fake HubSpot, through the door (e2e)', () => {
  const fake = new FakeHubSpot();
  const TOKEN = 'hs-budget-token';
  let gateway: TestApp;

  beforeAll(async () => {
    await fake.start();
    gateway = await startTestApp({
      files: {
        'acme.env': [
          `TOKEN=${TOKEN}`,
          `HUBSPOT_ACCESS_TOKEN=${fake.token}`,
          `HUBSPOT_BASE_URL=${fake.url}`,
          'HUBSPOT_PORTAL_ID=4711',
          'HUBSPOT_APP_URL=https://app-eu1.hubspot.com',
          'HUBSPOT_MAX_RPS=1',
          'WORKFLOW_DEFAULT_CRM=hubspot',
          'CACHE_TTL_S=0',
        ].join('\n'),
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await fake.stop();
  });

  it("counts its search against HUBSPOT_MAX_RPS: over it, nothing is searched or created, and the answer names HubSpot's budget", async () => {
    await gateway.http.get('/lookup').query({ PhoneNumber: '41789072228' }).set(HEADER, TOKEN).expect(200);
    const requests = fake.requests.length;
    const contacts = fake.all('contacts').length;
    const response = await gateway.http
      .post('/lookup/CreateContact')
      .set(HEADER, TOKEN)
      .send({ inputs: { ...firstRequest, originatorNumber: '41795556688', originatorName: 'Neue Kundin' } })
      .expect(502);
    expect(response.body).toMatchObject({ source: 'hubspot', code: 'RATE_LIMITED', message: expect.stringContaining('HUBSPOT_MAX_RPS') });
    expect(fake.requests.slice(requests)).toEqual([]);
    expect(fake.all('contacts')).toHaveLength(contacts);
  });
});

/**
 * A create whose answer was lost, on a source that finds a record by its key only a while after writing it
 * (HubSpot's search index): every next try (the first queued, a queued one, a late one) looks no sooner.
 * A look made sooner would miss the record, and the call would be written twice.
 */
describe('the next try of a create whose answer was lost, when the source finds a write only after a lag (e2e)', () => {
  const LAG_MS = 2500;
  const TOKEN = 'lagging-token-123';
  const recorder = new WorkflowRecorder();
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      // Without the lag the next try would come within 1.5 s (back-off of at most 1 s, a round every 0.5 s).
      env: { WORKFLOW_TIMEOUT_MS: '1000', WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1' },
      extraSources: [new ScriptedSource('gamma', { kind: 'answer', candidates: [] })],
      providers: recordingHandlers('gamma', recorder, WORKFLOWS, { findableAfterMs: LAG_MS }),
      files: { 'lagging.env': `TOKEN=${TOKEN}\nGAMMA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=gamma\nCACHE_TTL_S=0\n` },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    recorder.reset();
    recorder.searchLagMs = LAG_MS;
  });

  /** Sends a new call's CallFlow, waits until its queued write is delivered, and says what the CRM went through. */
  async function deliveredOnce(startedTime: string): Promise<{ records: number; adopted: boolean; looksTooSoon: number[] }> {
    const queued = await gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs: { ...firstRequest, startedTime } }).expect(200);
    expect(queued.body).toEqual({ id: expect.stringMatching(/^gamma:queued:[0-9a-f-]{36}$/) });
    const delivery = (queued.body.id as string).split(':')[2]!;
    await eventually(() => gateway.logs.lines.some((l) => l.delivery === delivery && l.msg === 'Queued CallFlow delivered to gamma'), 15_000);
    const written = recorder.keyed.get(delivery);
    expect(written).toBeDefined();
    return {
      records: recorder.records.size,
      adopted: gateway.logs.lines.some((l) => l.delivery === delivery && l.msg === 'Queued CallFlow found already written in gamma: adopted, not sent again'),
      looksTooSoon: recorder.looks
        .slice(written!.looksBefore)
        .filter((look) => look.at < written!.at + LAG_MS)
        .map((look) => look.at - written!.at),
    };
  }

  it('the first try: kept in the outbox, looked for no sooner than the lag, adopted: one record', async () => {
    recorder.next.push(losingTheAnswer());
    expect(await deliveredOnce('2026-11-27 09:00:00')).toEqual({ records: 1, adopted: true, looksTooSoon: [] });
  }, 30_000);

  it("a queued try: the worker's next look waits for the lag too: one record", async () => {
    recorder.next.push(rejectingWith('UNAVAILABLE', 'CRM answered 503'), losingTheAnswer());
    expect(await deliveredOnce('2026-11-27 09:05:00')).toEqual({ records: 1, adopted: true, looksTooSoon: [] });
    expect(recorder.calls).toHaveLength(2);
  }, 30_000);

  it('a write still running at the deadline whose answer is then lost: looked for no sooner than the lag: one record', async () => {
    recorder.next.push(losingTheAnswer(1500));
    expect(await deliveredOnce('2026-11-27 09:10:00')).toEqual({ records: 1, adopted: true, looksTooSoon: [] });
    expect(gateway.logs.lines).toContainEqual(expect.objectContaining({ msg: 'Workflow CallFlow not done by the deadline: answered from the outbox, the write goes on' }));
  }, 30_000);
});

describe('workflow registry at start (e2e)', () => {
  it('refuses to start with two handlers for one workflow name and source', async () => {
    const recorder = new WorkflowRecorder();
    await expect(
      startTestApp({
        extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })],
        providers: [...recordingHandlers('alpha', recorder, ['CallFlow']), ...recordingHandlers('alpha', recorder, ['callflow'])],
        files: { 'acme.env': 'TOKEN=acme-token-123\nALPHA_ENABLED=on\n' },
      }),
    ).rejects.toBeInstanceOf(DuplicateWorkflowHandlerError);
  });
});
