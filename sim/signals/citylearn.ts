import { loadCsvSeries, type CsvMapping } from './csv-series.js';
import { SignalArgumentError } from './errors.js';
import { offsetAt, resolveZone } from './local-time.js';
import type { LoadReport, Loaded, TimeSeries } from './series.js';

/** Folder of the CityLearn 2022 (Fontana, CA) dataset inside the recorded-data folder. */
export const CITYLEARN_DIR = 'load-pv-citylearn-fontana';
/** Local zone of the CityLearn data (Fontana, California). */
export const CITYLEARN_TIME_ZONE = 'America/Los_Angeles';
/** Number of homes in the dataset (Building_1 … Building_17). */
export const CITYLEARN_BUILDINGS = 17;

/** One CityLearn home: load and PV per kW installed, hourly. */
export interface CityLearnBuilding {
  /** Whole-home consumption (non_shiftable_load), mean kW over each hour (>= 0, a consumption, not grid-signed). */
  loadKW: TimeSeries;
  /** PV AC output per kW of installed PV, kW/kW (>= 0). */
  pvKWPerKW: TimeSeries;
}

/** The CityLearn retail time-of-use tariff. */
export interface CityLearnPricing {
  /** Retail tariff, USD/kWh. */
  pricePerKWh: TimeSeries;
  /** The same tariff in USD/MWh (x1000). */
  pricePerMWh: TimeSeries;
}

/** The CityLearn grid carbon intensity. */
export interface CityLearnCarbon {
  /** Grid emission rate, kgCO2/kWh. */
  carbonKgPerKWh: TimeSeries;
}

/**
 * The files have no timestamps: row i is the hour ENDING 2016-08-01 00:00 + i h of local wall
 * time, every day with 24 rows. Like epftoolbox, the spring-forward hour that does not exist is
 * dropped and the fall-back repeated hour is filled by holding.
 */
function cityLearnMapping(file: string, values: CsvMapping['values']): CsvMapping {
  return {
    file: `${CITYLEARN_DIR}/${file}`,
    time: { firstLabel: '2016-08-01T00:00', intervalMinutes: 60, timeZone: CITYLEARN_TIME_ZONE, labelling: 'interval-end' },
    values,
    gapFill: 'hold',
  };
}

/** Compare the month / hour (1-24, hour ending) / DST columns with the built timeline and note disagreements. */
function checkCalendar(report: LoadReport, month: TimeSeries, hour: TimeSeries, dst: TimeSeries): void {
  const zone = resolveZone(CITYLEARN_TIME_ZONE, report.source);
  let calendarOff = 0;
  let firstCalendarOff = '';
  let dstOff = 0;
  for (let i = 0; i < month.timesMs.length; i++) {
    const t = month.timesMs[i];
    const offsetMin = offsetAt(zone, t);
    // Local wall time of the interval start, read through a UTC Date.
    const local = new Date(t + offsetMin * 60_000);
    if (local.getUTCMonth() + 1 !== month.values[i] || local.getUTCHours() + 1 !== hour.values[i]) {
      if (calendarOff++ === 0) firstCalendarOff = `${local.toISOString().slice(0, 16)} local has month=${month.values[i]} hour=${hour.values[i]}`;
    }
    const year = local.getUTCFullYear();
    const standardMin = Math.min(offsetAt(zone, Date.UTC(year, 0, 1)), offsetAt(zone, Date.UTC(year, 6, 1)));
    if ((offsetMin > standardMin ? 1 : 0) !== dst.values[i]) dstOff++;
  }
  report.notes.push(
    calendarOff === 0
      ? `month/hour columns agree with the ${CITYLEARN_TIME_ZONE} timeline on all ${month.timesMs.length} intervals`
      : `month/hour columns disagree with the ${CITYLEARN_TIME_ZONE} timeline on ${calendarOff} interval(s), first: ${firstCalendarOff}`,
  );
  if (dstOff > 0) {
    report.notes.push(`daylight_savings_status disagrees with ${CITYLEARN_TIME_ZONE} on ${dstOff} interval(s) (the column does not track DST)`);
  }
}

/**
 * Load CityLearn home `n` (1..17): hourly load (kWh per hour = mean kW) and PV per kW installed
 * (file W/kW / 1000), on a UTC timeline checked against the file's calendar columns.
 */
export function loadCityLearnBuilding(dataDir: string, n: number): Loaded<CityLearnBuilding> {
  if (!Number.isInteger(n) || n < 1 || n > CITYLEARN_BUILDINGS) {
    throw new SignalArgumentError(`loadCityLearnBuilding: building number must be an integer 1..${CITYLEARN_BUILDINGS} (got ${n})`);
  }
  const { data, report } = loadCsvSeries(
    cityLearnMapping(`Building_${n}.csv`, [
      { column: 'non_shiftable_load', name: `CityLearn building ${n} load`, unit: 'kW' },
      { column: 'solar_generation', name: `CityLearn building ${n} PV per kW installed`, unit: 'kW/kW', scale: 0.001 },
      { column: 'month', name: 'month', unit: '1' },
      { column: 'hour', name: 'hour', unit: '1' },
      { column: 'daylight_savings_status', name: 'daylight_savings_status', unit: '1' },
    ]),
    dataDir,
  );
  const [loadKW, pvKWPerKW, month, hour, dst] = data;
  checkCalendar(report, month, hour, dst);
  return { data: { loadKW, pvKWPerKW }, report };
}

/** Load the CityLearn retail time-of-use tariff (USD/kWh, and the same in USD/MWh). */
export function loadCityLearnPricing(dataDir: string): Loaded<CityLearnPricing> {
  const { data, report } = loadCsvSeries(
    cityLearnMapping('pricing.csv', [
      { column: 'electricity_pricing', name: 'CityLearn TOU tariff', unit: 'USD/kWh' },
      { column: 'electricity_pricing', name: 'CityLearn TOU tariff', unit: 'USD/MWh', scale: 1000 },
    ]),
    dataDir,
  );
  report.notes.push('a retail time-of-use tariff, not a wholesale price');
  return { data: { pricePerKWh: data[0], pricePerMWh: data[1] }, report };
}

/** Load the CityLearn hourly grid carbon intensity (kgCO2/kWh). */
export function loadCityLearnCarbon(dataDir: string): Loaded<CityLearnCarbon> {
  const { data, report } = loadCsvSeries(
    cityLearnMapping('carbon_intensity.csv', [{ column: 'carbon_intensity', name: 'CityLearn grid carbon intensity', unit: 'kgCO2/kWh' }]),
    dataDir,
  );
  return { data: { carbonKgPerKWh: data[0] }, report };
}
