import type { LookupExplanation, RecentLookup, SourceOverview } from '../lookup/lookup-insight';
import { explainPage, hourFigures, outboxPage, overviewPage, recentPage, signInPage, tenantsPage } from './console-pages';
import type { TenantView } from './tenant-views';

const MARKUP = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const frame = { csrfToken: 'csrf-token-of-the-session' };

/** Every `<script` tag of a page: only the two files of the layout, never one holding text. */
function scriptTags(page: string): string[] {
  return [...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
}

function expectShownAsText(page: string): void {
  expect(page).toContain(ESCAPED);
  expect(page).not.toContain(MARKUP);
  expect(scriptTags(page)).toEqual(['<script src="/admin/assets/uPlot.iife.min.js" defer>', '<script src="/admin/assets/console.js" defer>']);
}

describe('the console pages', () => {
  it('show a CRM record named with markup, and its reason for being dropped, as text', () => {
    const explanation: LookupExplanation = {
      tenant: 'acme',
      input: '+41 78 907 22 28',
      readAs: { kind: 'phone', e164: '+41******228' },
      bypassedCache: true,
      totalMs: 12,
      sources: [
        {
          source: 'salesforce',
          displayName: `Sales ${MARKUP}`,
          outcome: 'ok',
          ms: 10,
          queries: [`FIND {${MARKUP}} IN PHONE FIELDS`],
          candidates: [
            { recordId: '003', objectType: 'Contact', name: MARKUP, company: MARKUP, phones: [MARKUP], strength: 'none', dropped: `no stored phone matches ${MARKUP}` },
          ],
        },
      ],
      cards: [{ Name: MARKUP }],
    };
    const page = explainPage(frame, ['acme'], { tenant: 'acme' }, explanation).text;
    expectShownAsText(page);
    expect(page.split(ESCAPED).length - 1).toBe(7); // display name, query, name, company, phone, reason, and the cards' JSON
    expect(page).toContain('&quot;Name&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
  });

  it('show no full phone number on the explain page: the number as read, stored phones and queries are masked', () => {
    const explanation: LookupExplanation = {
      tenant: 'acme',
      input: '078 907 22 28',
      readAs: { kind: 'phone', e164: '+41789072228', national: '078 907 22 28', region: 'CH' },
      bypassedCache: false,
      totalMs: 12,
      sources: [
        {
          source: 'salesforce', displayName: 'Salesforce', outcome: 'ok', ms: 10,
          queries: ['FIND {+41789072228 OR 0789072228 OR 789072228} IN PHONE FIELDS RETURNING Contact(Id, Name)'],
          candidates: [{ recordId: '003000000000011AAA', objectType: 'Contact', name: 'Fabian Weber', phones: ['+49 78 907 22 28'], strength: 'none', dropped: 'none of its stored phones is this number' }],
          notes: ['searched 0789072228 too'],
        },
      ],
      cards: [],
    };
    const page = explainPage(frame, ['acme'], { tenant: 'acme' }, explanation).text;
    expect(page.replace(/\D/g, '')).not.toContain('9072');
    for (const masked of ['+41******228', '*******228', '+49******228']) expect(page).toContain(masked);
    expect(page).toContain('Contact 003000000000011AAA');
    expect(page).toContain('<th>region</th><td>CH</td>');
  });

  it('show tenant and source names with markup as text on the overview, the recent lookups, the outbox and the tenants', () => {
    const overview: SourceOverview = { tenant: MARKUP, source: MARKUP, state: 'failing', reason: MARKUP, lastHour: [{ minute: 0, lookups: 1, errors: 0, p50Ms: 5, p95Ms: 9 }] };
    expectShownAsText(overviewPage(frame, { sources: [overview], outbox: [{ tenantId: MARKUP, sourceId: MARKUP, queued: 1, sending: 0, dead: 2 }], tenants: 1 }).text);
    expectShownAsText(overviewPage(frame, { sources: [], outbox: { problem: MARKUP }, tenants: 0 }).text);

    const lookup: RecentLookup = { at: '2026-12-01T09:00:00.000Z', tenant: MARKUP, number: '+41******228', totalMs: 3, cards: 0, sources: [{ source: MARKUP, outcome: 'error', matches: 0, reason: MARKUP }] };
    expectShownAsText(recentPage(frame, [MARKUP], MARKUP, [lookup]).text);

    const delivery = {
      id: 'd1', tenant: MARKUP, source: MARKUP, workflow: 'CallFlow', state: 'dead' as const, version: 1, attempts: 2,
      createdAt: '2026-12-01T09:00:00.000Z', updatedAt: '2026-12-01T09:00:00.000Z', lastError: MARKUP, call: { number: '+41******228' },
    };
    expectShownAsText(outboxPage(frame, { queued: [], dead: [delivery] }).text);

    const tenant: TenantView = {
      id: MARKUP, file: MARKUP, refused: { at: new Date(0), problem: MARKUP },
      settings: [{ key: 'K', value: MARKUP }],
      sources: [{ source: MARKUP, displayName: MARKUP, settings: [{ key: MARKUP, value: MARKUP }], readiness: { state: 'failed', reason: MARKUP, at: new Date(0) } }],
    };
    expectShownAsText(tenantsPage(frame, [tenant], { at: new Date(0), rows: [{ tenant: MARKUP, source: MARKUP, ok: false, result: MARKUP }] }, false).text);
    expectShownAsText(signInPage({ problem: MARKUP }).text);
  });

  it("put the session's CSRF token in every form that posts, and in none that does not", () => {
    const delivery = { id: 'd1', tenant: 't', source: 's', workflow: 'CallFlow', state: 'dead' as const, version: 1, attempts: 1, createdAt: '', updatedAt: '', call: {} };
    const pages = [
      outboxPage(frame, { queued: [delivery], dead: [delivery] }).text,
      tenantsPage(frame, [], undefined, false).text,
      explainPage(frame, ['acme'], {}).text,
      recentPage(frame, ['acme'], undefined, []).text,
      overviewPage(frame, { sources: [], outbox: [], tenants: 0 }).text,
    ];
    for (const page of pages) {
      const forms = [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
      expect(forms.length).toBeGreaterThan(0);
      for (const [, attributes, body] of forms) {
        const posts = /method="post"/.test(attributes!);
        expect(body!.includes('<input type="hidden" name="csrf" value="csrf-token-of-the-session">')).toBe(posts);
      }
    }
  });

  it('sum up the last hour: lookups per minute, the error rate, and the latest minute with answer times', () => {
    expect(hourFigures([])).toEqual({ lookupsPerMinute: 0, errorRate: undefined, lastP50Ms: undefined, lastP95Ms: undefined });
    const minutes = [
      { minute: 0, lookups: 10, errors: 1, p50Ms: 100, p95Ms: 300 },
      { minute: 60_000, lookups: 20, errors: 2, p50Ms: 120, p95Ms: 250 },
      { minute: 120_000, lookups: 0, errors: 0 },
    ];
    expect(hourFigures(minutes)).toEqual({ lookupsPerMinute: 10, errorRate: 0.1, lastP50Ms: 120, lastP95Ms: 250 });
  });
});
