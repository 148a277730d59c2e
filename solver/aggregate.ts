/**
 * Fleet aggregation for the scalable planner: similar batteries become one virtual battery (a
 * bucket), all PV of a feeder one virtual PV, EV chargers stay individual. After the bucket LP is
 * solved, each group's schedule is split among its members period by period with a rule that keeps
 * every member inside its own power and energy limits. Powers: positive = into the grid.
 */
import type { FlexibilityOffer } from '../protocol/offer.js';
import { energyRange, netPowerRange, type PlanRequest, type ResolvedPeriod } from './dispatch-lp.js';

/** How finely batteries are bucketed. */
export interface AggregateOptions {
  /** Width of a state-of-charge bucket, fraction of usable energy in (0, 1]. */
  socBucketFrac: number;
  /** Batteries whose durations (usable kWh / kW) differ by less than this ratio share a bucket, > 0. */
  durationBucketRatio: number;
  /**
   * Also bucket by the ratio of charge to discharge power (same bins as duration). A symmetric
   * service band needs room both ways in each member: mixing 3.7/2.5 kW and 2.5/3.7 kW members makes
   * the bucket look more symmetric than any of them is.
   */
  byPowerShape?: boolean;
}

/** A virtual offer standing for one or more member offers; a single member is its own virtual offer. */
export interface OfferGroup {
  virtual: FlexibilityOffer;
  members: FlexibilityOffer[];
}

/** Default width of a state-of-charge bucket. */
export const DEFAULT_SOC_BUCKET_FRAC = 0.1;
/** Default duration ratio of a bucket (log-spaced bins 25 % wide). */
export const DEFAULT_DURATION_BUCKET_RATIO = 0.25;

function batteryKey(o: FlexibilityOffer, opts: AggregateOptions): string {
  const s = o.storage!;
  const usableKWh = s.maxEnergyKWh - s.minEnergyKWh;
  const powerKW = Math.max(o.maxPowerKW[0], -o.minPowerKW[0]);
  const duration = powerKW > 0 ? usableKWh / powerKW : Infinity;
  const durationBin = duration > 0 && Number.isFinite(duration) ? Math.round(Math.log(duration) / Math.log1p(opts.durationBucketRatio)) : String(duration);
  const soc = usableKWh > 0 ? (s.energyKWh - s.minEnergyKWh) / usableKWh : 0;
  const socBin = Math.min(Math.floor(soc / opts.socBucketFrac), Math.ceil(1 / opts.socBucketFrac) - 1);
  const key = ['battery', o.feederId ?? '', s.chargeEfficiency, s.dischargeEfficiency, o.marginalCostPerMWh, durationBin, socBin];
  if (opts.byPowerShape) {
    const shape = o.maxPowerKW[0] > 0 && o.minPowerKW[0] < 0 ? Math.round(Math.log(o.maxPowerKW[0] / -o.minPowerKW[0]) / Math.log1p(opts.durationBucketRatio)) : Math.sign(o.maxPowerKW[0]) - Math.sign(-o.minPowerKW[0]);
    key.push(`shape${shape}`);
  }
  return key.join('|');
}

function sumArrays(members: FlexibilityOffer[], pick: (o: FlexibilityOffer) => number[]): number[] {
  const total = new Array<number>(pick(members[0]).length).fill(0);
  for (const o of members) {
    const values = pick(o);
    for (let i = 0; i < total.length; i++) total[i] += values[i];
  }
  return total;
}

function virtualOffer(id: string, members: FlexibilityOffer[]): FlexibilityOffer {
  const first = members[0];
  const v: FlexibilityOffer = {
    derId: id,
    kind: first.kind,
    ownerId: 'aggregate',
    feederId: first.feederId,
    startMs: first.startMs,
    intervalMs: first.intervalMs,
    minPowerKW: sumArrays(members, (o) => o.minPowerKW),
    maxPowerKW: sumArrays(members, (o) => o.maxPowerKW),
    marginalCostPerMWh: first.marginalCostPerMWh,
  };
  if (first.storage !== undefined) {
    const total = (f: (s: NonNullable<FlexibilityOffer['storage']>) => number): number => members.reduce((sum, o) => sum + f(o.storage!), 0);
    v.storage = {
      energyKWh: total((s) => s.energyKWh),
      minEnergyKWh: total((s) => energyRange(s)[0]),
      maxEnergyKWh: total((s) => energyRange(s)[1]),
      chargeEfficiency: first.storage.chargeEfficiency,
      dischargeEfficiency: first.storage.dischargeEfficiency,
    };
  }
  return v;
}

