import { loadCsvSeries } from './csv-series.js';
import type { Loaded, TimeSeries } from './series.js';

/** The epftoolbox day-ahead markets available in the recorded data. */
export type EpftoolboxMarket = 'PJM' | 'NP' | 'DE';

/** One epftoolbox market: hourly day-ahead price plus the forecasts the dataset ships with. */
export interface EpftoolboxData {
  market: EpftoolboxMarket;
  /** Currency of `pricePerMWh`. */
  currency: 'USD' | 'EUR';
  /** IANA zone the file's local labels were read in. */
  timeZone: string;
  /** Day-ahead price, currency/MWh, hourly, interval starts in UTC. */
  pricePerMWh: TimeSeries;
  /** Day-ahead forecasts published with the price (load, wind, PV+wind), MW. */
  forecastsMW: TimeSeries[];
}

interface MarketFormat {
  timeZone: string;
  currency: 'USD' | 'EUR';
  dateColumn: string;
  priceColumn: string;
  forecasts: { column: string; name: string }[];
}

// Header text exactly as in the files, leading spaces and typos included.
const MARKETS: Record<EpftoolboxMarket, MarketFormat> = {
  PJM: {
    timeZone: 'America/New_York',
    currency: 'USD',
    dateColumn: 'Date',
    priceColumn: ' Zonal COMED price',
    forecasts: [
      { column: ' System load forecast', name: 'PJM system load forecast' },
      { column: ' Zonal COMED load foecast', name: 'COMED zonal load forecast' },
    ],
  },
  NP: {
    timeZone: 'Europe/Oslo',
    currency: 'EUR',
    dateColumn: 'Date',
    priceColumn: ' Price',
    forecasts: [
      { column: ' Grid load forecast', name: 'Nord Pool grid load forecast' },
      { column: ' Wind power forecast', name: 'Nord Pool wind power forecast' },
    ],
  },
  DE: {
    timeZone: 'Europe/Berlin',
    currency: 'EUR',
    dateColumn: '',
    priceColumn: 'Price',
    forecasts: [
      { column: 'Ampirion Load Forecast', name: 'Amprion load forecast' },
      { column: 'PV+Wind Forecast', name: 'DE PV+wind forecast' },
    ],
  },
};

/**
 * Load one epftoolbox market (hourly, hour-beginning local labels, DST-regularised to 24 labels a
 * day). Mapping onto real time: the spring-forward label that does not exist locally (e.g. 02:00)
 * is dropped (the files fill it, e.g. DE repeats the previous load forecast there); the fall-back
 * label is read as the first occurrence and the repeated hour, absent from the file, is filled by
 * holding it. The result is a regular hourly UTC grid; the report counts both.
 */
export function loadEpftoolbox(dataDir: string, market: EpftoolboxMarket): Loaded<EpftoolboxData> {
  const f = MARKETS[market];
  const unit = `${f.currency}/MWh`;
  const { data, report } = loadCsvSeries(
    {
      file: `price-epftoolbox-dayahead/${market}.csv`,
      time: { column: f.dateColumn, format: 'yyyy-MM-dd HH:mm:ss', timeZone: f.timeZone, labelling: 'interval-start', intervalMinutes: 60 },
      values: [{ column: f.priceColumn, name: `${market} day-ahead price`, unit }, ...f.forecasts.map((c) => ({ ...c, unit: 'MW' }))],
      gapFill: 'hold',
    },
    dataDir,
  );
  report.notes.push(
    `DST-regularised labels: spring-forward hours that do not exist in ${f.timeZone} are dropped; ` +
      'each fall-back repeated hour is filled by holding the hour before it',
  );
  const [price, ...forecasts] = data;
  return { data: { market, currency: f.currency, timeZone: f.timeZone, pricePerMWh: price, forecastsMW: forecasts }, report };
}
