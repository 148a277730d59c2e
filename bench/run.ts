/**
 * `npm run bench`: simulated DER-steps per second (actors vs plain loop), plan time per fleet size,
 * backend and strategy with the aggregate planner's cost gap, and which LP backend should be the
 * default, ed25519 and msgpack throughput, messages per second through NATS and gossipsub, and BFT
 * commit latency. Everything is measured side by side in one run; prints a table and writes
 * bench/results/latest.json.
 */
import { benchVerify } from './verify.js';
import { benchDevices } from './devices.js';
import { benchRoundTime } from './round-time.js';
import { benchTransport } from './transport.js';
import { benchConsensus } from './consensus.js';
import { benchChain } from './chain.js';
import { benchApi } from './api.js';
import { benchTelemetry } from './telemetry.js';
import { benchServices } from './services.js';
import { benchCommitments } from './commitments.js';
import { availableParallelism, cpus, platform, arch } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LP_BACKEND_NAMES, type LpBackendName } from '../solver/backend.js';
import type { PlanRequest, PlanStrategy } from '../solver/planner.js';
import { DEFAULT_SOLVER } from '../sim/run.js';
import { actorDerSteps, plainDerSteps } from './der-steps.js';
import { benchPlanRequest, loadBenchScenario, prepareBenchRun, BENCH_SCENARIO_PATH } from './fleet.js';
import { PlanRunner, type PlanOutcome, type PlanTiming } from './plan-runner.js';
import { fmtInt, fmtMs, fmtRatio, formatTable, median } from './table.js';

// Budgets: the whole bench must end within ~10 minutes on 2 shared cores.
const TOTAL_BUDGET_MS = 540_000;
const CASE_BUDGET_MS = 90_000;
const ACTOR_BUDGET_MS = 60_000;
const REPEAT_BUDGET_MS = 3_000;
const MAX_REPEATS = 5;
// The default-backend cases are short: the backends take turns this many times.
const DEFAULT_BACKEND_ROUNDS = 3;
// Case 1: 1,000 batteries + 500 PV over one day of 5-minute steps.
const STEP_FLEET_DERS = 1_500;
const STEP_COUNT = 288;
const PLAN_SIZES = [10, 100, 1_000, 10_000];
const STRATEGIES: readonly PlanStrategy[] = ['aggregate', 'full'];
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));

/** One timed (or not) plan case. */
interface PlanRow {
  ders: number;
  periods: number;
  backend: LpBackendName;
  strategy: PlanStrategy;
  status: 'ok' | 'timeout' | 'skipped' | 'error';
  /** Why it was not measured. */
  note?: string;
  /** Extrapolated plan time that made the case skip, ms. */
  estimatedMs?: number;
  medianPlanMs?: number;
  medianSolveMs?: number;
  timing?: PlanTiming;
}

const benchStart = performance.now();
const remainingMs = () => TOTAL_BUDGET_MS - (performance.now() - benchStart);
const out: string[] = [];
const print = (line = '') => {
  out.push(line);
  console.log(line);
};

