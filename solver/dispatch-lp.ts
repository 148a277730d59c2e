/**
 * The dispatch LP: from flexibility offers and a price forecast to a `LinearProgram` whose optimum is
 * the most valuable fleet schedule. Powers follow the project sign convention (positive = into the
 * grid). Money is in the scenario currency; prices are per MWh, so kW × h / 1000 × price.
 */
import type { FlexibilityOffer } from '../protocol/offer.js';
import { LpBuilder, type LinearProgram } from './lp.js';

/** What the planner is asked to plan. */
export interface PlanRequest {
  /** UTC epoch ms when the plan is made. */
  nowMs: number;
  /** UTC epoch ms of the first native interval's start; offers must start here too. */
  startMs: number;
  /** Length of one native interval, ms; offers must use the same. */
  intervalMs: number;
  horizonIntervals: number;
  /** Bound arrays have length horizonIntervals. */
  offers: FlexibilityOffer[];
  /** Forecast per native interval, currency per MWh, length horizonIntervals. */
  pricePerMWh: number[];
  /** Period lengths in native intervals (fine first, coarse later), summing to horizonIntervals; default all 1. */
  blocks?: number[];
  /** Per feeder id: largest import (kW >= 0) and export (kW >= 0) of the DERs on it, summed. */
  feederLimits?: Record<string, { maxImportKW: number; maxExportKW: number }>;
  /**
   * 'keep' (default): stored energy at horizon end >= energy now (capped at max); 'free': no end
   * condition; `{ pricePerMWh }`: no end condition, but energy left in store at the end is worth this
   * (so the objective counts the change of stored energy, as a window-end settlement does).
   */
  terminalEnergy?: 'keep' | 'free' | { pricePerMWh: number };
  /** Price of EV energy not delivered by departure, currency per kWh (slack in the LP so it is never infeasible); default 10. */
  evUnmetPenaltyPerKWh?: number;
}

/** Raised for a malformed `PlanRequest`; the message names the field or offer. */
export class DispatchInputError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_DISPATCH_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'DispatchInputError';
  }
}

/** One planning period: a run of native intervals. */
export interface ResolvedPeriod {
  /** Index of its first native interval. */
  firstInterval: number;
  /** Number of native intervals in it. */
  intervals: number;
  /** Length, hours. */
  hours: number;
}

/** Default price of undelivered EV energy, currency per kWh. */
export const DEFAULT_EV_UNMET_PENALTY_PER_KWH = 10;

const MS_PER_HOUR = 3_600_000;

function fail(message: string): never {
  throw new DispatchInputError(message);
}

