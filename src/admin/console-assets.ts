import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { drawCharts } from './console-script';

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: string;
}

const STYLESHEET = `
:root { --ink: #1a202c; --muted: #5a6473; --line: #d9dee5; --bg: #f7f8fa; --accent: #2b6cb0; --ok: #2f855a; --warn: #b7791f; --bad: #c53030; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--ink); background: var(--bg); }
.bar { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1f2a37; color: #fff; }
.bar .brand { font-weight: bold; }
.bar nav { display: flex; gap: 4px; flex: 1; }
.bar nav a { color: #cbd5e0; text-decoration: none; padding: 6px 10px; border-radius: 4px; }
.bar nav a.active, .bar nav a:hover { background: #374151; color: #fff; }
.bar .sign-out button { background: transparent; color: #cbd5e0; border: 1px solid #4a5568; }
main { padding: 16px 24px 48px; }
main.narrow { max-width: 560px; }
h1 { font-size: 22px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
thead th { background: #edf0f4; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.number { text-align: right; white-space: nowrap; }
td.alert { color: var(--bad); font-weight: bold; }
td.charts { white-space: nowrap; }
.chart { display: inline-block; width: 150px; height: 56px; margin-right: 8px; border: 1px solid var(--line); background: #fbfcfd; }
.muted { color: var(--muted); }
.problem { color: var(--bad); }
.notice { background: #e6fffa; border: 1px solid #81e6d9; padding: 8px 12px; border-radius: 4px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: bold; background: #e2e8f0; color: var(--ink); }
.state-ok, .state-cached { background: #c6f6d5; color: #22543d; }
.state-slow, .state-stale, .state-idle, .state-skipped { background: #fefcbf; color: #744210; }
.state-failing, .state-error, .state-timeout, .state-circuit-open, .state-redis-down { background: #fed7d7; color: #822727; }
.state-idle { background: #e2e8f0; color: var(--muted); }
form.sign-in, form.explain, form.filter { display: grid; gap: 6px; max-width: 480px; background: #fff; border: 1px solid var(--line); padding: 16px; border-radius: 6px; }
form.filter { display: flex; align-items: center; gap: 8px; max-width: none; }
input[type=text], input[type=password], select { font: inherit; padding: 6px 8px; border: 1px solid #a0aec0; border-radius: 4px; }
label.check { display: flex; gap: 6px; align-items: center; }
button { font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.drop { background: #fff; color: var(--bad); border-color: var(--bad); }
button[disabled] { opacity: .6; cursor: default; }
td.actions { white-space: nowrap; }
td.actions form { display: inline; margin-right: 4px; }
td.reason, .result, .pre { white-space: pre-wrap; }
pre { background: #fff; border: 1px solid var(--line); padding: 8px; overflow: auto; max-height: 420px; }
tr.dropped td { color: var(--muted); }
.dropped-reason { color: #9c4221; }
.phone { font-family: "DejaVu Sans Mono", monospace; }
section.tenant, section.explained-source { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 12px; margin: 12px 0; }
ul.outcomes { margin: 0; padding-left: 16px; }
`;

/** The pages' stylesheet and script, and uPlot's own files from node_modules: all served by the gateway, none from a CDN. */
export function loadConsoleAssets(): ReadonlyMap<string, ConsoleAsset> {
  const uplot = dirname(require.resolve('uplot'));
  return new Map([
    ['console.css', { contentType: 'text/css; charset=utf-8', body: STYLESHEET }],
    ['console.js', { contentType: 'text/javascript; charset=utf-8', body: `"use strict";\n(${drawCharts.toString()})();\n` }],
    ['uPlot.iife.min.js', { contentType: 'text/javascript; charset=utf-8', body: readFileSync(join(uplot, 'uPlot.iife.min.js'), 'utf8') }],
    ['uPlot.min.css', { contentType: 'text/css; charset=utf-8', body: readFileSync(join(uplot, 'uPlot.min.css'), 'utf8') }],
  ]);
}
