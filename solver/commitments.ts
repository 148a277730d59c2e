/**
 * Co-optimised service commitments for a window: solve the services LP (over every DER, or over
 * buckets of similar DERs, batteries also by their charge/discharge power ratio) and return per
 * commitment period what each DER carries. With buckets, the basepoints are split as the dispatch planner splits them, and each bucket's capacities are
 * then shared among its members within what each member has left of its own power range and
 * stored energy, so no member's commitment breaks its limits.
 */
import type { FleetCommitment, ServiceCommitment } from '../services/commitment.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { energyRange, planValue, readPowers, type ResolvedPeriod } from './dispatch-lp.js';
import { disaggregate, energyAfter, groupOffers, splitTarget, type OfferGroup } from './aggregate.js';
import { aggregateOptions, PlanSolveError, type PlannerOptions } from './planner.js';
import {
  buildServicesLp,
  CAPACITY_PRODUCTS,
  capacityRange,
  commitmentRequest,
  DOWN_PRODUCTS,
  sustainHours,
  UP_PRODUCTS,
  type CapacityProduct,
  type ServiceMarket,
  type ServicesRequest,
} from './services-lp.js';

/** Capacities of one DER in one period, kW >= 0. */
export type Capacities = Record<CapacityProduct, number>;

/** The commitments for a window and what they are worth. */
export interface CommitmentPlan {
  commitments: FleetCommitment[];
  /** Value of the member commitments: energy value − wear − EV penalty + capacity revenue, scenario currency. */
  objectiveValue: number;
  /** Part of objectiveValue paid for capacity. */
  capacityValue: number;
  /** Optimum of the LP solved (for 'aggregate' the bucket relaxation, normally at or above objectiveValue). */
  lpObjectiveValue: number;
  /** Per period, capacity (all products, kW) and basepoint (kW) the member split could not place. */
  shortfallKW: { capacity: number[]; basepoint: number[] };
  solver: { backend: string; strategy: string; solveMs: number };
}

const zeroCapacities = (): Capacities => ({ regulationUp: 0, regulationDown: 0, reserve: 0, frequency: 0 });

/** Commitments of every DER of `req` for each commitment period of its horizon. */
export function planCommitments(req: ServicesRequest, opts: PlannerOptions): CommitmentPlan {
  const request = commitmentRequest(req);
  let offers = request.offers;
  let groups: OfferGroup[] | undefined;
  if (opts.strategy !== 'full') {
    ({ groups } = groupOffers(request, { ...aggregateOptions(opts), byPowerShape: true }));
    offers = groups.map((g) => g.virtual);
  }
  const model = buildServicesLp({ ...req, offers }, `services-${opts.strategy}`);
  const t0 = performance.now();
  const sol = opts.backend.solve(model.lp);
  const solveMs = performance.now() - t0;
  if (sol.status !== 'optimal') throw new PlanSolveError(`${opts.backend.name} returned ${sol.status} for ${model.lp.name}${sol.message ? `: ${sol.message}` : ''}`);
  const { periods } = model;
  const lpPowers = readPowers({ ...request, offers }, model, sol.values);
  const lpCapacity = (j: number, k: number): Capacities => {
    const c = zeroCapacities();
    for (const p of CAPACITY_PRODUCTS) if (model.capacity[j][k][p] >= 0) c[p] = Math.max(0, sol.values[model.capacity[j][k][p]]);
    return c;
  };
  let setpointsKW: Record<string, number[]>;
  let capacities: Record<string, Capacities[]>;
  const shortfallKW = { capacity: periods.map(() => 0), basepoint: periods.map(() => 0) };
  if (groups === undefined) {
    setpointsKW = lpPowers;
    capacities = Object.fromEntries(offers.map((o, j) => [o.derId, periods.map((_, k) => lpCapacity(j, k))]));
  } else {
    const split = disaggregate(periods, groups, lpPowers, request.feederLimits);
    setpointsKW = split.setpointsKW;
    shortfallKW.basepoint = split.shortfallKW;
    capacities = {};
    groups.forEach((g, j) => {
      const members = splitCapacities(g.members, periods, setpointsKW, periods.map((_, k) => lpCapacity(j, k)), req.market);
      g.members.forEach((o, i) => (capacities[o.derId] = members.capacities[i]));
      members.shortfallKW.forEach((x, k) => (shortfallKW.capacity[k] += x));
    });
    periods.forEach((_, k) => (shortfallKW.capacity[k] += trimFeederCapacities(request.offers, setpointsKW, capacities, k, req.market, request.feederLimits)));
  }
  let capacityValue = 0;
  const commitments: FleetCommitment[] = periods.map((p, k) => {
    const startMs = req.startMs + p.firstInterval * req.intervalMs;
    const ders = request.offers.map((o): ServiceCommitment => {
      const c = capacities[o.derId][k];
      for (const product of CAPACITY_PRODUCTS) {
        // A symmetric band is one product paid at the up and the down price.
        capacityValue += (c[product] * model.capacityPricePerMWh[product][k] * p.hours) / 1000;
      }
      return { derId: o.derId, startMs, endMs: startMs + p.intervals * req.intervalMs, basepointKW: setpointsKW[o.derId][k], regulationUpKW: c.regulationUp, regulationDownKW: c.regulationDown, reserveKW: c.reserve, frequencyKW: c.frequency };
    });
    return { startMs, endMs: startMs + p.intervals * req.intervalMs, ders };
  });
  return {
    commitments,
    objectiveValue: planValue(request, periods, setpointsKW) + capacityValue,
    capacityValue,
    lpObjectiveValue: sol.objective,
    shortfallKW,
    solver: { backend: opts.backend.name, strategy: opts.strategy, solveMs },
  };
}

