import { DateTime, type Zone } from 'luxon';
import { z } from 'zod';
import { dataFile } from './data-dir.js';
import { columnIndex, readCsvTable, type CsvTable } from './csv-table.js';
import { CsvMappingError } from './errors.js';
import { resolveZone, wallToUtc } from './local-time.js';
import { ReportBuilder } from './report.js';
import type { Loaded, TimeSeries } from './series.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Formats that need no time zone: absolute times, or ISO strings that may carry their own offset. */
const ZONE_FREE_FORMATS: ReadonlySet<string> = new Set(['epoch-ms', 'epoch-s', 'elapsed-h:mm:ss', 'iso']);

const labellingSchema = z.enum(['interval-start', 'interval-end']);

/** Time from a timestamp column (or several columns joined with a space, e.g. a date and a time column). */
const timestampTimeSchema = z
  .object({
    column: z.union([z.string(), z.array(z.string()).min(1)]),
    /** A luxon format string ('M/d/yyyy H:mm') or one of 'iso' | 'epoch-ms' | 'epoch-s' | 'elapsed-h:mm:ss'. */
    format: z.string().min(1),
    /** IANA zone or fixed offset ('UTC+10'); required except for epoch, elapsed and offset-carrying ISO times. */
    timeZone: z.string().min(1).optional(),
    labelling: labellingSchema.default('interval-start'),
    /** Nominal interval; inferred from the median step when absent. */
    intervalMinutes: z.number().positive().optional(),
    /** ISO time that elapsed time 0:00:00 corresponds to ('elapsed-h:mm:ss' only). */
    anchor: z.string().min(1).optional(),
  })
  .strict();

/** Time from a local date column plus a 1-based period-of-day column (market-operator style). */
const periodTimeSchema = z
  .object({
    dateColumn: z.string(),
    dateFormat: z.string().min(1),
    periodColumn: z.string(),
    periodsPerDay: z.number().int().positive(),
    timeZone: z.string().min(1),
  })
  .strict();

/** No time column: data row i is labelled `firstLabel` + i intervals of local wall-clock time (every day the same length). */
const rowClockTimeSchema = z
  .object({
    /** Local wall-clock ISO time without offset labelling the first data row, e.g. '2016-08-01T00:00'. */
    firstLabel: z.string().min(1),
    intervalMinutes: z.number().positive(),
    timeZone: z.string().min(1),
    labelling: labellingSchema.default('interval-start'),
  })
  .strict();

const valueColumnSchema = z
  .object({
    column: z.string(),
    name: z.string().min(1),
    unit: z.string(),
    /** Multiplier applied to the file's number. */
    scale: z.number().refine(Number.isFinite, 'must be a finite number').default(1),
  })
  .strict();

/**
 * Zod schema of a mapping from a user's CSV recording to time series. `file` is relative to the
 * base folder (or absolute); `gapFill: 'hold'` fills missing intervals with the previous value.
 */
export const csvMappingSchema = z
  .object({
    file: z.string().min(1),
    delimiter: z.string().length(1).default(','),
    time: z.union([timestampTimeSchema, periodTimeSchema, rowClockTimeSchema]),
    values: z.array(valueColumnSchema).min(1),
    gapFill: z.enum(['none', 'hold']).default('none'),
  })
  .strict()
  .superRefine((m, ctx) => {
    const t = m.time;
    if ('column' in t) {
      if (t.timeZone === undefined && !ZONE_FREE_FORMATS.has(t.format)) {
        ctx.addIssue({ code: 'custom', path: ['time', 'timeZone'], message: `required for format ${JSON.stringify(t.format)} (an IANA zone or e.g. "UTC+10")` });
      }
      if (t.format === 'elapsed-h:mm:ss' && t.anchor === undefined) {
        ctx.addIssue({ code: 'custom', path: ['time', 'anchor'], message: 'required for format "elapsed-h:mm:ss" (the ISO time of 0:00:00)' });
      }
    }
  });

/** A CSV mapping as written by a user (defaults optional). */
export type CsvMapping = z.input<typeof csvMappingSchema>;
type ParsedMapping = z.output<typeof csvMappingSchema>;
type TimestampTime = z.output<typeof timestampTimeSchema>;
type PeriodTime = z.output<typeof periodTimeSchema>;
type RowClockTime = z.output<typeof rowClockTimeSchema>;

/** A row whose time label and values parsed; `wall` labels are local wall-clock times read as UTC. */
interface LabelledRow {
  line: number;
  labelMs: number;
  wall: boolean;
  values: number[];
}

interface PlacedRow {
  line: number;
  startMs: number;
  values: number[];
}

