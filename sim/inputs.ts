import { DateTime } from 'luxon';
import type { SignalSpec } from './scenario.js';
import { type TimeSeries, type LoadReport, resample, valueAt } from './signals/series.js';
import { loadAemoPriceDemand } from './signals/aemo.js';
import { loadEpftoolbox } from './signals/epftoolbox.js';
import { loadCityLearnBuilding, loadCityLearnCarbon, loadCityLearnPricing } from './signals/citylearn.js';
import { loadNrelIrradiance } from './signals/nrel.js';
import { loadCsvSeries } from './signals/csv-series.js';

/** The simulation's time grid: `count` intervals of `intervalMs` from `startMs` (UTC epoch ms). */
export interface Grid {
  startMs: number;
  intervalMs: number;
  count: number;
}

/** A signal resampled onto a grid, with where it came from. */
export interface GridSignal {
  name: string;
  unit: string;
  values: number[];
  reports: LoadReport[];
}

/** A signal spec that cannot be served for the grid asked (wrong span, unknown series). */
export class SignalError extends Error {
  readonly code = 'VPP_ERR_SIGNAL';
}

/** Loads and caches the recorded series a scenario names, from one data folder. */
export class SignalLoader {
  private readonly cache = new Map<string, { series: TimeSeries; report: LoadReport }>();
  private readonly gridCache = new Map<string, GridSignal>();

  /** `dataDir` is resolved only when a recorded series is first needed. */
  constructor(
    private readonly dataDir: () => string,
    private readonly scenarioDir: string,
  ) {}

  /** The data folder (resolving it now if no series asked for it yet). */
  dataDirectory(): string {
    return this.dataDir();
  }

  /** The spec's series on `grid`; `building` picks the CityLearn home when the spec says 'all'. */
  onGrid(spec: SignalSpec, grid: Grid, building = 1): GridSignal {
    const key = JSON.stringify([spec, grid, building]);
    let signal = this.gridCache.get(key);
    if (!signal) {
      signal = this.resampled(spec, grid, building);
      this.gridCache.set(key, signal);
    }
    return signal;
  }

  private resampled(spec: SignalSpec, grid: Grid, building: number): GridSignal {
    const { series, report } = this.series(spec, building);
    const scale = spec.scale ?? 1;
    const values = spec.align
      ? alignByCalendar(series, grid, spec.align.timeZone, spec.align.monthOffset)
      : resampleCovered(series, grid);
    return { name: series.name, unit: series.unit, values: scale === 1 ? values : values.map((v) => v * scale), reports: [report] };
  }

