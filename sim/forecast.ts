/**
 * Forecasts the planner sees. A forecast for interval `nowIndex + k` may use only values before
 * `nowIndex` (intervals that have ended), except `oracle`, which reads the future on purpose and
 * is labelled so: it gives upper bounds, never a result a real operator could get.
 */
export type ForecastName = 'oracle' | 'persistence' | 'seasonal-blend';

/** The forecasts a scenario can ask for; the first is the default. */
export const forecastNames: readonly ForecastName[] = ['seasonal-blend', 'persistence', 'oracle'];

export interface Forecaster {
  readonly name: ForecastName;
  /** True only for `oracle`. */
  readonly usesFutureValues: boolean;
  /** Values for intervals `nowIndex … nowIndex + count − 1` of `actual`. */
  forecast(actual: ArrayLike<number>, nowIndex: number, count: number): number[];
}

export interface ForecastOptions {
  /** Intervals per day, for daily seasonality. */
  intervalsPerDay: number;
  /** How many past days the seasonal part averages. */
  seasonalDays?: number;
  /** Lead time (in intervals) over which trust moves from the last value to the seasonal one. */
  persistenceDecayIntervals?: number;
}

/** A forecaster by name; unknown names get an error listing the known ones. */
export function createForecaster(name: string, options: ForecastOptions): Forecaster {
  switch (name) {
    case 'oracle':
      return {
        name,
        usesFutureValues: true,
        forecast: (actual, nowIndex, count) => Array.from({ length: count }, (_, k) => actual[Math.min(nowIndex + k, actual.length - 1)]),
      };
    case 'persistence':
      return {
        name,
        usesFutureValues: false,
        forecast: (actual, nowIndex, count) => new Array<number>(count).fill(nowIndex > 0 ? actual[nowIndex - 1] : 0),
      };
    case 'seasonal-blend':
      return seasonalBlend(options);
    default:
      throw new Error(`unknown forecast '${name}': expected one of ${forecastNames.join(', ')}`);
  }
}

/**
 * Seasonal-naive blended with persistence: near leads trust the last value, far leads the mean of
 * the same time of day over the past week (on the AEMO prices a 7-day mean tracked the
 * next day better than 1 or 3 days, or medians). Prices and PV both have strong daily shape, and the last
 * value carries the current regime (a spike, a cloudy hour) for a while.
 */
function seasonalBlend(options: ForecastOptions): Forecaster {
  const days = options.seasonalDays ?? 7;
  const decay = options.persistenceDecayIntervals ?? Math.max(1, options.intervalsPerDay / 12);
  const perDay = options.intervalsPerDay;
  return {
    name: 'seasonal-blend',
    usesFutureValues: false,
    forecast(actual, nowIndex, count) {
      const result = new Array<number>(count);
      const last = nowIndex > 0 ? actual[nowIndex - 1] : 0;
      for (let k = 0; k < count; k++) {
        let sum = 0;
        let seen = 0;
        for (let day = 1; seen < days && nowIndex + k - day * perDay >= 0; day++) {
          const index = nowIndex + k - day * perDay;
          if (index < nowIndex) {
            sum += actual[index];
            seen++;
          }
        }
        if (seen === 0) {
          result[k] = last;
          continue;
        }
        const trustLast = Math.exp(-(k + 1) / decay);
        result[k] = trustLast * last + (1 - trustLast) * (sum / seen);
      }
      return result;
    },
  };
}
