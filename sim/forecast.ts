/**
 * Forecasts the planner sees. A forecast for interval `nowIndex + k` may use only values before
 * `nowIndex` (intervals that have ended), except `oracle`, which reads the future on purpose and
 * is labelled so: it gives upper bounds, never a result a real operator could get.
 */
import { forEachSameTimeBefore, prepareSeasonalRegression } from './forecast/seasonal-regression.js';
import { trainedForecaster, type PointForecast } from './forecast/trained.js';

export type ForecastName = 'oracle' | 'persistence' | 'seasonal-blend' | 'seasonal-regression';

/** The forecasts a scenario can ask for; the first is the default. */
export const forecastNames: readonly ForecastName[] = ['seasonal-blend', 'seasonal-regression', 'persistence', 'oracle'];

export interface Forecaster {
  readonly name: ForecastName;
  /** True only for `oracle`. */
  readonly usesFutureValues: boolean;
  /** Values for intervals `nowIndex … nowIndex + count − 1` of `actual`. */
  forecast(actual: ArrayLike<number>, nowIndex: number, count: number): number[];
  /**
   * Quantile forecasts for the same intervals: one array of `count` values per entry of
   * `quantiles` (each in (0, 1)), from the point forecast plus the quantiles of its own errors
   * over the training days, by lead time and time of day (for `oracle`: the actual values).
   */
  forecastQuantiles(actual: ArrayLike<number>, nowIndex: number, count: number, quantiles: readonly number[]): number[][];
}

export interface ForecastOptions {
  /** Intervals per day, for daily seasonality. */
  intervalsPerDay: number;
  /** How many past days the seasonal part averages. */
  seasonalDays?: number;
  /** Lead time (in intervals) over which trust moves from the last value to the seasonal one. */
  persistenceDecayIntervals?: number;
  /** Days before the current day that fitted models and error quantiles learn from; default 28. */
  trainingDays?: number;
}

/** Default days a trained forecaster learns from. */
export const DEFAULT_TRAINING_DAYS = 28;

/** Raised for an unknown forecast name or a bad quantile level. */
export class ForecastError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_FORECAST';
}

/** A forecaster by name; unknown names get an error listing the known ones. */
export function createForecaster(name: string, options: ForecastOptions): Forecaster {
  const training = { intervalsPerDay: options.intervalsPerDay, trainingDays: options.trainingDays ?? DEFAULT_TRAINING_DAYS };
  const seasonalDays = options.seasonalDays ?? 7;
  switch (name) {
    case 'oracle': {
      const forecast = (actual: ArrayLike<number>, nowIndex: number, count: number) => Array.from({ length: count }, (_, k) => actual[Math.min(nowIndex + k, actual.length - 1)]);
      return {
        name,
        usesFutureValues: true,
        forecast,
        forecastQuantiles: (actual, nowIndex, count, quantiles) => checked(quantiles).map(() => forecast(actual, nowIndex, count)),
      };
    }
    case 'persistence':
      return named(name, trainedForecaster((actual) => (nowIndex, count) => new Array<number>(count).fill(nowIndex > 0 ? actual[nowIndex - 1] : 0), training));
    case 'seasonal-blend':
      return named(name, trainedForecaster((actual) => seasonalBlend(actual, options), training));
    case 'seasonal-regression':
      return named(name, trainedForecaster((actual, boundary) => prepareSeasonalRegression(actual, boundary, { ...training, seasonalDays }), training));
    default:
      throw new ForecastError(`unknown forecast '${name}': expected one of ${forecastNames.join(', ')}`);
  }
}

function checked(quantiles: readonly number[]): readonly number[] {
  for (const q of quantiles) if (!(q > 0 && q < 1)) throw new ForecastError(`quantile ${q}: expected a level in (0, 1)`);
  return quantiles;
}

function named(name: ForecastName, trained: ReturnType<typeof trainedForecaster>): Forecaster {
  return {
    name,
    usesFutureValues: false,
    forecast: trained.forecast,
    forecastQuantiles: (actual, nowIndex, count, quantiles) => trained.forecastQuantiles(actual, nowIndex, count, checked(quantiles)),
  };
}

/**
 * Seasonal-naive blended with persistence: near leads trust the last value, far leads the mean of
 * the same time of day over the past week (on the AEMO prices a 7-day mean tracked the
 * next day better than 1 or 3 days, or medians). Prices and PV both have strong daily shape, and the last
 * value carries the current regime (a spike, a cloudy hour) for a while.
 */
function seasonalBlend(actual: ArrayLike<number>, options: ForecastOptions): PointForecast {
  const days = options.seasonalDays ?? 7;
  const decay = options.persistenceDecayIntervals ?? Math.max(1, options.intervalsPerDay / 12);
  const perDay = options.intervalsPerDay;
  return (nowIndex, count) => {
    const result = new Array<number>(count);
    const last = nowIndex > 0 ? actual[nowIndex - 1] : 0;
    for (let k = 0; k < count; k++) {
      let sum = 0;
      const seen = forEachSameTimeBefore(actual, nowIndex, nowIndex + k, perDay, days, (value) => {
        sum += value;
      });
      if (seen === 0) {
        result[k] = last;
        continue;
      }
      const trustLast = Math.exp(-(k + 1) / decay);
      result[k] = trustLast * last + (1 - trustLast) * (sum / seen);
    }
    return result;
  };
}
