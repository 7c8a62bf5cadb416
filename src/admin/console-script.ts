import type UPlot from 'uplot';

type ChartKind = 'lookups' | 'latency' | 'errors';

/**
 * The console's only script, run in the browser: draws each `.chart` of the overview with uPlot (loaded
 * before it from `/admin/assets/uPlot.iife.min.js`) from the element's data attributes. Written here so
 * the compiler checks it against the DOM's types; served as its own file (`/admin/assets/console.js`,
 * see console-assets.ts) because the pages' CSP allows no inline script. It must not use anything
 * outside its own body: it is sent as text.
 */
export function drawCharts(): void {
  const Chart = (window as unknown as { uPlot?: typeof UPlot }).uPlot;
  if (Chart === undefined) return;
  // Counts as bars (a minute with one lookup is seen), answer times as lines with their points.
  const bars = Chart.paths.bars?.({ size: [0.8, 6] });
  const points = { show: true, size: 3 };
  const seriesOf: Record<ChartKind, UPlot.Series[]> = {
    lookups: [{ label: 'lookups/min', stroke: '#2b6cb0', fill: 'rgba(43, 108, 176, 0.6)', width: 1, paths: bars, points: { show: false } }],
    latency: [
      { label: 'p50 ms', stroke: '#2f855a', width: 1.5, points },
      { label: 'p95 ms', stroke: '#c05621', width: 1.5, points },
    ],
    errors: [{ label: 'errors %', stroke: '#c53030', fill: 'rgba(197, 48, 48, 0.6)', width: 1, paths: bars, points: { show: false } }],
  };
  const titles: Record<ChartKind, string> = { lookups: 'Lookups per minute', latency: 'p50 and p95 answer time (ms)', errors: 'Error rate (%)' };
  for (const element of Array.from(document.querySelectorAll<HTMLElement>('.chart[data-chart]'))) {
    const kind = element.dataset.chart as ChartKind;
    const x = JSON.parse(element.dataset.x ?? '[]') as number[];
    const series = JSON.parse(element.dataset.series ?? '[]') as Array<Array<number | null>>;
    if (!(kind in seriesOf) || x.length === 0) continue;
    new Chart(
      {
        width: 150,
        height: 56,
        legend: { show: false },
        cursor: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(1, max)] } },
        series: [{}, ...seriesOf[kind]],
      },
      [x, ...series] as UPlot.AlignedData,
      element,
    );
    element.title = `${titles[kind]}, last hour`;
  }
}
