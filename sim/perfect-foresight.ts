import { SimulatedEvCharger } from '../actors/devices/simulated-ev-charger.js';
import { deriveOffer } from '../actors/offer.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { createLpBackend } from '../solver/backend.js';
import { createPlanner, type Planner } from '../solver/planner.js';
import { plannerFeederLimits } from '../services/feeders.js';
import type { Fleet } from './fleet.js';
import type { PreparedRun } from './run.js';

/** The perfect-foresight schedule: what the fleet would do knowing every actual value in advance. */
export interface PerfectForesightSchedule {
  /** Setpoint per DER id per grid interval, kW. */
  setpointsKW: Map<string, Float64Array>;
  /** Sum of the LP optima solved (relaxed where DERs were aggregated: an upper bound). */
  lpObjectiveValue: number;
  method: string;
  backend: string;
  lpSolves: number;
  solveMs: number;
}

/**
 * Solves the whole window with actual prices and PV in one LP for the batteries and PV (one
 * bucket per battery class: the relaxation is within the aggregate planner's loss of the exact
 * optimum) and one LP per EV session: sessions share nothing, so the fleet problem separates
 * exactly into them. Always on HiGHS: the window LP has tens of thousands of variables, where
 * glpk.js takes minutes (see the bench).
 */
export async function solvePerfectForesight(run: PreparedRun, fleet: Fleet): Promise<PerfectForesightSchedule> {
  const backend = await createLpBackend('highs');
  const planner = createPlanner({ backend, strategy: 'aggregate', socBucketFrac: 1 });
  const { grid } = run;
  const setpointsKW = new Map<string, Float64Array>();
  let lpObjectiveValue = 0;
  let lpSolves = 0;
  let solveMs = 0;

  const window = { startMs: grid.startMs, intervalMs: grid.intervalMs, horizonIntervals: grid.count };
  const storageAndPv: FlexibilityOffer[] = [];
  for (const member of fleet.members) {
    const caps = member.device.capabilities();
    if (caps.kind === 'ev-charger') continue;
    const pvAvailableKW = member.pvProfileIndex === undefined ? undefined : fleet.pvProfiles[member.pvProfileIndex].map((v) => v * (member.pvSizeKW ?? 0));
    storageAndPv.push(deriveOffer(caps, member.device.telemetryNow(), { derId: member.device.id, ownerId: member.ownerId, feederId: member.feederId }, { ...window, pvAvailableKW }));
  }
  const solve = (offers: FlexibilityOffer[], firstInterval: number, horizonIntervals: number) => {
    const startMs = grid.startMs + firstInterval * grid.intervalMs;
    const plan = planWith(planner, run, offers, startMs, firstInterval, horizonIntervals);
    lpObjectiveValue += plan.lpObjectiveValue;
    lpSolves += plan.solver.lpSolves;
    solveMs += plan.solver.solveMs;
    for (const [derId, powers] of Object.entries(plan.setpointsKW)) {
      let schedule = setpointsKW.get(derId);
      if (!schedule) setpointsKW.set(derId, (schedule = new Float64Array(grid.count)));
      powers.forEach((kW, k) => (schedule[firstInterval + k] = kW));
    }
  };
  if (storageAndPv.length > 0) solve(storageAndPv, 0, grid.count);

  for (const member of fleet.members) {
    for (const session of member.ev?.sessions ?? []) {
      // A car is planned from the first interval edge after it plugs in, as the rolling planner does.
      const firstInterval = Math.ceil((session.arrivalMs - grid.startMs) / grid.intervalMs);
      const lastInterval = Math.min(grid.count, Math.ceil((session.departureMs - grid.startMs) / grid.intervalMs));
      if (lastInterval <= firstInterval) continue;
      const caps = member.device.capabilities();
      const charger = new SimulatedEvCharger({
        id: member.device.id,
        maxChargeKW: caps.maxImportKW,
        chargeEfficiency: member.ev?.chargeEfficiency ?? 1,
        sessions: [session],
        startMs: grid.startMs + firstInterval * grid.intervalMs,
      });
      const offer = deriveOffer(caps, charger.telemetryNow(), { derId: member.device.id, ownerId: member.ownerId, feederId: member.feederId }, {
        startMs: grid.startMs + firstInterval * grid.intervalMs,
        intervalMs: grid.intervalMs,
        horizonIntervals: lastInterval - firstInterval,
      });
      solve([offer], firstInterval, lastInterval - firstInterval);
    }
  }
  return {
    setpointsKW,
    lpObjectiveValue,
    method: 'one LP over the window for batteries (a bucket per class) and PV, one LP per EV session',
    backend: backend.name,
    lpSolves,
    solveMs,
  };
}

function planWith(planner: Planner, run: PreparedRun, offers: FlexibilityOffer[], startMs: number, firstInterval: number, horizonIntervals: number) {
  return planner.plan({
    nowMs: startMs,
    startMs,
    intervalMs: run.grid.intervalMs,
    horizonIntervals,
    offers,
    pricePerMWh: run.pricePerMWh.slice(firstInterval, firstInterval + horizonIntervals),
    // Energy left in store is settled at the window's mean price, exactly as the passes are valued.
    terminalEnergy: { pricePerMWh: run.meanPricePerMWh },
    evUnmetPenaltyPerKWh: run.scenario.planning.evUnmetPenaltyPerKWh,
    feederLimits: plannerFeederLimits(run.scenario.services?.feeders),
  });
}
