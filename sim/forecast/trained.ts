/**
 * Forecasters re-fitted once a day from the values before that day, with quantiles from their own
 * past errors. A forecast made at `nowIndex` uses a model fitted on values before the start of
 * `nowIndex`'s day (index `boundary` <= nowIndex) plus the values before `nowIndex` themselves, so
 * it never reads the future.
 */
import { errorGrid, ErrorQuantiles } from './quantiles.js';

/** Point forecast for `count` intervals from `origin` (using only values before `origin`). */
export type PointForecast = (origin: number, count: number) => number[];

/** Prepares the point forecast for `actual` from the values before index `boundary`. */
export type PreparePoint = (actual: ArrayLike<number>, boundary: number) => PointForecast;

/** How a trained forecaster looks back. */
export interface TrainingOptions {
  intervalsPerDay: number;
  /** Days of history before the day's start the model and its error quantiles learn from. */
  trainingDays: number;
}

/** A point forecaster with daily-refitted error quantiles. */
export interface TrainedForecaster {
  forecast(actual: ArrayLike<number>, nowIndex: number, count: number): number[];
  forecastQuantiles(actual: ArrayLike<number>, nowIndex: number, count: number, quantiles: readonly number[]): number[][];
}

interface DayState {
  day: number;
  point: PointForecast;
  errors?: ErrorQuantiles;
}

/**
 * Lowest and highest value of `actual` over [from, to), [Infinity, -Infinity] for none. Forecasts
 * are kept inside what was seen from the training window's start up to now: PV never below zero,
 * a price never beyond its range, yet a new extreme (the first negative prices) shows at once.
 */
export function observedRange(actual: ArrayLike<number>, from: number, to: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    lo = Math.min(lo, actual[i]);
    hi = Math.max(hi, actual[i]);
  }
  return [lo, hi];
}

/** Clamps `value` into `range`, or returns it unchanged when the range is empty. */
export function clampTo(range: [number, number], value: number): number {
  return range[0] <= range[1] ? Math.min(range[1], Math.max(range[0], value)) : value;
}

/** Origins the error quantiles (and fitted models) sample: hourly, so a 5-minute day costs 24 forecasts. */
export function trainingStride(intervalsPerDay: number): number {
  return Math.max(1, Math.round(intervalsPerDay / 24));
}

/** First index of the training window for a model fitted before `boundary`. */
export function trainingStart(boundary: number, options: TrainingOptions): number {
  return Math.max(0, boundary - options.trainingDays * options.intervalsPerDay);
}

/**
 * Wraps `prepare` into a forecaster: one model and one error table per series and day (the latest
 * day kept per series object), errors measured at hourly origins over the training window for
 * leads up to one day.
 */
export function trainedForecaster(prepare: PreparePoint, options: TrainingOptions): TrainedForecaster {
  const perDay = options.intervalsPerDay;
  const states = new WeakMap<object, DayState>();
  const stateFor = (actual: ArrayLike<number>, nowIndex: number): DayState => {
    const day = Math.floor(nowIndex / perDay);
    let state = states.get(actual);
    if (state?.day !== day) {
      state = { day, point: prepare(actual, day * perDay) };
      states.set(actual, state);
    }
    return state;
  };
  const errorsFor = (actual: ArrayLike<number>, state: DayState): ErrorQuantiles => {
    if (state.errors !== undefined) return state.errors;
    const boundary = state.day * perDay;
    const start = trainingStart(boundary, options);
    const grid = errorGrid(perDay);
    const errors = new ErrorQuantiles(grid);
    for (let origin = Math.max(1, start); origin < boundary; origin += trainingStride(perDay)) {
      const count = Math.min(perDay, boundary - origin);
      const point = state.point(origin, count);
      for (let k = 0; k < count; k++) errors.add(k, origin + k, actual[origin + k] - point[k]);
    }
    state.errors = errors;
    return errors;
  };
  // A caller asking for the point and then the quantiles of the same forecast pays for one.
  let last: { actual: ArrayLike<number>; nowIndex: number; count: number; day: number; point: number[] } | undefined;
  const pointFor = (actual: ArrayLike<number>, nowIndex: number, count: number, state: DayState): number[] => {
    if (last?.actual !== actual || last.nowIndex !== nowIndex || last.count !== count || last.day !== state.day) {
      last = { actual, nowIndex, count, day: state.day, point: state.point(nowIndex, count) };
    }
    return last.point;
  };
  return {
    forecast: (actual, nowIndex, count) => [...pointFor(actual, nowIndex, count, stateFor(actual, nowIndex))],
    forecastQuantiles(actual, nowIndex, count, quantiles) {
      const state = stateFor(actual, nowIndex);
      const errors = errorsFor(actual, state);
      const point = pointFor(actual, nowIndex, count, state);
      const range = observedRange(actual, trainingStart(state.day * perDay, options), nowIndex);
      return quantiles.map((q) => point.map((value, k) => clampTo(range, value + errors.offset(k, nowIndex + k, q))));
    },
  };
}