/**
 * Groups `req.offers` and returns the request over the virtual offers. Batteries share a bucket when
 * feeder, efficiencies and wear cost are equal and duration and state of charge fall in the same
 * bins; PV shares one group per feeder and wear cost (exact: curtailment splits pro rata); EV
 * chargers are kept individually (exact).
 */
export function groupOffers(req: PlanRequest, opts: AggregateOptions): { request: PlanRequest; groups: OfferGroup[] } {
  const byKey = new Map<string, FlexibilityOffer[]>();
  const groups: OfferGroup[] = [];
  for (const o of req.offers) {
    if (o.kind === 'ev-charger') {
      groups.push({ virtual: o, members: [o] });
      continue;
    }
    const key = o.kind === 'battery' ? batteryKey(o, opts) : ['pv', o.feederId ?? '', o.marginalCostPerMWh].join('|');
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [o]);
    else list.push(o);
  }
  const ids = new Set(req.offers.map((o) => o.derId));
  let n = 0;
  for (const members of byKey.values()) {
    let id = `~${members[0].kind}-group-${n++}`;
    while (ids.has(id)) id = `~${id}`;
    groups.push({ virtual: virtualOffer(id, members), members });
  }
  return { request: { ...req, offers: groups.map((g) => g.virtual) }, groups };
}

/**
 * Splits `targetKW` among members whose feasible power ranges are `ranges` ([lo, hi], lo <= hi):
 * each starts at the point of its range nearest zero, and the rest of the target is shared in
 * proportion to `weights` for the needed direction (default: each member's remaining power
 * headroom), water-filling so that no member leaves its range. Returns the powers and the part of
 * the target that could not be placed (kW, same sign as the target's excess).
 */
export function splitTarget(
  targetKW: number,
  ranges: [number, number][],
  weights?: { up: number[]; down: number[] },
): { powersKW: number[]; shortfallKW: number } {
  const powersKW = ranges.map(([lo, hi]) => Math.min(Math.max(0, lo), hi));
  const rest = targetKW - powersKW.reduce((s, x) => s + x, 0);
  const dir = Math.sign(rest);
  const room = ranges.map(([lo, hi], i) => (dir > 0 ? hi - powersKW[i] : powersKW[i] - lo));
  const given = weights === undefined ? room : dir > 0 ? weights.up : weights.down;
  // A member with room but no weight still takes a share once the weighted ones are full.
  const w = room.map((r, i) => (r > 0 ? Math.max(given[i], 0) || r * 1e-12 : 0));
  let left = Math.abs(rest);
  let active = room.map((_, i) => i).filter((i) => w[i] > 0);
  while (left > 0 && active.length > 0) {
    const total = active.reduce((s, i) => s + w[i], 0);
    const full = new Set(active.filter((i) => (left * w[i]) / total >= room[i]));
    if (full.size === 0) {
      for (const i of active) powersKW[i] += (dir * left * w[i]) / total;
      left = 0;
      break;
    }
    for (const i of full) {
      powersKW[i] = dir > 0 ? ranges[i][1] : ranges[i][0];
      left -= room[i];
    }
    active = active.filter((i) => !full.has(i));
  }
  powersKW.forEach((x, i) => {
    powersKW[i] = Math.min(ranges[i][1], Math.max(ranges[i][0], x));
  });
  return { powersKW, shortfallKW: targetKW - powersKW.reduce((s, x) => s + x, 0) };
}

/** Stored energy, kWh, after holding net power `powerKW` (positive = discharge) for `hours` from `energyKWh`. */
export function energyAfter(storage: NonNullable<FlexibilityOffer['storage']>, energyKWh: number, powerKW: number, hours: number): number {
  return energyKWh + (powerKW > 0 ? (-powerKW * hours) / storage.dischargeEfficiency : -powerKW * hours * storage.chargeEfficiency);
}

/** Per feeder id: largest import and export (kW >= 0) of its DERs summed, as in `PlanRequest.feederLimits`. */
export type FeederLimits = NonNullable<PlanRequest['feederLimits']>;

