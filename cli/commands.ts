import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { createLpBackend, type LpBackendName } from '../solver/backend.js';
import { createPlanner, planToCplexLp } from '../solver/planner.js';
import { DEFAULT_SOLVER, prepareRun, runSimulation, scenarioDirOf } from '../sim/run.js';
import { writeResults } from '../sim/results.js';
import type { SimTransportKind } from '../sim/consensus-network.js';
import { ScenarioError, loadScenario, parseZonedIsoMs } from '../sim/scenario.js';
import { planningStrategyOf, planRequestAt, servicesRequestAt } from '../sim/plan-request.js';
import { planCommitments } from '../solver/commitments.js';
import type { PlannerOptions, PlanRequest } from '../solver/planner.js';
import type { PreparedRun } from '../sim/run.js';
import * as signals from '../sim/signals/index.js';
import { compareForecasters, forecastTable, recordedEvalSeries } from '../sim/forecast/evaluate.js';

interface CommonOptions {
  seed?: number;
  forecast?: string;
  solver?: LpBackendName;
  /** `--data`: the recorded-data folder. */
  data?: string;
}

/** `vpp sim`: run a scenario and write its results. */
export async function simCommand(scenarioPath: string, options: CommonOptions & { out: string; progress: boolean; transport?: SimTransportKind | 'direct'; nats?: string; influx?: string }): Promise<void> {
  const scenario = loadScenario(scenarioPath);
  const bar = options.progress && process.stderr.isTTY ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} intervals | ETA {eta}s', stream: process.stderr }, Presets.shades_classic) : undefined;
  let started = false;
  const result = await runSimulation(scenario, {
    scenarioDir: scenarioDirOf(resolve(scenarioPath)),
    seed: options.seed,
    forecast: options.forecast,
    solver: options.solver,
    dataDir: options.data,
    transport: options.transport,
    natsServers: options.nats,
    influx: options.influx,
    chainDir: join(options.out, 'chain'),
    onProgress: bar
      ? (done, total) => {
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        }
      : undefined,
  });
  bar?.stop();
  const files = writeResults(options.out, result.summary, result.records, result.csv, result.serviceCharts);
  process.stdout.write(`${JSON.stringify(headline(result.summary), null, 2)}\nwrote ${files.join(', ')}\n`);
}

/** The summary fields a person reads first. */
function headline(summary: Record<string, unknown>): Record<string, unknown> {
  const keys = ['scenario', 'currency', 'forecast', 'valueVpp', 'valueBaseline', 'valuePerfectForesight', 'capturedPct', 'ev', 'safety', 'services', 'solver', 'telemetry', 'resultHash', 'wallS'];
  return Object.fromEntries(keys.filter((k) => k in summary).map((k) => [k, summary[k]]));
}

/**
 * `vpp plan`: one plan at `--at`, with the fleet in its initial state at that time and the forecast
 * made from the recorded history before it.
 */
export async function planCommand(scenarioPath: string, options: CommonOptions & { at: string; out: string; exportLp?: string; commitments?: string }): Promise<void> {
  const scenario = loadScenario(scenarioPath);
  const atMs = parseZonedIsoMs(options.at);
  if (atMs === undefined) throw new ScenarioError(`--at '${options.at}': expected an ISO-8601 time with a zone offset, e.g. 2022-09-10T08:00:00+10:00`);
  const run = prepareRun(scenario, { scenarioDir: scenarioDirOf(resolve(scenarioPath)), seed: options.seed, dataDir: options.data });
  const { grid } = run;
  const nowIndex = (atMs - grid.startMs) / grid.intervalMs;
  if (!Number.isInteger(nowIndex) || nowIndex < 0 || nowIndex >= grid.count) {
    throw new ScenarioError(`--at ${options.at} must be an interval start inside the scenario window ${scenario.window.start} … ${scenario.window.end}`);
  }
  const { request, forecast } = await planRequestAt(run, nowIndex, options.forecast);
  const { offers } = request;
  const strategy = planningStrategyOf(run);
  const backend = await createLpBackend(options.solver ?? DEFAULT_SOLVER);
  const plan = createPlanner({ backend, ...strategy }).plan(request);
  if (options.commitments) writeCommitments(options.commitments, run, nowIndex, request, { backend, ...strategy }, scenario.currency);
  writeFileSync(options.out, `${JSON.stringify({ scenario: scenario.name, at: new Date(atMs).toISOString(), currency: scenario.currency, forecast, ...plan }, null, 2)}\n`);
  if (options.exportLp) writeFileSync(options.exportLp, planToCplexLp(request, strategy));
  process.stdout.write(
    `plan at ${new Date(atMs).toISOString()}: ${offers.length} DERs, ${plan.periods.length} periods, objective ${plan.objectiveValue} ${scenario.currency}` +
      ` (LP optimum ${plan.lpObjectiveValue}, ${plan.solver.backend}/${plan.solver.strategy}, ${plan.solver.solveMs.toFixed(1)} ms)\n` +
      `wrote ${options.out}${options.exportLp ? ` and ${options.exportLp}` : ''}\n`,
  );
}