function checkArray(what: string, a: unknown, n: number): void {
  if (!Array.isArray(a) || a.length !== n) fail(`${what}: expected an array of length ${n}, got ${Array.isArray(a) ? `length ${a.length}` : typeof a}`);
  for (let i = 0; i < n; i++) {
    const x: unknown = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${what}[${i}]: expected a finite number, got ${x}`);
  }
}

function checkEfficiency(what: string, x: number): void {
  if (!(x > 0 && x <= 1)) fail(`${what}: expected an efficiency in (0, 1], got ${x}`);
}

/** Checks `req` and returns its periods; throws `DispatchInputError` naming the bad field. */
export function resolvePeriods(req: PlanRequest): ResolvedPeriod[] {
  const n = req.horizonIntervals;
  if (!Number.isInteger(n) || n < 1) fail(`horizonIntervals: expected a positive integer, got ${n}`);
  if (!(req.intervalMs > 0) || !Number.isFinite(req.intervalMs)) fail(`intervalMs: expected a positive number, got ${req.intervalMs}`);
  checkArray('pricePerMWh', req.pricePerMWh, n);
  const blocks = req.blocks ?? new Array<number>(n).fill(1);
  blocks.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 1) fail(`blocks[${i}]: expected a positive integer, got ${b}`);
  });
  const total = blocks.reduce((s, b) => s + b, 0);
  if (total !== n) fail(`blocks: lengths sum to ${total}, expected horizonIntervals = ${n}`);
  const penalty = req.evUnmetPenaltyPerKWh ?? DEFAULT_EV_UNMET_PENALTY_PER_KWH;
  if (!(penalty >= 0) || !Number.isFinite(penalty)) fail(`evUnmetPenaltyPerKWh: expected a finite number >= 0, got ${penalty}`);
  for (const [feeder, lim] of Object.entries(req.feederLimits ?? {})) {
    if (!(lim.maxImportKW >= 0) || !(lim.maxExportKW >= 0)) {
      fail(`feederLimits.${feeder}: expected maxImportKW and maxExportKW >= 0, got ${lim.maxImportKW}, ${lim.maxExportKW}`);
    }
  }
  const ids = new Set<string>();
  for (const o of req.offers) {
    const what = `offer ${o.derId}`;
    if (ids.has(o.derId)) fail(`${what}: duplicate derId`);
    ids.add(o.derId);
    if (o.startMs !== req.startMs || o.intervalMs !== req.intervalMs) {
      fail(`${what}: startMs/intervalMs ${o.startMs}/${o.intervalMs} differ from the request's ${req.startMs}/${req.intervalMs}`);
    }
    checkArray(`${what}.minPowerKW`, o.minPowerKW, n);
    checkArray(`${what}.maxPowerKW`, o.maxPowerKW, n);
    for (let i = 0; i < n; i++) {
      if (o.minPowerKW[i] > o.maxPowerKW[i]) fail(`${what}: minPowerKW[${i}] = ${o.minPowerKW[i]} exceeds maxPowerKW[${i}] = ${o.maxPowerKW[i]}`);
    }
    if (!(o.marginalCostPerMWh >= 0)) fail(`${what}.marginalCostPerMWh: expected >= 0, got ${o.marginalCostPerMWh}`);
    if (o.kind === 'battery') {
      const s = o.storage ?? fail(`${what}: a battery offer needs storage`);
      if (![s.energyKWh, s.minEnergyKWh, s.maxEnergyKWh].every(Number.isFinite) || s.minEnergyKWh > s.maxEnergyKWh) {
        fail(`${what}.storage: expected finite energies with minEnergyKWh <= maxEnergyKWh`);
      }
      checkEfficiency(`${what}.storage.chargeEfficiency`, s.chargeEfficiency);
      checkEfficiency(`${what}.storage.dischargeEfficiency`, s.dischargeEfficiency);
    } else if (o.kind === 'ev-charger') {
      if (o.evDemand) {
        checkEfficiency(`${what}.evDemand.chargeEfficiency`, o.evDemand.chargeEfficiency);
        if (!Number.isFinite(o.evDemand.wantedKWh) || !Number.isInteger(o.evDemand.intervalsLeft) || o.evDemand.intervalsLeft < 0) {
          fail(`${what}.evDemand: expected finite wantedKWh and integer intervalsLeft >= 0`);
        }
        const frac = o.evDemand.lastIntervalFrac ?? 1;
        if (!(frac > 0 && frac <= 1)) fail(`${what}.evDemand.lastIntervalFrac: expected a fraction in (0, 1], got ${frac}`);
      }
    } else if (o.kind !== 'pv') {
      fail(`${what}.kind: expected battery, ev-charger or pv, got ${String(o.kind)}`);
    }
  }
  const hoursPerInterval = req.intervalMs / MS_PER_HOUR;
  let first = 0;
  return blocks.map((b) => {
    const p = { firstInterval: first, intervals: b, hours: b * hoursPerInterval };
    first += b;
    return p;
  });
}

/** Mean of `values` over the native intervals of `period` (intervals are equally long). */
export function periodMean(values: number[], period: ResolvedPeriod): number {
  let s = 0;
  for (let i = period.firstInterval; i < period.firstInterval + period.intervals; i++) s += values[i];
  return s / period.intervals;
}