/** Parse one data cell as a finite number; undefined when it is not one. */
export function parseNumberCell(cell: string | undefined): number | undefined {
  const s = (cell ?? '').trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** True when an ISO date-time string ends in a zone offset ('Z', '+10:00', '-0700'). */
function hasIsoOffset(s: string): boolean {
  const timePart = s.split(/[T\s]/).slice(1).join(' ');
  return /(?:Z|[+-]\d\d(?::?\d\d)?)$/i.test(timePart);
}

function at(line: number, cell: string | undefined): string {
  return `line ${line}: ${JSON.stringify(cell ?? '')}`;
}

/** A function turning a time cell into a label, for one timestamp mapping. */
function timestampReader(t: TimestampTime, where: string): (cell: string) => { ms: number; wall: boolean } | undefined {
  switch (t.format) {
    case 'epoch-ms':
    case 'epoch-s': {
      const factor = t.format === 'epoch-s' ? 1000 : 1;
      return (cell) => {
        const n = parseNumberCell(cell);
        return n === undefined ? undefined : { ms: n * factor, wall: false };
      };
    }
    case 'elapsed-h:mm:ss': {
      const anchor = DateTime.fromISO(t.anchor ?? '', { zone: t.timeZone ?? 'UTC' });
      if (!anchor.isValid) throw new CsvMappingError(`${where}: time.anchor ${JSON.stringify(t.anchor)} is not an ISO time`);
      const anchorMs = anchor.toMillis();
      return (cell) => {
        const m = /^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/.exec(cell.trim());
        return m ? { ms: anchorMs + ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000, wall: false } : undefined;
      };
    }
    case 'iso':
      return (cell) => {
        const s = cell.trim();
        const withOffset = hasIsoOffset(s);
        const dt = DateTime.fromISO(s, withOffset ? { setZone: true } : { zone: 'UTC' });
        if (!dt.isValid) return undefined;
        return { ms: dt.toMillis(), wall: !withOffset };
      };
    default: {
      const hasOffsetToken = /Z/.test(t.format.replace(/'[^']*'/g, ''));
      const parser = DateTime.buildFormatParser(t.format, { locale: 'en-US' });
      const zone = hasOffsetToken ? (t.timeZone ?? 'UTC') : 'UTC';
      return (cell) => {
        const dt = DateTime.fromFormatParser(cell.trim(), parser, { zone });
        return dt.isValid ? { ms: dt.toMillis(), wall: !hasOffsetToken } : undefined;
      };
    }
  }
}

/** Median of positive steps between consecutive labels, ms. */
function inferIntervalMs(rows: LabelledRow[], where: string): number {
  const steps: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const d = rows[i].labelMs - rows[i - 1].labelMs;
    if (d > 0) steps.push(d);
  }
  if (steps.length === 0) {
    throw new CsvMappingError(`${where}: cannot infer the interval from fewer than 2 distinct times; set time.intervalMinutes`);
  }
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1];
}

/** Parse the value cells of a row; drops the row (and returns undefined) at the first bad cell. */
function readValues(cells: string[], line: number, cols: number[], m: ParsedMapping, report: ReportBuilder): number[] | undefined {
  const out: number[] = [];
  for (let k = 0; k < cols.length; k++) {
    const n = parseNumberCell(cells[cols[k]]);
    if (n === undefined) {
      report.drop(`unparseable value in column ${JSON.stringify(m.values[k].column)}`, at(line, cells[cols[k]]));
      return undefined;
    }
    out.push(n * m.values[k].scale);
  }
  return out;
}

/** Turn wall-clock or absolute labels into interval starts (UTC), dropping non-existent local times. */
function placeLabelled(rows: LabelledRow[], intervalMs: number, labelling: 'interval-start' | 'interval-end', zone: Zone | undefined, report: ReportBuilder): PlacedRow[] {
  const shift = labelling === 'interval-end' ? intervalMs : 0;
  const placed: PlacedRow[] = [];
  let prevMs = -Infinity;
  for (const r of rows) {
    let startMs: number | undefined = r.labelMs - shift;
    if (r.wall && zone) startMs = wallToUtc(startMs, zone, prevMs);
    if (startMs === undefined) {
      report.drop('non-existent local time (skipped by a DST spring-forward change)', `line ${r.line}`);
      continue;
    }
    placed.push({ line: r.line, startMs, values: r.values });
    prevMs = startMs;
  }
  return placed;
}