/**
 * `vpp plan --commitments`: the co-optimised service commitments over the plan's horizon (whole
 * commitment periods) from the same offers and forecast, written as `FleetCommitment[]` with their value.
 */
function writeCommitments(file: string, run: PreparedRun, nowIndex: number, request: PlanRequest, planner: PlannerOptions, currency: string): void {
  const servicesRequest = servicesRequestAt(run, nowIndex, request, '--commitments');
  const result = planCommitments(servicesRequest, planner);
  const { commitments, ...summary } = result;
  const totals = commitments.map((c) => ({
    startMs: c.startMs,
    basepointKW: c.ders.reduce((s, d) => s + d.basepointKW, 0),
    regulationUpKW: c.ders.reduce((s, d) => s + d.regulationUpKW, 0),
    regulationDownKW: c.ders.reduce((s, d) => s + d.regulationDownKW, 0),
    reserveKW: c.ders.reduce((s, d) => s + d.reserveKW, 0),
    frequencyKW: c.ders.reduce((s, d) => s + d.frequencyKW, 0),
  }));
  writeFileSync(file, `${JSON.stringify({ currency, market: servicesRequest.market.regulationRule, ...summary, totals, commitments }, null, 2)}\n`);
  const first = totals[0];
  process.stdout.write(
    `commitments: ${commitments.length} periods, value ${result.objectiveValue.toFixed(2)} ${currency} (capacity ${result.capacityValue.toFixed(2)}); first period: basepoint ${first.basepointKW.toFixed(1)} kW, ` +
      `regulation +${first.regulationUpKW.toFixed(1)}/-${first.regulationDownKW.toFixed(1)} kW, reserve ${first.reserveKW.toFixed(1)} kW, frequency ${first.frequencyKW.toFixed(1)} kW; wrote ${file}\n`,
  );
}

/** `vpp data`: what each loader reads from the data folder, keeps and drops. */
export async function dataCommand(options: { data?: string }): Promise<void> {
  const dataDir = signals.resolveDataDir(options.data);
  process.stdout.write(`data folder: ${dataDir}\n`);
  const checks: [string, () => { report: signals.LoadReport }][] = [
    ['AEMO NSW 5-min price and demand', () => signals.loadAemoPriceDemand(dataDir)],
    ['epftoolbox PJM day-ahead', () => signals.loadEpftoolbox(dataDir, 'PJM')],
    ['epftoolbox Nord Pool day-ahead', () => signals.loadEpftoolbox(dataDir, 'NP')],
    ['epftoolbox EPEX DE day-ahead', () => signals.loadEpftoolbox(dataDir, 'DE')],
    ['CityLearn building 1 load and PV', () => signals.loadCityLearnBuilding(dataDir, 1)],
    ['CityLearn time-of-use tariff', () => signals.loadCityLearnPricing(dataDir)],
    ['CityLearn carbon intensity', () => signals.loadCityLearnCarbon(dataDir)],
    ['ACN Caltech EV sessions', () => signals.loadAcnSessions(dataDir)],
    ['NREL MIDC irradiance', () => signals.loadNrelIrradiance(dataDir)],
    ['PJM synchronized reserve events', () => signals.loadPjmSpinEvents(dataDir)],
    ['German grid frequency', () => signals.loadGermanFrequency(dataDir)],
    ['PJM RegA test signal', () => signals.loadPjmRegulationSignal(dataDir, 'RegA', 0)],
    ['PJM RegD test signal', () => signals.loadPjmRegulationSignal(dataDir, 'RegD', 0)],
  ];
  let failures = 0;
  for (const [name, load] of checks) {
    try {
      const { report } = load();
      const dropped = report.dropped.map((d) => `${d.count} ${d.reason}`).join('; ');
      process.stdout.write(`ok   ${name}: ${report.rowsKept}/${report.rowsRead} kept${dropped ? ` (dropped: ${dropped})` : ''}\n`);
      for (const note of report.notes) process.stdout.write(`       note: ${note}\n`);
    } catch (error) {
      failures++;
      process.stdout.write(`FAIL ${name}: ${(error as Error).message}\n`);
    }
  }
  if (failures > 0) process.exitCode = 2;
}

/** `vpp forecast-eval`: every forecast method against persistence on the recorded series, one table each. */
export async function forecastEvalCommand(options: { data?: string; only?: string; buildings?: string; days?: number }): Promise<void> {
  const buildings = options.buildings?.split(',').map((b) => {
    const n = Number(b);
    if (!Number.isInteger(n) || n < 1 || n > signals.CITYLEARN_BUILDINGS) throw new ScenarioError(`--buildings: '${b}' is not a home number 1..${signals.CITYLEARN_BUILDINGS}`);
    return n;
  });
  const dataDir = signals.resolveDataDir(options.data);
  const quantities = recordedEvalSeries(dataDir, { only: options.only?.split(','), buildings, lastDays: options.days });
  process.stdout.write(`data folder: ${dataDir}; origins every hour, one day ahead; quantiles from each method's errors over the 28 days before the forecast day\n\n`);
  for (const data of quantities) process.stdout.write(`${forecastTable([{ data, scores: compareForecasters(data) }])}\n`);
}
