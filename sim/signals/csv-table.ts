import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { CsvMappingError } from './errors.js';

/** A CSV file read as text cells: the header row and the data rows with their 1-based file line numbers. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: { cells: string[]; line: number }[];
}

/** Read a delimited text file (BOM, CRLF and ragged rows tolerated; blank lines skipped). */
export function readCsvTable(file: string, delimiter = ','): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CsvMappingError(`cannot read CSV file ${file}: ${(err as Error).message}`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's typings do not narrow the record shape for `info: true`.
    records = parse(text, { delimiter, bom: true, info: true, relax_column_count: true, skip_empty_lines: true, relax_quotes: true }) as unknown as typeof records;
  } catch (err) {
    throw new CsvMappingError(`cannot parse CSV file ${file}: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new CsvMappingError(`CSV file ${file} is empty (expected a header row)`);
  const [head, ...body] = records;
  return { file, header: head.record, rows: body.map((r) => ({ cells: r.record, line: r.info.lines })) };
}

/**
 * Index of the column headed `name` (exact text first, then ignoring surrounding spaces; the first
 * match wins when a header repeats). Throws CsvMappingError naming the file, the column and the header.
 */
export function columnIndex(table: CsvTable, name: string): number {
  let i = table.header.indexOf(name);
  if (i < 0) i = table.header.findIndex((h) => h.trim() === name.trim());
  if (i < 0) {
    const have = table.header.map((h) => JSON.stringify(h)).join(', ');
    throw new CsvMappingError(`CSV file ${table.file} has no column ${JSON.stringify(name)} (header: ${have})`);
  }
  return i;
}
