/**
 * How a coordinator turns the signed offers it holds into a dispatch plan, and how a validator
 * checks a proposed one. Both sides run the same deterministic code on the same inputs (offers
 * sorted by DER id, the network's price forecast for the interval, the same planner settings),
 * so a validator can re-solve and compare instead of trusting the proposer.
 */
import type { FlexibilityOffer } from '../protocol/offer.js';
import type { DispatchPlan } from '../protocol/plan.js';
import { offerSetHash } from '../protocol/hashes.js';
import { netPowerRange, periodMean, resolvePeriods, type PlanRequest } from '../solver/dispatch-lp.js';
import type { Planner } from '../solver/planner.js';

/** The planner settings every validator of a network shares (part of the network's configuration). */
export interface PlanningSettings {
  /** Native intervals in the horizon (offers carry this many bounds). */
  horizonIntervals: number;
  /** Native interval length, ms (the consensus grid's interval). */
  intervalMs: number;
  blocks?: number[];
  terminalEnergy?: PlanRequest['terminalEnergy'];
  evUnmetPenaltyPerKWh?: number;
  feederLimits?: PlanRequest['feederLimits'];
}

/** The network's price forecast for the horizon starting at `intervalStartMs` (currency per MWh per native interval), or undefined when it has none. */
export type PriceForecast = (intervalStartMs: number) => number[] | undefined;

/** How a validator checks a proposal: re-solve and compare (default), or only verify feasibility against the offers. */
export type PlanValidation = 're-solve' | 'verify';

/** Largest difference, kW, between a proposed setpoint and the validator's own solution that still counts as equal. */
const RESOLVE_TOLERANCE_KW = 1e-6;
/** Slack, kW, for float rounding in the feasibility checks. */
const FEASIBILITY_TOLERANCE = 1e-6;

/** What one solve took (the committed plan itself carries no timing: it must be reproducible). */
export interface SolveRecord {
  solveMs: number;
  lpSolves: number;
  strategy: string;
}

/** Plans remembered by `PlanMaker` (a height's proposal and its re-solves come in together). */
const REMEMBERED_PLANS = 8;

/**
 * Builds plans from offers and checks proposed ones. Planning is deterministic, so a plan made once
 * for an interval and offer set is remembered: validators sharing one PlanMaker in one process (a
 * simulation) re-solve each proposal once, where separate machines would each solve it in parallel.
 */
export class PlanMaker {
  private readonly remembered = new Map<string, DispatchPlan | undefined>();

  constructor(
    private readonly planner: Planner,
    private readonly settings: PlanningSettings,
    private readonly priceForecast: PriceForecast,
    private readonly onSolve?: (record: SolveRecord) => void,
  ) {}

  /**
   * The plan for the interval starting at `intervalStartMs` from `offers` (any order; planned in
   * DER-id order), naming them by `offerIds` (the plan is remembered under them; with none, it is
   * always solved); undefined without a price forecast. Only the first period gets per-DER
   * setpoints: the plan is re-made every interval.
   */
  make(intervalStartMs: number, offers: readonly FlexibilityOffer[], offerIds: readonly Uint8Array[]): DispatchPlan | undefined {
    // Offers are only known to be the same when envelope ids name them.
    if (offerIds.length === 0) return this.solve(intervalStartMs, offers, offerIds);
    const key = `${intervalStartMs}:${Buffer.from(offerSetHash(offerIds)).toString('hex')}`;
    if (this.remembered.has(key)) return this.remembered.get(key);
    const plan = this.solve(intervalStartMs, offers, offerIds);
    this.remembered.set(key, plan);
    if (this.remembered.size > REMEMBERED_PLANS) this.remembered.delete(this.remembered.keys().next().value as string);
    return plan;
  }

  private solve(intervalStartMs: number, offers: readonly FlexibilityOffer[], offerIds: readonly Uint8Array[]): DispatchPlan | undefined {
    const request = this.request(intervalStartMs, offers);
    if (request === undefined) return undefined;
    if (offers.length === 0) return this.emptyPlan(request, offerIds);
    const { lpObjectiveValue: _lp, shortfallKW: _shortfall, ...plan } = this.planner.plan(request, { setpointPeriods: 1 });
    this.onSolve?.({ solveMs: plan.solver.solveMs, lpSolves: plan.solver.lpSolves, strategy: plan.solver.strategy });
    // Solve time differs between machines; a committed plan holds only what every validator reproduces.
    return { ...plan, solver: { ...plan.solver, solveMs: 0 }, offerSetHash: offerSetHash(offerIds) };
  }

