import { loadCsvSeries } from './csv-series.js';
import type { Loaded, TimeSeries } from './series.js';

/** Path of the AEMO NSW1 price-and-demand file inside the recorded-data folder. */
export const AEMO_NSW_FILE = 'price-aemo-nsw-5min-2022-09/PRICE_AND_DEMAND_202209_NSW1.csv';

/** AEMO NSW1 5-minute regional price and operational demand. */
export interface AemoPriceDemand {
  /** Regional reference price (RRP), AUD/MWh; can be negative. */
  pricePerMWh: TimeSeries;
  /** Operational demand (TOTALDEMAND), MW. */
  demandMW: TimeSeries;
}

/**
 * Load AEMO NSW1 price and demand (Sep 2022, 5 min). SETTLEMENTDATE is the interval END in NEM
 * time (UTC+10, no DST), re-saved as `M/D/YYYY H:MM`; series carry interval starts in UTC.
 */
export function loadAemoPriceDemand(dataDir: string): Loaded<AemoPriceDemand> {
  const { data, report } = loadCsvSeries(
    {
      file: AEMO_NSW_FILE,
      time: { column: 'SETTLEMENTDATE', format: 'M/d/yyyy H:mm', timeZone: 'UTC+10', labelling: 'interval-end', intervalMinutes: 5 },
      values: [
        { column: 'RRP', name: 'AEMO NSW1 RRP', unit: 'AUD/MWh' },
        { column: 'TOTALDEMAND', name: 'AEMO NSW1 operational demand', unit: 'MW' },
      ],
    },
    dataDir,
  );
  report.notes.push('NEM time is AEST (UTC+10) all year; SETTLEMENTDATE labels the interval end');
  return { data: { pricePerMWh: data[0], demandMW: data[1] }, report };
}