/** Order in which capacity is given back where a feeder would be overcommitted: the cheapest to lose first is not known, so the one sustained longest goes last. */
const TRIM_ORDER: readonly CapacityProduct[] = ['frequency', 'reserve', 'regulationUp', 'regulationDown'];

/**
 * Where the members' basepoints plus capacities in period `k` would take a feeder past its limits
 * (the member split moved basepoints away from the bucket plan), takes capacity back from that
 * feeder's members, product by product in `TRIM_ORDER`, in proportion to what each carries (a
 * symmetric band shrinks on both sides). Returns the capacity removed, kW.
 */
function trimFeederCapacities(
  offers: FlexibilityOffer[],
  setpointsKW: Record<string, number[]>,
  capacities: Record<string, Capacities[]>,
  k: number,
  market: ServiceMarket,
  feederLimits: Record<string, { maxImportKW: number; maxExportKW: number }> = {},
): number {
  let removed = 0;
  for (const [feeder, lim] of Object.entries(feederLimits)) {
    const on = offers.filter((o) => o.feederId === feeder).map((o) => ({ bp: setpointsKW[o.derId][k], c: capacities[o.derId][k] }));
    for (const [products, excess] of [
      [UP_PRODUCTS, () => on.reduce((s, m) => s + m.bp + UP_PRODUCTS.reduce((t, p) => t + m.c[p], 0), 0) - lim.maxExportKW],
      [DOWN_PRODUCTS, () => -lim.maxImportKW - on.reduce((s, m) => s + m.bp - DOWN_PRODUCTS.reduce((t, p) => t + m.c[p], 0), 0)],
    ] as const) {
      for (const p of TRIM_ORDER.filter((x) => products.includes(x))) {
        const over = excess();
        if (!(over > 0)) break;
        const total = on.reduce((s, m) => s + m.c[p], 0);
        if (!(total > 0)) continue;
        const keep = Math.max(0, 1 - over / total);
        const paired: CapacityProduct | undefined = market.regulationRule === 'symmetric' ? (p === 'regulationUp' ? 'regulationDown' : p === 'regulationDown' ? 'regulationUp' : undefined) : undefined;
        for (const m of on) {
          removed += m.c[p] * (1 - keep) * (paired === undefined ? 1 : 2);
          m.c[p] *= keep;
          if (paired !== undefined) m.c[paired] = m.c[p];
        }
      }
    }
  }
  return removed;
}

