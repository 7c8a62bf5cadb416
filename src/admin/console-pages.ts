import type { ExplainedSource, LookupExplanation, RecentLookup, SourceMinute, SourceOverview } from '../lookup/lookup-insight';
import type { OutboxCounts } from '../outbox/outbox';
import type { CheckRow } from '../tenants/tenant-check';
import type { DeliveryView } from './admin-outbox.controller';
import { html, type SafeHtml } from './console-html';
import { maskNumbersIn } from './console-masking';
import { barePage, consolePage, csrfField, type PageFrame } from './console-layout';
import type { TenantView } from './tenant-views';

/** `2026-12-01T09:00:00.000Z` → `2026-12-01 09:00:00 UTC`. */
export function when(at: Date | string | number | undefined): string {
  if (at === undefined) return '';
  const date = at instanceof Date ? at : new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)} ms`;
}

/** A tenant picker's options, `selected` marked; with `everyTenant`, first an option for all of them. */
function tenantOptions(tenants: readonly string[], selected: string | undefined, everyTenant: boolean): SafeHtml[] {
  const options = tenants.map((id) => html`<option value="${id}"${id === selected ? html` selected` : ''}>${id}</option>`);
  return everyTenant ? [html`<option value="">every tenant</option>`, ...options] : options;
}

function stateClass(state: string): string {
  return `state state-${state.toLowerCase().replace(/[^a-z]+/g, '-')}`;
}

// ---------------------------------------------------------------------------------------------- sign-in

export function signInPage({ problem, notice }: { readonly problem?: string; readonly notice?: string } = {}): SafeHtml {
  return barePage(
    'Sign in',
    html`<h1>Sign in</h1>
<p>The admin's console of this gateway. Sign in with its <code>ADMIN_TOKEN</code>; a tenant's CONNECTOR token does not open it.</p>
${notice !== undefined && html`<p class="notice" role="status">${notice}</p>`}
${problem !== undefined && html`<p class="problem" role="alert">${problem}</p>`}
<form method="post" action="/admin/sign-in" class="sign-in">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** A refusal or a problem, with the way back. */
export function messagePage(status: number, title: string, detail: string): SafeHtml {
  return barePage(
    title,
    html`<h1>${title}</h1>
<p class="problem" role="alert">${detail}</p>
<p class="muted">HTTP ${status}. <a href="/admin">Back to the console</a></p>`,
  );
}

// --------------------------------------------------------------------------------------------- overview

/** Over the hour: lookups, errors, and the last minute's figures with answers. */
export interface HourFigures {
  readonly lookupsPerMinute: number;
  readonly errorRate: number | undefined;
  readonly lastP50Ms: number | undefined;
  readonly lastP95Ms: number | undefined;
}

export function hourFigures(minutes: readonly SourceMinute[]): HourFigures {
  const lookups = minutes.reduce((sum, m) => sum + m.lookups, 0);
  const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
  const timed = [...minutes].reverse().find((m) => m.p50Ms !== undefined);
  return {
    lookupsPerMinute: minutes.length === 0 ? 0 : lookups / minutes.length,
    errorRate: lookups === 0 ? undefined : errors / lookups,
    lastP50Ms: timed?.p50Ms,
    lastP95Ms: timed?.p95Ms,
  };
}

function percent(rate: number | undefined): string {
  return rate === undefined ? '–' : `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)} %`;
}

/** A small chart, drawn by console.js with uPlot from its data attributes (seconds since the epoch, then one array per series). */
function chart(kind: 'lookups' | 'latency' | 'errors', label: string, minutes: readonly SourceMinute[]): SafeHtml {
  const x = minutes.map((m) => Math.round(m.minute / 1000));
  const series =
    kind === 'lookups'
      ? [minutes.map((m) => m.lookups)]
      : kind === 'latency'
        ? [minutes.map((m) => m.p50Ms ?? null), minutes.map((m) => m.p95Ms ?? null)]
        : [minutes.map((m) => (m.lookups === 0 ? null : Math.round((m.errors / m.lookups) * 1000) / 10))];
  return html`<div class="chart" role="img" aria-label="${label}, last hour" data-chart="${kind}" data-x="${JSON.stringify(x)}" data-series="${JSON.stringify(series)}"></div>`;
}

