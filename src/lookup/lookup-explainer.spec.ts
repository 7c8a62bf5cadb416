import { PinoLogger, __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { openDoor, type Door } from '../../test/support/door';
import { factory } from '../../test/support/factory';
import { LogCapture } from '../../test/support/log-capture';
import { ScriptedSource } from '../../test/support/scripted-source';
import type { Candidate, SourceSearch } from '../core/source';
import { SourceError } from '../core/source-error';
import { createRootLogger } from '../logging/root-logger';
import { SourceHealth } from '../observability/source-health';
import { normalizeIncoming } from '../phone';
import type { Tenant } from '../tenants/tenant';
import { DROPPED_DUPLICATE, DROPPED_NO_MATCH, LookupExplainer, redactSecrets, UnknownTenantError } from './lookup-explainer';
import { LookupHistory } from './lookup-history';
import type { ExplainedSource } from './lookup-insight';
import { LookupService } from './lookup.service';

const NUMBER = '41789072228';
const SECRET = 'pat-eu1-0123456789abcdef';
const TTL_MS = 60_000;

const person = (sourceId: string, recordId: string, phones: readonly string[], overrides: Partial<Candidate> = {}): Candidate =>
  factory.candidate({ sourceId, objectType: 'Contact', recordId, name: `Person ${recordId}`, phones, ...overrides });

/** A scripted source that also tells a traced search what it "sent". */
class TracingSource extends ScriptedSource {
  override async search(query: SourceSearch<object>): Promise<readonly Candidate[]> {
    query.trace?.({ kind: 'query', text: `FIND {${query.number.kind === 'phone' ? query.number.e164Digits : ''}} IN PHONE FIELDS` });
    return super.search(query);
  }
}

describe('LookupExplainer', () => {
  let now: number;
  let ctx: Door;
  let alpha: TracingSource;
  let beta: ScriptedSource;
  let tenant: Tenant;
  let explainer: LookupExplainer;

  beforeEach(() => {
    now = 0;
    ctx = openDoor({ env: { LOOKUP_TIMEOUT_MS: '200', LOOKUP_MAX_RESULTS: '2', BREAKER_FAILURES: '100', ADMIN_TOKEN: 'admin-token-0123456789abcdef' }, now: () => now });
    alpha = new TracingSource('alpha', { kind: 'answer', candidates: [] });
    beta = new ScriptedSource('beta', { kind: 'answer', candidates: [] });
    tenant = factory.tenant({
      sources: [
        factory.tenantSource({ source: alpha, settings: { ALPHA_ENABLED: 'on', ALPHA_ACCESS_TOKEN: SECRET } }),
        factory.tenantSource({ source: beta, settings: { BETA_ENABLED: 'on' }, displayName: 'Beta CRM' }),
      ],
      sourceOrder: ['alpha', 'beta'],
      cache: { ttlMs: TTL_MS, missTtlMs: TTL_MS, staleMs: 3_600_000 },
    });
    ctx.tenants.change(undefined, tenant);
    explainer = new LookupExplainer(ctx.settings, ctx.door, ctx.tenants, { namesOf: (id) => (id === 'alpha' ? ['CallFlow'] : []) });
  });

  const explain = (input = NUMBER, bypassCache = false) => explainer.explain('acme', input, { bypassCache });
  const source = (explanation: { sources: readonly ExplainedSource[] }, id: string): ExplainedSource => explanation.sources.find((s) => s.source === id)!;

  describe('the number as read', () => {
    it('gives its kind, E.164, national form and region', async () => {
      const explanation = await explain('078 907 22 28');
      expect(explanation.readAs).toEqual({
        kind: 'phone',
        e164: '+41789072228',
        national: '078 907 22 28',
        international: '+41 78 907 22 28',
        region: 'CH',
        type: 'mobile',
        valid: 'yes',
        readIn: 'CH',
      });
      expect(explanation.input).toBe('078 907 22 28');
    });

    it('reads an internal extension as one', async () => {
      expect((await explain('201')).readAs).toMatchObject({ kind: 'extension', extension: '201' });
    });

    it.each([
      ['anonymous', 'letters: a withheld number (anonymous, unknown) or no phone number'],
      ['', 'empty: a withheld number'],
      ['+41 78 907 22 28 99 99 99 99', "no valid or possible phone number in any reading (as international, or national in the tenant's region)"],
      ['41#789', 'characters other than digits, +, spaces and ( ) . - /'],
    ])('says why %j cannot be read, and asks no source', async (input, reason) => {
      const explanation = await explain(input);
      expect(explanation.readAs).toEqual({ kind: 'unreadable', reason, readIn: 'CH' });
      expect(explanation.sources).toEqual([]);
      expect(explanation.cards).toEqual([]);
      expect(alpha.searches).toHaveLength(0);
    });
  });

  it('shows what each source was sent, every candidate with its strength, why one was dropped, and the cards the CONNECTOR gets', async () => {
    const oddForm = person('alpha', 'odd', ['0041 (0)78 907 22 28']);
    const stranger = person('alpha', 'stranger', ['+41 44 668 18 00']);
    alpha.script = { kind: 'answer', candidates: [oddForm, stranger] };
    const explanation = await explain();
    expect(source(explanation, 'alpha')).toEqual({
      source: 'alpha',
      displayName: 'Scripted alpha',
      outcome: 'ok',
      ms: expect.any(Number),
      queries: ['FIND {41789072228} IN PHONE FIELDS'],
      candidates: [
        { recordId: 'odd', objectType: 'Contact', name: 'Person odd', company: 'Muster Treuhand AG', phones: ['0041 (0)78 907 22 28'], strength: 'exact' },
        { recordId: 'stranger', objectType: 'Contact', name: 'Person stranger', company: 'Muster Treuhand AG', phones: ['+41 44 668 18 00'], strength: 'none', dropped: DROPPED_NO_MATCH },
      ],
    });
    expect(explanation.cards).toEqual([expect.objectContaining({ Name: 'Person odd', CrmName: 'Scripted alpha', CrmActions: ['CallFlow'] })]);
  });

  it('answers the very cards a lookup of the CONNECTOR answers', async () => {
    alpha.script = { kind: 'answer', candidates: [person('alpha', 'a', ['+41 78 907 22 28 ext. 12']), person('alpha', 'b', ['+41789072228'], { kind: 'company' })] };
    beta.script = { kind: 'answer', candidates: [person('beta', 'c', ['078 907 22 28'])] };
    const explanation = await explain(NUMBER, true);
    __resetOutOfContextForTests();
    const logger = new PinoLogger({ pinoHttp: { logger: createRootLogger('info', new LogCapture()) } });
    const health = new SourceHealth();
    const history = new LookupHistory(ctx.tenants, ctx.breakers, health, ctx.redis, ctx.settings, () => now);
    const service = new LookupService(ctx.settings, ctx.door, { namesOf: (id) => (id === 'alpha' ? ['CallFlow'] : []) }, ctx.metrics, health, logger, history);
    const answer = await service.lookup(tenant, NUMBER, { reqId: 'r', receivedAt: undefined });
    expect(explanation.cards).toEqual(answer.cards);
    expect(explanation.cards).toHaveLength(2);
    // The explainer is not one of the CONNECTOR's lookups.
    expect(history.recent()).toHaveLength(1);
  });

  it(`says which verified candidates the card limit cut, and which were the same record twice`, async () => {
    const first = person('alpha', 'p1', ['+41789072228']);
    alpha.script = { kind: 'answer', candidates: [first, person('alpha', 'p2', ['+41789072228']), person('alpha', 'p3', ['+41 78 907 22 28 ext. 5']), { ...first }] };
    const explanation = await explain();
    expect(source(explanation, 'alpha').candidates.map((c) => `${c.recordId}: ${c.strength}, ${c.dropped ?? 'shown'}`)).toEqual([
      'p1: exact, shown',
      'p2: exact, shown',
      'p3: main number of an extension, cut: only the best 2 cards are answered (LOOKUP_MAX_RESULTS)',
      `p1: exact, ${DROPPED_DUPLICATE}`,
    ]);
  });

  it('shows a failing source with its error, and one that does not answer in time as timed out', async () => {
    alpha.script = { kind: 'throw', error: new SourceError('AUTH', 'invalid client credentials', { vendorCode: 'invalid_client' }) };
    beta.script = { kind: 'hang' };
    const explanation = await explain();
    expect(source(explanation, 'alpha')).toMatchObject({ outcome: 'error', reason: 'AUTH (invalid_client): invalid client credentials', queries: ['FIND {41789072228} IN PHONE FIELDS'], candidates: [] });
    expect(source(explanation, 'beta')).toMatchObject({ outcome: 'timeout', reason: 'no answer within the lookup deadline', candidates: [] });
    expect(explanation.cards).toEqual([]);
  });

  it('shows a source whose circuit is open as skipped', async () => {
    alpha.script = { kind: 'throw', error: new SourceError('UNAVAILABLE', 'HTTP 503') };
    const breaker = ctx.breakers.for('acme', 'alpha');
    for (let i = 0; i < 100; i++) await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const explanation = await explain();
    expect(source(explanation, 'alpha')).toMatchObject({ outcome: 'skipped', reason: 'circuit open', queries: [] });
    expect(alpha.searches).toHaveLength(0);
  });

  describe('the cache', () => {
    it('answers from it, as a lookup would, and says so', async () => {
      alpha.script = { kind: 'answer', candidates: [person('alpha', 'p1', ['+41789072228'])] };
      await explain();
      alpha.script = { kind: 'throw', error: new Error('not asked') };
      const explanation = await explain();
      expect(source(explanation, 'alpha')).toMatchObject({
        outcome: 'cached',
        queries: [],
        candidates: [expect.objectContaining({ recordId: 'p1', strength: 'exact' })],
        notes: [expect.stringContaining('answered from the cache')],
      });
      expect(explanation.bypassedCache).toBe(false);
      expect(explanation.cards).toHaveLength(1);
    });

    it('is neither read nor written when bypassed', async () => {
      alpha.script = { kind: 'answer', candidates: [person('alpha', 'old', ['+41789072228'])] };
      await explain();
      alpha.script = { kind: 'answer', candidates: [person('alpha', 'new', ['+41789072228'])] };
      const bypassed = await explain(NUMBER, true);
      expect(bypassed.bypassedCache).toBe(true);
      expect(source(bypassed, 'alpha')).toMatchObject({ outcome: 'ok', candidates: [expect.objectContaining({ recordId: 'new' })] });
      alpha.script = { kind: 'throw', error: new Error('not asked') };
      const cached = await explain();
      expect(source(cached, 'alpha')).toMatchObject({ outcome: 'cached', candidates: [expect.objectContaining({ recordId: 'old' })] });
    });
  });

  it('asks the source itself even while a lookup of the same number is asking it', async () => {
    alpha.script = { kind: 'answer', candidates: [person('alpha', 'p1', ['+41789072228'])], delayMs: 20 };
    const plan = await ctx.door.plan(tenant, tenant.sources[0]!, normalizeIncoming(NUMBER, 'CH')!);
    const running = plan.kind === 'live' ? plan.run(new AbortController().signal, Date.now() + 1000) : Promise.resolve([]);
    const explanation = await explain(NUMBER, true);
    await running;
    expect(alpha.searches).toHaveLength(2);
    expect(source(explanation, 'alpha').queries).toHaveLength(1);
  });

  it('shows no secret of the tenant\'s settings, even one a CRM echoes in an error', async () => {
    alpha.script = { kind: 'throw', error: new SourceError('AUTH', `token ${SECRET} is revoked`) };
    const explanation = await explain();
    expect(source(explanation, 'alpha').reason).toBe('AUTH: token *** is revoked');
    expect(JSON.stringify(explanation)).not.toContain(SECRET);
  });

  it('refuses a tenant the registry does not have', async () => {
    await expect(explainer.explain('initech', NUMBER, { bypassCache: false })).rejects.toThrow(UnknownTenantError);
  });

  it('redacts secrets inside nested values, and leaves other values as they are', () => {
    expect(redactSecrets({ a: ['x-secret-1-y', 3, null], b: { c: 'secret-1' } }, ['secret-1'])).toEqual({ a: ['x-***-y', 3, null], b: { c: '***' } });
  });
});
