import { SeriesRangeError } from './errors.js';

/** A step-hold time series: `values[i]` holds from `timesMs[i]` until the next start (the last one for `intervalMs`). */
export interface TimeSeries {
  /** What the series is, e.g. 'RRP' or 'non_shiftable_load'. */
  name: string;
  /** Unit of `values`, e.g. 'AUD/MWh', 'kW', '1' for dimensionless. */
  unit: string;
  /** interval START times, UTC epoch ms, strictly increasing */
  timesMs: number[];
  /** One value per start time, in `unit`. */
  values: number[];
  /** nominal spacing */
  intervalMs: number;
}

/** What a loader read, kept and dropped, and anything a user should know about the file. */
export interface LoadReport {
  /** File (or folder) the data came from. */
  source: string;
  /** Data rows (or records) in the file, header excluded. */
  rowsRead: number;
  /** Rows that made it into the result. */
  rowsKept: number;
  /** Rows dropped, grouped by reason. */
  dropped: { reason: string; count: number }[];
  /** Assumptions made and oddities found (zones assumed, gaps filled, disagreements). */
  notes: string[];
}

/** A loader's result together with its report. */
export interface Loaded<T> {
  data: T;
  report: LoadReport;
}

/** End of the span a series covers, UTC epoch ms (exclusive). */
export function seriesEndMs(series: TimeSeries): number {
  return series.timesMs[series.timesMs.length - 1] + series.intervalMs;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function assertCovers(series: TimeSeries, fromMs: number, toMs: number): void {
  if (series.timesMs.length === 0) throw new SeriesRangeError(`series "${series.name}" is empty`);
  const startMs = series.timesMs[0];
  const endMs = seriesEndMs(series);
  if (!(fromMs >= startMs && toMs <= endMs)) {
    const asked = fromMs === toMs ? iso(fromMs) : `${iso(fromMs)} .. ${iso(toMs)}`;
    throw new SeriesRangeError(`series "${series.name}" covers ${iso(startMs)} .. ${iso(endMs)} (exclusive); asked for ${asked}`);
  }
}

/** Index of the last start <= timeMs; the caller ensures timeMs >= timesMs[0]. */
function indexAt(timesMs: number[], timeMs: number): number {
  let lo = 0;
  let hi = timesMs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timesMs[mid] <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** value of the interval containing timeMs (step-hold); throws a clear error outside the series */
export function valueAt(series: TimeSeries, timeMs: number): number {
  assertCovers(series, timeMs, timeMs);
  if (timeMs === seriesEndMs(series)) {
    throw new SeriesRangeError(`series "${series.name}" ends at ${iso(timeMs)} (exclusive); asked for exactly that time`);
  }
  return series.values[indexAt(series.timesMs, timeMs)];
}

/** mean over [startMs, startMs+count*intervalMs) in count buckets, time-weighted from step-hold; for upsampling it holds */
export function resample(series: TimeSeries, startMs: number, intervalMs: number, count: number): number[] {
  if (!(intervalMs > 0) || !Number.isInteger(count) || count < 0) {
    throw new RangeError(`resample of "${series.name}": intervalMs must be > 0 and count a non-negative integer (got ${intervalMs}, ${count})`);
  }
  if (count === 0) return [];
  const endMs = startMs + count * intervalMs;
  assertCovers(series, startMs, endMs);
  const { timesMs, values } = series;
  const out: number[] = [];
  let i = indexAt(timesMs, startMs);
  for (let b = 0; b < count; b++) {
    const a = startMs + b * intervalMs;
    const z = a + intervalMs;
    let sum = 0;
    for (;;) {
      const segEnd = i + 1 < timesMs.length ? timesMs[i + 1] : timesMs[i] + series.intervalMs;
      const from = Math.max(a, timesMs[i]);
      const to = Math.min(z, segEnd);
      if (to > from) sum += values[i] * (to - from);
      // Stay on this segment when it runs past the bucket: the next bucket starts in it.
      if (segEnd > z || i + 1 >= timesMs.length) break;
      i++;
    }
    out.push(sum / intervalMs);
  }
  return out;
}
