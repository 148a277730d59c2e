import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runPassesInWorker } from './pass-worker-client.js';
import { SimulatedClock } from 'xstate';
import { DerAgent } from '../actors/der-agent.js';
import { CLAMP_REASONS, clampSetpoint, safeSetpointKW, type ClampReason } from '../actors/safety-envelope.js';
import { SimulatedBattery } from '../actors/devices/simulated-battery.js';
import { SimulatedEvCharger } from '../actors/devices/simulated-ev-charger.js';
import type { SimulatedDevice } from '../actors/devices/simulated-device.js';
import { createLpBackend, DEFAULT_SOLVER, type LpBackend, type LpBackendName } from '../solver/backend.js';
import { createPlanner } from '../solver/planner.js';
import { createForecaster, type Forecaster } from './forecast.js';
import { type Fleet, type FleetMember, buildFleet } from './fleet.js';
import { type Grid, SignalLoader } from './inputs.js';
import { solvePerfectForesight, type PerfectForesightSchedule } from './perfect-foresight.js';
import { seededRandom } from './random.js';
import { type IntervalRecord, resultHash, timeseriesCsv } from './results.js';
import type { Scenario } from './scenario.js';
import { resolveDataDir } from './signals/data-dir.js';
import type { LoadReport } from './signals/series.js';
import { checkFeederLimits, checkLimits } from './limit-check.js';
import { plannerFeederLimits } from '../services/feeders.js';
import { runServices } from '../services/pass.js';
import { settleServicesOnChain } from './service-settlement.js';
import type { ServiceChart } from '../services/chart.js';
import { PlanMaker, type PlanningSettings, type SolveRecord } from '../nodes/planning.js';
import { setpointForPlan } from '../actors/offer.js';
import { SimConsensus, type ConsensusSummary, type SettlementSummary, type SimChainSettings, type SimConsensusSettings, type SimTransportKind } from './consensus-network.js';
import { percentile } from './percentile.js';
import { openSimTelemetry, PassTelemetry, telemetrySummary } from './pass-telemetry.js';
import type { TelemetrySink } from '../telemetry/sink.js';

/** How to run a scenario; everything not given comes from the scenario or the defaults. */
export interface RunOptions {
  /** Folder the scenario file is in (relative CSV paths resolve against it). */
  scenarioDir: string;
  seed?: number;
  forecast?: string;
  solver?: LpBackendName;
  dataDir?: string;
  /** Overrides the scenario's `consensus.transport` (`direct` = plan in-process, no protocol). */
  transport?: SimTransportKind | 'direct';
  /** Overrides the scenario's `consensus.natsServers`. */
  natsServers?: string;
  /** Folder for the network's settlement chain (replaced); none kept when absent or with `direct`. */
  chainDir?: string;
  /** `--influx URL`: the VPP pass's telemetry to this InfluxDB 1.x (in place of the scenario's `telemetry.influx.url`). */
  influx?: string;
  onProgress?: (doneIntervals: number, totalIntervals: number) => void;
}

/** What a finished run returns: the summary written to summary.json, the records and their CSV. */
export interface RunResult {
  summary: Record<string, unknown>;
  records: IntervalRecord[];
  csv: string;
  /** With a `services:` block: the report's signal-vs-response charts. */
  serviceCharts?: ServiceChart[];
}

export { DEFAULT_SOLVER };

const MS_PER_HOUR = 3_600_000;

/** Everything a scenario run shares between its VPP, baseline and perfect-foresight passes. */
export interface PreparedRun {
  scenario: Scenario;
  grid: Grid;
  stepMs: number;
  horizonIntervals: number;
  blocks: number[];
  pricePerMWh: number[];
  /** Mean actual price over the window: the value given to energy left in (or taken from) storage at the end. */
  meanPricePerMWh: number;
  seed: number;
  signals: SignalLoader;
  reports: LoadReport[];
  /** A fresh, identical fleet each call (same seed). */
  newFleet(): Fleet;
}