function placeTimestamp(t: TimestampTime, table: CsvTable, m: ParsedMapping, valueCols: number[], report: ReportBuilder, where: string): { placed: PlacedRow[]; intervalMs: number } {
  const names = typeof t.column === 'string' ? [t.column] : t.column;
  const timeCols = names.map((n) => columnIndex(table, n));
  const read = timestampReader(t, where);
  const zone = t.timeZone !== undefined ? resolveZone(t.timeZone, where) : undefined;
  const rows: LabelledRow[] = [];
  for (const { cells, line } of table.rows) {
    const cell = timeCols.map((c) => (cells[c] ?? '').trim()).join(' ');
    const label = read(cell);
    if (!label || !Number.isFinite(label.ms)) {
      report.drop(`unparseable time in column ${names.map((n) => JSON.stringify(n)).join('+')} (expected ${t.format})`, at(line, cell));
      continue;
    }
    if (label.wall && !zone) {
      throw new CsvMappingError(`${where}: line ${line} has a local time ${JSON.stringify(cell)} without offset; set time.timeZone`);
    }
    const values = readValues(cells, line, valueCols, m, report);
    if (values) rows.push({ line, labelMs: label.ms, wall: label.wall, values });
  }
  const intervalMs = t.intervalMinutes !== undefined ? t.intervalMinutes * MINUTE_MS : inferIntervalMs(rows, where);
  if (t.intervalMinutes === undefined) report.note(`interval inferred from the median step: ${intervalMs / MINUTE_MS} min`);
  report.note(`times read from ${names.map((n) => JSON.stringify(n)).join(' + ')} as ${t.labelling} labels${zone ? ` in ${zone.name}` : ''}`);
  return { placed: placeLabelled(rows, intervalMs, t.labelling, zone, report), intervalMs };
}

function placeRowClock(t: RowClockTime, table: CsvTable, m: ParsedMapping, valueCols: number[], report: ReportBuilder, where: string): { placed: PlacedRow[]; intervalMs: number } {
  const first = DateTime.fromISO(t.firstLabel, { zone: 'UTC' });
  if (!first.isValid || hasIsoOffset(t.firstLabel)) {
    throw new CsvMappingError(`${where}: time.firstLabel ${JSON.stringify(t.firstLabel)} must be a local ISO time without offset`);
  }
  const intervalMs = t.intervalMinutes * MINUTE_MS;
  const rows: LabelledRow[] = [];
  table.rows.forEach(({ cells, line }, i) => {
    const values = readValues(cells, line, valueCols, m, report);
    if (values) rows.push({ line, labelMs: first.toMillis() + i * intervalMs, wall: true, values });
  });
  const zone = resolveZone(t.timeZone, where);
  report.note(`no time column: row i is ${t.labelling} label ${t.firstLabel} + i x ${t.intervalMinutes} min of ${zone.name} wall-clock time`);
  return { placed: placeLabelled(rows, intervalMs, t.labelling, zone, report), intervalMs };
}

function placePeriods(t: PeriodTime, table: CsvTable, m: ParsedMapping, valueCols: number[], report: ReportBuilder, where: string): { placed: PlacedRow[]; intervalMs: number } {
  const dateCol = columnIndex(table, t.dateColumn);
  const periodCol = columnIndex(table, t.periodColumn);
  const zone = resolveZone(t.timeZone, where);
  const parser = DateTime.buildFormatParser(t.dateFormat, { locale: 'en-US' });
  const intervalMs = DAY_MS / t.periodsPerDay;
  const odd = new Map<string, number>();
  const placed: PlacedRow[] = [];
  for (const { cells, line } of table.rows) {
    const date = DateTime.fromFormatParser((cells[dateCol] ?? '').trim(), parser, { zone: 'UTC' });
    if (!date.isValid) {
      report.drop(`unparseable date in column ${JSON.stringify(t.dateColumn)} (expected ${t.dateFormat})`, at(line, cells[dateCol]));
      continue;
    }
    const period = parseNumberCell(cells[periodCol]);
    if (period === undefined || !Number.isInteger(period) || period < 1) {
      report.drop(`unparseable period in column ${JSON.stringify(t.periodColumn)} (expected an integer >= 1)`, at(line, cells[periodCol]));
      continue;
    }
    const naiveMidnight = date.startOf('day').toMillis();
    const dayStart = wallToUtc(naiveMidnight, zone);
    const dayEnd = wallToUtc(naiveMidnight + DAY_MS, zone);
    if (dayStart === undefined || dayEnd === undefined) {
      report.drop(`local midnight does not exist in ${zone.name}`, at(line, cells[dateCol]));
      continue;
    }
    // Operators number periods in elapsed time from local midnight, so DST days have fewer or more.
    const periodsToday = Math.round((dayEnd - dayStart) / intervalMs);
    if (periodsToday !== t.periodsPerDay) odd.set(date.toISODate() ?? '', periodsToday);
    if (period > periodsToday) {
      report.drop('period number beyond the periods of its local day', at(line, cells[periodCol]));
      continue;
    }
    const values = readValues(cells, line, valueCols, m, report);
    if (values) placed.push({ line, startMs: dayStart + (period - 1) * intervalMs, values });
  }
  report.note(`times from local date ${JSON.stringify(t.dateColumn)} + 1-based period ${JSON.stringify(t.periodColumn)}, ${t.periodsPerDay} periods per day in ${zone.name}`);
  for (const [day, n] of odd) report.note(`DST day ${day} has ${n} periods instead of ${t.periodsPerDay}`);
  return { placed, intervalMs };
}

