/** The recorded-data folder or one of its files is not where the settings say. */
export class DataMissingError extends Error {
  /** Stable code for callers and the CLI. */
  readonly code = 'VPP_ERR_DATA_MISSING';
  override readonly name = 'DataMissingError';
}

/** A CSV mapping is invalid or does not fit its file (bad field, missing column, too few rows). */
export class CsvMappingError extends Error {
  /** Stable code for callers and the CLI. */
  readonly code = 'VPP_ERR_CSV_MAPPING';
  override readonly name = 'CsvMappingError';
}

/** A recorded file cannot be used as a whole (malformed JSON, wrong structure). */
export class SignalDataError extends Error {
  /** Stable code for callers and the CLI. */
  readonly code = 'VPP_ERR_SIGNAL_DATA';
  override readonly name = 'SignalDataError';
}

/** A time series was asked for a time or span it does not cover. */
export class SeriesRangeError extends Error {
  /** Stable code for callers and the CLI. */
  readonly code = 'VPP_ERR_SERIES_RANGE';
  override readonly name = 'SeriesRangeError';
}

/** A loader was called with an argument it cannot use (building number, anchor time). */
export class SignalArgumentError extends Error {
  /** Stable code for callers and the CLI. */
  readonly code = 'VPP_ERR_SIGNAL_ARGUMENT';
  override readonly name = 'SignalArgumentError';
}