const cpuList = cpus();
const machine = {
  cpus: availableParallelism(),
  cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
  node: process.version,
  platform: `${platform()} ${arch()}`,
};
print(`VPP bench: ${new Date().toISOString()}`);
print(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}`);
print(`fleets: ${BENCH_SCENARIO_PATH} scaled (same battery/PV mix, seeded), AEMO NSW1 5-min prices from 2022-09-01`);
print(`budgets: ${CASE_BUDGET_MS / 1000} s per case, ${TOTAL_BUDGET_MS / 1000} s in all; plan timings are medians of up to ${MAX_REPEATS} runs (× ${DEFAULT_BACKEND_ROUNDS} interleaved rounds in 3.) after a warm-up`);
print();

const base = loadBenchScenario();
const smallRun = prepareBenchRun(base, 10);

// ---- 1. DER-steps per second ----
print(`1. Simulated DER-steps per second (${fmtInt(STEP_FLEET_DERS)} DERs × ${STEP_COUNT} five-minute steps)`);
{
  // Warm up both paths (JIT) on a small fleet first.
  await actorDerSteps(smallRun.newFleet(), smallRun.grid, 24, ACTOR_BUDGET_MS);
  plainDerSteps(smallRun.newFleet(), smallRun.grid, 24);
}
const stepRun = prepareBenchRun(base, STEP_FLEET_DERS);
const kinds = stepRun.newFleet().members.reduce<Record<string, number>>((c, m) => {
  const kind = m.device.capabilities().kind;
  c[kind] = (c[kind] ?? 0) + 1;
  return c;
}, {});
const actor = await actorDerSteps(stepRun.newFleet(), stepRun.grid, STEP_COUNT, ACTOR_BUDGET_MS);
// The plain loop does exactly the steps the actor path got through, on an identical fresh fleet.
const plain = plainDerSteps(stepRun.newFleet(), stepRun.grid, actor.stepsRun);
const sameResult = Math.abs(actor.fleetMeterNetKWh - plain.fleetMeterNetKWh) <= 1e-6 * Math.max(1, Math.abs(plain.fleetMeterNetKWh));
const actorOverhead = plain.derStepsPerS / actor.derStepsPerS;
print(`fleet: ${Object.entries(kinds).map(([k, n]) => `${fmtInt(n)} ${k}`).join(', ')}`);
print(
  formatTable(
    ['path', 'steps run', 'DER-steps', 'wall ms', 'DER-steps/s', 'vs plain'],
    [
      ['XState actors (DerAgent.follow, SimulatedClock)', `${actor.stepsRun}/${actor.stepsPlanned}`, fmtInt(actor.derSteps), fmtMs(actor.elapsedMs), fmtInt(actor.derStepsPerS), fmtRatio(1 / actorOverhead)],
      ['plain loop (clampSetpoint + device)', `${plain.stepsRun}/${plain.stepsPlanned}`, fmtInt(plain.derSteps), fmtMs(plain.elapsedMs), fmtInt(plain.derStepsPerS), fmtRatio(1)],
    ],
  ),
);
print(`actor overhead: ${fmtRatio(actorOverhead)} slower per DER-step; same physics result: ${sameResult ? 'yes' : `NO (Σ meter ${actor.fleetMeterNetKWh} vs ${plain.fleetMeterNetKWh} kWh)`}`);
if (actor.stepsRun < actor.stepsPlanned) print(`(actor path stopped at its ${ACTOR_BUDGET_MS / 1000} s budget)`);
print();

// ---- 2. and 3. plan times ----
// Warm-up on both LP shapes timed below (the first solve of a larger LP is several times slower).
const warmups = [benchPlanRequest(smallRun, smallRun.newFleet(), smallRun.blocks), benchPlanRequest(smallRun, smallRun.newFleet())];
const runners = new Map(LP_BACKEND_NAMES.map((b) => [b, new PlanRunner(b, warmups)] as const));
/** Measured plan ms per backend/strategy/horizon, by DER count, for extrapolation. */
const history = new Map<string, { ders: number; ms: number }[]>();
const overBudget = new Set<string>();

function predictMs(points: { ders: number; ms: number }[], ders: number): number | undefined {
  const last = points.at(-1);
  if (!last) return undefined;
  const prev = points.at(-2);
  // At least linear growth: the LP has at least one column per DER and period.
  const exponent = prev ? Math.max(1, Math.log(last.ms / prev.ms) / Math.log(last.ders / prev.ders)) : 1;
  return last.ms * (ders / last.ders) ** exponent;
}

async function planCase(req: PlanRequest, backend: LpBackendName, strategy: PlanStrategy, series: string): Promise<PlanRow> {
  const ders = req.offers.length;
  const periods = req.blocks?.length ?? req.horizonIntervals;
  const row: PlanRow = { ders, periods, backend, strategy, status: 'skipped' };
  const key = `${series}/${backend}/${strategy}`;
  const budgetMs = Math.min(CASE_BUDGET_MS, remainingMs());
  if (budgetMs <= 0) return { ...row, status: 'timeout', note: 'not run (over budget): bench time used up' };
  if (overBudget.has(key)) return { ...row, note: `skipped: would exceed ${Math.round(budgetMs / 1000)} s (a smaller fleet did)` };
  const points = history.get(key) ?? [];
  const estimatedMs = predictMs(points, ders);
  if (estimatedMs !== undefined && estimatedMs > budgetMs) {
    overBudget.add(key);
    return { ...row, estimatedMs, note: `skipped: would exceed ${Math.round(budgetMs / 1000)} s (measured growth: ~${fmtInt(estimatedMs / 1000)} s)` };
  }
  const outcome: PlanOutcome = await runners.get(backend)!.run({ request: req, strategy, maxRepeats: MAX_REPEATS, repeatBudgetMs: REPEAT_BUDGET_MS }, budgetMs);
  if (outcome.status === 'timeout') {
    overBudget.add(key);
    return { ...row, status: 'timeout', note: `not run (over budget): stopped after ${Math.round(outcome.budgetMs / 1000)} s` };
  }
  if (outcome.status === 'error') return { ...row, status: 'error', note: `error: ${outcome.message}` };
  const medianPlanMs = median(outcome.timing.planMs);
  history.set(key, [...points.filter((p) => p.ders !== ders), { ders, ms: medianPlanMs }]);
  return { ...row, status: 'ok', medianPlanMs, medianSolveMs: median(outcome.timing.solveMs), timing: outcome.timing };
}

/**
 * Cost gap of the aggregate plan against the full LP optimum for the same request, % of |full value|.
 * The optimum's value does not depend on the backend, so any backend's full solve serves (the best one).
 */
function costGapPct(rows: PlanRow[], agg: PlanRow): number | undefined {
  const fullValues = rows.filter((r) => r.ders === agg.ders && r.periods === agg.periods && r.strategy === 'full' && r.timing).map((r) => r.timing!.objectiveValue);
  if (fullValues.length === 0 || !agg.timing) return undefined;
  const full = Math.max(...fullValues);
  return (100 * (full - agg.timing.objectiveValue)) / Math.abs(full);
}

function cell(row: PlanRow | undefined): string {
  if (!row) return '—';
  if (row.status !== 'ok') return row.note!.length > 70 ? `${row.note!.slice(0, 67)}...` : row.note!;
  return `${fmtMs(row.medianPlanMs!)} ms (solve ${fmtMs(row.medianSolveMs!)}, n=${row.timing!.planMs.length})`;
}

function lpSize(rows: (PlanRow | undefined)[]): string {
  const t = rows.find((r) => r?.timing)?.timing;
  return t ? `${fmtInt(t.variables)} × ${fmtInt(t.constraints)}` : '—';
}

const find = (rows: PlanRow[], ders: number, backend: LpBackendName, strategy: PlanStrategy) =>
  rows.find((r) => r.ders === ders && r.backend === backend && r.strategy === strategy);

function pctCell(values: (number | undefined)[]): string {
  return values.every((v) => v === undefined) ? '—' : values.map((v) => (v === undefined ? '—' : v.toFixed(3))).join(' | ');
}

/** One line per fleet size, horizon shape and strategy in `rows` (in run order), both backends side by side. */
function planTable(rows: PlanRow[]): string {
  const keys = [...new Set(rows.map((r) => `${r.ders}/${r.periods}/${r.strategy}`))];
  const lines = keys.map((key) => {
    const same = rows.filter((r) => `${r.ders}/${r.periods}/${r.strategy}` === key);
    const { ders, periods, strategy } = same[0];
    const byBackend = LP_BACKEND_NAMES.map((b) => same.find((r) => r.backend === b));
    const ms = byBackend.map((r) => r?.medianPlanMs);
    const fullMs = LP_BACKEND_NAMES.map((b) => find(rows, ders, b, 'full')?.medianPlanMs);
    const agg = strategy === 'aggregate';
    return [
      fmtInt(ders),
      String(periods),
      strategy,
      lpSize(byBackend),
      ...byBackend.map(cell),
      ms[0] !== undefined && ms[1] !== undefined ? fmtRatio(ms[0] / ms[1]) : '—',
      agg ? fullMs.map((f, i) => (f !== undefined && ms[i] !== undefined ? fmtRatio(f / ms[i]!) : '—')).join(' | ') : '',
      agg ? pctCell(byBackend.map((r) => (r ? costGapPct(rows, r) : undefined))) : '',
    ];
  });
  return formatTable(
    ['DERs', 'periods', 'strategy', 'LP vars × rows', ...LP_BACKEND_NAMES.map((b) => `${b} plan`), `${LP_BACKEND_NAMES.join('/')}`, 'full/agg time', 'agg cost gap %'],
    lines,
  );
}

/** One row from the rounds of one case: the first failure, or all timings pooled. */
function poolRounds(rounds: PlanRow[]): PlanRow {
  const failed = rounds.find((r) => !r.timing);
  if (failed) return failed;
  const planMs = rounds.flatMap((r) => r.timing!.planMs);
  const solveMs = rounds.flatMap((r) => r.timing!.solveMs);
  return { ...rounds[0], medianPlanMs: median(planMs), medianSolveMs: median(solveMs), timing: { ...rounds[0].timing!, planMs, solveMs } };
}

/**
 * Times every strategy on every backend for `req`, appending one row per case to `rows`. With
 * several `rounds` the backends take turns, so load changes on the shared machine hit both alike.
 */
async function planAll(rows: PlanRow[], req: PlanRequest, strategies: readonly PlanStrategy[], series: string, rounds = 1): Promise<void> {
  const cases = LP_BACKEND_NAMES.flatMap((backend) => strategies.map((strategy) => ({ backend, strategy, rounds: [] as PlanRow[] })));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      if (c.rounds.some((r) => !r.timing)) continue;
      c.rounds.push(await planCase(req, c.backend, c.strategy, series));
    }
  }
  for (const c of cases) {
    const row = poolRounds(c.rounds);
    rows.push(row);
    console.error(`  [${fmtInt(row.ders)} DERs, ${row.periods} periods, ${c.backend} ${c.strategy}] ${cell(row)}`);
  }
}

const planRows: PlanRow[] = [];
print(`2. Plan time, 24 h of 5-min intervals (288 periods), by fleet size, backend and strategy (budget ${CASE_BUDGET_MS / 1000} s each)`);
for (const ders of PLAN_SIZES) {
  const run = ders === 10 ? smallRun : prepareBenchRun(base, ders);
  await planAll(planRows, benchPlanRequest(run, run.newFleet()), STRATEGIES, 'native');
}
print(planTable(planRows));
print('columns "glpk/highs", "full/agg time" (glpk | highs): ratios of median plan times; plan = LP build + solve + split, solve = inside the backend');
print('agg cost gap % = 100·(full.objectiveValue − aggregate.objectiveValue)/|full.objectiveValue|, same request (full optimum from either backend)');
print('skipped cases are extrapolated from the two next smaller fleets (growth exponent >= 1); n = timed runs, repeated only for short cases');
print();

// ---- 3. default backend at the simulator's planning shape ----
const simDers = [...base.fleet.batteries, ...base.fleet.pv].reduce((s, g) => s + g.count, 0);
const simSizes = [simDers, 1_000, 10_000];
const simRows: PlanRow[] = [];
print(`3. Default backend: the simulator's planning shape (${BENCH_SCENARIO_PATH.split('/').slice(-2).join('/')} planning.blocks), aggregate strategy`);
for (const ders of simSizes) {
  const run = prepareBenchRun(base, ders);
  // Full only at the simulator's own size: the cost gap of aggregation in the shape it is used.
  await planAll(simRows, benchPlanRequest(run, run.newFleet(), run.blocks), ders === simDers ? STRATEGIES : ['aggregate'], 'blocks', DEFAULT_BACKEND_ROUNDS);
}
for (const runner of runners.values()) await runner.close();
print(planTable(simRows));