export interface OverviewData {
  /** The rows shown (at most `OVERVIEW_ROWS`), of `totalRows`. */
  readonly sources: readonly SourceOverview[];
  readonly totalRows?: number;
  /** The tenant picked, or every tenant. */
  readonly tenant?: string;
  readonly tenantIds?: readonly string[];
  /** Per tenant and source; a problem when the outbox could not be read. */
  readonly outbox: readonly OutboxCounts[] | { readonly problem: string };
  readonly tenants: number;
}

export function overviewPage(frame: PageFrame, data: OverviewData): SafeHtml {
  const counts = 'problem' in data.outbox ? [] : data.outbox;
  const countOf = (tenant: string, source: string): OutboxCounts | undefined => counts.find((c) => c.tenantId === tenant && c.sourceId === source);
  const totals = counts.reduce((sum, c) => ({ queued: sum.queued + c.queued + c.sending, dead: sum.dead + c.dead }), { queued: 0, dead: 0 });
  const rows = data.sources.map((row) => {
    const figures = hourFigures(row.lastHour);
    const outbox = countOf(row.tenant, row.source);
    return html`<tr data-tenant="${row.tenant}" data-source="${row.source}">
<td>${row.tenant}</td>
<td>${row.source}</td>
<td><span class="${stateClass(row.state)}">${row.state}</span>${row.reason !== undefined && html`<br><span class="muted reason">${row.reason}</span>`}</td>
<td class="number">${figures.lookupsPerMinute.toFixed(figures.lookupsPerMinute > 0 && figures.lookupsPerMinute < 1 ? 2 : 1)}</td>
<td class="number">${ms(figures.lastP50Ms)} / ${ms(figures.lastP95Ms)}</td>
<td class="number">${percent(figures.errorRate)}</td>
<td class="charts">${chart('lookups', `Lookups per minute of ${row.tenant} ${row.source}`, row.lastHour)}${chart('latency', `p50 and p95 latency of ${row.tenant} ${row.source}`, row.lastHour)}${chart('errors', `Error rate of ${row.tenant} ${row.source}`, row.lastHour)}</td>
<td class="number">${outbox ? outbox.queued + outbox.sending : 0}</td>
<td class="number${outbox && outbox.dead > 0 ? ' alert' : ''}">${outbox?.dead ?? 0}</td>
</tr>`;
  });
  return consolePage(
    frame,
    '/admin',
    'Overview',
    html`<form method="get" action="/admin" class="filter">
<label for="tenant">Tenant</label>
<select id="tenant" name="tenant">${tenantOptions(data.tenantIds ?? [], data.tenant, true)}</select>
<button type="submit">Show</button>
</form>
${data.totalRows !== undefined && data.totalRows > data.sources.length && html`<p class="notice">The first ${data.sources.length} of ${data.totalRows} sources are shown: pick a tenant to see its own.</p>`}
<p class="summary">${data.tenants} tenant${data.tenants === 1 ? '' : 's'}, ${data.sources.length} source${data.sources.length === 1 ? '' : 's'} in use.
${'problem' in data.outbox
  ? html`<span class="problem">The outbox could not be read: ${data.outbox.problem}</span>`
  : html`Outbox: <a href="/admin/deliveries">${totals.queued} waiting, ${totals.dead} dead letter${totals.dead === 1 ? '' : 's'}</a>.`}</p>
<p class="muted">Over the last hour, per minute: lookups, the source's own p50 and p95 answer times (latest minute with answers), and the share of errors and timeouts. The charts show lookups per minute, p50 and p95 (ms), and the error rate (%).</p>
<table class="overview">
<thead><tr><th>Tenant</th><th>Source</th><th>State</th><th>Lookups/min</th><th>p50 / p95</th><th>Errors</th><th>Last hour</th><th>Outbox</th><th>Dead</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="9" class="muted">No tenant has a source.</td></tr>`}</tbody>
</table>`,
  );
}

// -------------------------------------------------------------------------------------------- explain

/** The explain form as last sent (its number is not shown again: a page shows no full number). */
export interface ExplainForm {
  readonly tenant?: string;
  readonly bypassCache?: boolean;
}

function explainedSource(source: ExplainedSource): SafeHtml {
  const candidates = source.candidates.map(
    (candidate) => html`<tr class="${candidate.dropped === undefined ? 'kept' : 'dropped'}">
<td><code>${candidate.objectType} ${candidate.recordId}</code></td>
<td>${candidate.name}${candidate.company !== undefined && html`<br><span class="muted">${candidate.company}</span>`}</td>
<td>${candidate.phones.length === 0 ? html`<span class="muted">none</span>` : candidate.phones.map((phone) => html`<span class="phone">${maskNumbersIn(phone)}</span> `)}</td>
<td>${candidate.strength}</td>
<td>${candidate.dropped === undefined ? html`<span class="state state-ok">on the cards</span>` : html`<span class="dropped-reason">dropped: ${maskNumbersIn(candidate.dropped)}</span>`}</td>
</tr>`,
  );
  return html`<section class="explained-source" data-source="${source.source}">
<h3>${source.displayName} <span class="muted">(${source.source})</span> <span class="${stateClass(source.outcome)}">${source.outcome}</span> <span class="muted">${ms(source.ms)}</span></h3>
${source.reason !== undefined && html`<p class="problem">${maskNumbersIn(source.reason)}</p>`}
${(source.notes ?? []).map((note) => html`<p class="note muted">${maskNumbersIn(note)}</p>`)}
${source.queries.length > 0 ? html`<details open><summary>Queries sent (${source.queries.length})</summary>${source.queries.map((query) => html`<pre class="query">${maskNumbersIn(query)}</pre>`)}</details>` : html`<p class="muted">No query sent.</p>`}
${source.candidates.length > 0
  ? html`<table class="candidates"><thead><tr><th>Record</th><th>Name</th><th>Stored phones</th><th>Match</th><th>Verdict</th></tr></thead><tbody>${candidates}</tbody></table>`
  : html`<p class="muted">No candidate.</p>`}
</section>`;
}

export function explainPage(frame: PageFrame, tenants: readonly string[], form: ExplainForm, result?: LookupExplanation | { readonly problem: string }): SafeHtml {
  const options = tenantOptions(tenants, form.tenant, false);
  let outcome: SafeHtml | undefined;
  if (result !== undefined && 'problem' in result) outcome = html`<p class="problem" role="alert">${result.problem}</p>`;
  else if (result !== undefined) {
    const readAs = Object.entries(result.readAs).map(([key, value]) => html`<tr><th>${key}</th><td>${maskNumbersIn(value)}</td></tr>`);
    outcome = html`<section class="explanation">
<h2>Lookup of ${maskNumbersIn(result.input)} for ${result.tenant}</h2>
<p class="muted">${result.bypassedCache ? 'The cache was bypassed: every source was asked.' : 'Answers from the cache were used where fresh.'} ${ms(result.totalMs)} in all.</p>
<h3>The number as read</h3>
<table class="read-as"><tbody>${readAs}</tbody></table>
<h2>Per source</h2>
${result.sources.length > 0 ? result.sources.map(explainedSource) : html`<p class="muted">This tenant has no source.</p>`}
<h2>The cards, as the CONNECTOR gets them</h2>
<pre class="cards">${JSON.stringify(result.cards, null, 2)}</pre>
</section>`;
  }
  return consolePage(
    frame,
    '/admin/explain',
    'Explain a lookup',
    html`<form method="post" action="/admin/explain" class="explain">
${csrfField(frame)}
<label for="tenant">Tenant</label>
<select id="tenant" name="tenant" required>${options}</select>
<label for="number">Number</label>
<input id="number" name="number" type="text" inputmode="tel" autocomplete="off" required placeholder="in any form: +41 44 …, 044 …, 0041 44 …">
<label class="check"><input type="checkbox" name="bypassCache" value="1"${form.bypassCache === true ? html` checked` : ''}> Bypass the cache (ask every source now)</label>
<button type="submit">Explain</button>
</form>
${outcome}`,
  );
}

// ---------------------------------------------------------------------------------------------- recent

export function recentPage(frame: PageFrame, tenants: readonly string[], selected: string | undefined, lookups: readonly RecentLookup[]): SafeHtml {
  const options = tenantOptions(tenants, selected, true);
  const rows = lookups.map(
    (lookup) => html`<tr>
<td>${when(lookup.at)}</td>
<td>${lookup.tenant}</td>
<td><span class="phone">${lookup.number}</span></td>
<td class="number">${ms(lookup.totalMs)}</td>
<td class="number">${lookup.cards}</td>
<td><ul class="outcomes">${lookup.sources.map(
      (source) =>
        html`<li><strong>${source.source}</strong> <span class="${stateClass(source.outcome)}">${source.outcome}</span> ${ms(source.ms)}, ${source.matches} match${source.matches === 1 ? '' : 'es'}${source.reason !== undefined && html` <span class="muted">(${source.reason})</span>`}</li>`,
    )}</ul></td>
</tr>`,
  );
  return consolePage(
    frame,
    '/admin/recent',
    'Recent lookups',
    html`<form method="get" action="/admin/recent" class="filter">
<label for="tenant">Tenant</label>
<select id="tenant" name="tenant">${options}</select>
<button type="submit">Show</button>
</form>
<p class="muted">Kept in this instance's memory only (gone on restart), newest first; numbers masked.</p>
<table class="recent">
<thead><tr><th>When</th><th>Tenant</th><th>Number</th><th>Time</th><th>Cards</th><th>Sources</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="6" class="muted">No lookup yet.</td></tr>`}</tbody>
</table>`,
  );
}