/** What a member has left for capacity in a period: power either side of its basepoint and deliverable / absorbable energy, kWh. */
interface Room {
  upKW: number;
  downKW: number;
  upKWh: number;
  downKWh: number;
}

/** How much of `product` a member with `room` can still carry, kW. */
function productLimitKW(room: Room, product: CapacityProduct, hours: Record<CapacityProduct, number>): number {
  const h = hours[product];
  const perEnergy = (kWh: number) => (h > 0 ? kWh / h : Infinity);
  const up = UP_PRODUCTS.includes(product) ? Math.min(room.upKW, perEnergy(room.upKWh)) : Infinity;
  const down = DOWN_PRODUCTS.includes(product) ? Math.min(room.downKW, perEnergy(room.downKWh)) : Infinity;
  return Math.max(0, Math.min(up, down));
}

function take(room: Room, product: CapacityProduct, kW: number, hours: Record<CapacityProduct, number>): void {
  if (UP_PRODUCTS.includes(product)) {
    room.upKW -= kW;
    room.upKWh -= kW * hours[product];
  }
  if (DOWN_PRODUCTS.includes(product)) {
    room.downKW -= kW;
    room.downKWh -= kW * hours[product];
  }
}

/**
 * Shares each period's bucket capacities among `members` (in product order: regulation, reserve,
 * frequency), each member within the room its own basepoint and stored energy leave, shared in
 * proportion to that room. Under a symmetric band the up and down parts go together. Returns
 * the capacities per member and period and, per period, the capacity (kW) that found no room.
 */
export function splitCapacities(
  members: FlexibilityOffer[],
  periods: ResolvedPeriod[],
  setpointsKW: Record<string, number[]>,
  groupCapacities: Capacities[],
  market: ServiceMarket,
): { capacities: Capacities[][]; shortfallKW: number[] } {
  const hours = sustainHours(market);
  const energy = members.map((o) => o.storage?.energyKWh ?? 0);
  const capacities = members.map(() => periods.map(zeroCapacities));
  const shortfallKW = periods.map(() => 0);
  const symmetric = market.regulationRule === 'symmetric';
  periods.forEach((p, k) => {
    const rooms = members.map((o, i): Room => {
      const range = capacityRange(o, p);
      if (range === undefined) return { upKW: 0, downKW: 0, upKWh: 0, downKWh: 0 };
      const bp = setpointsKW[o.derId][k];
      const s = o.storage;
      let upKWh = Infinity;
      let downKWh = Infinity;
      if (s !== undefined) {
        const [minE, maxE] = energyRange(s);
        const endKWh = energyAfter(s, energy[i], bp, p.hours);
        upKWh = (Math.min(energy[i], endKWh) - minE) * s.dischargeEfficiency;
        downKWh = (maxE - Math.max(energy[i], endKWh)) / s.chargeEfficiency;
      }
      return { upKW: range[1] - bp, downKW: bp - range[0], upKWh, downKWh };
    });
    const place = (product: CapacityProduct, also?: CapacityProduct) => {
      const target = groupCapacities[k][product];
      if (!(target > 0)) return;
      const limits = rooms.map((room) => Math.min(productLimitKW(room, product, hours), also === undefined ? Infinity : productLimitKW(room, also, hours)));
      const { powersKW, shortfallKW: miss } = splitTarget(target, limits.map((l): [number, number] => [0, l]));
      shortfallKW[k] += also === undefined ? miss : 2 * miss;
      powersKW.forEach((kW, i) => {
        capacities[i][k][product] = kW;
        take(rooms[i], product, kW, hours);
        if (also !== undefined) {
          capacities[i][k][also] = kW;
          take(rooms[i], also, kW, hours);
        }
      });
    };
    if (symmetric) place('regulationUp', 'regulationDown');
    else {
      place('regulationUp');
      place('regulationDown');
    }
    place('reserve');
    place('frequency');
    members.forEach((o, i) => {
      if (o.storage !== undefined) energy[i] = energyAfter(o.storage, energy[i], setpointsKW[o.derId][k], p.hours);
    });
  });
  return { capacities, shortfallKW };
}
