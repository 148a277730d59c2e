/**
 * The services LP: the dispatch LP widened so that, per commitment period, each battery and EV
 * charger also carries regulation up/down, reserve and frequency-response capacity around its
 * energy basepoint. Every commitment must fit the DER's power range on top of the basepoint, the
 * energy it could be asked to deliver or absorb must fit its state of charge at the start and end
 * of the period, and a feeder's summed basepoints plus committed capacities stay within its limits.
 * Capacities are kW >= 0; basepoints follow the sign convention (positive = into the grid).
 */
import type { FlexibilityOffer } from '../protocol/offer.js';
import { LpBuilder, type LinearProgram } from './lp.js';
import {
  addDispatchTerms,
  DispatchInputError,
  energyRange,
  forEachFeeder,
  netPowerRange,
  periodMean,
  type DispatchTerms,
  type PlanRequest,
  type ResolvedPeriod,
} from './dispatch-lp.js';

/** Regulation sold as one band (up = down, as in PJM) or as separate up and down capacities. */
export type RegulationRule = 'symmetric' | 'asymmetric';

/** The capacity products, in the order a member split fills them. */
export const CAPACITY_PRODUCTS = ['regulationUp', 'regulationDown', 'reserve', 'frequency'] as const;
/** One capacity product. */
export type CapacityProduct = (typeof CAPACITY_PRODUCTS)[number];

/** What the market buys and the rules each product comes with. */
export interface ServiceMarket {
  regulationRule: RegulationRule;
  /**
   * Capacity prices per native interval (length horizonIntervals), currency per MW held for an hour
   * (MW-h); a product without prices is not sold. Under 'symmetric' a kW of band earns the up and
   * the down price.
   */
  pricePerMWh: Partial<Record<CapacityProduct, number[]>>;
  /** Energy headroom each direction of regulation keeps, minutes at full capacity (regulation is energy-neutral over time, not minute by minute). */
  regulationHeadroomMin: number;
  /** How long reserve must be sustained once called, minutes. */
  reserveDurationMin: number;
  /** How long full frequency response must be sustained, minutes. */
  frequencyDurationMin: number;
}

/** A co-optimisation request: a dispatch request whose periods are the commitment periods. */
export interface ServicesRequest extends PlanRequest {
  market: ServiceMarket;
  /** Native intervals per commitment period; must divide horizonIntervals. `blocks` is set from it. */
  commitmentIntervals: number;
}

/** Columns of one DER's capacities in one period (-1: the product is not carried there). */
export type CapacityColumns = Record<CapacityProduct, number>;

/** The services LP and how to read commitments out of its solution. */
export interface ServicesLp extends DispatchTerms {
  lp: LinearProgram;
  /** Per offer, per period. Under 'symmetric' regulationUp and regulationDown name the same column. */
  capacity: CapacityColumns[][];
  /** Capacity price per product per period (mean of its intervals), currency per MW-h; 0 when not sold. */
  capacityPricePerMWh: Record<CapacityProduct, number[]>;
}

const MIN_PER_HOUR = 60;
const BOUND_TOLERANCE_KW = 1e-9;

function fail(message: string): never {
  throw new DispatchInputError(message);
}

/** The dispatch request with one block per commitment period, after checking the market settings. */
export function commitmentRequest(req: ServicesRequest): PlanRequest {
  const c = req.commitmentIntervals;
  if (!Number.isInteger(c) || c < 1 || req.horizonIntervals % c !== 0) {
    fail(`commitmentIntervals: expected a whole number >= 1 dividing horizonIntervals = ${req.horizonIntervals}, got ${c}`);
  }
  const m = req.market;
  if (m.regulationRule !== 'symmetric' && m.regulationRule !== 'asymmetric') fail(`market.regulationRule: expected symmetric or asymmetric, got ${String(m.regulationRule)}`);
  for (const key of ['regulationHeadroomMin', 'reserveDurationMin', 'frequencyDurationMin'] as const) {
    if (!(m[key] >= 0) || !Number.isFinite(m[key])) fail(`market.${key}: expected a finite number of minutes >= 0, got ${m[key]}`);
  }
  if (m.regulationRule === 'symmetric' && (m.pricePerMWh.regulationUp === undefined) !== (m.pricePerMWh.regulationDown === undefined)) {
    fail('market.pricePerMWh: a symmetric regulation band needs both regulationUp and regulationDown prices (or neither)');
  }
  for (const [product, prices] of Object.entries(m.pricePerMWh)) {
    if (prices === undefined) continue;
    if (!Array.isArray(prices) || prices.length !== req.horizonIntervals || !prices.every(Number.isFinite)) {
      fail(`market.pricePerMWh.${product}: expected ${req.horizonIntervals} finite prices`);
    }
  }
  return { ...req, blocks: new Array<number>(req.horizonIntervals / c).fill(c) };
}

