/**
 * A scenario's capacity market (`market.capacity`) as the co-optimisation takes it: capacity prices
 * per native interval of a horizon and the commitment rules.
 */
import type { ServiceMarket } from '../solver/services-lp.js';
import type { PreparedRun } from './run.js';
import type { CapacityMarket } from './scenario.js';

/** The co-optimisation settings of one horizon: the market and the commitment period in native intervals. */
export interface HorizonServiceMarket {
  market: ServiceMarket;
  commitmentIntervals: number;
  /** The horizon, native intervals, cut to whole commitment periods. */
  horizonIntervals: number;
}

type PriceSpec = CapacityMarket['regulationPerMWh'];

/**
 * The capacity market of `run` for the horizon of `horizonIntervals` from grid interval
 * `firstInterval`, or undefined when the scenario has none. Capacity prices are taken as known over
 * the horizon (they clear ahead, like day-ahead capacity auctions); past the window's end the last
 * price holds. A symmetric band's price is split half up, half down unless a side has its own.
 */
export function serviceMarketOf(run: PreparedRun, firstInterval: number, horizonIntervals: number): HorizonServiceMarket | undefined {
  const capacity = run.scenario.market.capacity;
  if (capacity === undefined) return undefined;
  const commitmentIntervals = Math.round((capacity.periodMin * 60_000) / run.grid.intervalMs);
  const horizon = Math.floor(horizonIntervals / commitmentIntervals) * commitmentIntervals;
  const series = (spec: PriceSpec, scale = 1): number[] | undefined => {
    if (spec === undefined) return undefined;
    const values = typeof spec === 'number' ? undefined : run.signals.onGrid(spec, run.grid).values;
    return Array.from({ length: horizon }, (_, k) => scale * (values === undefined ? (spec as number) : values[Math.min(values.length - 1, firstInterval + k)]));
  };
  const half = series(capacity.regulationPerMWh, 0.5);
  return {
    commitmentIntervals,
    horizonIntervals: horizon,
    market: {
      regulationRule: capacity.regulationRule,
      pricePerMWh: {
        regulationUp: series(capacity.regulationUpPerMWh) ?? half,
        regulationDown: series(capacity.regulationDownPerMWh) ?? half,
        reserve: series(capacity.reservePerMWh),
        frequency: series(capacity.frequencyPerMWh),
      },
      regulationHeadroomMin: capacity.regulationHeadroomMin,
      reserveDurationMin: capacity.reserveDurationMin,
      frequencyDurationMin: capacity.frequencyDurationMin,
    },
  };
}
