/**
 * The dispatch planner: offers + price forecast → `DispatchPlan`, with either one LP over every DER
 * ('full') or one LP over buckets of similar DERs followed by a per-member split ('aggregate').
 * Powers: positive = into the grid.
 */
import type { DispatchPlan } from '../protocol/plan.js';
import type { LpBackend } from './backend.js';
import { toCplexLp } from './lp.js';
import { buildDispatchLp, planValue, readPowers, type DispatchLp, type PlanRequest, type ResolvedPeriod } from './dispatch-lp.js';
import {
  DEFAULT_DURATION_BUCKET_RATIO,
  DEFAULT_SOC_BUCKET_FRAC,
  disaggregate,
  groupOffers,
  type AggregateOptions,
} from './aggregate.js';

export { evaluatePlanValue, type PlanRequest } from './dispatch-lp.js';

/** 'full': one LP with every DER. 'aggregate': one LP over buckets, then split to members. */
export type PlanStrategy = 'full' | 'aggregate';

/** Planner configuration. */
export interface PlannerOptions {
  backend: LpBackend;
  strategy: PlanStrategy;
  /** Width of a battery state-of-charge bucket ('aggregate'), fraction in (0, 1]; default 0.1. */
  socBucketFrac?: number;
  /** Relative width of a battery duration bucket ('aggregate'), > 0; default 0.25. */
  durationBucketRatio?: number;
}

/** A plan plus what the LP said and what the split could not place. */
export interface PlannerResult extends DispatchPlan {
  /** Optimal objective of the LP that was solved (for 'aggregate' the relaxed bucket LP, normally at or above objectiveValue). */
  lpObjectiveValue: number;
  /** Per period, the group schedule the member split could not meet, kW (zero for 'full'). */
  shortfallKW: number[];
}

/** How much of a plan the caller needs. */
export interface PlanOutputOptions {
  /**
   * Leading periods to split into per-DER setpoints (default: all). A rolling-horizon caller that
   * executes only the first period before re-planning asks for 1 and skips the rest of the split;
   * `setpointsKW` arrays then have this length and `objectiveValue` is the LP optimum.
   */
  setpointPeriods?: number;
}

/** Makes dispatch plans; synchronous (the LP solve blocks the thread). */
export interface Planner {
  plan(req: PlanRequest, output?: PlanOutputOptions): PlannerResult;
}

/** Raised when the LP is not solved to optimality. */
export class PlanSolveError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_PLAN_NOT_OPTIMAL';
  constructor(message: string) {
    super(message);
    this.name = 'PlanSolveError';
  }
}

/** Raised for invalid planner options. */
export class PlannerOptionsError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_PLANNER_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'PlannerOptionsError';
  }
}

/** Planner options without the backend: what decides the LP's shape. */
export type PlanStrategyOptions = Omit<PlannerOptions, 'backend'>;

interface PreparedLp {
  model: DispatchLp;
  /** Per-DER setpoints for the first `periods` periods and the split's shortfall, plus the fleet total per period. */
  finish(values: Float64Array, periods: number): { setpointsKW: Record<string, number[]>; shortfallKW: number[]; fleetPowerKW: number[] };
}

function fleetTotal(powers: Record<string, number[]>, periods: number): number[] {
  const total = new Array<number>(periods).fill(0);
  for (const series of Object.values(powers)) for (let k = 0; k < periods; k++) total[k] += series[k];
  return total;
}

/** The bucket settings of `opts` with their defaults, checked; callers ask for any strategy but 'full', so an unknown strategy is refused here too. */
export function aggregateOptions(opts: PlanStrategyOptions): AggregateOptions {
  if (opts.strategy !== 'aggregate') throw new PlannerOptionsError(`strategy: expected 'full' or 'aggregate', got '${String(opts.strategy)}'`);
  const socBucketFrac = opts.socBucketFrac ?? DEFAULT_SOC_BUCKET_FRAC;
  const durationBucketRatio = opts.durationBucketRatio ?? DEFAULT_DURATION_BUCKET_RATIO;
  if (!(socBucketFrac > 0 && socBucketFrac <= 1)) throw new PlannerOptionsError(`socBucketFrac: expected a fraction in (0, 1], got ${socBucketFrac}`);
  if (!(durationBucketRatio > 0)) throw new PlannerOptionsError(`durationBucketRatio: expected > 0, got ${durationBucketRatio}`);
  return { socBucketFrac, durationBucketRatio };
}

