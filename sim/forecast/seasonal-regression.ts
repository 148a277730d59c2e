/**
 * A regression per lead time on the signals a day-shaped series carries: the last value, the same
 * time on the most recent day, the mean of the same time over the past days, the same time a week
 * earlier, and a constant. Fitted by least squares, shrunk towards "seasonal mean" where data is
 * thin, on the training window before the day's start; output kept inside the range seen from the
 * training window's start up to now (see `observedRange`).
 */
import { errorGrid } from './quantiles.js';
import { clampTo, observedRange, trainingStart, trainingStride, type PointForecast, type TrainingOptions } from './trained.js';

/** Settings of the regression. */
export interface SeasonalRegressionOptions extends TrainingOptions {
  /** Past days the seasonal mean averages. */
  seasonalDays: number;
}

const FEATURES = 6;
/** Prior coefficients: the seasonal mean alone (constant, last, yesterday, mean, last week, last value's anomaly). */
const PRIOR = [0, 0, 0, 1, 0, 0];
/** How many samples' worth of weight the prior carries in each lead bucket. */
const PRIOR_WEIGHT_SAMPLES = 25;
const DAYS_PER_WEEK = 7;

/**
 * Visits the values at the same time of day as `target` on earlier days, most recent first, that
 * lie before `origin` (already observed), up to `maxDays` of them; `m` is how many days back.
 */
export function forEachSameTimeBefore(
  actual: ArrayLike<number>,
  origin: number,
  target: number,
  perDay: number,
  maxDays: number,
  visit: (value: number, m: number) => void,
): number {
  let seen = 0;
  for (let m = 1; seen < maxDays && target - m * perDay >= 0; m++) {
    const index = target - m * perDay;
    if (index < origin) {
      visit(actual[index], m);
      seen++;
    }
  }
  return seen;
}

function features(actual: ArrayLike<number>, origin: number, target: number, opts: SeasonalRegressionOptions, out: Float64Array): void {
  const last = actual[origin - 1];
  let yesterday = NaN;
  let weekAgo = NaN;
  let sum = 0;
  const seen = forEachSameTimeBefore(actual, origin, target, opts.intervalsPerDay, opts.seasonalDays, (value, m) => {
    if (Number.isNaN(yesterday)) yesterday = value;
    if (Number.isNaN(weekAgo) && m % DAYS_PER_WEEK === 0) weekAgo = value;
    sum += value;
  });
  const mean = seen > 0 ? sum / seen : last;
  out[0] = 1;
  out[1] = last;
  out[2] = seen > 0 ? yesterday : last;
  out[3] = mean;
  out[4] = Number.isNaN(weekAgo) ? mean : weekAgo;
  // How far the last value sits from its own time of day's mean: a regime that carries forward.
  let lastSum = 0;
  const lastSeen = forEachSameTimeBefore(actual, origin, origin - 1, opts.intervalsPerDay, opts.seasonalDays, (value) => {
    lastSum += value;
  });
  out[5] = lastSeen > 0 ? last - lastSum / lastSeen : 0;
}

/** Solves the symmetric positive-definite system `a x = b` (n×n row-major) by Gaussian elimination with pivoting. */
function solveLinear(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [m[col * n + c], m[pivot * n + c]] = [m[pivot * n + c], m[col * n + c]];
      [x[col], x[pivot]] = [x[pivot], x[col]];
    }
    const d = m[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) m[r * n + c] -= f * m[col * n + c];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let c = r + 1; c < n; c++) s -= m[r * n + c] * x[c];
    x[r] = s / m[r * n + r];
  }
  return x;
}

/**
 * Fits the regression on `actual` before `boundary` and returns its point forecast. Without a day of
 * history to learn from, every lead gets the prior (the seasonal mean, or the last value).
 */
export function prepareSeasonalRegression(actual: ArrayLike<number>, boundary: number, opts: SeasonalRegressionOptions): PointForecast {
  const perDay = opts.intervalsPerDay;
  const grid = errorGrid(perDay);
  const buckets = grid.leadBuckets;
  const xtx = Array.from({ length: buckets }, () => new Float64Array(FEATURES * FEATURES));
  const xty = Array.from({ length: buckets }, () => new Float64Array(FEATURES));
  const samples = new Array<number>(buckets).fill(0);
  const x = new Float64Array(FEATURES);
  const start = trainingStart(boundary, opts);
  // Origins need a past day for the seasonal features to mean anything.
  for (let origin = Math.max(start, perDay); origin < boundary; origin += trainingStride(perDay)) {
    for (let k = 0; k < perDay && origin + k < boundary; k++) {
      const bucket = grid.leadBucket(k);
      features(actual, origin, origin + k, opts, x);
      const y = actual[origin + k];
      const a = xtx[bucket];
      const v = xty[bucket];
      for (let i = 0; i < FEATURES; i++) {
        v[i] += x[i] * y;
        for (let j = 0; j < FEATURES; j++) a[i * FEATURES + j] += x[i] * x[j];
      }
      samples[bucket]++;
    }
  }
  const coefs = xtx.map((a, bucket) => {
    const n = samples[bucket];
    if (n === 0) return Float64Array.from(PRIOR);
    const lhs = Float64Array.from(a);
    const rhs = Float64Array.from(xty[bucket]);
    for (let i = 0; i < FEATURES; i++) {
      // Ridge towards the prior, scaled per feature so it is independent of the series' units.
      const penalty = (PRIOR_WEIGHT_SAMPLES * a[i * FEATURES + i]) / n + 1e-9;
      lhs[i * FEATURES + i] += penalty;
      rhs[i] += penalty * PRIOR[i];
    }
    const beta = solveLinear(lhs, rhs, FEATURES);
    return beta.every(Number.isFinite) ? beta : Float64Array.from(PRIOR);
  });
  const [trainedLo, trainedHi] = observedRange(actual, start, boundary);
  return (origin, count) => {
    const out = new Array<number>(count);
    const [todayLo, todayHi] = observedRange(actual, boundary, origin);
    const range: [number, number] = [Math.min(trainedLo, todayLo), Math.max(trainedHi, todayHi)];
    const f = new Float64Array(FEATURES);
    for (let k = 0; k < count; k++) {
      if (origin === 0) {
        out[k] = 0;
        continue;
      }
      features(actual, origin, origin + k, opts, f);
      const beta = coefs[grid.leadBucket(k)];
      let v = 0;
      for (let i = 0; i < FEATURES; i++) v += beta[i] * f[i];
      out[k] = clampTo(range, v);
    }
    return out;
  };
}
