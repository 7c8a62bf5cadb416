import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PHONE_BOOK_CSV } from '../support/phone-book';
import { recordingHandlers, WorkflowRecorder } from '../support/recording-workflows';
import { ScriptedSource } from '../support/scripted-source';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const TOKEN = 'acme-token-123';
const CALL = { direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', startedTime: '2026-11-24 10:15:00' };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterCollection(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const METRICS_TOKEN = 'metrics-secret-0123456789';

describe('crafted input from a tenant holding a valid token (e2e)', () => {
  const recorder = new WorkflowRecorder();
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { METRICS_TOKEN },
      extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })],
      providers: recordingHandlers('alpha', recorder, ['CallFlow', 'CreateTicket']),
      files: { 'book.csv': PHONE_BOOK_CSV, 'acme.env': `TOKEN=${TOKEN}\nALPHA_ENABLED=on\nDIRECTORY_FILE=book.csv\nWORKFLOW_DEFAULT_CRM=alpha\n` },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => recorder.reset());

  const post = (path: string) => gateway.http.post(path).set(HEADER, TOKEN);
  const metricsText = async (): Promise<string> => (await gateway.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
  /** The gateway's own series (Node's and the process's vary by themselves: GC kinds, heap spaces). */
  const ownSeries = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('gateway_') && !/^gateway_(nodejs|process)_/.test(line));
  const errorLines = (): Array<Record<string, unknown>> => gateway.logs.lines.filter((line) => (line.level as number) >= 50);

  describe('workflow names', () => {
    const flood = async (prefix: string, count: number): Promise<void> => {
      for (let start = 0; start < count; start += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => post(`/lookup/${prefix}${start + i}${'x'.repeat(40)}`).send({ inputs: CALL }).expect(404)),
        );
      }
    };

    it('keeps /metrics and the heap the same size, however many distinct names are sent', async () => {
      await flood('Warm', 3000); // the first thousands of requests also grow the heap (code, caches)
      const metricsBefore = await metricsText();
      gateway.logs.lines.length = 0; // the test's own copy of the log lines is not the gateway's memory
      const heapBefore = heapAfterCollection();
      await flood('Flood', 6000);
      gateway.logs.lines.length = 0;
      const heapAfter = heapAfterCollection();
      const metricsAfter = await metricsText();
      expect(ownSeries(metricsAfter)).toHaveLength(ownSeries(metricsBefore).length);
      // Only counted values changed (a digit more here and there), no series was added.
      expect(Math.abs(ownSeries(metricsAfter).join('\n').length - ownSeries(metricsBefore).join('\n').length)).toBeLessThan(100);
      expect(metricsAfter).not.toContain('Flood');
      // Each name kept as a label cost about 700 bytes for good (4 MB for these 6,000).
      expect(heapAfter - heapBefore).toBeLessThan(1024 * 1024);
      expect(recorder.calls).toHaveLength(0);
    }, 90_000);

    it("counts a known workflow under its handler's name, whatever case the path used", async () => {
      await post('/lookup/callflow').send({ inputs: CALL }).expect(200);
      expect(await metricsText()).toMatch(/gateway_workflow_outcomes_total\{workflow="CallFlow",source="alpha",status="200"\} \d+/);
      await post('/lookup/SendFax').send({ inputs: CALL }).expect(404);
      expect(await metricsText()).toMatch(/gateway_workflow_outcomes_total\{workflow="unknown",source="none",status="404"\} \d+/);
    });

    it('refuses a name longer than any workflow before reading the body', async () => {
      const response = await post(`/lookup/${'W'.repeat(4000)}`).set('Content-Type', 'application/json').send('{not json').expect(404);
      expect(response.body.message).toContain('at most 64 characters');
      expect(response.headers.connection).toBe('close');
    });
  });

  describe('bodies', () => {
    it('answers a workflow body larger than WORKFLOW_MAX_BODY_BYTES with 413 naming the limit', async () => {
      const response = await post('/lookup/CallFlow').send({ inputs: { ...CALL, originatorName: 'x'.repeat(9000) } }).expect(413);
      expect(response.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'The body is larger than the 8192 bytes this route accepts (WORKFLOW_MAX_BODY_BYTES).' });
      expect(response.headers.connection).toBe('close');
      expect(recorder.calls).toHaveLength(0);
    });

    it('answers a lookup body larger than LOOKUP_MAX_BODY_BYTES with 413', async () => {
      const response = await post('/lookup').send({ inputs: { phoneNumber: '41789072228', padding: 'x'.repeat(3000) } }).expect(413);
      expect(response.body.message).toBe('The body is larger than the 2048 bytes this route accepts (LOOKUP_MAX_BODY_BYTES).');
    });

    it.each([
      ['nested 3,000 deep', `{"inputs":{"direction":${'['.repeat(3000)}${']'.repeat(3000)}}}`, 'The body is refused: the body nests deeper than 8 levels.'],
      ['with 600 keys', JSON.stringify({ inputs: { ...CALL, ...Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, 1])) } }), 'The body is refused: the body holds more than 500 keys and array items.'],
      ['that is not JSON', '{"inputs":', 'The body is not valid JSON: Unexpected end of JSON input'],
    ])('answers a workflow body %s with 400 naming the problem, and logs no error', async (_, body, message) => {
      const response = await post('/lookup/CallFlow').set('Content-Type', 'application/json').send(body).expect(400);
      expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
      expect(response.headers.connection).toBe('close');
      expect(recorder.calls).toHaveLength(0);
      expect(errorLines()).toEqual([]);
      expect(gateway.logs.text()).not.toContain('stack');
    });

    it('refuses a deep body on the lookup too, before validation', async () => {
      const deep = `{"inputs":{"phoneNumber":${'['.repeat(900)}${']'.repeat(900)}}}`;
      const response = await post('/lookup').set('Content-Type', 'application/json').send(deep).expect(400);
      expect(response.body.message).toBe('The body is refused: the body nests deeper than 8 levels.');
      expect(errorLines()).toEqual([]);
    });

    it.each([
      ['a 2 MB body', 413, (request: ReturnType<typeof post>) => request.set('Content-Type', 'application/json').send(`{"inputs":{"x":"${'a'.repeat(2_000_000)}"}}`)],
      ['charset=latin1', 415, (request: ReturnType<typeof post>) => request.set('Content-Type', 'application/json; charset=latin1').send('{"inputs":{}}')],
      ['a Content-Encoding it cannot read', 415, (request: ReturnType<typeof post>) => request.set('Content-Type', 'application/json').set('Content-Encoding', 'bogus').send('{"inputs":{}}')],
    ])('logs %s (a caller\'s mistake) as one request line with its id, not as a server error', async (what, status, send) => {
      const id = `mistake-${what.replace(/\W+/g, '-')}`;
      const response = await send(post('/lookup/CallFlow').set('X-Request-Id', id)).expect(status);
      expect(response.headers['x-request-id']).toBe(id);
      const lines = gateway.logs.lines.filter((line) => line.reqId === id);
      expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', status, refusal: expect.any(String) })]);
      expect(errorLines()).toEqual([]);
      expect(gateway.logs.text()).not.toContain('stack');
    });

    it('ignores unknown inputs, a __proto__ key and nested values included, and writes the call', async () => {
      const body = `{"inputs":{"direction":"incoming","startedTime":"2026-11-24 10:16:00","__proto__":{"polluted":true},"futureField":{"a":[1,2,3]}},"other":1}`;
      const response = await post('/lookup/CallFlow').set('Content-Type', 'application/json').send(body).expect(200);
      expect(response.body.id).toMatch(/^alpha:Task:/);
      expect(recorder.calls).toHaveLength(1);
    });

    it('reads a workflow body sent as curl -d sends it (form-encoded media type)', async () => {
      const response = await post('/lookup/CallFlow')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send(JSON.stringify({ inputs: { ...CALL, startedTime: '2026-11-24 10:17:00' } }))
        .expect(200);
      expect(response.body.id).toMatch(/^alpha:Task:/);
    });

    it('still answers a lookup whose body is not JSON from its query parameter', async () => {
      const response = await post('/lookup?PhoneNumber=41789072228').set('Content-Type', 'text/plain').send('hello').expect(200);
      expect(response.body.map((card: { Name: string }) => card.Name)).toContain('Anna Muster');
    });
  });

});

describe('the body limits are settings (e2e)', () => {
  it('refuses what is over WORKFLOW_MAX_BODY_BYTES and LOOKUP_MAX_BODY_BYTES as set', async () => {
    const gateway = await startTestApp({
      env: { WORKFLOW_MAX_BODY_BYTES: '16384', LOOKUP_MAX_BODY_BYTES: '512' },
      extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })],
      providers: recordingHandlers('alpha', new WorkflowRecorder(), ['CallFlow']),
      files: { 'acme.env': `TOKEN=${TOKEN}\nALPHA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=alpha\n` },
    });
    try {
      await gateway.http.post('/lookup/CallFlow').set(HEADER, TOKEN).send({ inputs: { ...CALL, originatorName: 'x'.repeat(9000) } }).expect(200);
      await gateway.http.post('/lookup').set(HEADER, TOKEN).send({ inputs: { phoneNumber: '41789072228', padding: 'x'.repeat(600) } }).expect(413);
    } finally {
      await gateway.close();
    }
  });
});