// ---------------------------------------------------------------------------------------------- outbox

function deliveryRows(frame: PageFrame, deliveries: readonly DeliveryView[]): SafeHtml[] {
  return deliveries.map(
    (delivery) => html`<tr data-id="${delivery.id}">
<td><code>${delivery.id}</code></td>
<td>${delivery.tenant}</td>
<td>${delivery.source}</td>
<td>${delivery.workflow} <span class="muted">v${delivery.version}</span></td>
<td>${delivery.call.direction ?? ''} <span class="phone">${delivery.call.number ?? ''}</span><br><span class="muted">${delivery.call.startedTime === undefined ? '' : String(delivery.call.startedTime)}</span></td>
<td class="number">${delivery.attempts}</td>
<td>${when(delivery.createdAt)}${delivery.nextAttemptAt !== undefined && html`<br><span class="muted">next ${when(delivery.nextAttemptAt)}</span>`}</td>
<td class="reason">${delivery.lastError ?? ''}</td>
<td class="actions">
<form method="post" action="/admin/deliveries/${delivery.id}/retry">${csrfField(frame)}<button type="submit" class="retry">Retry now</button></form>
<form method="post" action="/admin/deliveries/${delivery.id}/drop">${csrfField(frame)}<button type="submit" class="drop">Drop</button></form>
</td>
</tr>`,
  );
}