/** Loads the scenario's signals onto its grid and fixes everything random by the seed. */
export function prepareRun(scenario: Scenario, options: RunOptions): PreparedRun {
  const startMs = Date.parse(scenario.window.start);
  const intervalMs = scenario.market.intervalMin * 60_000;
  const grid: Grid = { startMs, intervalMs, count: (Date.parse(scenario.window.end) - startMs) / intervalMs };
  let dataDir: string | undefined;
  const signals = new SignalLoader(() => (dataDir ??= resolveDataDir(options.dataDir)), options.scenarioDir);
  const price = signals.onGrid(scenario.market.price, grid);
  const horizonIntervals = Math.round((scenario.planning.horizonH * MS_PER_HOUR) / intervalMs);
  const seed = options.seed ?? scenario.seed;
  const reports = [...price.reports];
  let fleetReportsTaken = false;
  return {
    scenario,
    grid,
    stepMs: (scenario.market.stepS ?? scenario.market.intervalMin * 60) * 1000,
    horizonIntervals,
    blocks: planningBlocks(scenario, intervalMs, horizonIntervals),
    pricePerMWh: price.values,
    meanPricePerMWh: sum(price.values) / price.values.length,
    seed,
    signals,
    reports,
    newFleet() {
      const fleet = buildFleet(scenario, grid, signals, seededRandom(seed));
      if (!fleetReportsTaken) {
        reports.push(...fleet.reports);
        fleetReportsTaken = true;
      }
      return fleet;
    },
  };
}

/** Period lengths (in intervals) along the horizon from the scenario's `planning.blocks`. */
export function planningBlocks(scenario: Scenario, intervalMs: number, horizonIntervals: number): number[] {
  const blocks: number[] = [];
  let covered = 0;
  for (const block of scenario.planning.blocks ?? []) {
    const periodIntervals = Math.round((block.periodMin * 60_000) / intervalMs);
    const until = Math.min(horizonIntervals, Math.round((block.untilH * MS_PER_HOUR) / intervalMs));
    while (covered + periodIntervals <= until) {
      blocks.push(periodIntervals);
      covered += periodIntervals;
    }
  }
  while (covered < horizonIntervals) {
    blocks.push(1);
    covered++;
  }
  return blocks;
}

/** Per-interval outcome of one pass (VPP or baseline) over the fleet. */
interface PassResult {
  fleetPowerKW: number[];
  batteryPowerKW: number[];
  pvPowerKW: number[];
  pvCurtailedKW: number[];
  evPowerKW: number[];
  /** Market value minus wear, per interval. */
  value: number[];
  forecastPricePerMWh: number[];
  soc: { min: number[]; mean: number[]; max: number[] };
  evDeliveredKWh: number[];
  evRequestedKWh: number[];
  clamps: Record<ClampReason, number>;
  limitViolations: number;
  /** Steps × feeders whose summed power broke the feeder's limits (independent checker). */
  feederViolations: number;
  bmsCuts: number;
  /** Energy stored in the batteries at the end minus at the start, kWh; valued at the window's mean price. */
  storedEnergyChangeKWh: number;
  evTotals: { requestedKWh: number; deliveredKWh: number; sessions: number; sessionsShort: number };
}

/** What a dispatch policy decides for one interval. */
interface PolicyDecision {
  /** Setpoint of a DER for the interval, kW; undefined when no plan reached it (its actor then keeps what it holds, or its safe default). */
  setpointKW(derId: string): number | undefined;
  /** Plan length of the decision, in intervals (the setpoint is held that long unless re-planned). */
  holdIntervals: number;
  forecastPricePerMWh?: number;
  /** Hex hash of the certified plan (through the protocol; none in-process); asked for only when telemetry is on. */
  planHash?(): string | undefined;
}

/** Solve statistics a rolling-horizon policy collects. */
interface PlanningStats {
  solveMs: number[];
  lpSolves: number;
  strategy: string;
}

/** The planner settings of a run, as every coordinator of its network shares them. */
export function planningSettings(run: PreparedRun): PlanningSettings {
  const feederLimits = plannerFeederLimits(run.scenario.services?.feeders);
  return {
    ...(feederLimits ? { feederLimits } : {}),
    horizonIntervals: run.horizonIntervals,
    intervalMs: run.grid.intervalMs,
    blocks: run.blocks,
    terminalEnergy: run.scenario.planning.terminalEnergy,
    evUnmetPenaltyPerKWh: run.scenario.planning.evUnmetPenaltyPerKWh,
  };
}

/**
 * The rolling-horizon VPP: every interval the DER actors offer their flexibility, a plan is made
 * on the forecast, and each DER follows its first-period setpoint. With a network the offers and
 * the plan go through the real protocol (signed offers, the BFT round, verified certificates);
 * without one (`direct`) the same plan maker is called in-process.
 */