/** Sort by start, drop duplicates, report disorder and gaps, and fill gaps by holding when asked. */
function regularise(placed: PlacedRow[], intervalMs: number, gapFill: 'none' | 'hold', report: ReportBuilder): { timesMs: number[]; rows: number[][] } {
  let outOfOrder = 0;
  let maxMs = -Infinity;
  for (const r of placed) {
    if (r.startMs < maxMs) outOfOrder++;
    maxMs = Math.max(maxMs, r.startMs);
  }
  if (outOfOrder > 0) report.note(`${outOfOrder} row(s) were out of time order; sorted`);
  const sorted = placed.slice().sort((a, b) => a.startMs - b.startMs);
  const timesMs: number[] = [];
  const rows: number[][] = [];
  let gaps = 0;
  let missing = 0;
  let offGrid = 0;
  for (const r of sorted) {
    const prev = timesMs.length > 0 ? timesMs[timesMs.length - 1] : undefined;
    if (prev === r.startMs) {
      report.drop('duplicate timestamp (kept the first row)', `line ${r.line}`);
      continue;
    }
    if (prev !== undefined && r.startMs - prev > intervalMs) {
      gaps++;
      const steps = (r.startMs - prev) / intervalMs;
      if (!Number.isInteger(steps)) offGrid++;
      missing += Math.ceil(steps) - 1;
      if (gapFill === 'hold') {
        const held = rows[rows.length - 1];
        for (let t = prev + intervalMs; t < r.startMs; t += intervalMs) {
          timesMs.push(t);
          rows.push(held);
        }
      }
    }
    timesMs.push(r.startMs);
    rows.push(r.values);
  }
  if (gaps > 0) {
    report.note(
      gapFill === 'hold'
        ? `filled ${missing} missing interval(s) in ${gaps} gap(s) by holding the previous value`
        : `${gaps} gap(s) covering ${missing} missing interval(s); step-hold bridges them`,
    );
  }
  if (offGrid > 0) report.note(`${offGrid} step(s) are not a whole number of ${intervalMs / MINUTE_MS}-min intervals`);
  return { timesMs, rows };
}

/** Validate a mapping, throwing CsvMappingError naming the file and the bad fields. */
export function parseCsvMapping(input: unknown): ParsedMapping {
  const res = csvMappingSchema.safeParse(input);
  if (!res.success) {
    const file = typeof input === 'object' && input !== null && 'file' in input ? String((input as { file: unknown }).file) : '(no file)';
    throw new CsvMappingError(`invalid CSV mapping for ${file}:\n${z.prettifyError(res.error)}`);
  }
  return res.data;
}

/**
 * Load the value columns of a CSV recording as time series on a shared UTC timeline, as `mapping`
 * describes. Rows with unparseable times or values are dropped and counted in the report;
 * duplicate times keep the first row; disorder and gaps are reported.
 */
export function loadCsvSeries(mapping: CsvMapping, baseDir: string): Loaded<TimeSeries[]> {
  const m = parseCsvMapping(mapping);
  const file = dataFile(baseDir, m.file);
  const table = readCsvTable(file, m.delimiter);
  const where = `CSV mapping for ${file}`;
  const report = new ReportBuilder(file);
  report.rowsRead = table.rows.length;
  const valueCols = m.values.map((v) => columnIndex(table, v.column));
  const t = m.time;
  const { placed, intervalMs } =
    'dateColumn' in t
      ? placePeriods(t, table, m, valueCols, report, where)
      : 'firstLabel' in t
        ? placeRowClock(t, table, m, valueCols, report, where)
        : placeTimestamp(t, table, m, valueCols, report, where);
  const { timesMs, rows } = regularise(placed, intervalMs, m.gapFill, report);
  const series = m.values.map((v, k) => ({ name: v.name, unit: v.unit, timesMs: timesMs.slice(), values: rows.map((r) => r[k]), intervalMs }));
  return { data: series, report: report.build(report.rowsRead - report.droppedCount()) };
}