  /**
   * Why `plan` is not an acceptable plan for the interval from `offers` named by `offerIds`, or
   * undefined when it is. Feasibility is always checked against the offers (the network's periods,
   * each setpoint within its offer's power bounds, no DER missing or extra); `re-solve` also
   * requires the validator's own plan to match.
   */
  rejectReason(intervalStartMs: number, plan: DispatchPlan, offers: readonly FlexibilityOffer[], offerIds: readonly Uint8Array[], validation: PlanValidation): string | undefined {
    const infeasible = this.infeasibility(intervalStartMs, plan, offers, offerIds);
    if (infeasible !== undefined || validation === 'verify') return infeasible;
    const own = this.make(intervalStartMs, offers, offerIds);
    if (own === undefined) return 'no price forecast for the interval';
    for (const [derId, setpoints] of Object.entries(own.setpointsKW)) {
      const proposed = plan.setpointsKW[derId];
      for (let k = 0; k < setpoints.length; k++) {
        if (!(Math.abs(proposed[k] - setpoints[k]) <= RESOLVE_TOLERANCE_KW)) return `setpointsKW.${derId}[${k}] = ${proposed[k]} differs from the re-solved ${setpoints[k]}`;
      }
    }
    const ownPrices = own.pricePerMWh;
    if (ownPrices.length !== plan.pricePerMWh.length || ownPrices.some((price, k) => Math.abs(price - plan.pricePerMWh[k]) > 1e-9)) {
      return 'pricePerMWh differs from the network forecast';
    }
    return undefined;
  }

  /** Nothing offered: a plan with no setpoints (solvers reject an empty LP), the same on every validator. */
  private emptyPlan(request: PlanRequest, offerIds: readonly Uint8Array[]): DispatchPlan {
    const periods = resolvePeriods(request);
    return {
      createdAtMs: request.nowMs,
      periods: periods.map((p) => ({ startMs: request.startMs + p.firstInterval * request.intervalMs, durationMs: p.intervals * request.intervalMs })),
      pricePerMWh: periods.map((p) => periodMean(request.pricePerMWh, p)),
      setpointsKW: {},
      fleetPowerKW: periods.map(() => 0),
      objectiveValue: 0,
      solver: { backend: 'none', strategy: 'empty', lpSolves: 0, solveMs: 0 },
      offerSetHash: offerSetHash(offerIds),
    };
  }

  private request(intervalStartMs: number, offers: readonly FlexibilityOffer[]): PlanRequest | undefined {
    const pricePerMWh = this.priceForecast(intervalStartMs);
    if (pricePerMWh === undefined) return undefined;
    const { horizonIntervals, intervalMs, blocks, terminalEnergy, evUnmetPenaltyPerKWh, feederLimits } = this.settings;
    return {
      nowMs: intervalStartMs,
      startMs: intervalStartMs,
      intervalMs,
      horizonIntervals,
      offers: [...offers].sort((a, b) => (a.derId < b.derId ? -1 : a.derId > b.derId ? 1 : 0)),
      pricePerMWh,
      blocks,
      terminalEnergy,
      evUnmetPenaltyPerKWh,
      feederLimits,
    };
  }

  private infeasibility(intervalStartMs: number, plan: DispatchPlan, offers: readonly FlexibilityOffer[], offerIds: readonly Uint8Array[]): string | undefined {
    if (plan.offerSetHash === undefined || Buffer.compare(plan.offerSetHash, offerSetHash(offerIds)) !== 0) return 'offerSetHash does not name the proposal\'s offers';
    const request = this.request(intervalStartMs, offers);
    if (request === undefined) return 'no price forecast for the interval';
    let periods;
    try {
      periods = resolvePeriods(request);
    } catch (error) {
      return `offers do not form a plan request: ${(error as Error).message}`;
    }
    if (plan.periods.length !== periods.length) return `plan has ${plan.periods.length} periods, expected ${periods.length}`;
    for (const [k, period] of periods.entries()) {
      const expectedStartMs = intervalStartMs + period.firstInterval * request.intervalMs;
      if (plan.periods[k].startMs !== expectedStartMs || plan.periods[k].durationMs !== period.intervals * request.intervalMs) return `periods[${k}] is not the network's period ${k}`;
    }
    const planned = Object.keys(plan.setpointsKW);
    if (planned.length !== offers.length) return `plan has setpoints for ${planned.length} DERs, the offers name ${offers.length}`;
    for (const offer of offers) {
      const setpoints = Object.hasOwn(plan.setpointsKW, offer.derId) ? plan.setpointsKW[offer.derId] : undefined;
      if (setpoints === undefined) return `no setpoints for offered DER ${offer.derId}`;
      if (setpoints.length < 1 || setpoints.length > periods.length) return `setpointsKW.${offer.derId}: expected 1..${periods.length} values`;
      // Stored energy is not re-checked here: the LP may charge and discharge in one period, so the
      // net setpoint alone does not give its trajectory; each DER's safety envelope holds its SoC.
      for (let k = 0; k < setpoints.length; k++) {
        const [lo, hi] = netPowerRange(offer, periods[k]);
        if (!(setpoints[k] >= lo - FEASIBILITY_TOLERANCE && setpoints[k] <= hi + FEASIBILITY_TOLERANCE)) {
          return `setpointsKW.${offer.derId}[${k}] = ${setpoints[k]} kW is outside the offered [${lo}, ${hi}] kW`;
        }
      }
    }
    return undefined;
  }
}