function rollingHorizonPolicy(
  run: PreparedRun,
  fleet: Fleet,
  planMaker: PlanMaker,
  forecaster: Forecaster,
  startNetwork: ((agents: DerAgent[]) => Promise<SimConsensus>) | undefined,
): PolicyFn {
  const { grid, horizonIntervals, blocks } = run;
  const limitedFeeders = limitedFeedersOf(run.scenario);
  let network: SimConsensus | undefined;
  return async (i, nowMs, agents) => {
    if (startNetwork) network ??= await startNetwork(agents);
    const pvAvailableKW = pvForecast(run, fleet, forecaster, i);
    const forecastPricePerMWh = forecaster.forecast(run.pricePerMWh, i, horizonIntervals)[0];
    if (network) {
      const slices = await network.plan(i, nowMs, pvAvailableKW);
      return { setpointKW: (derId) => slices.get(derId)?.setpointsKW[0], holdIntervals: blocks[0], forecastPricePerMWh, planHash: () => network?.certifiedPlanHash(nowMs) };
    }
    const window = { startMs: nowMs, intervalMs: grid.intervalMs, horizonIntervals };
    const offers = await Promise.all(agents.map((agent) => agent.offer({ ...window, pvAvailableKW: pvAvailableKW(agent.id) })));
    const plan = planMaker.make(nowMs, offers, []);
    if (plan === undefined) throw new Error(`interval ${i}: no price forecast`);
    const setpoints = new Map(offers.map((offer, k) => [offer.derId, setpointForPlan(offer, plan.setpointsKW[offer.derId][0], agents[k].capabilities(), limitedFeeders)]));
    return { setpointKW: (derId) => setpoints.get(derId), holdIntervals: blocks[0], forecastPricePerMWh };
  };
}

/** The feeders a scenario limits, for `setpointForPlan`. */
export function limitedFeedersOf(scenario: Scenario): ReadonlySet<string> {
  return new Set((scenario.services?.feeders ?? []).map((f) => f.id));
}

/** Each PV's forecast available power for the horizon from interval `i`, kW, by DER id (undefined for other DERs). */
export function pvForecast(run: PreparedRun, fleet: Fleet, forecaster: Forecaster, i: number): (derId: string) => number[] | undefined {
  const members = new Map(fleet.members.map((member) => [member.device.id, member]));
  const perProfile = fleet.pvProfiles.map((profile) => forecaster.forecast(profile, i, run.horizonIntervals));
  return (derId) => {
    const member = members.get(derId);
    return member?.pvProfileIndex === undefined ? undefined : perProfile[member.pvProfileIndex].map((v) => v * (member.pvSizeKW ?? 0));
  };
}

/** The forecaster a run uses (`options.forecast`, default seasonal-blend). */
export function runForecaster(run: PreparedRun, options: Pick<RunOptions, 'forecast'>): Forecaster {
  return createForecaster(options.forecast ?? 'seasonal-blend', { intervalsPerDay: Math.round((24 * MS_PER_HOUR) / run.grid.intervalMs) });
}

/**
 * The plan maker every coordinator of a run's network uses (and the direct path): the scenario's
 * planner settings, the run's backend and the forecast of the run's prices.
 */
export async function runPlanMaker(run: PreparedRun, options: Pick<RunOptions, 'solver'>, forecaster: Forecaster, onSolve?: (record: SolveRecord) => void): Promise<{ planMaker: PlanMaker; backend: LpBackend }> {
  const backend = await createLpBackend(options.solver ?? DEFAULT_SOLVER);
  const planner = createPlanner({ backend, strategy: run.scenario.planning.strategy, socBucketFrac: run.scenario.planning.socBucketFrac });
  const priceForecast = (intervalStartMs: number) => forecaster.forecast(run.pricePerMWh, (intervalStartMs - run.grid.startMs) / run.grid.intervalMs, run.horizonIntervals);
  return { planMaker: new PlanMaker(planner, planningSettings(run), priceForecast, onSolve), backend };
}

/** Replays a precomputed schedule (perfect foresight) through the same actors and physics. */
function schedulePolicy(schedule: PerfectForesightSchedule): PolicyFn {
  return async (i) => ({ setpointKW: (derId) => schedule.setpointsKW.get(derId)?.[i] ?? 0, holdIntervals: 1 });
}

type PolicyFn = (i: number, nowMs: number, agents: DerAgent[]) => Promise<PolicyDecision>;