function deliveryTable(frame: PageFrame, id: string, deliveries: readonly DeliveryView[], empty: string): SafeHtml {
  return html`<table class="deliveries" id="${id}">
<thead><tr><th>Id</th><th>Tenant</th><th>Source</th><th>Workflow</th><th>Call</th><th>Tries</th><th>Since</th><th>Reason</th><th></th></tr></thead>
<tbody>${deliveries.length > 0 ? deliveryRows(frame, deliveries) : html`<tr><td colspan="9" class="muted">${empty}</td></tr>`}</tbody>
</table>`;
}

export function outboxPage(frame: PageFrame, lists: { readonly queued: readonly DeliveryView[]; readonly dead: readonly DeliveryView[] } | { readonly problem: string }): SafeHtml {
  const content =
    'problem' in lists
      ? html`<p class="problem" role="alert">${lists.problem}</p>`
      : html`<p class="muted">Workflow writes a CRM could not take when asked, kept until it does. A dead letter was given up (refused for good, or tried for too long): fix the cause, then retry it, or drop it.</p>
<h2>Dead letters (${lists.dead.length})</h2>
${deliveryTable(frame, 'dead', lists.dead, 'No dead letter.')}
<h2>Queued (${lists.queued.length})</h2>
${deliveryTable(frame, 'queued', lists.queued, 'Nothing waits.')}`;
  return consolePage(frame, '/admin/deliveries', 'Outbox', content);
}