/** What an EV charger must deliver within the horizon. */
export interface EvRequirement {
  /** Car-side kWh per kW of charging, per period, counting only the part of the period before departure. */
  kWhPerKW: number[];
  /** Energy that must arrive within the horizon (what cannot come after it), kWh; unmet energy is penalised. */
  minKWh: number;
  /** Energy the car still wants, kWh: charging beyond it has nowhere to go. */
  maxKWh: number;
}

/** The EV requirement of `offer` over `periods`, or undefined for an offer without a car or wish. */
export function evRequirement(req: PlanRequest, offer: FlexibilityOffer, periods: ResolvedPeriod[]): EvRequirement | undefined {
  const ev = offer.evDemand;
  if (offer.kind !== 'ev-charger' || ev === undefined || ev.wantedKWh <= 0) return undefined;
  const hoursPerInterval = req.intervalMs / MS_PER_HOUR;
  const lastInterval = ev.intervalsLeft - 1;
  const kWhPerKW = periods.map((p) => {
    const before = Math.max(0, Math.min(p.intervals, ev.intervalsLeft - p.firstInterval));
    // The car leaves part-way through its last interval: power held there charges it only that long.
    const cut = lastInterval >= p.firstInterval && lastInterval < p.firstInterval + p.intervals ? 1 - (ev.lastIntervalFrac ?? 1) : 0;
    return ev.chargeEfficiency * hoursPerInterval * (before - cut);
  });
  // Energy the car can still take after the horizon, at the last interval's charging limit.
  const afterKWh = Math.max(0, ev.intervalsLeft - req.horizonIntervals) * ev.chargeEfficiency * hoursPerInterval
    * Math.max(0, -offer.minPowerKW[req.horizonIntervals - 1]);
  return { kWhPerKW, minKWh: Math.max(0, ev.wantedKWh - afterKWh), maxKWh: ev.wantedKWh };
}

/**
 * Net power range, kW, the LP allows `offer` in `period`: the mean of its intervals' bounds, with
 * PV never importing and an EV charger never exporting.
 */
export function netPowerRange(offer: FlexibilityOffer, period: ResolvedPeriod): [number, number] {
  const lo = periodMean(offer.minPowerKW, period);
  const hi = periodMean(offer.maxPowerKW, period);
  if (offer.kind === 'pv') return [Math.max(0, lo), Math.max(0, hi)];
  if (offer.kind === 'ev-charger') return [Math.min(0, lo), Math.min(0, hi)];
  return [lo, hi];
}

/** Stored-energy bounds the LP uses, kWh: the offer's, widened to include the energy now. */
export function energyRange(storage: NonNullable<FlexibilityOffer['storage']>): [number, number] {
  // An energy already outside its bounds (rounding, a derate) is allowed to stay where it is.
  return [Math.min(storage.minEnergyKWh, storage.energyKWh), Math.max(storage.maxEnergyKWh, storage.energyKWh)];
}

/** A linear expression `sum(coefs[k] * x[indices[k]])`. */
export interface LinearTerms {
  indices: number[];
  coefs: number[];
}

/** The dispatch LP and how to read DER powers out of its solution. */
export interface DispatchLp {
  lp: LinearProgram;
  periods: ResolvedPeriod[];
  /** Forecast price per period (mean of its native intervals), currency per MWh. */
  pricePerMWh: number[];
  /** Per offer (same order as `req.offers`): net power per period as a linear expression, kW. */
  power: LinearTerms[][];
}

/** The dispatch columns and rows added to a builder: what a wider LP (the services LP) extends. */
export interface DispatchTerms {
  periods: ResolvedPeriod[];
  /** Forecast price per period (mean of its native intervals), currency per MWh. */
  pricePerMWh: number[];
  /** Per offer (same order as `req.offers`): net power per period as a linear expression, kW. */
  power: LinearTerms[][];
  /** Per offer: the column of stored energy at the end of each period (batteries; empty for others), kWh. */
  energyEnd: number[][];
}