/**
 * One pass over the window on a virtual clock. With a policy, each interval's setpoints reach the
 * DER actors as a committed plan and each actor follows it through its safety envelope. Without
 * one (the baseline), no plan ever arrives and every actor keeps its safe default: batteries idle,
 * EVs charge at full power on arrival, PV uncurtailed.
 */
async function simulatePass(
  run: PreparedRun,
  fleet: Fleet,
  policy: PolicyFn | undefined,
  control: 'actors' | 'direct',
  onInterval?: (done: number) => void,
  recorder?: PassTelemetry,
): Promise<PassResult> {
  const { grid, stepMs, scenario } = run;
  const clock = new SimulatedClock();
  clock.set(grid.startMs);
  const planTimeoutMs = planTimeoutMsOf(scenario);
  const agents =
    control === 'actors'
      ? fleet.members.map((member) => new DerAgent({ adapter: member.device, ownerId: member.ownerId, feederId: member.feederId, planTimeoutMs, clock }))
      : [];
  // The direct path: each interval's setpoint (undefined = safe default) through the same envelope, without actors.
  const heldKW: (number | undefined)[] = fleet.members.map(() => undefined);
  const n = grid.count;
  const result: PassResult = {
    fleetPowerKW: new Array(n).fill(0), batteryPowerKW: new Array(n).fill(0), pvPowerKW: new Array(n).fill(0),
    pvCurtailedKW: new Array(n).fill(0), evPowerKW: new Array(n).fill(0), value: new Array(n).fill(0),
    forecastPricePerMWh: new Array(n).fill(NaN), soc: { min: new Array(n).fill(NaN), mean: new Array(n).fill(NaN), max: new Array(n).fill(NaN) },
    evDeliveredKWh: new Array(n).fill(0), evRequestedKWh: new Array(n).fill(0),
    clamps: Object.fromEntries(CLAMP_REASONS.map((r) => [r, 0])) as Record<ClampReason, number>,
    limitViolations: 0, feederViolations: 0, bmsCuts: 0, storedEnergyChangeKWh: 0,
    evTotals: { requestedKWh: 0, deliveredKWh: 0, sessions: 0, sessionsShort: 0 },
  };
  const intervalHours = grid.intervalMs / MS_PER_HOUR;
  const storedAtStartKWh = storedEnergyKWh(fleet);
  const requestedByArrival = evRequestSchedule(fleet, grid);
  let requestedSoFar = 0;

  // Capabilities are static: read once, not per interval.
  const caps = fleet.members.map((m) => m.device.capabilities());
  const feeders = scenario.services?.feeders ?? [];
  const meter = fleet.members.map((m) => m.device.telemetryNow().meterNetKWh);
  const throughput = fleet.members.map((m) => throughputKWh(m.device));
  for (let i = 0; i < n; i++) {
    const nowMs = grid.startMs + i * grid.intervalMs;

    if (policy) {
      const decision = await policy(i, nowMs, agents);
      if (decision.forecastPricePerMWh !== undefined) result.forecastPricePerMWh[i] = decision.forecastPricePerMWh;
      clock.set(nowMs);
      for (const agent of agents) {
        const setpointKW = decision.setpointKW(agent.id);
        if (setpointKW === undefined) await agent.step(nowMs, stepMs);
        else await agent.follow({ setpointsKW: new Array(decision.holdIntervals).fill(setpointKW), startMs: nowMs, intervalMs: grid.intervalMs, validUntilMs: nowMs + planTimeoutMs }, nowMs, stepMs);
      }
      fleet.members.forEach((member, k) => (heldKW[k] = decision.setpointKW(member.device.id)));
      recorder?.plan(nowMs, heldKW, decision.planHash?.());
    }

    for (let t = nowMs; t < nowMs + grid.intervalMs; t += stepMs) {
      clock.set(t);
      if (control === 'direct') {
        fleet.members.forEach((member, k) => {
          const telemetry = member.device.telemetryNow();
          const requested = heldKW[k];
          if (requested === undefined) return member.device.applySetpointNow(safeSetpointKW(caps[k], telemetry, stepMs));
          const clamp = clampSetpoint(requested, caps[k], telemetry, stepMs);
          if (clamp.reason) result.clamps[clamp.reason]++;
          member.device.applySetpointNow(clamp.powerKW);
        });
      } else if (!policy || t > nowMs) {
        // With a policy the plan's arrival already acted on the interval's first step.
        for (const agent of agents) await agent.step(t, stepMs);
      }
      fleet.members.forEach((member, k) => {
        member.device.advanceTo(t + stepMs);
        result.limitViolations += checkLimits(member.device, caps[k]);
      });
      result.feederViolations += checkFeederLimits(fleet.members, feeders);
    }

    let fleetKWh = 0;
    let socSum = 0;
    let socCount = 0;
    let socMin = Infinity;
    let socMax = -Infinity;
    let wearCost = 0;
    let evDeliveredKWh = 0;
    for (let k = 0; k < fleet.members.length; k++) {
      const member = fleet.members[k];
      const device = member.device;
      const telemetry = device.telemetryNow();
      const energyKWh = telemetry.meterNetKWh - meter[k];
      meter[k] = telemetry.meterNetKWh;
      recorder?.der(k, nowMs, energyKWh / intervalHours, telemetry);
      fleetKWh += energyKWh;
      const throughputNow = throughputKWh(device);
      wearCost += ((throughputNow - throughput[k]) * caps[k].wearCostPerMWh) / 1000;
      throughput[k] = throughputNow;
      const kind = caps[k].kind;
      if (kind === 'battery') {
        result.batteryPowerKW[i] += energyKWh / intervalHours;
        const soc = telemetry.socFrac ?? 0;
        socSum += soc;
        socCount++;
        socMin = Math.min(socMin, soc);
        socMax = Math.max(socMax, soc);
      } else if (kind === 'pv') {
        result.pvPowerKW[i] += energyKWh / intervalHours;
        result.pvCurtailedKW[i] += (pvAvailableKWh(member, fleet, i, intervalHours) - energyKWh) / intervalHours;
      } else {
        result.evPowerKW[i] += energyKWh / intervalHours;
        // A charger only imports, and the car receives import × efficiency.
        evDeliveredKWh -= telemetry.meterNetKWh * (member.ev?.chargeEfficiency ?? 1);
      }
    }
    result.fleetPowerKW[i] = fleetKWh / intervalHours;
    result.value[i] = (run.pricePerMWh[i] * fleetKWh) / 1000 - wearCost;
    if (socCount > 0) {
      result.soc.min[i] = socMin;
      result.soc.mean[i] = socSum / socCount;
      result.soc.max[i] = socMax;
    }
    requestedSoFar += requestedByArrival[i];
    result.evRequestedKWh[i] = requestedSoFar;
    result.evDeliveredKWh[i] = evDeliveredKWh;
    await recorder?.interval(nowMs, passIntervalFields(result, i), { pricePerMWh: run.pricePerMWh[i], forecastPricePerMWh: result.forecastPricePerMWh[i] });
    onInterval?.(i + 1);
  }

  result.storedEnergyChangeKWh = storedEnergyKWh(fleet) - storedAtStartKWh;
  result.value[n - 1] += (result.storedEnergyChangeKWh * run.meanPricePerMWh) / 1000;
  for (const agent of agents) {
    for (const reason of CLAMP_REASONS) result.clamps[reason] += agent.clamps[reason];
    agent.stop();
  }
  for (const member of fleet.members) {
    if (member.device instanceof SimulatedBattery) result.bmsCuts += member.device.bmsCutCount;
    if (member.device instanceof SimulatedEvCharger) {
      for (const session of member.device.completedSessions()) {
        result.evTotals.sessions++;
        result.evTotals.requestedKWh += session.requestedKWh;
        result.evTotals.deliveredKWh += session.deliveredKWh;
        if (session.deliveredKWh < session.requestedKWh - 1e-6) result.evTotals.sessionsShort++;
      }
    }
  }
  return result;
}

