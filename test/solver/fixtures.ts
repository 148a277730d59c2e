/** Offer and request builders shared by the solver tests. Powers: positive = into the grid. */
import type { FlexibilityOffer } from '../../protocol/offer.js';
import type { PlanRequest } from '../../solver/dispatch-lp.js';

/** Start of every test horizon, UTC epoch ms. */
export const START_MS = Date.UTC(2024, 0, 1);
/** One hour, ms. */
export const HOUR_MS = 3_600_000;

/** Parameters of a test battery (kW, kWh, currency per MWh). */
export interface BatterySpec {
  id: string;
  n: number;
  powerKW: number;
  capacityKWh: number;
  energyKWh: number;
  minEnergyKWh?: number;
  chargeEfficiency?: number;
  dischargeEfficiency?: number;
  wearPerMWh?: number;
  feederId?: string;
  intervalMs?: number;
}

/** A battery offer with constant power bounds ±powerKW over n intervals. */
export function battery(s: BatterySpec): FlexibilityOffer {
  return {
    derId: s.id,
    kind: 'battery',
    ownerId: 'owner',
    feederId: s.feederId,
    startMs: START_MS,
    intervalMs: s.intervalMs ?? HOUR_MS,
    minPowerKW: new Array<number>(s.n).fill(-s.powerKW),
    maxPowerKW: new Array<number>(s.n).fill(s.powerKW),
    storage: {
      energyKWh: s.energyKWh,
      minEnergyKWh: s.minEnergyKWh ?? 0,
      maxEnergyKWh: s.capacityKWh,
      chargeEfficiency: s.chargeEfficiency ?? 1,
      dischargeEfficiency: s.dischargeEfficiency ?? 1,
    },
    marginalCostPerMWh: s.wearPerMWh ?? 0,
  };
}

/** A PV offer that may produce up to availableKW[i] in interval i. */
export function pv(id: string, availableKW: number[], feederId?: string): FlexibilityOffer {
  return {
    derId: id,
    kind: 'pv',
    ownerId: 'owner',
    feederId,
    startMs: START_MS,
    intervalMs: HOUR_MS,
    minPowerKW: availableKW.map(() => 0),
    maxPowerKW: availableKW.slice(),
    marginalCostPerMWh: 0,
  };
}

/** An EV charger offer: charge up to maxKW until departure (0 after), wanting wantedKWh. */
export function ev(id: string, n: number, maxKW: number, wantedKWh: number, intervalsLeft: number, feederId?: string): FlexibilityOffer {
  return {
    derId: id,
    kind: 'ev-charger',
    ownerId: 'owner',
    feederId,
    startMs: START_MS,
    intervalMs: HOUR_MS,
    minPowerKW: Array.from({ length: n }, (_, i) => (i < intervalsLeft ? -maxKW : 0)),
    maxPowerKW: new Array<number>(n).fill(0),
    evDemand: { wantedKWh, intervalsLeft, chargeEfficiency: 0.9 },
    marginalCostPerMWh: 0,
  };
}

/** A request over hourly intervals for `offers` with the given prices. */
export function request(offers: FlexibilityOffer[], pricePerMWh: number[], extra: Partial<PlanRequest> = {}): PlanRequest {
  return {
    nowMs: START_MS,
    startMs: START_MS,
    intervalMs: HOUR_MS,
    horizonIntervals: pricePerMWh.length,
    offers,
    pricePerMWh,
    ...extra,
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A daily-shaped price series with noise and a few negative hours, currency per MWh. */
export function priceSeries(n: number, rand: () => number): number[] {
  return Array.from({ length: n }, (_, i) => 60 + 40 * Math.sin((2 * Math.PI * i) / 24) + 30 * (rand() - 0.5) - (rand() < 0.05 ? 80 : 0));
}

/** Float slack, kW or kWh, of the limit checks. */
export const LIMIT_TOLERANCE = 1e-7;

/** Replays a plan on each member and returns the first broken power or energy limit, if any. */
export function firstLimitViolation(req: PlanRequest, setpointsKW: Record<string, number[]>, blocks: number[]): string | undefined {
  for (const o of req.offers) {
    const sp = setpointsKW[o.derId];
    let e = o.storage?.energyKWh ?? 0;
    let first = 0;
    for (let k = 0; k < blocks.length; k++) {
      const idx = Array.from({ length: blocks[k] }, (_, i) => first + i);
      const lo = idx.reduce((s, i) => s + o.minPowerKW[i], 0) / blocks[k];
      const hi = idx.reduce((s, i) => s + o.maxPowerKW[i], 0) / blocks[k];
      if (sp[k] < lo - LIMIT_TOLERANCE || sp[k] > hi + LIMIT_TOLERANCE) return `${o.derId} period ${k}: ${sp[k]} kW outside [${lo}, ${hi}]`;
      const s = o.storage;
      if (s !== undefined) {
        const h = (blocks[k] * req.intervalMs) / 3_600_000;
        e += sp[k] > 0 ? (-sp[k] * h) / s.dischargeEfficiency : -sp[k] * h * s.chargeEfficiency;
        if (e < s.minEnergyKWh - LIMIT_TOLERANCE || e > s.maxEnergyKWh + LIMIT_TOLERANCE) return `${o.derId} period ${k}: energy ${e} outside [${s.minEnergyKWh}, ${s.maxEnergyKWh}]`;
      }
      first += blocks[k];
    }
  }
  return undefined;
}