function prepare(req: PlanRequest, opts: PlanStrategyOptions): PreparedLp {
  if (opts.strategy === 'full') {
    const model = buildDispatchLp(req, 'dispatch-full');
    return {
      model,
      finish(values, periods) {
        const powers = readPowers(req, model, values);
        const setpointsKW = Object.fromEntries(Object.entries(powers).map(([id, p]) => [id, p.slice(0, periods)]));
        return { setpointsKW, shortfallKW: new Array<number>(periods).fill(0), fleetPowerKW: fleetTotal(powers, model.periods.length) };
      },
    };
  }
  const { request, groups } = groupOffers(req, aggregateOptions(opts));
  const model = buildDispatchLp(request, 'dispatch-aggregate');
  return {
    model,
    finish(values, periods) {
      const groupPowerKW = readPowers(request, model, values);
      const split = disaggregate(model.periods.slice(0, periods), groups, groupPowerKW, req.feederLimits);
      // Report members in the request's order.
      const setpointsKW: Record<string, number[]> = {};
      for (const o of req.offers) setpointsKW[o.derId] = split.setpointsKW[o.derId];
      const fleetPowerKW = periods === model.periods.length ? fleetTotal(setpointsKW, periods) : fleetTotal(groupPowerKW, model.periods.length);
      return { setpointsKW, shortfallKW: split.shortfallKW, fleetPowerKW };
    },
  };
}

function planPeriods(req: PlanRequest, periods: ResolvedPeriod[]): DispatchPlan['periods'] {
  return periods.map((p) => ({ startMs: req.startMs + p.firstInterval * req.intervalMs, durationMs: p.intervals * req.intervalMs }));
}

/** Creates a planner solving with `opts.backend` using `opts.strategy`. */
export function createPlanner(opts: PlannerOptions): Planner {
  return {
    plan(req, output = {}) {
      const prepared = prepare(req, opts);
      const allPeriods = prepared.model.periods.length;
      const splitPeriods = Math.min(allPeriods, output.setpointPeriods ?? allPeriods);
      if (!(Number.isInteger(splitPeriods) && splitPeriods >= 1)) {
        throw new PlannerOptionsError(`setpointPeriods: expected a whole number >= 1, got ${output.setpointPeriods}`);
      }
      const t0 = performance.now();
      const sol = opts.backend.solve(prepared.model.lp);
      const solveMs = performance.now() - t0;
      if (sol.status !== 'optimal') {
        throw new PlanSolveError(`${opts.backend.name} returned ${sol.status} for ${prepared.model.lp.name}${sol.message ? `: ${sol.message}` : ''}`);
      }
      const { setpointsKW, shortfallKW, fleetPowerKW } = prepared.finish(sol.values, splitPeriods);
      const periods = prepared.model.periods;
      return {
        createdAtMs: req.nowMs,
        periods: planPeriods(req, periods),
        pricePerMWh: prepared.model.pricePerMWh,
        setpointsKW,
        fleetPowerKW,
        objectiveValue: splitPeriods === allPeriods ? planValue(req, periods, setpointsKW) : sol.objective,
        solver: { backend: opts.backend.name, strategy: opts.strategy, lpSolves: 1, solveMs },
        lpObjectiveValue: sol.objective,
        shortfallKW,
      };
    },
  };
}

/**
 * CPLEX LP text of the LP `createPlanner` solves for `req` (for `vpp plan --export-lp`). Its optimum
 * is the plan's `lpObjectiveValue`; for 'full' that also equals `objectiveValue`, for 'aggregate' it
 * is the relaxed bucket LP, whose optimum is normally at or above the member plan's `objectiveValue`
 * (members are held to their own limits, the bucket only to the summed ones).
 */
export function planToCplexLp(req: PlanRequest, opts: PlanStrategyOptions): string {
  return toCplexLp(prepare(req, opts).model.lp);
}