function storedEnergyKWh(fleet: Fleet): number {
  return fleet.members.reduce((total, m) => total + (m.device.telemetryNow().energyKWh ?? 0), 0);
}

function throughputKWh(device: SimulatedDevice): number {
  return device instanceof SimulatedBattery ? device.importedKWh + device.exportedKWh : 0;
}

function pvAvailableKWh(member: FleetMember, fleet: Fleet, interval: number, intervalHours: number): number {
  return member.pvProfileIndex === undefined ? 0 : fleet.pvProfiles[member.pvProfileIndex][interval] * (member.pvSizeKW ?? 0) * intervalHours;
}

/** kWh asked for by sessions arriving in each interval. */
function evRequestSchedule(fleet: Fleet, grid: Grid): number[] {
  const perInterval = new Array<number>(grid.count).fill(0);
  for (const member of fleet.members) {
    for (const session of member.ev?.sessions ?? []) {
      perInterval[Math.floor((session.arrivalMs - grid.startMs) / grid.intervalMs)] += session.requestedKWh;
    }
  }
  return perInterval;
}


const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function cumulative(values: readonly number[]): number[] {
  let total = 0;
  return values.map((v) => (total += v));
}

/** The three passes a run makes over the window. */
export type PassKind = 'baseline' | 'perfect-foresight' | 'vpp';

