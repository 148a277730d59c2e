/**
 * The operator dashboard: one self-contained page (uPlot inlined, no CDN, no build step) that
 * reads the REST API once and then follows the node's WebSocket stream: fleet with state and
 * state of charge, fleet power against price, the current plan, consensus and chain height,
 * balances, and the results of finished simulation runs (`/?run=<id>`). The token comes from the
 * URL fragment (`/#token=…`, never sent to the server in a URL) or a prompt, kept per tab.
 */
import { uplotAssets } from '../sim/report.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
header h1{font-size:1.15rem;margin:0}header span{opacity:.85;font-size:.85rem}
#conn{margin-left:auto;font-size:.8rem;padding:2px 8px;border-radius:10px;background:#a33}#conn.live{background:#2a7}
main{padding:1rem 1.2rem;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1rem}
section{background:#fff;border-radius:6px;padding:.7rem 1rem;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow:auto;max-height:440px}
section.wide{grid-column:1/-1;max-height:none}h2{font-size:1rem;margin:.2rem 0 .6rem}
.kpis{display:flex;gap:.8rem;flex-wrap:wrap}.kpi{background:#f0f3f6;border-radius:6px;padding:.4rem .8rem;min-width:90px}
.kpi b{display:block;font-size:1.25rem}table{border-collapse:collapse;font-size:.8rem;width:100%}
th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state-dispatching,.state-committed{color:#1a7f37}.state-fault,.state-offline{color:#b42318}.muted{color:#888}
iframe{width:100%;height:1000px;border:1px solid #ddd;background:#fff}button{cursor:pointer}[hidden]{display:none!important}`;

const SCRIPT = `
const params = new URLSearchParams(location.search);
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) { sessionStorage.setItem('vpp-token', fromHash); history.replaceState(null, '', location.pathname + location.search); }
let token = sessionStorage.getItem('vpp-token') || '';
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const num = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '');
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
let updates = 0;
function counted() { updates++; document.body.dataset.updates = String(updates); $('updates').textContent = String(updates); }
async function api(path) {
  const res = await fetch(path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
  if (res.status === 401 && !sessionStorage.getItem('vpp-asked')) {
    sessionStorage.setItem('vpp-asked', '1');
    const given = prompt('API token for this node');
    if (given) { token = given; sessionStorage.setItem('vpp-token', given); return api(path); }
  }
  if (!res.ok) { const e = new Error(path + ': ' + res.status); e.status = res.status; throw e; }
  return (res.headers.get('content-type') || '').includes('json') ? res.json() : res.text();
}
function kpi(id, value) { $(id).textContent = value === undefined || value === null ? '–' : String(value); }

// Fleet power against price: one point per interval, planned (plans) and measured (peer telemetry).
const points = new Map();
let chart;
function point(ms, field, value) {
  const p = points.get(ms) || { planned: null, measured: null, price: null };
  p[field] = value;
  points.set(ms, p);
}
function redraw() {
  const keys = [...points.keys()].sort((a, b) => a - b).slice(-500);
  for (const k of [...points.keys()]) if (!keys.includes(k)) points.delete(k);
  const data = [keys.map((k) => k / 1000), keys.map((k) => points.get(k).planned), keys.map((k) => points.get(k).measured), keys.map((k) => points.get(k).price)];
  document.body.dataset.points = String(keys.length);
  if (!chart) {
    const line = (label, stroke, scale, extra) => Object.assign({ label, stroke, scale, width: 1.5, spanGaps: true }, extra || {});
    chart = new uPlot({ width: Math.max(480, $('chart').clientWidth - 10), height: 280, scales: { x: { time: true } },
      series: [{}, line('planned fleet kW', '#1f77b4', 'kW'), line('measured fleet kW', '#2ca02c', 'kW', { points: { show: true } }), line('price /MWh', '#d62728', 'p', { dash: [4, 3] })],
      axes: [{ space: 90 }, { scale: 'kW', label: 'kW' }, { scale: 'p', side: 1, label: 'price per MWh', grid: { show: false } }] }, data, $('chart'));
  } else chart.setData(data);
}
function showPlan(plan) {
  if (!plan) return;
  point(plan.intervalStartMs, 'planned', plan.fleetPowerKW[0]);
  point(plan.intervalStartMs, 'price', plan.pricePerMWh[0]);
  const ders = Object.entries(plan.setpointsKW).sort(([a], [b]) => a.localeCompare(b));
  $('plan').innerHTML = '<p>height <b>' + plan.height + '</b> · interval ' + esc(iso(plan.intervalStartMs)) + ' · round ' + plan.round +
    ' · hash <code>' + esc(plan.planHash.slice(0, 16)) + '…</code><br>fleet <b>' + num(plan.fleetPowerKW[0]) + ' kW</b> at ' + num(plan.pricePerMWh[0]) +
    ' /MWh · objective ' + num(plan.objectiveValue) + ' · ' + plan.periods.length + ' periods</p><table><tr><th>DER</th><th>setpoint kW</th></tr>' +
    ders.map(([id, kw]) => '<tr><td>' + esc(id) + '</td><td class="n">' + num(kw) + '</td></tr>').join('') + '</table>';
}
function showFleet(ders) {
  kpi('k-ders', ders.length);
  // Measured power where the node reads devices (peer), else the planned setpoints (coordinator).
  const measured = ders.some((d) => typeof d.powerKW === 'number');
  const total = ders.reduce((s, d) => s + ((measured ? d.powerKW : d.setpointKW) || 0), 0);
  kpi('k-power', ders.length ? num(total) : '–');
  $('fleet').innerHTML = '<table><tr><th>DER</th><th>kind</th><th>owner</th><th>state</th><th>SoC</th><th>kWh</th><th>kW</th><th>setpoint kW</th></tr>' +
    ders.map((d) => '<tr><td>' + esc(d.derId) + '</td><td>' + esc(d.kind) + '</td><td>' + esc(d.ownerId) + '</td><td class="state-' + esc(d.state) + '">' + esc(d.state) +
      '</td><td class="n">' + (typeof d.socFrac === 'number' ? (100 * d.socFrac).toFixed(1) + ' %' : '') + '</td><td class="n">' + num(d.energyKWh) +
      '</td><td class="n">' + num(d.powerKW) + '</td><td class="n">' + num(d.setpointKW) + '</td></tr>').join('') + '</table>';
}
function showConsensus(c) {
  kpi('k-height', c.height); kpi('k-round', c.round); kpi('k-commits', c.commits); kpi('k-changes', c.roundChanges);
}
let balancesDue;
async function loadBalances() {
  try {
    const [head, sheet] = await Promise.all([api('/api/chain'), api('/api/balances')]);
    kpi('k-chain', head.height);
    $('balances').innerHTML = '<table><tr><th>account</th><th>' + esc(sheet.currency) + '</th></tr>' +
      sheet.balances.map((b) => '<tr><td>' + esc(b.account) + '</td><td class="n">' + esc(b.amount) + '</td></tr>').join('') + '</table>' +
      '<p class="muted">certificates: ' + sheet.certificates.map((c) => esc(c.holder) + ' ' + c.held + ' held, ' + c.retired + ' retired').join('; ') + '</p>';
  } catch (e) { $('balances').innerHTML = '<p class="muted">' + (e.status === 404 ? 'this node keeps no settlement chain' : esc(e.message)) + '</p>'; }
}
async function loadRuns() {
  try {
    const runs = await api('/api/runs');
    $('runs').innerHTML = runs.length === 0 ? '<p class="muted">no runs</p>' : '<table><tr><th>run</th><th>scenario</th><th>state</th><th></th></tr>' +
      runs.map((r) => '<tr><td>' + esc(r.id) + '</td><td>' + esc(r.scenario || '') + '</td><td>' + esc(r.state) + (r.error ? ' <span class="muted">' + esc(r.error.slice(0, 120)) + '</span>' : '') +
        '</td><td>' + (r.state === 'done' ? '<a href="?run=' + encodeURIComponent(r.id) + '">open</a>' : '') + '</td></tr>').join('') + '</table>';
  } catch (e) { $('runs').innerHTML = '<p class="muted">' + esc(e.message) + '</p>'; }
}
async function openRun(id) {
  $('run').hidden = false;
  $('run-title').textContent = 'Simulation results: ' + id;
  const summary = await api('/api/runs/' + encodeURIComponent(id) + '/summary');
  const keys = ['scenario', 'currency', 'valueVpp', 'valueBaseline', 'valuePerfectForesight', 'capturedPct', 'resultHash', 'wallS'];
  $('run-summary').innerHTML = '<div class="kpis">' + keys.filter((k) => k in summary).map((k) => '<div class="kpi">' + esc(k) + '<b>' +
    esc(typeof summary[k] === 'number' ? num(summary[k]) : String(summary[k]).slice(0, 24)) + '</b></div>').join('') + '</div>';
  document.body.dataset.run = id;
  $('run-report').srcdoc = await api('/api/runs/' + encodeURIComponent(id) + '/report');
}
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/stream' + (token ? '?token=' + encodeURIComponent(token) : ''));
  ws.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'live'; };
  ws.onclose = () => { $('conn').textContent = 'disconnected'; $('conn').className = ''; setTimeout(connect, 2000); };
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.event === 'hello') { showStatus(e.status); return; }
    counted();
    if (e.event === 'plan') { showPlan(e); redraw(); }
    else if (e.event === 'telemetry') { showFleet(e.ders); point(Date.parse(e.intervalStart), 'measured', e.fleetPowerKW); point(Date.parse(e.intervalStart), 'price', e.pricePerMWh); redraw(); }
    else if (e.event === 'commit') { kpi('k-height', e.height); kpi('k-round', e.round); }
    else if (e.event === 'block') { kpi('k-chain', e.height); clearTimeout(balancesDue); balancesDue = setTimeout(loadBalances, 200); }
    if (e.event === 'plan' || e.event === 'commit') api('/api/consensus').then(showConsensus, () => {});
    if (e.event === 'plan') api('/api/status').then(showStatus, () => {});
    if (e.event === 'plan' && $('k-ders').dataset.role === 'coordinator') api('/api/fleet').then(showFleet, () => {});
  };
}
function showStatus(s) {
  $('title').textContent = 'VPP ' + s.role;
  $('who').textContent = s.networkId + ' · ' + s.id.slice(0, 12) + '… · ' + s.validators + ' validators · ' + s.currency;
  $('now').textContent = 'scenario time ' + iso(s.nowMs);
  $('k-ders').dataset.role = s.role;
  if (s.chainHeight !== undefined) kpi('k-chain', s.chainHeight);
}
async function start() {
  if (params.get('run')) openRun(params.get('run')).catch((e) => { $('run-summary').textContent = e.message; });
  loadRuns();
  let status;
  try { status = await api('/api/status'); } catch (e) {
    if (e.status === 404) { for (const el of document.querySelectorAll('.node')) el.hidden = true; $('title').textContent = 'VPP results'; return; }
    $('who').textContent = e.message; return;
  }
  showStatus(status);
  const [fleet, plans, consensus] = await Promise.all([api('/api/fleet'), api('/api/plans'), api('/api/consensus')]);
  showFleet(fleet);
  showConsensus(consensus);
  for (const plan of plans.slice().reverse()) showPlan(plan);
  redraw();
  loadBalances();
  connect();
}
start();`;

/** The dashboard page (built once per server). */
export function renderDashboard(): string {
  const uplot = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VPP dashboard</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>${uplot.css}${STYLE}</style></head>
<body data-updates="0" data-points="0">
<header><h1 id="title">VPP</h1><span id="who"></span><span id="now"></span><span>updates <b id="updates">0</b></span><span id="conn">connecting</span></header>
<main>
<section class="wide" id="run" hidden><h2 id="run-title"></h2><div id="run-summary"></div><iframe id="run-report" title="simulation report" sandbox="allow-scripts"></iframe></section>
<section class="wide node"><div class="kpis">
<div class="kpi">height<b id="k-height">–</b></div><div class="kpi">round<b id="k-round">–</b></div><div class="kpi">commits<b id="k-commits">–</b></div>
<div class="kpi">round changes<b id="k-changes">–</b></div><div class="kpi">chain height<b id="k-chain">–</b></div>
<div class="kpi">DERs<b id="k-ders">–</b></div><div class="kpi">fleet kW<b id="k-power">–</b></div></div></section>
<section class="wide node"><h2>Fleet power and price</h2><div id="chart"></div></section>
<section class="node"><h2>Fleet</h2><div id="fleet"></div></section>
<section class="node"><h2>Current plan</h2><div id="plan"><p class="muted">no plan yet</p></div></section>
<section class="node"><h2>Balances</h2><div id="balances"></div></section>
<section><h2>Simulation runs</h2><div id="runs"></div></section>
</main>
<script>${uplot.script}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
