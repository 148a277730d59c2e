import { loadCsvSeries } from './csv-series.js';
import type { Loaded, TimeSeries } from './series.js';

/** Path of the NREL MIDC one-day irradiance file inside the recorded-data folder. */
export const NREL_MIDC_FILE = 'irradiance-nrel-midc-1min-2018-10-14/midc_20181014.txt';

/** One day of 1-minute global horizontal irradiance. */
export interface NrelIrradiance {
  /** Global horizontal irradiance, W/m², clipped at 0 (night-time sensor offsets removed). */
  ghiWPerM2: TimeSeries;
}

/**
 * Load NREL MIDC 1-minute GHI (2018-10-14). Times are MST (fixed UTC-7, no DST) from the date and
 * time columns; negative night readings (thermal offsets) are clipped to 0 and counted in the report.
 */
export function loadNrelIrradiance(dataDir: string): Loaded<NrelIrradiance> {
  const { data, report } = loadCsvSeries(
    {
      file: NREL_MIDC_FILE,
      time: { column: ['DATE (MM/DD/YYYY)', 'MST'], format: 'MM/dd/yyyy HH:mm', timeZone: 'UTC-7', labelling: 'interval-start', intervalMinutes: 1 },
      values: [{ column: 'Global PSP [W/m^2]', name: 'NREL MIDC GHI', unit: 'W/m2' }],
    },
    dataDir,
  );
  const ghi = data[0];
  let clipped = 0;
  ghi.values = ghi.values.map((v) => {
    if (v >= 0) return v;
    clipped++;
    return 0;
  });
  report.notes.push(`MIDC times are MST (UTC-7, no DST); ${clipped} negative reading(s) clipped to 0 W/m2`);
  return { data: { ghiWPerM2: ghi }, report };
}