/** What one pass returns (structured-cloneable: it crosses from a worker thread). */
export interface PassOutcome {
  kind: PassKind;
  pass: PassResult;
  /** Wall time of the pass, s. */
  elapsedS: number;
  /** The VPP pass: how the planner did. */
  planning?: PlanningStats & { backend: string; licence: string; forecast: string; forecastUsesFuture: boolean };
  /** The perfect-foresight pass: how its schedule was solved. */
  foresight?: Omit<PerfectForesightSchedule, 'setpointsKW'>;
  /** The VPP pass through the protocol: how the network did. */
  consensus?: ConsensusSummary;
  /** The VPP pass with a chain: what it settled. */
  settlement?: SettlementSummary;
}

/** Runs one pass of a prepared run; the VPP pass writes its telemetry to `telemetry` when given. */
export async function runPass(run: PreparedRun, kind: PassKind, options: RunOptions, onInterval?: (done: number) => void, telemetry?: TelemetrySink): Promise<PassOutcome> {
  const startedMs = performance.now();
  const outcome = await passOutcome(run, kind, options, onInterval, telemetry);
  return { ...outcome, elapsedS: (performance.now() - startedMs) / 1000 };
}

async function passOutcome(run: PreparedRun, kind: PassKind, options: RunOptions, onInterval?: (done: number) => void, telemetry?: TelemetrySink): Promise<Omit<PassOutcome, 'elapsedS'>> {
  const fleet = run.newFleet();
  // The reference passes need no actor states (no plans time out, nothing faults): the direct path
  // holds the same setpoints through the same envelope at a fraction of the cost (see the bench).
  if (kind === 'baseline') return { kind, pass: await simulatePass(run, fleet, undefined, 'direct', onInterval) };
  if (kind === 'perfect-foresight') {
    const { setpointsKW, ...foresight } = await solvePerfectForesight(run, fleet);
    return { kind, pass: await simulatePass(run, fleet, schedulePolicy({ setpointsKW, ...foresight }), 'direct', onInterval), foresight };
  }
  const forecaster = runForecaster(run, options);
  const stats: PlanningStats = { solveMs: [], lpSolves: 0, strategy: run.scenario.planning.strategy };
  const { planMaker, backend } = await runPlanMaker(run, options, forecaster, (record) => {
    stats.solveMs.push(record.solveMs);
    stats.lpSolves += record.lpSolves;
    stats.strategy = record.strategy;
  });
  const consensus = consensusSettings(run.scenario, options);
  const transport = consensus.transport;
  let network: SimConsensus | undefined;
  const startNetwork =
    transport === 'direct'
      ? undefined
      : async (agents: DerAgent[]) =>
          (network = await SimConsensus.start({
            settings: { ...consensus, transport },
            seed: run.seed,
            networkId: 'vpp-sim',
            grid: { originMs: run.grid.startMs, intervalMs: run.grid.intervalMs },
            horizonIntervals: run.horizonIntervals,
            planMaker,
            agents,
            planTimeoutMs: planTimeoutMsOf(run.scenario),
            limitedFeeders: limitedFeedersOf(run.scenario),
            ...(options.chainDir ? { chain: { dir: options.chainDir, currency: run.scenario.currency, genesis: chainRules(run) } } : {}),
          }));
  let pass: PassResult;
  let settlement: SettlementSummary | undefined;
  try {
    const recorder = telemetry && new PassTelemetry(telemetry, fleet);
    pass = await simulatePass(run, fleet, rollingHorizonPolicy(run, fleet, planMaker, forecaster, startNetwork), 'actors', onInterval, recorder);
    settlement = await (network as SimConsensus | undefined)?.settlement();
  } finally {
    await (network as SimConsensus | undefined)?.stop();
  }
  return {
    kind,
    pass,
    planning: { ...stats, backend: backend.name, licence: backend.licence, forecast: forecaster.name, forecastUsesFuture: forecaster.usesFutureValues },
    ...(network ? { consensus: (network as SimConsensus).summary() } : {}),
    ...(settlement ? { settlement } : {}),
  };
}