// --------------------------------------------------------------------------------------------- tenants

export interface CheckResult {
  readonly at: Date;
  readonly rows: readonly CheckRow[];
}

function settingsTable(settings: readonly { key: string; value: string }[]): SafeHtml {
  return html`<table class="settings"><tbody>${settings.map((s) => html`<tr><th>${s.key}</th><td>${s.value}</td></tr>`)}</tbody></table>`;
}

export function tenantsPage(frame: PageFrame, tenants: readonly TenantView[], check: CheckResult | undefined, checkRunning: boolean): SafeHtml {
  const checkSection = html`<section class="check">
<h2>Checks</h2>
<p class="muted">The checks of <code>npm run check</code>: every tenant file read as at start, and per source a sign-in and one search for a number nobody has (a read: nothing is written).</p>
<form method="post" action="/admin/tenants/check">${csrfField(frame)}<button type="submit"${checkRunning ? html` disabled` : ''}>${checkRunning ? 'Checks running…' : 'Run the checks'}</button></form>
${check === undefined
  ? html`<p class="muted">Not run yet.</p>`
  : html`<p>Run ${when(check.at)}: ${check.rows.every((row) => row.ok) ? 'everything checked is ok.' : `${check.rows.filter((row) => !row.ok).length} problem(s).`}</p>
<table class="check-results"><thead><tr><th>Tenant</th><th>Source</th><th>Result</th></tr></thead><tbody>${check.rows.map(
      (row) => html`<tr class="${row.ok ? 'ok' : 'failed'}"><td>${row.tenant}</td><td>${row.source}</td><td><span class="${stateClass(row.ok ? 'ok' : 'failing')}">${row.ok ? 'ok' : 'problem'}</span> <span class="result">${row.result}</span></td></tr>`,
    )}</tbody></table>`}
</section>`;
  const cards = tenants.map(
    (tenant) => html`<section class="tenant" data-tenant="${tenant.id}">
<h2>${tenant.id}</h2>
<p class="muted">${tenant.file}${tenant.appliedAt !== undefined && html` · applied ${when(tenant.appliedAt)}`}</p>
${tenant.refused !== undefined && html`<p class="problem">Not applied (${when(tenant.refused.at)}): <span class="pre">${tenant.refused.problem}</span></p>`}
${tenant.settings === undefined ? html`<p class="problem">This file was never valid: no tenant serves from it.</p>` : settingsTable(tenant.settings)}
${tenant.sources.map(
  (source) => html`<h3>${source.displayName} <span class="muted">(${source.source})</span>${source.readiness !== undefined && html` <span class="${stateClass(source.readiness.state === 'failed' ? 'failing' : source.readiness.state === 'ready' ? 'ok' : 'idle')}">${source.readiness.state}</span>`}</h3>
${source.readiness?.reason !== undefined && html`<p class="problem">${source.readiness.reason}</p>`}
${settingsTable(source.settings)}`,
)}
</section>`,
  );
  return consolePage(frame, '/admin/tenants', 'Tenants', html`${checkSection}${cards}`);
}
