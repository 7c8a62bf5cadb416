import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { recordingHandlers, rejectingWith, WorkflowRecorder } from '../support/recording-workflows';
import { ScriptedSource } from '../support/scripted-source';
import { startTestApp, type TestApp } from '../support/test-app';

const TOKEN = 'visible-token-123';
const METRICS_TOKEN = 'visible-metrics-token-0123456789';
const WORKFLOWS = ['CallFlow', 'CreateTicket', 'CreateContact'];
const TENANT = `TOKEN=${TOKEN}\nALPHA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=alpha\nCACHE_TTL_S=0\n`;
const call = (startedTime: string) => ({ direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', startedTime });

describe('seeing the outbox (e2e)', () => {
  const recorder = new WorkflowRecorder();
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { METRICS_TOKEN, WORKFLOW_RETRY_FIRST_S: '3600', WORKFLOW_RETRY_MAX_S: '3600' },
      extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })],
      providers: recordingHandlers('alpha', recorder, WORKFLOWS),
      files: { 'acme.env': TENANT },
    });
  });
  afterAll(() => gateway.close());

  it('shows what waits and what was given up in /metrics and in the details of /health/ready', async () => {
    recorder.script = rejectingWith('UNAVAILABLE', 'CRM answered 503');
    await gateway.http.post('/lookup/CallFlow').set('X-Execution-Token', TOKEN).send({ inputs: call('2026-12-01 08:00:00') }).expect(200);
    recorder.script = rejectingWith('BAD_REQUEST', 'CRM answered 400');
    await gateway.http.post('/lookup/CallFlow').set('X-Execution-Token', TOKEN).send({ inputs: call('2026-12-01 08:05:00') }).expect(502);

    const metrics = (await gateway.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
    expect(metrics).toContain('gateway_outbox{tenant="acme",source="alpha",figure="queued"} 1');
    expect(metrics).toContain('gateway_outbox{tenant="acme",source="alpha",figure="dead"} 1');
    expect(metrics).toMatch(/^gateway_outbox\{tenant="acme",source="alpha",figure="oldest_waiting_seconds"\} \d/m);
    expect(metrics).toContain('gateway_outbox_attempts_total{tenant="acme",source="alpha",outcome="queued"} 1');
    expect(metrics).toContain('gateway_outbox_attempts_total{tenant="acme",source="alpha",outcome="dead"} 1');

    const open = await gateway.http.get('/health/ready').expect(200);
    expect(open.body).toEqual({ status: 'ready' });
    const details = await gateway.http.get('/health/ready').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(details.body.outbox).toEqual({ queued: 1, sending: 0, dead: 1, oldestWaitingSeconds: expect.any(Number) });
  });

  it('keeps the admin API off without ADMIN_TOKEN', async () => {
    const response = await gateway.http.get('/admin/outbox').set('Authorization', 'Bearer anything-at-all-0123456789').expect(404);
    expect(response.body.message).toContain('ADMIN_TOKEN');
  });
});

describe('a DATA_DIR the gateway cannot write (e2e)', () => {
  const recorder = new WorkflowRecorder();
  let blocked: string;
  let gateway: TestApp;

  beforeAll(async () => {
    blocked = mkdtempSync(join(tmpdir(), 'outbox-blocked-'));
    writeFileSync(join(blocked, 'not-a-folder'), 'a file where the data folder should be');
    gateway = await startTestApp({
      env: { DATA_DIR: join(blocked, 'not-a-folder', 'data') },
      extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })],
      providers: recordingHandlers('alpha', recorder, WORKFLOWS),
      files: { 'acme.env': TENANT },
    });
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(blocked, { recursive: true, force: true });
  });

  it('starts all the same, says so once, and answers a write the CRM refuses for now with 502 as without an outbox', async () => {
    await eventually(() => gateway.logs.lines.some((l) => /^Cannot open the outbox .*not-a-folder.*Point DATA_DIR to a folder this user can write/.test(String(l.msg))));
    recorder.script = rejectingWith('UNAVAILABLE', 'CRM answered 503');
    const response = await gateway.http.post('/lookup/CallFlow').set('X-Execution-Token', TOKEN).send({ inputs: call('2026-12-01 09:00:00') }).expect(502);
    expect(response.body).toMatchObject({ source: 'alpha', code: 'UNAVAILABLE' });
    recorder.script = { kind: 'write' };
    await gateway.http.post('/lookup/CallFlow').set('X-Execution-Token', TOKEN).send({ inputs: call('2026-12-01 09:10:00') }).expect(200);
  });
});