/** The scenario's settlement rules as genesis fields, with its carbon series put on the market grid. */
function chainRules(run: PreparedRun): SimChainSettings['genesis'] {
  const { carbonIntensity, ...rules } = run.scenario.settlement ?? {};
  if (carbonIntensity === undefined) return rules;
  const carbon = run.signals.onGrid(carbonIntensity, run.grid);
  run.reports.push(...carbon.reports);
  return { ...rules, carbonIntensity: { startMs: run.grid.startMs, intervalMs: run.grid.intervalMs, kgPerKWh: carbon.values } };
}

/** The run's network: the scenario's `consensus` block with the command line's overrides. */
function consensusSettings(scenario: Scenario, options: RunOptions): Omit<SimConsensusSettings, 'transport'> & { transport: SimTransportKind | 'direct' } {
  const settings = scenario.consensus;
  return { ...settings, transport: options.transport ?? settings.transport, natsServers: options.natsServers ?? settings.natsServers };
}

/** Without a fresh plan for this long a DER falls back to its safe default, ms. */
export function planTimeoutMsOf(scenario: Scenario): number {
  return (scenario.planTimeoutMin ?? 2 * scenario.market.intervalMin) * 60_000;
}

/**
 * Runs a scenario: the VPP pass on this thread while a worker thread runs the uncontrolled baseline
 * and perfect foresight (each pass builds its own identical fleet from the seed, so the split
 * changes no result).
 */
export async function runSimulation(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const wallStart = performance.now();
  const run = prepareRun(scenario, options);
  const done: Record<PassKind, number> = { baseline: 0, 'perfect-foresight': 0, vpp: 0 };
  const progress = (kind: PassKind) => (count: number) => {
    done[kind] = count;
    options.onProgress?.(done.baseline + done['perfect-foresight'] + done.vpp, 3 * run.grid.count);
  };
  const { onProgress: _, ...workerOptions } = options;
  const telemetry = openSimTelemetry(scenario, options.influx);
  const [references, vppOutcome] = await Promise.all([
    runPassesInWorker(scenario, workerOptions, ['baseline', 'perfect-foresight'], (kind, count) => progress(kind)(count)),
    runPass(run, 'vpp', options, progress('vpp'), telemetry),
  ]).finally(() => telemetry?.close());
  const baseline = references[0].pass;
  const foresight = references[1].pass;
  const foresightInfo = references[1].foresight!;
  const vpp = vppOutcome.pass;
  const stats = vppOutcome.planning!;

  const records = buildRecords(run, vpp, baseline, foresight);
  const csv = timeseriesCsv(records);
  const valueVpp = sum(vpp.value);
  const valueBaseline = sum(baseline.value);
  const valuePerfectForesight = sum(foresight.value);
  const uplift = valuePerfectForesight - valueBaseline;
  const fleet = run.newFleet();
  const services = scenario.services ? await runServices(run, options.scenarioDir, { solver: options.solver, forecast: options.forecast }) : undefined;
  const settlement =
    services && vppOutcome.settlement && options.chainDir ? await settleServicesOnChain(options.chainDir, run, services.delivered, vppOutcome.settlement) : vppOutcome.settlement;
  const summary = {
    scenario: scenario.name,
    seed: run.seed,
    window: { start: new Date(run.grid.startMs).toISOString(), end: new Date(run.grid.startMs + run.grid.count * run.grid.intervalMs).toISOString(), intervals: run.grid.count, intervalMin: scenario.market.intervalMin, stepS: run.stepMs / 1000 },
    fleet: countKinds(fleet),
    currency: scenario.currency,
    forecast: stats.forecast + (stats.forecastUsesFuture ? ' (uses actual future values: an upper bound, not achievable live)' : ''),
    valueVpp,
    valueBaseline,
    valuePerfectForesight,
    storedEnergyChangeKWh: { vpp: vpp.storedEnergyChangeKWh, baseline: baseline.storedEnergyChangeKWh, perfectForesight: foresight.storedEnergyChangeKWh },
    storedEnergyPricePerMWh: run.meanPricePerMWh,
    capturedPct: Math.abs(uplift) < 1e-9 ? null : (100 * (valueVpp - valueBaseline)) / uplift,
    perfectForesight: {
      method: foresightInfo.method,
      backend: foresightInfo.backend,
      lpSolves: foresightInfo.lpSolves,
      solveMs: foresightInfo.solveMs,
      lpObjectiveValue: foresightInfo.lpObjectiveValue,
      clamps: sum(Object.values(foresight.clamps)),
      // A reference bound: it plans each EV session on its own, so it cannot share a feeder between cars.
      ...(services ? { feederViolations: foresight.feederViolations } : {}),
    },
    ev: {
      sessions: vpp.evTotals.sessions,
      requestedKWh: vpp.evTotals.requestedKWh,
      deliveredKWh: vpp.evTotals.deliveredKWh,
      sessionsShort: vpp.evTotals.sessionsShort,
      baselineDeliveredKWh: baseline.evTotals.deliveredKWh,
      sessionsDropped: fleet.evSessionsDropped,
    },
    safety: {
      clamps: sum(Object.values(vpp.clamps)),
      clampsByReason: vpp.clamps,
      limitViolations: vpp.limitViolations + baseline.limitViolations + foresight.limitViolations + (services?.summary.device.violations ?? 0),
      bmsCuts: vpp.bmsCuts,
      // The VPP pass and the services must respect the feeders; the uncontrolled baseline is not asked to.
      ...(services ? { feederViolations: vpp.feederViolations + services.summary.feeder.violations } : {}),
    },
    ...(services ? { services: services.summary } : {}),
    ...(vppOutcome.consensus ? { consensus: vppOutcome.consensus } : {}),
    ...(settlement ? { settlement } : {}),
    ...(telemetry ? { telemetry: telemetrySummary(telemetry) } : {}),
    solver: {
      backend: stats.backend,
      licence: stats.licence,
      strategy: stats.strategy,
      solves: stats.solveMs.length,
      lpSolves: stats.lpSolves,
      msP50: percentile(stats.solveMs, 50),
      msP95: percentile(stats.solveMs, 95),
      horizonH: scenario.planning.horizonH,
      periodsPerPlan: run.blocks.length,
    },
    data: run.reports.map((r) => ({ source: r.source, rowsRead: r.rowsRead, rowsKept: r.rowsKept, dropped: r.dropped })),
    resultHash: resultHash(csv),
    wallS: (performance.now() - wallStart) / 1000,
    // Where the time goes: the VPP pass runs on the main thread, the other two one after another in a worker.
    passS: { vpp: vppOutcome.elapsedS, baseline: references[0].elapsedS, perfectForesight: references[1].elapsedS },
  };
  return { summary, records, csv, ...(services ? { serviceCharts: services.charts } : {}) };
}

