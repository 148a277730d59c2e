import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from './report.js';
import type { ServiceChart } from '../services/chart.js';

/** One market interval of a simulation run; powers are interval means (kW, positive = into the grid). */
export interface IntervalRecord {
  startMs: number;
  pricePerMWh: number;
  forecastPricePerMWh: number;
  fleetPowerKW: number;
  batteryPowerKW: number;
  pvPowerKW: number;
  pvCurtailedKW: number;
  evPowerKW: number;
  baselinePowerKW: number;
  perfectForesightPowerKW: number;
  socMinFrac: number;
  socMeanFrac: number;
  socMaxFrac: number;
  /** Cumulative energy delivered to cars (VPP, baseline) and asked for by the sessions begun so far, kWh. */
  evDeliveredKWh: number;
  evBaselineDeliveredKWh: number;
  evRequestedKWh: number;
  /** Cumulative market value minus wear cost, scenario currency. */
  valueVpp: number;
  valueBaseline: number;
  valuePerfectForesight: number;
}

/** The columns of `timeseries.csv`, in order; `time` (ISO UTC) comes first. */
export const timeseriesColumns: readonly (keyof IntervalRecord)[] = [
  'startMs', 'pricePerMWh', 'forecastPricePerMWh', 'fleetPowerKW', 'batteryPowerKW', 'pvPowerKW', 'pvCurtailedKW', 'evPowerKW',
  'baselinePowerKW', 'perfectForesightPowerKW', 'socMinFrac', 'socMeanFrac', 'socMaxFrac', 'evDeliveredKWh', 'evBaselineDeliveredKWh',
  'evRequestedKWh', 'valueVpp', 'valueBaseline', 'valuePerfectForesight',
];

/** The CSV text of a run's time series; the same records always give the same bytes. */
export function timeseriesCsv(records: readonly IntervalRecord[]): string {
  const lines = [['time', ...timeseriesColumns].join(',')];
  for (const record of records) {
    const cells = timeseriesColumns.map((column) => (column === 'startMs' ? String(record.startMs) : formatNumber(record[column])));
    lines.push([new Date(record.startMs).toISOString(), ...cells].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(10).replace(/\.?0+$/, '').replace(/\.?0+e/, 'e');
}

/** SHA-256 of the time series CSV: equal across runs of the same scenario and seed. */
export function resultHash(csv: string): string {
  return createHash('sha256').update(csv).digest('hex');
}

/** Writes `summary.json`, `timeseries.csv` and `report.html` (with the services' charts, if any) into `outDir`; returns their paths. */
export function writeResults(outDir: string, summary: Record<string, unknown>, records: readonly IntervalRecord[], csv: string, serviceCharts: readonly ServiceChart[] = []): string[] {
  mkdirSync(outDir, { recursive: true });
  const files = [join(outDir, 'summary.json'), join(outDir, 'timeseries.csv'), join(outDir, 'report.html')];
  writeFileSync(files[0], `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(files[1], csv);
  writeFileSync(files[2], renderReport(summary, records, serviceCharts));
  return files;
}