/**
 * Turns each group's planned power (kW per period, keyed by virtual id) into member setpoints.
 * Battery members are tracked forward in energy, so each period's range is what the member can do
 * from its own state: no member breaks its power or energy limits. Within that, a bucket's discharge
 * is shared by stored energy and its charge by free room, keeping members' states of charge aligned.
 * Where what the split could not place would push a feeder past `feederLimits`, that feeder's
 * members move back inside (each within its own range; see `repairFeeders`). Returns the setpoints
 * keyed by member id and the summed target not met per period (kW; positive = less export than
 * planned). A bucket's terminal-energy condition holds for the bucket, not necessarily for each member.
 */
export function disaggregate(
  periods: ResolvedPeriod[],
  groups: OfferGroup[],
  groupPowerKW: Record<string, number[]>,
  feederLimits: FeederLimits = {},
): { setpointsKW: Record<string, number[]>; shortfallKW: number[] } {
  const members = groups.flatMap((g) => g.members);
  const energy = members.map((o) => o.storage?.energyKWh ?? 0);
  const plans = members.map(() => new Array<number>(periods.length));
  const shortfallKW = periods.map(() => 0);
  periods.forEach((p, k) => {
    const ranges = members.map((o, i): [number, number] => {
      const [lo, hi] = netPowerRange(o, p);
      const s = o.storage;
      if (s === undefined) return [lo, hi];
      const [minE, maxE] = energyRange(s);
      const maxChargeKW = Math.max(0, maxE - energy[i]) / (s.chargeEfficiency * p.hours);
      const maxDischargeKW = (Math.max(0, energy[i] - minE) * s.dischargeEfficiency) / p.hours;
      // Where power and energy limits disagree, energy wins: it can never be made up later.
      const clampE = (x: number): number => Math.min(maxDischargeKW, Math.max(-maxChargeKW, x));
      return [clampE(lo), clampE(hi)];
    });
    const powersKW = new Array<number>(members.length);
    let first = 0;
    for (const g of groups) {
      const at = (i: number) => first + i;
      // Batteries share discharge by stored energy above minimum and charge by room below maximum,
      // so members' states of charge move together like the bucket's.
      const up = g.members.map((o, i) => (o.storage ? energy[at(i)] - energyRange(o.storage)[0] : 0));
      const down = g.members.map((o, i) => (o.storage ? energyRange(o.storage)[1] - energy[at(i)] : 0));
      const split = splitTarget(groupPowerKW[g.virtual.derId][k], g.members.map((_, i) => ranges[at(i)]), g.virtual.storage ? { up, down } : undefined);
      shortfallKW[k] += split.shortfallKW;
      split.powersKW.forEach((x, i) => (powersKW[at(i)] = x));
      first += g.members.length;
    }
    shortfallKW[k] -= repairFeeders(members, ranges, powersKW, feederLimits);
    powersKW.forEach((x, i) => {
      plans[i][k] = x;
      const s = members[i].storage;
      if (s !== undefined) energy[i] = energyAfter(s, energy[i], x, p.hours);
    });
  });
  const setpointsKW: Record<string, number[]> = {};
  members.forEach((o, i) => (setpointsKW[o.derId] = plans[i]));
  return { setpointsKW, shortfallKW };
}

/**
 * Moves the powers (kW, in place) of each feeder's members, each within its `ranges` entry, until
 * the feeder's sum is within its limits, sharing the move by each member's room in that direction.
 * Returns the summed change, kW (negative = less export).
 */
export function repairFeeders(members: FlexibilityOffer[], ranges: [number, number][], powersKW: number[], feederLimits: FeederLimits): number {
  let change = 0;
  for (const [feeder, lim] of Object.entries(feederLimits)) {
    const on = members.flatMap((o, i) => (o.feederId === feeder ? [i] : []));
    const sum = on.reduce((s, i) => s + powersKW[i], 0);
    const excessKW = sum > lim.maxExportKW ? lim.maxExportKW - sum : sum < -lim.maxImportKW ? -lim.maxImportKW - sum : 0;
    if (excessKW === 0) continue;
    const moves = splitTarget(excessKW, on.map((i): [number, number] => (excessKW < 0 ? [Math.min(0, ranges[i][0] - powersKW[i]), 0] : [0, Math.max(0, ranges[i][1] - powersKW[i])])));
    on.forEach((i, n) => {
      powersKW[i] += moves.powersKW[n];
      change += moves.powersKW[n];
    });
  }
  return change;
}