function countKinds(fleet: Fleet): Record<string, number> {
  const counts: Record<string, number> = { battery: 0, pv: 0, 'ev-charger': 0 };
  for (const member of fleet.members) counts[member.device.capabilities().kind]++;
  return counts;
}

/** A pass's figures of interval `i`, named as in timeseries.csv: interval means (kW), the SoC band, cumulative EV energy (kWh). */
function passIntervalFields(pass: PassResult, i: number) {
  return {
    fleetPowerKW: pass.fleetPowerKW[i],
    batteryPowerKW: pass.batteryPowerKW[i],
    pvPowerKW: pass.pvPowerKW[i],
    pvCurtailedKW: pass.pvCurtailedKW[i],
    evPowerKW: pass.evPowerKW[i],
    socMinFrac: pass.soc.min[i],
    socMeanFrac: pass.soc.mean[i],
    socMaxFrac: pass.soc.max[i],
    evDeliveredKWh: pass.evDeliveredKWh[i],
    evRequestedKWh: pass.evRequestedKWh[i],
  };
}

function buildRecords(run: PreparedRun, vpp: PassResult, baseline: PassResult, foresight: PassResult): IntervalRecord[] {
  const valueVpp = cumulative(vpp.value);
  const valueBaseline = cumulative(baseline.value);
  const valuePerfect = cumulative(foresight.value);
  return run.pricePerMWh.map((pricePerMWh, i) => ({
    startMs: run.grid.startMs + i * run.grid.intervalMs,
    pricePerMWh,
    forecastPricePerMWh: vpp.forecastPricePerMWh[i],
    ...passIntervalFields(vpp, i),
    baselinePowerKW: baseline.fleetPowerKW[i],
    perfectForesightPowerKW: foresight.fleetPowerKW[i],
    evBaselineDeliveredKWh: baseline.evDeliveredKWh[i],
    valueVpp: valueVpp[i],
    valueBaseline: valueBaseline[i],
    valuePerfectForesight: valuePerfect[i],
  }));
}

/** The folder a scenario file's relative paths resolve against. */
export function scenarioDirOf(path: string): string {
  return dirname(path);
}
