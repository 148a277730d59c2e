import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IntervalRecord } from './results.js';
import type { ServiceChart } from '../services/chart.js';

const require = createRequire(import.meta.url);
const uplotDir = dirname(require.resolve('uplot'));

/** uPlot's stylesheet and script, to inline in a page that must open without network or build step. */
export function uplotAssets(): { css: string; script: string } {
  return { css: readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8'), script: readFileSync(join(uplotDir, 'uPlot.iife.min.js'), 'utf8') };
}

/** Text safe inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function summaryRows(summary: Record<string, unknown>, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [key, value] of Object.entries(summary)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      rows.push(...summaryRows(value as Record<string, unknown>, `${prefix}${key}.`));
    } else {
      const shown = typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : JSON.stringify(value);
      rows.push(`<tr><th>${escapeHtml(prefix + key)}</th><td>${escapeHtml(shown)}</td></tr>`);
    }
  }
  return rows;
}

/**
 * A self-contained HTML report (uPlot and the data inlined: it opens from disk with no network):
 * fleet power against price, the state-of-charge band, EV energy delivered against requested, and
 * the value the VPP earned against the uncontrolled baseline and perfect foresight.
 */
export function renderReport(summary: Record<string, unknown>, records: readonly IntervalRecord[], serviceCharts: readonly ServiceChart[] = []): string {
  const column = (key: keyof IntervalRecord) => records.map((r) => r[key]);
  const data = {
    t: records.map((r) => r.startMs / 1000),
    price: column('pricePerMWh'),
    forecast: column('forecastPricePerMWh'),
    fleet: column('fleetPowerKW'),
    baseline: column('baselinePowerKW'),
    perfect: column('perfectForesightPowerKW'),
    socMin: column('socMinFrac'),
    socMean: column('socMeanFrac'),
    socMax: column('socMaxFrac'),
    evDelivered: column('evDeliveredKWh'),
    evBaseline: column('evBaselineDeliveredKWh'),
    evRequested: column('evRequestedKWh'),
    valueVpp: column('valueVpp'),
    valueBaseline: column('valueBaseline'),
    valuePerfect: column('valuePerfectForesight'),
  };
  const hasBatteries = records.some((r) => Number.isFinite(r.socMeanFrac));
  const hasEvs = records.some((r) => r.evRequestedKWh > 0);
  const currency = escapeHtml(String(summary.currency ?? ''));
  const title = escapeHtml(String(summary.scenario ?? 'VPP simulation'));
  const uplot = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>${uplot.css}
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{background:#f4f6f8;border-radius:6px;padding:.6rem 1rem}
.kpi b{display:block;font-size:1.3rem}</style></head>
<body>
<h1>${title}</h1>
<div class="kpis">
<div class="kpi">VPP value<b>${fmt(summary.valueVpp)} ${currency}</b></div>
<div class="kpi">Uncontrolled baseline<b>${fmt(summary.valueBaseline)} ${currency}</b></div>
<div class="kpi">Perfect foresight<b>${fmt(summary.valuePerfectForesight)} ${currency}</b></div>
<div class="kpi">Captured uplift<b>${fmt(summary.capturedPct)} %</b></div>
</div>
<h2>Fleet power and price</h2><div id="power"></div>
${hasBatteries ? '<h2>Battery state of charge (min, mean, max over the fleet)</h2><div id="soc"></div>' : ''}
${hasEvs ? '<h2>EV energy: delivered and requested (cumulative)</h2><div id="ev"></div>' : ''}
<h2>Value against baselines (cumulative, ${currency})</h2><div id="value"></div>
${serviceCharts.map((c, i) => `<h2>${escapeHtml(c.title)}</h2><div id="service${i}"></div>`).join('\n')}
<h2>Summary</h2><table>${summaryRows(summary).join('\n')}</table>
<script>${uplot.script}</script>
<script>
const d = ${scriptJson(data)};
const width = () => Math.min(1150, window.innerWidth - 40);
const line = (label, stroke, extra) => Object.assign({ label, stroke, width: 1 }, extra || {});
function chart(id, series, columns, axes) {
  const opts = { width: width(), height: 300, series: [{}].concat(series), axes: [{}].concat(axes), scales: { x: { time: true } } };
  return new uPlot(opts, [d.t].concat(columns), document.getElementById(id));
}
chart('power', [line('VPP fleet kW', '#1f77b4', { scale: 'kW' }), line('baseline kW', '#aaa', { scale: 'kW' }),
  line('perfect foresight kW', '#2ca02c', { scale: 'kW', dash: [4, 4] }), line('price /MWh', '#d62728', { scale: 'p' }),
  line('forecast /MWh', '#ff9896', { scale: 'p', dash: [2, 3] })],
  [d.fleet, d.baseline, d.perfect, d.price, d.forecast], [{ scale: 'kW', label: 'kW' }, { scale: 'p', side: 1, label: 'price per MWh', grid: { show: false } }]);
if (document.getElementById('soc')) chart('soc', [line('min', '#9ecae1', { fill: 'rgba(158,202,225,.25)' }), line('mean', '#08519c'), line('max', '#9ecae1')],
  [d.socMin, d.socMean, d.socMax], [{ label: 'state of charge' }]);
if (document.getElementById('ev')) chart('ev', [line('delivered (VPP)', '#1f77b4'), line('delivered (baseline)', '#aaa'), line('requested', '#d62728', { dash: [4, 4] })],
  [d.evDelivered, d.evBaseline, d.evRequested], [{ label: 'kWh' }]);
chart('value', [line('VPP', '#1f77b4'), line('uncontrolled baseline', '#aaa'), line('perfect foresight', '#2ca02c')],
  [d.valueVpp, d.valueBaseline, d.valuePerfect], [{ label: '${currency}' }]);
const services = ${scriptJson(serviceCharts.map((c) => ({ t: c.timesMs.map((ms) => ms / 1000), series: c.series, points: c.points === true })))};
const colours = ['#d62728', '#1f77b4', '#2ca02c'];
services.forEach((c, i) => new uPlot({ width: width(), height: 300,
  series: [{}].concat(c.series.map((s, k) => line(s.label + ' ' + s.unit, colours[k % 3], c.points ? { points: { show: true, size: 7 } } : {}))),
  axes: [{}, { label: 'kW' }], scales: { x: { time: true } } }, [c.t].concat(c.series.map((s) => s.values)), document.getElementById('service' + i)));
</script></body></html>
`;
}

function fmt(value: unknown): string {
  return typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : escapeHtml(String(value));
}