/**
 * Adds the dispatch model of `req` to `b` (maximise market value − wear − EV penalty). Per DER and
 * period: battery charge c, discharge d and end energy e (e_k = e_{k-1} + (ηc·c − d/ηd)·h); EV
 * charge c with one delivery row and an unmet-energy slack; PV output g (curtailment = available −
 * g). A coarse period uses the mean of its intervals' bounds and prices. Feeder rows bound the
 * summed net power unless `feederRows` is false (a caller adding its own).
 */
export function addDispatchTerms(b: LpBuilder, req: PlanRequest, feederRows = true): DispatchTerms {
  const periods = resolvePeriods(req);
  const price = periods.map((p) => periodMean(req.pricePerMWh, p));
  const keep = (req.terminalEnergy ?? 'keep') === 'keep';
  const terminalValuePerKWh = typeof req.terminalEnergy === 'object' ? req.terminalEnergy.pricePerMWh / 1000 : 0;
  const penalty = req.evUnmetPenaltyPerKWh ?? DEFAULT_EV_UNMET_PENALTY_PER_KWH;
  const power: LinearTerms[][] = req.offers.map((o) => {
    const wear = o.marginalCostPerMWh / 1000;
    return periods.map((p, k) => {
      const [lo, hi] = netPowerRange(o, p);
      const value = (price[k] / 1000) * p.hours;
      const tag = `${o.derId}.${k}`;
      if (o.kind === 'pv') {
        const g = b.addVariable(`${tag}.g`, lo, hi, value - wear * p.hours);
        return { indices: [g], coefs: [1] };
      }
      if (o.kind === 'ev-charger') {
        const c = b.addVariable(`${tag}.c`, -hi, -lo, -value - wear * p.hours);
        return { indices: [c], coefs: [-1] };
      }
      const c = b.addVariable(`${tag}.c`, 0, Math.max(0, -lo), -value - wear * p.hours);
      const d = b.addVariable(`${tag}.d`, 0, Math.max(0, hi), value - wear * p.hours);
      // Only a forced direction (must export or must import) needs a row on the net power.
      if (lo > 0 || hi < 0) b.addConstraint(`${tag}.p`, [d, c], [1, -1], lo, hi);
      return { indices: [d, c], coefs: [1, -1] };
    });
  });
  const energyEnd: number[][] = req.offers.map(() => []);
  req.offers.forEach((o, j) => {
    const s = o.storage;
    if (o.kind === 'battery' && s !== undefined) {
      const [lbE, ubE] = energyRange(s);
      let prev = -1;
      periods.forEach((p, k) => {
        const last = k === periods.length - 1;
        const lb = last && keep ? Math.max(lbE, Math.min(s.energyKWh, s.maxEnergyKWh)) : lbE;
        const e = b.addVariable(`${o.derId}.${k}.e`, lb, ubE, last ? terminalValuePerKWh : 0);
        const [d, c] = power[j][k].indices;
        const indices = prev < 0 ? [e, c, d] : [e, prev, c, d];
        const coefs = prev < 0 ? [1, -s.chargeEfficiency * p.hours, p.hours / s.dischargeEfficiency]
          : [1, -1, -s.chargeEfficiency * p.hours, p.hours / s.dischargeEfficiency];
        const rhs = prev < 0 ? s.energyKWh : 0;
        b.addConstraint(`${o.derId}.${k}.bal`, indices, coefs, rhs, rhs);
        energyEnd[j].push(e);
        prev = e;
      });
    }
    const ev = evRequirement(req, o, periods);
    if (ev !== undefined) {
      const u = b.addVariable(`${o.derId}.unmet`, 0, ev.minKWh, -penalty);
      const indices = [u];
      const coefs = [1];
      periods.forEach((_, k) => {
        if (ev.kWhPerKW[k] > 0) {
          indices.push(power[j][k].indices[0]);
          coefs.push(ev.kWhPerKW[k]);
        }
      });
      b.addConstraint(`${o.derId}.deliver`, indices, coefs, ev.minKWh, ev.maxKWh);
    }
  });
  if (feederRows) {
    forEachFeeder(req, (feeder, lim, members) => {
      periods.forEach((_, k) => {
        const indices = members.flatMap((j) => power[j][k].indices);
        const coefs = members.flatMap((j) => power[j][k].coefs);
        b.addConstraint(`feeder.${feeder}.${k}`, indices, coefs, -lim.maxImportKW, lim.maxExportKW);
      });
    });
  }
  return { periods, pricePerMWh: price, power, energyEnd };
}

