/** Public API of the recorded-signal loaders. */
export { type TimeSeries, type LoadReport, type Loaded, valueAt, resample, seriesEndMs } from './series.js';
export { DataMissingError, CsvMappingError, SignalDataError, SignalArgumentError, SeriesRangeError } from './errors.js';
export { resolveDataDir, dataFile, DATA_DIR_ENV } from './data-dir.js';
export { csvMappingSchema, type CsvMapping, loadCsvSeries, parseCsvMapping } from './csv-series.js';
export { loadAemoPriceDemand, type AemoPriceDemand, AEMO_NSW_FILE } from './aemo.js';
export { loadEpftoolbox, type EpftoolboxData, type EpftoolboxMarket } from './epftoolbox.js';
export {
  loadCityLearnBuilding,
  loadCityLearnPricing,
  loadCityLearnCarbon,
  type CityLearnBuilding,
  type CityLearnPricing,
  type CityLearnCarbon,
  CITYLEARN_TIME_ZONE,
  CITYLEARN_BUILDINGS,
} from './citylearn.js';
export { loadAcnSessions, type EvSessionRecord, ACN_EXCLUDED_STATION } from './acn.js';
export { loadNrelIrradiance, type NrelIrradiance } from './nrel.js';
export { loadPjmSpinEvents, type ReserveEvent } from './pjm-spin.js';
export { loadGermanFrequency, type GermanFrequency } from './frequency.js';
export { loadPjmRegulationSignal, type PjmRegulationKind, type PjmRegulationSignal } from './pjm-regulation.js';