  private series(spec: SignalSpec, building: number): { series: TimeSeries; report: LoadReport } {
    const key = JSON.stringify({ ...spec, align: undefined, scale: undefined, building: spec.source === 'citylearn-pv' ? building : undefined });
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.load(spec, building);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private load(spec: SignalSpec, building: number): { series: TimeSeries; report: LoadReport } {
    switch (spec.source) {
      case 'aemo': {
        const loaded = loadAemoPriceDemand(this.dataDir());
        return { series: spec.field === 'price' ? loaded.data.pricePerMWh : loaded.data.demandMW, report: loaded.report };
      }
      case 'epftoolbox': {
        const loaded = loadEpftoolbox(this.dataDir(), spec.market);
        return { series: loaded.data.pricePerMWh, report: loaded.report };
      }
      case 'citylearn-pricing': {
        const loaded = loadCityLearnPricing(this.dataDir());
        return { series: loaded.data.pricePerMWh, report: loaded.report };
      }
      case 'citylearn-carbon': {
        const loaded = loadCityLearnCarbon(this.dataDir());
        return { series: loaded.data.carbonKgPerKWh, report: loaded.report };
      }
      case 'citylearn-pv': {
        const loaded = loadCityLearnBuilding(this.dataDir(), spec.building === 'all' ? building : spec.building);
        return { series: loaded.data.pvKWPerKW, report: loaded.report };
      }
      case 'nrel-ghi': {
        const loaded = loadNrelIrradiance(this.dataDir());
        const ghi = loaded.data.ghiWPerM2;
        const series = { ...ghi, name: 'nrel.pvKWPerKW', unit: 'kW/kW', values: ghi.values.map((v) => v * spec.kWPerKWPerWPerM2) };
        return { series, report: loaded.report };
      }
      case 'csv': {
        const loaded = loadCsvSeries(spec.mapping, this.scenarioDir);
        const series = loaded.data.find((s) => s.name === spec.series);
        if (!series) {
          throw new SignalError(`csv signal: no series named '${spec.series}' in ${spec.mapping.file} (it has ${loaded.data.map((s) => s.name).join(', ')})`);
        }
        return { series, report: loaded.report };
      }
    }
  }
}

function describeSpan(startMs: number, endMs: number): string {
  return `${new Date(startMs).toISOString()} … ${new Date(endMs).toISOString()}`;
}

function resampleCovered(series: TimeSeries, grid: Grid): number[] {
  const seriesEndMs = series.timesMs[series.timesMs.length - 1] + series.intervalMs;
  const gridEndMs = grid.startMs + grid.count * grid.intervalMs;
  if (grid.startMs < series.timesMs[0] || gridEndMs > seriesEndMs) {
    throw new SignalError(
      `signal ${series.name} covers ${describeSpan(series.timesMs[0], seriesEndMs)} but the simulation needs ${describeSpan(grid.startMs, gridEndMs)}` +
        ' (choose a window inside the recording, or replay it with align: { calendar: same-local-time-of-year })',
    );
  }
  return resample(series, grid.startMs, grid.intervalMs, grid.count);
}

/**
 * Replays a recorded profile at the same local month, day and time of day as each grid interval,
 * taking the year in which the recording holds that date (29 February falls back to the 28th),
 * optionally `monthOffset` months later (a northern profile for a southern-hemisphere season).
 */
function alignByCalendar(series: TimeSeries, grid: Grid, timeZone: string, monthOffset: number): number[] {
  return calendarTimes(series, grid, timeZone, monthOffset).map((sourceMs) => valueAt(series, sourceMs));
}

const calendarTimesCache = new Map<string, number[]>();

/** The recording time each grid interval replays; shared by every series on the same timeline. */
function calendarTimes(series: TimeSeries, grid: Grid, timeZone: string, monthOffset: number): number[] {
  const firstMs = series.timesMs[0];
  const lastMs = series.timesMs[series.timesMs.length - 1] + series.intervalMs - 1;
  const key = JSON.stringify([firstMs, lastMs, grid, timeZone, monthOffset]);
  const cached = calendarTimesCache.get(key);
  if (cached) return cached;
  const firstYear = DateTime.fromMillis(firstMs, { zone: timeZone }).year;
  const lastYear = DateTime.fromMillis(lastMs, { zone: timeZone }).year;
  const times = new Array<number>(grid.count);
  for (let i = 0; i < grid.count; i++) {
    const local = DateTime.fromMillis(grid.startMs + i * grid.intervalMs, { zone: timeZone }).plus({ months: monthOffset });
    let sourceMs = NaN;
    for (let year = firstYear; year <= lastYear && Number.isNaN(sourceMs); year++) {
      const day = local.month === 2 && local.day === 29 ? 28 : local.day;
      const candidate = local.set({ year, day }).toMillis();
      if (candidate >= firstMs && candidate <= lastMs) sourceMs = candidate;
    }
    if (Number.isNaN(sourceMs)) {
      throw new SignalError(`signal ${series.name} (${describeSpan(firstMs, lastMs)}) holds no ${local.toFormat('LLL d HH:mm')} to align with`);
    }
    times[i] = sourceMs;
  }
  calendarTimesCache.set(key, times);
  return times;
}
