import { PinoLogger, __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { openDoor, samples, type Door } from '../../test/support/door';
import { factory } from '../../test/support/factory';
import { LogCapture } from '../../test/support/log-capture';
import { ScriptedSource, type Script } from '../../test/support/scripted-source';
import type { Candidate } from '../core/source';
import { SourceError } from '../core/source-error';
import { createRootLogger } from '../logging/root-logger';
import { SourceHealth } from '../observability/source-health';
import type { Tenant } from '../tenants/tenant';
import type { PascalCard } from './card.presenter';
import { LookupService, type LookupAnswer } from './lookup.service';
import { LookupHistory } from './lookup-history';
import { CIRCUIT_OPEN } from '../source-access/source-access';

const ANNA = (sourceId: string, overrides: Partial<Candidate> = {}): Candidate =>
  factory.candidate({ sourceId, recordId: `anna-${sourceId}`, name: 'Anna Muster', phones: ['+41 78 907 22 28'], ...overrides });
const TTL_MS = 60_000;

describe('LookupService', () => {
  let now: number;
  let ctx: Door;
  let logs: LogCapture;
  let health: SourceHealth;
  let service: LookupService;
  let history: LookupHistory;
  let sources: Record<'alpha' | 'beta', ScriptedSource>;
  let tenant: Tenant;

  beforeEach(() => {
    now = 0;
    ctx = openDoor({ env: { LOOKUP_TIMEOUT_MS: '100', LOOKUP_MAX_RESULTS: '3', BREAKER_FAILURES: '100', ADMIN_TOKEN: 'admin-token-0123456789abcdef' }, now: () => now });
    logs = new LogCapture();
    __resetOutOfContextForTests();
    const logger = new PinoLogger({ pinoHttp: { logger: createRootLogger('debug', logs) } });
    health = new SourceHealth();
    history = new LookupHistory(ctx.tenants, ctx.breakers, health, ctx.redis, ctx.settings, () => now);
    service = new LookupService(ctx.settings, ctx.door, { namesOf: (id) => (id === 'alpha' ? ['CallFlow'] : []) }, ctx.metrics, health, logger, history);
    sources = { alpha: new ScriptedSource('alpha', { kind: 'answer', candidates: [] }), beta: new ScriptedSource('beta', { kind: 'answer', candidates: [] }) };
    tenant = factory.tenant({
      sources: [factory.tenantSource({ source: sources.alpha }), factory.tenantSource({ source: sources.beta, maxRps: 1 })],
      sourceOrder: ['alpha', 'beta'],
      cache: { ttlMs: TTL_MS, missTtlMs: TTL_MS, staleMs: 3_600_000 },
    });
  });

  const lookup = (number = '41789072228', reqId = 'req-1'): Promise<LookupAnswer> => service.lookup(tenant, number, { reqId, receivedAt: undefined });
  const names = (answer: LookupAnswer): string[] => answer.cards.map((card) => `${(card as PascalCard).Name} (${(card as PascalCard).Id.split(':')[0]})`);
  const script = (alpha: Script, beta: Script = { kind: 'answer', candidates: [] }): void => {
    sources.alpha.script = alpha;
    sources.beta.script = beta;
  };
  const outcomes = (answer: LookupAnswer): Record<string, string> => Object.fromEntries(Object.entries(answer.summary.sources).map(([id, s]) => [id, s.outcome]));

  it.each(['', 'anonymous', 'unknown', 'abc'])('answers a withheld or unreadable number (%j) with no cards, asking no source', async (number) => {
    const answer = await lookup(number);
    expect(answer).toEqual({ cards: [], summary: { results: 0, sources: {} } });
    expect(sources.alpha.searches).toHaveLength(0);
    expect(await samples(ctx.metrics, 'gateway_lookup_duration_seconds')).toEqual({ withheld: 1 });
  });

  it('says per source how it took part, with the masked number and how many cards', async () => {
    script({ kind: 'answer', candidates: [ANNA('alpha')] });
    const answer = await lookup();
    expect(answer.summary).toEqual({
      number: '+41******228',
      results: 1,
      sources: { alpha: { outcome: 'ok', ms: expect.any(Number) }, beta: { outcome: 'ok', ms: expect.any(Number) } },
    });
    expect(answer.cards).toEqual([expect.objectContaining({ Name: 'Anna Muster', CrmActions: ['CallFlow'] })]);
  });

  it('records every lookup in the history, the number masked and each source as it took part, withheld ones too', async () => {
    script({ kind: 'answer', candidates: [ANNA('alpha')] }, { kind: 'throw', error: new SourceError('AUTH', 'invalid client credentials') });
    await lookup();
    await lookup('anonymous');
    const [withheld, found] = history.recent(tenant.id);
    expect(withheld).toEqual({ at: new Date(0).toISOString(), tenant: tenant.id, number: 'withheld', totalMs: expect.any(Number), cards: 0, sources: [] });
    expect(found).toEqual({
      at: new Date(0).toISOString(),
      tenant: tenant.id,
      number: '+41******228',
      totalMs: expect.any(Number),
      cards: 1,
      sources: [
        { source: 'alpha', outcome: 'ok', ms: expect.any(Number), matches: 1 },
        { source: 'beta', outcome: 'error', ms: expect.any(Number), matches: 0, reason: 'AUTH: invalid client credentials' },
      ],
    });
    expect(JSON.stringify(history.recent())).not.toContain('789072228');
  });

  describe('one outcome per source', () => {
    const DOWN: Script = { kind: 'throw', error: new SourceError('AUTH', 'invalid client credentials') };
    it.each<[string, () => Promise<void>, Script, string, string | undefined, string | undefined]>([
      ['ok', async () => undefined, { kind: 'answer', candidates: [] }, 'ok', undefined, undefined],
      ['cached', async () => void (await lookup()), { kind: 'throw', error: new Error('not asked') }, 'cached', undefined, undefined],
      ['timeout', async () => undefined, { kind: 'hang' }, 'timeout', 'no answer within the lookup deadline', 'Source alpha did not answer within the lookup deadline; answered without it'],
      ['error', async () => undefined, DOWN, 'error', 'AUTH: invalid client credentials', 'Source alpha failed (AUTH); answered without it'],
      [
        'skipped: a probe is deciding whether the circuit closes',
        async () => undefined,
        { kind: 'throw', error: new SourceError('UNAVAILABLE', 'circuit open', { vendorCode: CIRCUIT_OPEN }) },
        'skipped',
        'circuit open',
        undefined,
      ],
    ])('%s', async (_, before, alpha, outcome, reason, warning) => {
      await before();
      script(alpha);
      logs.lines.length = 0;
      const answer = await lookup('41789072228', 'req-2');
      expect(outcomes(answer).alpha).toBe(outcome);
      expect(health.lastOf(tenant.sources[0]!.settings)).toMatchObject({ outcome, reason });
      expect(await samples(ctx.metrics, 'gateway_source_outcomes_total')).toMatchObject({ [`alpha|${outcome}`]: 1 });
      const warnings = logs.lines.filter((line) => line.level === 40);
      expect(warnings).toEqual(warning ? [expect.objectContaining({ reqId: 'req-2', tenant: 'acme', source: 'alpha', msg: warning })] : []);
      expect(logs.text()).not.toContain('789072228');
    });

    it('skips a source over its budget, and says why in the readiness details', async () => {
      await lookup('41789072228');
      const answer = await lookup('41791112233');
      expect(outcomes(answer)).toEqual({ alpha: 'ok', beta: 'skipped' });
      expect(health.lastOf(tenant.sources[1]!.settings)).toMatchObject({ outcome: 'skipped', reason: 'over budget' });
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: 20, source: 'beta', reason: 'over budget', msg: 'Source beta skipped (over budget)' }));
    });
  });

  describe('stale stand-ins', () => {
    it.each<[string, Script]>([
      ['fails', { kind: 'throw', error: new SourceError('UNAVAILABLE', 'CRM answered 503') }],
      ['does not answer in time', { kind: 'hang' }],
    ])('answers with the last good answer of a source that %s once it went stale', async (_, failure) => {
      script({ kind: 'answer', candidates: [ANNA('alpha')] });
      await lookup();
      now = TTL_MS;
      script(failure);
      const answer = await lookup();
      expect(outcomes(answer)).toEqual({ alpha: 'stale', beta: 'ok' });
      expect(names(answer)).toEqual(['Anna Muster (alpha)']);
      expect(answer.summary.results).toBe(1);
      expect(await samples(ctx.metrics, 'gateway_cache_events_total')).toMatchObject({ 'alpha|stale': 1 });
    });

    it('answers with the stand-in of a source skipped over its budget', async () => {
      script({ kind: 'answer', candidates: [] }, { kind: 'answer', candidates: [ANNA('beta')] });
      await lookup();
      now = TTL_MS;
      await lookup('41791112233');
      const answer = await lookup();
      expect(outcomes(answer)).toEqual({ alpha: 'ok', beta: 'stale' });
      expect(names(answer)).toEqual(['Anna Muster (beta)']);
    });
  });

  describe('ranking', () => {
    it('puts stronger matches first, people before companies, then the tenant\'s source order, and keeps LOOKUP_MAX_RESULTS', async () => {
      const company = ANNA('alpha', { recordId: 'firm', kind: 'company', name: 'Muster Treuhand AG' });
      const colleague = ANNA('alpha', { recordId: 'colleague', name: 'Colleague', phones: ['+41 78 907 22 28 ext. 12'] });
      script({ kind: 'answer', candidates: [company, colleague, ANNA('alpha')] }, { kind: 'answer', candidates: [ANNA('beta')] });
      const answer = await lookup();
      expect(names(answer)).toEqual(['Anna Muster (alpha)', 'Anna Muster (beta)', 'Muster Treuhand AG (alpha)']);
      expect(answer.summary.results).toBe(3);
    });

    it('counts a lookup as found or not found', async () => {
      script({ kind: 'answer', candidates: [ANNA('alpha')] });
      await lookup('41789072228');
      script({ kind: 'answer', candidates: [] });
      await lookup('41791112233');
      expect(await samples(ctx.metrics, 'gateway_lookup_duration_seconds')).toEqual({ found: 1, not_found: 1 });
    });
  });
});
