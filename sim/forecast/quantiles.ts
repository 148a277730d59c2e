/**
 * Empirical forecast-error quantiles: the spread of a point forecast's past errors, kept per lead
 * time and time of day, turned into quantile forecasts. Any point forecaster gets the same
 * treatment, so methods are compared on equal terms.
 */

/** Linear-interpolated `q`-quantile (0..1) of ascending `sorted`; NaN for none. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** Pinball (quantile) loss of forecast `forecast` for quantile `q` when `actual` happened. */
export function pinballLoss(actual: number, forecast: number, q: number): number {
  const diff = actual - forecast;
  return diff >= 0 ? q * diff : (q - 1) * diff;
}

/** Fewest errors a (lead, time-of-day) cell needs before its own spread is used instead of its lead's. */
const MIN_CELL_ERRORS = 20;
/** Time-of-day cells per day. */
const TIME_OF_DAY_CELLS = 24;

/** Where an error falls: hourly lead buckets (up to a day) and hourly time-of-day cells. */
export interface ErrorGrid {
  intervalsPerDay: number;
  /** Lead bucket of lead `k` (0-based intervals ahead). */
  leadBucket(k: number): number;
  leadBuckets: number;
}

/** The error grid of a series with `intervalsPerDay` intervals a day: hourly lead buckets up to one day. */
export function errorGrid(intervalsPerDay: number): ErrorGrid {
  const perBucket = Math.max(1, Math.floor(intervalsPerDay / TIME_OF_DAY_CELLS));
  const leadBuckets = Math.max(1, Math.ceil(intervalsPerDay / perBucket));
  return { intervalsPerDay, leadBuckets, leadBucket: (k) => Math.min(leadBuckets - 1, Math.floor(k / perBucket)) };
}

function timeOfDayCell(grid: ErrorGrid, index: number): number {
  const perDay = grid.intervalsPerDay;
  const tod = ((index % perDay) + perDay) % perDay;
  return Math.min(TIME_OF_DAY_CELLS - 1, Math.floor((tod * TIME_OF_DAY_CELLS) / perDay));
}

/** Past errors (actual − forecast) binned by lead bucket and the target's time of day. */
export class ErrorQuantiles {
  private readonly cells: number[][];
  private readonly byLead: number[][];
  private sorted = false;

  constructor(private readonly grid: ErrorGrid) {
    this.cells = Array.from({ length: grid.leadBuckets * TIME_OF_DAY_CELLS }, () => []);
    this.byLead = Array.from({ length: grid.leadBuckets }, () => []);
  }

  /** Records the error of a forecast `k` intervals ahead for target interval `targetIndex`. */
  add(k: number, targetIndex: number, error: number): void {
    const lead = this.grid.leadBucket(k);
    this.cells[lead * TIME_OF_DAY_CELLS + timeOfDayCell(this.grid, targetIndex)].push(error);
    this.byLead[lead].push(error);
    this.sorted = false;
  }

  /** The `q`-quantile of the errors for lead `k` and target `targetIndex`; 0 without any. */
  offset(k: number, targetIndex: number, q: number): number {
    if (!this.sorted) {
      for (const list of [...this.cells, ...this.byLead]) list.sort((a, b) => a - b);
      this.sorted = true;
    }
    const lead = this.grid.leadBucket(k);
    const cell = this.cells[lead * TIME_OF_DAY_CELLS + timeOfDayCell(this.grid, targetIndex)];
    const list = cell.length >= MIN_CELL_ERRORS ? cell : this.byLead[lead];
    return list.length === 0 ? 0 : sortedQuantile(list, q);
  }
}