// Within this band the two are equal for the purpose (the machine is shared and noisy).
const TIE_BAND = 0.15;
const ratios = simSizes.map((ders) => {
  const g = find(simRows, ders, 'glpk', 'aggregate')?.medianPlanMs;
  const h = find(simRows, ders, 'highs', 'aggregate')?.medianPlanMs;
  return { ders, glpkOverHighs: g !== undefined && h !== undefined ? g / h : undefined };
});
const faster = (r: number | undefined): LpBackendName | 'tie' | undefined =>
  r === undefined ? undefined : r > 1 + TIE_BAND ? 'highs' : r < 1 / (1 + TIE_BAND) ? 'glpk' : 'tie';
const atSim = faster(ratios[0].glpkOverHighs);
const atLarge = ratios.slice(1).map((r) => faster(r.glpkOverHighs)).filter((w) => w !== undefined);
// The simulator re-plans every interval at its own size, so that size decides; then large fleets; then the licence (MIT over GPL-3.0).
const recommended: LpBackendName =
  atSim === 'glpk' || atSim === 'highs' ? atSim : atLarge.find((w): w is LpBackendName => w !== 'tie') ?? 'highs';
const ratioText = ratios
  .map((r) => `${fmtInt(r.ders)} DERs glpk/highs = ${r.glpkOverHighs === undefined ? 'n/a' : fmtRatio(r.glpkOverHighs)}`)
  .join(', ');
