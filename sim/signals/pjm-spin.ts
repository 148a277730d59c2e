import { DateTime } from 'luxon';
import { dataFile } from './data-dir.js';
import { columnIndex, readCsvTable } from './csv-table.js';
import { parseNumberCell } from './csv-series.js';
import { resolveZone, wallToUtc } from './local-time.js';
import { ReportBuilder } from './report.js';
import type { Loaded } from './series.js';

/** Path of the PJM synchronized-reserve events CSV inside the recorded-data folder. */
export const PJM_SPIN_FILE = 'events-pjm-spin/pjm_synchronized_reserve_events.csv';
/** PJM operational data is in Eastern Prevailing Time. */
export const PJM_TIME_ZONE = 'America/New_York';

/** One PJM synchronized-reserve (spin) deployment event. */
export interface ReserveEvent {
  /** Event start, UTC epoch ms. */
  startMs: number;
  /** Event end, UTC epoch ms (> startMs). */
  endMs: number;
  /** Duration as published (duration_s), seconds. */
  durationS: number;
  /** Synchronized-reserve zone, e.g. 'RTO', 'MidAtlantic Control Zone'. */
  zone: string;
  /** Sub-zone when the event was limited to one, e.g. 'MidAtlantic-Dominion (MAD)'. */
  subzone?: string;
}

/**
 * Load PJM synchronized-reserve events (2002–2018). Local times are read as EPT
 * (America/New_York, with DST); duration_s is checked against end - start and disagreements noted.
 */
export function loadPjmSpinEvents(dataDir: string): Loaded<ReserveEvent[]> {
  const file = dataFile(dataDir, PJM_SPIN_FILE);
  const table = readCsvTable(file);
  const col = {
    start: columnIndex(table, 'event_start_local'),
    end: columnIndex(table, 'event_end_local'),
    duration: columnIndex(table, 'duration_s'),
    zone: columnIndex(table, 'sync_reserve_zone'),
    subzone: columnIndex(table, 'sync_subzone'),
  };
  const zone = resolveZone(PJM_TIME_ZONE, file);
  const report = new ReportBuilder(file);
  report.rowsRead = table.rows.length;
  const events: ReserveEvent[] = [];
  let durationOff = 0;
  for (const { cells, line } of table.rows) {
    const where = `line ${line}`;
    const startNaive = DateTime.fromISO((cells[col.start] ?? '').trim(), { zone: 'UTC' });
    const endNaive = DateTime.fromISO((cells[col.end] ?? '').trim(), { zone: 'UTC' });
    if (!startNaive.isValid || !endNaive.isValid) {
      report.drop('unparseable event_start_local or event_end_local (expected ISO local time)', where);
      continue;
    }
    const startMs = wallToUtc(startNaive.toMillis(), zone);
    // A fall-back repeated hour: the end is the first occurrence after the start.
    const endMs = startMs === undefined ? undefined : wallToUtc(endNaive.toMillis(), zone, startMs);
    if (startMs === undefined || endMs === undefined) {
      report.drop(`non-existent local time in ${PJM_TIME_ZONE} (DST spring-forward)`, where);
      continue;
    }
    if (endMs <= startMs) {
      report.drop('event end not after start', where);
      continue;
    }
    const durationS = parseNumberCell(cells[col.duration]);
    if (durationS === undefined) {
      report.drop('unparseable duration_s', where);
      continue;
    }
    if (durationS !== (endMs - startMs) / 1000) durationOff++;
    const event: ReserveEvent = { startMs, endMs, durationS, zone: (cells[col.zone] ?? '').trim() };
    const subzone = (cells[col.subzone] ?? '').trim();
    if (subzone) event.subzone = subzone;
    events.push(event);
  }
  report.note(`event times read as ${PJM_TIME_ZONE} (EPT, assumed: the file names no zone)`);
  report.note(
    durationOff === 0
      ? `duration_s equals end - start for all ${events.length} events`
      : `duration_s differs from end - start (UTC) for ${durationOff} event(s)`,
  );
  return { data: events, report: report.build(events.length) };
}
