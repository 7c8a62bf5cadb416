import { PinoLogger } from 'nestjs-pino';
import { SourceError } from '../../src/core/source-error';
import { eventually } from '../support/eventually';
import { factory } from '../support/factory';
import { recordingHandlers, WorkflowRecorder } from '../support/recording-workflows';
import { ScriptedSource } from '../support/scripted-source';
import { SkippingClock } from '../support/skipping-clock';
import { startTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const ANNA = factory.candidate({ sourceId: 'alpha', recordId: 'anna', name: 'Anna Muster', phones: ['+41 78 907 22 28'] });

interface LoggedLookup {
  lookup?: { sources?: Record<string, { outcome: string }> };
}

describe('cache, single-flight, circuit breaker and budget (e2e)', () => {
  const alpha = new ScriptedSource('alpha', { kind: 'answer', candidates: [ANNA] });
  const recorder = new WorkflowRecorder();
  /** The cache's clock: the 1 s TTLs of the "short" tenant pass when a test skips past them. */
  const clock = new SkippingClock();
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { BREAKER_FAILURES: '3', BREAKER_OPEN_S: '1', METRICS_TOKEN: 'metrics-secret-0123456789' },
      doorClock: clock.now,
      extraSources: [alpha],
      providers: recordingHandlers('alpha', recorder, ['CreateContact']),
      files: {
        'fresh.env': 'TOKEN=fresh-token-1\nALPHA_ENABLED=on\n',
        'short.env': 'TOKEN=short-token-1\nALPHA_ENABLED=on\nCACHE_TTL_S=1\nCACHE_MISS_TTL_S=1\nCACHE_STALE_S=3600\n',
        'budget.env': 'TOKEN=budget-token-1\nALPHA_ENABLED=on\nALPHA_MAX_RPS=2\n',
        'nocache.env': 'TOKEN=nocache-token1\nALPHA_ENABLED=on\nCACHE_TTL_S=0\nWORKFLOW_DEFAULT_CRM=alpha\n',
        'create.env': 'TOKEN=create-token-1\nALPHA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=alpha\n',
      },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    alpha.script = { kind: 'answer', candidates: [ANNA] };
  });

  const lookup = async (token: string, number: string, requestId?: string) => {
    const request = gateway.http.get('/lookup').query({ PhoneNumber: number }).set(HEADER, token);
    if (requestId) request.set('X-Request-Id', requestId);
    const response = await request.expect(200);
    return (response.body as Array<{ Name: string }>).map((c) => c.Name);
  };
  const outcomeOf = (requestId: string): string | undefined =>
    (gateway.logs.lines.find((l) => l.reqId === requestId && l.msg === 'request completed') as LoggedLookup | undefined)?.lookup?.sources?.alpha?.outcome;
  const searchesFor = (tenant: string) => alpha.searches.filter((s) => s.tenantId === tenant).length;

  it('answers a repeated number from the cache while fresh', async () => {
    expect(await lookup('fresh-token-1', '41789072228', 'fresh-1')).toEqual(['Anna Muster']);
    expect(await lookup('fresh-token-1', '0789072228', 'fresh-2')).toEqual(['Anna Muster']);
    expect(searchesFor('fresh')).toBe(1);
    expect([outcomeOf('fresh-1'), outcomeOf('fresh-2')]).toEqual(['ok', 'cached']);
  });

  it('caches "no match" too, for its own shorter time', async () => {
    alpha.script = { kind: 'answer', candidates: [] };
    const before = searchesFor('short');
    expect(await lookup('short-token-1', '41791112233')).toEqual([]);
    expect(await lookup('short-token-1', '41791112233')).toEqual([]);
    expect(searchesFor('short')).toBe(before + 1);
    clock.skip(1000);
    expect(await lookup('short-token-1', '41791112233')).toEqual([]);
    expect(searchesFor('short')).toBe(before + 2);
  });

  it('answers with the last good answer (stale) when the source fails after the entry went stale', async () => {
    expect(await lookup('short-token-1', '41789072228')).toEqual(['Anna Muster']);
    clock.skip(1000);
    alpha.script = { kind: 'throw', error: new Error('CRM down') };
    expect(await lookup('short-token-1', '41789072228', 'stale-1')).toEqual(['Anna Muster']);
    expect(outcomeOf('stale-1')).toBe('stale');
  });

  it('puts the request id on every line logged while the request is handled, not only on the request line', async () => {
    alpha.script = { kind: 'throw', error: new Error('CRM down') };
    await lookup('nocache-token1', '41789072228', 'warned-1');
    const warning = gateway.logs.find((l) => l.reqId === 'warned-1' && l.msg !== 'request completed');
    expect(warning).toMatchObject({ level: 40, source: 'alpha', tenant: 'nocache', msg: expect.stringContaining('failed') });
    const logger = await gateway.app.resolve(PinoLogger);
    logger.info('something logged outside a request');
    expect(gateway.logs.lines.at(-1)).toMatchObject({ msg: 'something logged outside a request' });
    expect(gateway.logs.lines.at(-1)).not.toHaveProperty('reqId');
  });

  it('opens the circuit after consecutive failures, answers stale meanwhile, then closes after one good probe', async () => {
    alpha.script = { kind: 'answer', candidates: [ANNA] };
    expect(await lookup('short-token-1', '41789072228')).toEqual(['Anna Muster']);
    clock.skip(1000);
    alpha.script = { kind: 'throw', error: new Error('CRM down') };
    for (let i = 0; i < 3; i++) await lookup('short-token-1', `4179000000${i}`);
    const before = searchesFor('short');
    expect(await lookup('short-token-1', '41789072228', 'open-1')).toEqual(['Anna Muster']);
    expect(searchesFor('short')).toBe(before);
    expect(outcomeOf('open-1')).toBe('stale');
    expect(gateway.logs.lines.filter((l) => String(l.msg).startsWith('Circuit of source alpha for tenant short is now open'))).toHaveLength(1);

    // The circuit's open time is real time (cockatiel reads Date.now): BREAKER_OPEN_S=1, the least, then
    // the first lookup it lets through is the probe. Until then each lookup is answered stale without asking.
    alpha.script = { kind: 'answer', candidates: [ANNA] };
    let probes = 0;
    await eventually(async () => {
      const reqId = `probe-${++probes}`;
      expect(await lookup('short-token-1', '41789072228', reqId)).toEqual(['Anna Muster']);
      return outcomeOf(reqId) === 'ok';
    });
    expect(searchesFor('short')).toBe(before + 1);
    expect(gateway.logs.lines.some((l) => l.msg === 'Circuit of source alpha for tenant short is now closed')).toBe(true);
  });

  it('lets 50 concurrent lookups of one number share one query', async () => {
    alpha.script = { kind: 'answer', candidates: [ANNA], delayMs: 200 };
    const before = searchesFor('nocache');
    const answers = await Promise.all(Array.from({ length: 50 }, () => lookup('nocache-token1', '41789072228')));
    expect(answers.every((a) => a.length === 1 && a[0] === 'Anna Muster')).toBe(true);
    expect(searchesFor('nocache')).toBe(before + 1);
  });

  it('skips a source over its per-second budget instead of queueing', async () => {
    const before = searchesFor('budget');
    const ids = ['41780000001', '41780000002', '41780000003', '41780000004', '41780000005'];
    for (const [i, number] of ids.entries()) await lookup('budget-token-1', number, `budget-${i}`);
    expect(searchesFor('budget')).toBe(before + 2);
    expect(ids.map((_, i) => outcomeOf(`budget-${i}`))).toEqual(['ok', 'ok', 'skipped', 'skipped', 'skipped']);
  });

  it('forgets a cached "no match" when a workflow creates a contact for that number', async () => {
    alpha.script = { kind: 'answer', candidates: [] };
    expect(await lookup('create-token-1', '41795550011')).toEqual([]);
    const before = searchesFor('create');
    await gateway.http
      .post('/lookup/CreateContact')
      .set(HEADER, 'create-token-1')
      .send({ inputs: { direction: 'incoming', originatorNumber: '41795550011', originatorName: 'New Caller', startedTime: '2026-11-24 10:00:00' } })
      .expect(200);
    alpha.script = { kind: 'answer', candidates: [factory.candidate({ sourceId: 'alpha', recordId: 'new', name: 'New Caller', phones: ['+41795550011'] })] };
    expect(await lookup('create-token-1', '41795550011')).toEqual(['New Caller']);
    expect(searchesFor('create')).toBeGreaterThan(before + 1);
  });

  describe('metrics and readiness', () => {
    it('exposes the lookup, source, cache, breaker and workflow series, behind METRICS_TOKEN', async () => {
      await gateway.http.get('/metrics').expect(401);
      await gateway.http.get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
      const response = await gateway.http.get('/metrics').set('Authorization', 'Bearer metrics-secret-0123456789').expect(200);
      // Prometheus 3 refuses a scrape whose content type it does not know.
      const [mediaType, ...parameters] = String(response.headers['content-type']).split(/\s*;\s*/);
      expect({ mediaType, parameters: parameters.sort() }).toEqual({ mediaType: 'text/plain', parameters: ['charset=utf-8', 'version=0.0.4'] });
      const text = response.text;
      for (const series of [
        'gateway_lookup_duration_seconds_bucket{le="0.005",outcome="found"}',
        'gateway_source_duration_seconds_count{source="alpha"}',
        'gateway_source_outcomes_total{source="alpha",outcome="cached"}',
        'gateway_source_outcomes_total{source="alpha",outcome="stale"}',
        'gateway_source_outcomes_total{source="alpha",outcome="skipped"}',
        'gateway_cache_events_total{source="alpha",event="hit"}',
        'gateway_cache_events_total{source="alpha",event="stale"}',
        'gateway_breakers{source="alpha",state="closed"}',
        'gateway_workflow_outcomes_total{workflow="CreateContact",source="alpha",status="200"} 1',
        'gateway_process_resident_memory_bytes',
      ]) {
        expect(text).toContain(series);
      }
    });

    it('says only that it is ready to anyone, and names tenants and sources only with METRICS_TOKEN', async () => {
      const open = await gateway.http.get('/health/ready').expect(200);
      expect(open.body).toEqual({ status: 'ready' });
      await gateway.http.get('/health/ready').set('Authorization', 'Bearer wrong').expect(401);

      const detailed = await gateway.http.get('/health/ready').set('Authorization', 'Bearer metrics-secret-0123456789').expect(200);
      expect(Object.keys(detailed.body.tenants).sort()).toEqual(['budget', 'create', 'fresh', 'nocache', 'short']);
      expect(detailed.body.tenants.fresh).toMatchObject({
        file: expect.stringMatching(/fresh\.env$/),
        appliedAt: expect.any(String),
        sources: { alpha: { warmUp: { state: 'ready' }, lastLookup: { outcome: expect.any(String), at: expect.any(String) } } },
      });
    });

    it('shows the reason of a source\'s last failed lookup in the details', async () => {
      alpha.script = { kind: 'throw', error: new SourceError('AUTH', 'invalid client credentials') };
      await lookup('nocache-token1', '41789072228');
      const detailed = await gateway.http.get('/health/ready').set('Authorization', 'Bearer metrics-secret-0123456789').expect(200);
      expect(detailed.body.tenants.nocache.sources.alpha.lastLookup).toMatchObject({ outcome: 'error', reason: 'AUTH: invalid client credentials' });
    });
  });
});