const why =
  atSim === 'glpk' || atSim === 'highs'
    ? `faster at the simulator's size`
    : atLarge.some((w) => w !== 'tie')
      ? `a tie at the simulator's size, faster at 1,000+ DERs`
      : 'a tie on speed; MIT licence (glpk.js is GPL-3.0)';
const crossover = atLarge.some((w) => w !== 'tie' && w !== recommended) ? ` (but ${recommended === 'glpk' ? 'highs' : 'glpk'} wins at 1,000+ DERs)` : '';
const recommendation = `Recommendation: default LP backend = ${recommended}: ${why}${crossover}; ${ratioText}. sim/run.ts DEFAULT_SOLVER is now '${DEFAULT_SOLVER}'.`;
print(recommendation);
print();
print('4. Signatures and encoding (ed25519 verify: tweetnacl beside node:crypto, same keys and signatures)');
const signatureTable = await benchVerify();
print(signatureTable);
print();
print('5. Messages per second and one-way latency: NATS beside libp2p gossipsub, same payloads');
const transportBench = await benchTransport();
print(transportBench.table);
print();
print('6. Commit latency of the signed BFT round, n = 4, 7, 16 over NATS and libp2p');
const consensusBench = await benchConsensus(base);
print(consensusBench.table);
print();
print('6b. Round time with 1,000 and 10,000 DER offers (4 coordinators in one process, in-memory hub)');
const roundTimeBench = await benchRoundTime(base);
print(roundTimeBench.table);
print();
print('7. Device adapters over loopback: setpoints per second and read latency (SunSpec, OCPP, MQTT)');
const deviceBench = await benchDevices();
print(deviceBench.table);
print();
print('8. Settlement ledger: blocks appended per second, verify and replay of a 10,000-block chain');
const chainBench = await benchChain();
print(chainBench.table);
print();
print('9. Operator API on loopback: requests/s on a live node\'s status endpoint, WebSocket fan-out to 100 clients');
const apiBench = await benchApi();
print(apiBench.table);
print();
print('10. Telemetry into influxd: points per second one per request beside batched, and the cost to a simulation');
const telemetryBench = await benchTelemetry();
print(telemetryBench.table);
print();
print('11. Real-time services: time per 2-s regulation step (RegD example fleet scaled: dispatch by headroom, envelope, physics, independent checks)');
const servicesBench = await benchServices();
print(servicesBench.table);
print();
print('12. Co-optimisation: services LP (energy + regulation + reserve + frequency, 24 hourly periods, two limited feeders), full against aggregate');
const commitmentsBench = await benchCommitments();
print(commitmentsBench.table);
const wallS = (performance.now() - benchStart) / 1000;
print(`bench wall time: ${wallS.toFixed(1)} s`);

mkdirSync(dirname(RESULTS_FILE), { recursive: true });
writeFileSync(
  RESULTS_FILE,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      machine,
      budgetsMs: { total: TOTAL_BUDGET_MS, perCase: CASE_BUDGET_MS, actorPath: ACTOR_BUDGET_MS },
      derSteps: { fleet: kinds, actor, plain, actorOverheadRatio: actorOverhead, sameResult },
      plan: planRows.map((r) => ({ ...r, costGapPct: r.strategy === 'aggregate' ? costGapPct(planRows, r) : undefined })),
      defaultBackend: { rows: simRows, ratios, recommended, recommendation, currentDefault: DEFAULT_SOLVER },
      signatures: signatureTable,
      transport: transportBench.rows,
      consensus: { plan: consensusBench.plan, rows: consensusBench.rows, roundTime: roundTimeBench.rows },
      devices: deviceBench.rows,
      chain: chainBench.rows,
      api: apiBench.rows,
      telemetry: telemetryBench.rows,
      services: servicesBench.rows,
      commitments: commitmentsBench.rows,
      wallS,
      table: out.join('\n'),
    },
    null,
    2,
  )}\n`,
);
console.log(`results written to ${RESULTS_FILE}`);