/** Calls `visit` for each limited feeder with DERs on it, with the offer indices of those DERs. */
export function forEachFeeder(req: PlanRequest, visit: (feeder: string, limits: { maxImportKW: number; maxExportKW: number }, members: number[]) => void): void {
  for (const [feeder, lim] of Object.entries(req.feederLimits ?? {})) {
    const members = req.offers.flatMap((o, j) => (o.feederId === feeder ? [j] : []));
    if (members.length > 0) visit(feeder, lim, members);
  }
}

/** Builds the dispatch LP for `req` (see `addDispatchTerms`). */
export function buildDispatchLp(req: PlanRequest, name = 'dispatch'): DispatchLp {
  const b = new LpBuilder(name, 'max');
  const { periods, pricePerMWh, power } = addDispatchTerms(b, req);
  return { lp: b.build(), periods, pricePerMWh, power };
}

/** Net power per offer id and period, kW, read from an LP solution of `model`. */
export function readPowers(req: PlanRequest, model: DispatchLp, values: ArrayLike<number>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  req.offers.forEach((o, j) => {
    out[o.derId] = model.power[j].map((t) => t.indices.reduce((s, i, k) => s + t.coefs[k] * values[i], 0));
  });
  return out;
}

/**
 * Value of per-DER setpoints (kW per period of `req.blocks`) under `req.pricePerMWh`: market value
 * minus wear (on |power|) minus the penalty for EV energy not delivered within the horizon, in the
 * scenario currency. Equals the dispatch LP objective for an LP solution that does not charge and
 * discharge a battery in the same period.
 */
export function evaluatePlanValue(req: PlanRequest, setpointsKW: Record<string, number[]>): number {
  const periods = resolvePeriods(req);
  const ids = new Set(req.offers.map((o) => o.derId));
  for (const id of Object.keys(setpointsKW)) if (!ids.has(id)) fail(`setpointsKW.${id}: no offer with this derId`);
  for (const o of req.offers) checkArray(`setpointsKW.${o.derId}`, setpointsKW[o.derId], periods.length);
  return planValue(req, periods, setpointsKW);
}

/** `evaluatePlanValue` for a request and setpoints already checked (the planner's own output). */
export function planValue(req: PlanRequest, periods: ResolvedPeriod[], setpointsKW: Record<string, number[]>): number {
  const penalty = req.evUnmetPenaltyPerKWh ?? DEFAULT_EV_UNMET_PENALTY_PER_KWH;
  const pricePerKWh = periods.map((p) => periodMean(req.pricePerMWh, p) / 1000);
  let value = 0;
  for (const o of req.offers) {
    const sp = setpointsKW[o.derId];
    const wearPerKWh = o.marginalCostPerMWh / 1000;
    for (let k = 0; k < periods.length; k++) value += (pricePerKWh[k] * sp[k] - wearPerKWh * Math.abs(sp[k])) * periods[k].hours;
    const ev = evRequirement(req, o, periods);
    if (ev !== undefined) {
      const delivered = ev.kWhPerKW.reduce((s, a, k) => s + a * Math.max(0, -sp[k]), 0);
      value -= penalty * Math.max(0, ev.minKWh - delivered);
    }
  }
  return value;
}
