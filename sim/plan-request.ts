/**
 * The plan requests `vpp plan` solves, shared with the services pass when it takes its
 * commitments from the co-optimising planner: both must see the same offers, forecast and
 * capacity market, or the pass would not deliver what `vpp plan --commitments` shows.
 */
import { DerAgent } from '../actors/der-agent.js';
import { plannerFeederLimits } from '../services/feeders.js';
import type { PlannerOptions, PlanRequest } from '../solver/planner.js';
import type { ServicesRequest } from '../solver/services-lp.js';
import { serviceMarketOf } from './commitments.js';
import { createForecaster } from './forecast.js';
import { buildFleet } from './fleet.js';
import { seededRandom } from './random.js';
import type { PreparedRun } from './run.js';
import { ScenarioError } from './scenario.js';

/** The forecast `vpp plan` uses unless `--forecast` names another. */
export const DEFAULT_PLAN_FORECAST = 'seasonal-blend';

/**
 * The plan request at grid interval `nowIndex`: the fleet in its initial state at that time (as a
 * fresh `vpp plan --at` sees it), offers from its agents, prices and PV forecast from the
 * recorded history before it.
 */
export async function planRequestAt(run: PreparedRun, nowIndex: number, forecastName = DEFAULT_PLAN_FORECAST): Promise<{ request: PlanRequest; forecast: string }> {
  const { grid, scenario } = run;
  const atMs = grid.startMs + nowIndex * grid.intervalMs;
  const subGrid = { startMs: atMs, intervalMs: grid.intervalMs, count: grid.count - nowIndex };
  const fleet = buildFleet(scenario, subGrid, run.signals, seededRandom(run.seed));
  const pvHistory = run.newFleet().pvProfiles;
  const forecaster = createForecaster(forecastName, { intervalsPerDay: Math.round(86_400_000 / grid.intervalMs) });
  const window = { startMs: atMs, intervalMs: grid.intervalMs, horizonIntervals: run.horizonIntervals };
  const offers = await Promise.all(
    fleet.members.map((member) => {
      const agent = new DerAgent({ adapter: member.device, ownerId: member.ownerId, feederId: member.feederId, planTimeoutMs: grid.intervalMs });
      // PV is forecast from its profile over the whole window, so the history before `nowIndex` counts.
      const pvAvailableKW = member.pvProfileIndex === undefined ? undefined : forecaster.forecast(pvHistory[member.pvProfileIndex], nowIndex, run.horizonIntervals).map((v) => v * (member.pvSizeKW ?? 0));
      return agent.offer({ ...window, pvAvailableKW }).finally(() => agent.stop());
    }),
  );
  return {
    forecast: forecaster.name,
    request: {
      nowMs: atMs,
      startMs: atMs,
      intervalMs: grid.intervalMs,
      horizonIntervals: run.horizonIntervals,
      offers,
      pricePerMWh: forecaster.forecast(run.pricePerMWh, nowIndex, run.horizonIntervals),
      blocks: run.blocks,
      terminalEnergy: scenario.planning.terminalEnergy,
      evUnmetPenaltyPerKWh: scenario.planning.evUnmetPenaltyPerKWh,
      feederLimits: plannerFeederLimits(scenario.services?.feeders),
    },
  };
}

/** The scenario's planning strategy, as the planner and the co-optimisation take it. */
export function planningStrategyOf(run: PreparedRun): Omit<PlannerOptions, 'backend'> {
  return { strategy: run.scenario.planning.strategy, socBucketFrac: run.scenario.planning.socBucketFrac };
}

/**
 * `request` (from `planRequestAt(run, nowIndex)`) as the co-optimisation's request: cut to whole
 * commitment periods, with the scenario's capacity market. `field` names what asked for it in errors.
 */
export function servicesRequestAt(run: PreparedRun, nowIndex: number, request: PlanRequest, field: string): ServicesRequest {
  const horizon = serviceMarketOf(run, nowIndex, request.horizonIntervals);
  if (horizon === undefined) throw new ScenarioError(`${field}: the scenario has no market.capacity block (capacity prices and commitment rules)`);
  if (horizon.horizonIntervals < 1) throw new ScenarioError(`${field}: the planning horizon is shorter than one market.capacity.periodMin`);
  const n = horizon.horizonIntervals;
  const offers = request.offers.map((o) => ({ ...o, minPowerKW: o.minPowerKW.slice(0, n), maxPowerKW: o.maxPowerKW.slice(0, n) }));
  return { ...request, offers, horizonIntervals: n, pricePerMWh: request.pricePerMWh.slice(0, n), blocks: undefined, market: horizon.market, commitmentIntervals: horizon.commitmentIntervals };
}
