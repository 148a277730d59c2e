import { loadCsvSeries } from './csv-series.js';
import { SignalArgumentError } from './errors.js';
import type { Loaded, TimeSeries } from './series.js';

/** PJM regulation test-signal kinds. */
export type PjmRegulationKind = 'RegA' | 'RegD';

/** A PJM regulation test signal placed on a UTC timeline. */
export interface PjmRegulationSignal {
  /** Normalised AGC signal in [-1, 1], unit '1': +1 = full regulation up (inject / raise output). */
  signal: TimeSeries;
}

const FILES: Record<PjmRegulationKind, { file: string; column: string }> = {
  RegA: { file: 'regsignal-pjm-40min-test/reg_a_40min_sample.csv', column: 'RegATest' },
  RegD: { file: 'regsignal-pjm-40min-test/reg_d_40min_sample.csv', column: 'RegDTest' },
};

/**
 * Load PJM's 40-minute RegA or RegD test signal (2-s steps). The file's elapsed time `H:MM:SS` (in
 * the blank-headed first column) is placed so that 0:00:00 starts at `anchorMs` (UTC epoch ms).
 */
export function loadPjmRegulationSignal(dataDir: string, kind: PjmRegulationKind, anchorMs: number): Loaded<PjmRegulationSignal> {
  if (!Number.isFinite(anchorMs)) throw new SignalArgumentError(`loadPjmRegulationSignal: anchorMs must be a finite UTC epoch ms (got ${anchorMs})`);
  const f = FILES[kind];
  const { data, report } = loadCsvSeries(
    {
      file: f.file,
      time: { column: '', format: 'elapsed-h:mm:ss', anchor: new Date(anchorMs).toISOString(), labelling: 'interval-start', intervalMinutes: 2 / 60 },
      values: [{ column: f.column, name: `PJM ${kind} test signal`, unit: '1' }],
    },
    dataDir,
  );
  const outside = data[0].values.filter((v) => v < -1 || v > 1).length;
  report.notes.push(`elapsed 0:00:00 placed at ${new Date(anchorMs).toISOString()}`);
  if (outside > 0) report.notes.push(`${outside} value(s) outside [-1, 1]`);
  return { data: { signal: data[0] }, report };
}
