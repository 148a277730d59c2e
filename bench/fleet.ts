/**
 * Bench fleets: the AEMO NSW example scenario (real 5-minute NSW prices, CityLearn PV profiles,
 * seeded random battery sizes and SoC) scaled to any number of DERs, and plan requests from it.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { deriveOffer } from '../actors/offer.js';
import type { PlanRequest } from '../solver/planner.js';
import { prepareRun, type PreparedRun } from '../sim/run.js';
import type { Fleet } from '../sim/fleet.js';
import { loadScenario, type Scenario } from '../sim/scenario.js';

/** The scenario every bench fleet is scaled from (compiled file lives in dist/bench/). */
export const BENCH_SCENARIO_PATH = fileURLToPath(new URL('../../examples/aemo-nsw-batteries.yaml', import.meta.url));

/** Raised when a fleet size cannot be built from the bench scenario. */
export class BenchFleetError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_BENCH_FLEET';
  constructor(message: string) {
    super(message);
    this.name = 'BenchFleetError';
  }
}

/** Loads the bench scenario (throws the scenario loader's error naming the file when it is bad). */
export function loadBenchScenario(): Scenario {
  return loadScenario(BENCH_SCENARIO_PATH);
}

/**
 * `base` with its battery and PV group counts scaled so the fleet has exactly `ders` members in
 * the same proportions (largest-remainder rounding); EV chargers are dropped.
 */
export function scaledScenario(base: Scenario, ders: number): Scenario {
  if (!Number.isInteger(ders) || ders < 1) throw new BenchFleetError(`ders = ${ders}, expected an integer >= 1`);
  const groups = [...base.fleet.batteries, ...base.fleet.pv];
  const total = groups.reduce((s, g) => s + g.count, 0);
  if (total === 0) throw new BenchFleetError(`${BENCH_SCENARIO_PATH}: fleet has no batteries or PV to scale`);
  const exact = groups.map((g) => (g.count * ders) / total);
  const counts = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r);
  for (let k = 0; k < ders - counts.reduce((s, c) => s + c, 0); k++) counts[byRemainder[k].i]++;
  const nb = base.fleet.batteries.length;
  return {
    ...base,
    fleet: {
      batteries: base.fleet.batteries.map((g, i) => ({ ...g, count: counts[i] })),
      pv: base.fleet.pv.map((g, i) => ({ ...g, count: counts[nb + i] })),
    },
  };
}

/** Prepares a run of the bench scenario scaled to `ders` DERs. */
export function prepareBenchRun(base: Scenario, ders: number): PreparedRun {
  return prepareRun(scaledScenario(base, ders), { scenarioDir: dirname(BENCH_SCENARIO_PATH) });
}

/**
 * The plan request the simulator would make at the run's first interval: every DER's offer over
 * the horizon (PV with its recorded availability as forecast), the recorded prices as forecast, and
 * `blocks` as period lengths (native intervals when omitted).
 */
export function benchPlanRequest(run: PreparedRun, fleet: Fleet, blocks?: number[]): PlanRequest {
  const { grid, horizonIntervals, scenario } = run;
  const window = { startMs: grid.startMs, intervalMs: grid.intervalMs, horizonIntervals };
  const offers = fleet.members.map((m) => {
    const profile = m.pvProfileIndex === undefined ? undefined : fleet.pvProfiles[m.pvProfileIndex];
    const pvAvailableKW = profile?.slice(0, horizonIntervals).map((perKW) => perKW * (m.pvSizeKW ?? 0));
    return deriveOffer(
      m.device.capabilities(),
      m.device.telemetryNow(),
      { derId: m.device.id, ownerId: m.ownerId, feederId: m.feederId },
      { ...window, pvAvailableKW },
    );
  });
  return {
    nowMs: grid.startMs,
    startMs: grid.startMs,
    intervalMs: grid.intervalMs,
    horizonIntervals,
    offers,
    pricePerMWh: run.pricePerMWh.slice(0, horizonIntervals),
    blocks,
    terminalEnergy: scenario.planning.terminalEnergy,
    evUnmetPenaltyPerKWh: scenario.planning.evUnmetPenaltyPerKWh,
  };
}
