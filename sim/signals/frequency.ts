import { loadCsvSeries } from './csv-series.js';
import type { Loaded, TimeSeries } from './series.js';

/** Path of the German 1-second grid-frequency file inside the recorded-data folder. */
export const GERMAN_FREQUENCY_FILE = 'freq-de-netztransparenz-2022-09-17/2022-09-17.csv';

/** One day of 1-second Continental-Europe grid frequency. */
export interface GermanFrequency {
  /** Measured frequency, Hz, 1-s steps. */
  frequencyHz: TimeSeries;
}

/**
 * Load the netztransparenz.de 1-second frequency trace of 2022-09-17. The file's naive timestamps
 * are read in `timeZone` (default Europe/Berlin, i.e. CEST on that day): an unverified assumption,
 * recorded in the report notes.
 */
export function loadGermanFrequency(dataDir: string, timeZone = 'Europe/Berlin'): Loaded<GermanFrequency> {
  const { data, report } = loadCsvSeries(
    {
      file: GERMAN_FREQUENCY_FILE,
      time: { column: 'time', format: 'yyyy-MM-dd HH:mm:ss', timeZone, labelling: 'interval-start', intervalMinutes: 1 / 60 },
      values: [{ column: 'Hz', name: 'DE grid frequency', unit: 'Hz' }],
    },
    dataDir,
  );
  report.notes.push(`the file names no time zone; its timestamps are ASSUMED to be ${timeZone} local time (unverified)`);
  return { data: { frequencyHz: data[0] }, report };
}