/**
 * The power range, kW, within which `offer` can carry capacity in `period`, or undefined when it
 * carries none there: PV never does; a battery or charger whose bounds change inside the period (a
 * car leaving) neither, because a commitment holds for the whole period.
 */
export function capacityRange(offer: FlexibilityOffer, period: ResolvedPeriod): [number, number] | undefined {
  if (offer.kind === 'pv') return undefined;
  const [lo, hi] = netPowerRange(offer, period);
  const intervalHours = period.hours / period.intervals;
  for (let i = period.firstInterval; i < period.firstInterval + period.intervals; i++) {
    const [loI, hiI] = netPowerRange(offer, { firstInterval: i, intervals: 1, hours: intervalHours });
    if (Math.abs(loI - lo) > BOUND_TOLERANCE_KW || Math.abs(hiI - hi) > BOUND_TOLERANCE_KW) return undefined;
  }
  return hi - lo > BOUND_TOLERANCE_KW ? [lo, hi] : undefined;
}

/** Hours at full capacity each product must be sustainable for. */
export function sustainHours(market: ServiceMarket): Record<CapacityProduct, number> {
  const reg = market.regulationHeadroomMin / MIN_PER_HOUR;
  return { regulationUp: reg, regulationDown: reg, reserve: market.reserveDurationMin / MIN_PER_HOUR, frequency: market.frequencyDurationMin / MIN_PER_HOUR };
}

/** Products that push export up (to be covered by power above the basepoint and by stored energy). */
export const UP_PRODUCTS: readonly CapacityProduct[] = ['regulationUp', 'reserve', 'frequency'];
/** Products that pull import up (power below the basepoint, room in the store). */
export const DOWN_PRODUCTS: readonly CapacityProduct[] = ['regulationDown', 'frequency'];

/**
 * Builds the services LP for `req`: maximise energy value − wear − EV penalty + capacity revenue.
 * Per DER that can carry capacity in a period: basepoint + up capacities <= its highest power,
 * basepoint − down capacities >= its lowest; for a battery, with E the stored energy at the start
 * and at the end of the period, E − Σ up·hours/ηd >= min and E + Σ down·hours·ηc <= max. Per
 * limited feeder: Σ (basepoint + up) <= max export and Σ (basepoint − down) >= −max import.
 */
export function buildServicesLp(req: ServicesRequest, name = 'services'): ServicesLp {
  const request = commitmentRequest(req);
  const b = new LpBuilder(name, 'max');
  const terms = addDispatchTerms(b, request, false);
  const { periods, power, energyEnd } = terms;
  const hours = sustainHours(req.market);
  const capacityPricePerMWh = Object.fromEntries(
    CAPACITY_PRODUCTS.map((p) => {
      const prices = req.market.pricePerMWh[p];
      return [p, periods.map((period) => (prices === undefined ? 0 : periodMean(prices, period)))];
    }),
  ) as Record<CapacityProduct, number[]>;
  const sold = (p: CapacityProduct) => req.market.pricePerMWh[p] !== undefined;
  const symmetric = req.market.regulationRule === 'symmetric';
  const capacity: CapacityColumns[][] = request.offers.map((o, j) =>
    periods.map((period, k) => {
      const columns: CapacityColumns = { regulationUp: -1, regulationDown: -1, reserve: -1, frequency: -1 };
      const range = capacityRange(o, period);
      if (range === undefined) return columns;
      const [lo, hi] = range;
      const revenue = (p: CapacityProduct) => (capacityPricePerMWh[p][k] / 1000) * period.hours;
      const tag = `${o.derId}.${k}`;
      if (symmetric && sold('regulationUp')) {
        columns.regulationUp = columns.regulationDown = b.addVariable(`${tag}.reg`, 0, hi - lo, revenue('regulationUp') + revenue('regulationDown'));
      } else {
        if (sold('regulationUp')) columns.regulationUp = b.addVariable(`${tag}.regUp`, 0, hi - lo, revenue('regulationUp'));
        if (sold('regulationDown')) columns.regulationDown = b.addVariable(`${tag}.regDown`, 0, hi - lo, revenue('regulationDown'));
      }
      if (sold('reserve')) columns.reserve = b.addVariable(`${tag}.res`, 0, hi - lo, revenue('reserve'));
      if (sold('frequency')) columns.frequency = b.addVariable(`${tag}.freq`, 0, hi - lo, revenue('frequency'));
      const up = UP_PRODUCTS.filter((p) => columns[p] >= 0);
      const down = DOWN_PRODUCTS.filter((p) => columns[p] >= 0);
      const bp = power[j][k];
      if (up.length > 0) b.addConstraint(`${tag}.up`, [...bp.indices, ...up.map((p) => columns[p])], [...bp.coefs, ...up.map(() => 1)], -Infinity, hi);
      if (down.length > 0) b.addConstraint(`${tag}.down`, [...bp.indices, ...down.map((p) => columns[p])], [...bp.coefs, ...down.map(() => -1)], lo, Infinity);
      const s = o.storage;
      if (s !== undefined && o.kind === 'battery') {
        const [minE, maxE] = energyRange(s);
        // Energy is linear inside a period, so holding at both ends holds throughout.
        const ends: [number, string][] = [[energyEnd[j][k], 'end']];
        if (k > 0) ends.push([energyEnd[j][k - 1], 'start']);
        const upTerms = up.filter((p) => hours[p] > 0);
        const downTerms = down.filter((p) => hours[p] > 0);
        for (const [e, at] of ends) {
          if (upTerms.length > 0) b.addConstraint(`${tag}.eUp.${at}`, [e, ...upTerms.map((p) => columns[p])], [1, ...upTerms.map((p) => -hours[p] / s.dischargeEfficiency)], minE, Infinity);
          if (downTerms.length > 0) b.addConstraint(`${tag}.eDown.${at}`, [e, ...downTerms.map((p) => columns[p])], [1, ...downTerms.map((p) => hours[p] * s.chargeEfficiency)], -Infinity, maxE);
        }
        if (k === 0) {
          // The start of the first period is the energy now: a constant.
          if (upTerms.length > 0) b.addConstraint(`${tag}.eUp.start`, upTerms.map((p) => columns[p]), upTerms.map((p) => hours[p] / s.dischargeEfficiency), -Infinity, Math.max(0, s.energyKWh - minE));
          if (downTerms.length > 0) b.addConstraint(`${tag}.eDown.start`, downTerms.map((p) => columns[p]), downTerms.map((p) => hours[p] * s.chargeEfficiency), -Infinity, Math.max(0, maxE - s.energyKWh));
        }
      }
      return columns;
    }),
  );
  forEachFeeder(request, (feeder, lim, members) => {
    periods.forEach((_, k) => {
      for (const [dir, products, sign] of [['export', UP_PRODUCTS, 1], ['import', DOWN_PRODUCTS, -1]] as const) {
        const indices = members.flatMap((j) => power[j][k].indices);
        const coefs = members.flatMap((j) => power[j][k].coefs);
        for (const j of members) {
          const seen = new Set<number>();
          for (const p of products) {
            const col = capacity[j][k][p];
            if (col >= 0 && !seen.has(col)) {
              seen.add(col);
              indices.push(col);
              coefs.push(sign);
            }
          }
        }
        if (sign > 0) b.addConstraint(`feeder.${feeder}.${k}.${dir}`, indices, coefs, -Infinity, lim.maxExportKW);
        else b.addConstraint(`feeder.${feeder}.${k}.${dir}`, indices, coefs, -lim.maxImportKW, Infinity);
      }
    });
  });
  return { ...terms, lp: b.build(), capacity, capacityPricePerMWh };
}
