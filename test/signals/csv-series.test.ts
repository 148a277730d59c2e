import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCsvSeries, type CsvMapping } from '../../sim/signals/csv-series.js';
import { CsvMappingError, DataMissingError } from '../../sim/signals/errors.js';
import type { LoadReport } from '../../sim/signals/series.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vpp-csv-series-'));
const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function dropCount(report: LoadReport, prefix: string): number {
  return report.dropped.filter((d) => d.reason.startsWith(prefix)).reduce((n, d) => n + d.count, 0);
}

test('interval-end labels in a fixed-offset zone become UTC interval starts; bad rows are dropped and counted', () => {
  const file = write('end.csv', 't,v,w\n1/1/2024 0:05,1,10\n1/1/2024 0:10,2,20\nnot a time,3,30\n1/1/2024 0:15,x,40\n1/1/2024 0:20,4,\n1/1/2024 0:25,5,50\n');
  const { data, report } = loadCsvSeries(
    {
      file,
      time: { column: 't', format: 'M/d/yyyy H:mm', timeZone: 'UTC+10', labelling: 'interval-end', intervalMinutes: 5 },
      values: [
        { column: 'v', name: 'v', unit: 'kW' },
        { column: 'w', name: 'w', unit: 'kW', scale: 0.5 },
      ],
    },
    dir,
  );
  assert.equal(report.rowsRead, 6);
  assert.equal(report.rowsKept, 3);
  assert.equal(dropCount(report, 'unparseable time in column "t"'), 1);
  assert.match(report.dropped.find((d) => d.reason.startsWith('unparseable time'))!.reason, /line 4: "not a time"/);
  assert.equal(dropCount(report, 'unparseable value in column "v"'), 1);
  assert.equal(dropCount(report, 'unparseable value in column "w"'), 1);
  assert.deepEqual(data[0].timesMs.map(iso), ['2023-12-31T14:00:00.000Z', '2023-12-31T14:05:00.000Z', '2023-12-31T14:20:00.000Z']);
  assert.deepEqual(data[1].values, [5, 10, 25]);
  assert.equal(data[0].intervalMs, 5 * MIN_MS);
  assert.ok(report.notes.some((n) => /1 gap\(s\) covering 2 missing interval/.test(n)));
});

test('interval is inferred when not given; gapFill hold fills missing intervals', () => {
  const file = write('gap.csv', 'time;value\n2024-05-01T00:00:00Z;1\n2024-05-01T00:15:00Z;2\n2024-05-01T01:00:00Z;3\n2024-05-01T01:15:00Z;4\n');
  const mapping: CsvMapping = { file, delimiter: ';', time: { column: 'time', format: 'iso' }, values: [{ column: 'value', name: 'v', unit: 'kW' }], gapFill: 'hold' };
  const { data, report } = loadCsvSeries(mapping, dir);
  assert.equal(data[0].intervalMs, 15 * MIN_MS);
  assert.deepEqual(data[0].values, [1, 2, 2, 2, 3, 4]);
  assert.ok(report.notes.some((n) => /filled 2 missing interval\(s\) in 1 gap/.test(n)));
  assert.equal(report.rowsKept, 4);
});

test('out-of-order rows are sorted and reported; duplicate times keep the first row', () => {
  const file = write('order.csv', 's,v\n1700000120,3\n1700000000,1\n1700000060,2\n1700000060,99\n');
  const { data, report } = loadCsvSeries({ file, time: { column: 's', format: 'epoch-s', intervalMinutes: 1 }, values: [{ column: 'v', name: 'v', unit: '1' }] }, dir);
  assert.deepEqual(data[0].timesMs, [1700000000000, 1700000060000, 1700000120000]);
  assert.deepEqual(data[0].values, [1, 2, 3]);
  assert.equal(dropCount(report, 'duplicate timestamp'), 1);
  assert.ok(report.notes.some((n) => /row\(s\) were out of time order/.test(n)));
});

test('local wall times: a spring-forward hour is dropped, both fall-back hours are kept in order', () => {
  const rows = ['2024-03-31 01:00,1', '2024-03-31 02:00,2', '2024-03-31 03:00,3', '2024-10-27 01:00,4', '2024-10-27 02:00,5', '2024-10-27 02:00,6', '2024-10-27 03:00,7'];
  const file = write('dst.csv', `when,v\n${rows.join('\n')}\n`);
  const { data, report } = loadCsvSeries(
    { file, time: { column: 'when', format: 'yyyy-MM-dd HH:mm', timeZone: 'Europe/Berlin', intervalMinutes: 60 }, values: [{ column: 'v', name: 'v', unit: '1' }] },
    dir,
  );
  assert.equal(dropCount(report, 'non-existent local time'), 1);
  assert.deepEqual(data[0].values, [1, 3, 4, 5, 6, 7]);
  assert.deepEqual(data[0].timesMs.map(iso), [
    '2024-03-31T00:00:00.000Z',
    '2024-03-31T01:00:00.000Z',
    '2024-10-26T23:00:00.000Z',
    '2024-10-27T00:00:00.000Z',
    '2024-10-27T01:00:00.000Z',
    '2024-10-27T02:00:00.000Z',
  ]);
});

test('period-of-day indexing handles 46- and 50-period DST days and drops periods beyond the day', () => {
  const lines = ['SETTLEMENT_DATE,SP,price'];
  for (let p = 1; p <= 47; p++) lines.push(`2024-03-31,${p},${p}`);
  for (let p = 1; p <= 50; p++) lines.push(`2024-10-27,${p},${100 + p}`);
  lines.push('2024-11-01,48,999');
  const file = write('periods.csv', lines.join('\n'));
  const { data, report } = loadCsvSeries(
    {
      file,
      time: { dateColumn: 'SETTLEMENT_DATE', dateFormat: 'yyyy-MM-dd', periodColumn: 'SP', periodsPerDay: 48, timeZone: 'Europe/London' },
      values: [{ column: 'price', name: 'price', unit: 'GBP/MWh' }],
    },
    dir,
  );
  const s = data[0];
  assert.equal(s.intervalMs, 30 * MIN_MS);
  assert.equal(dropCount(report, 'period number beyond'), 1);
  assert.equal(report.rowsKept, 46 + 50 + 1);
  assert.ok(report.notes.includes('DST day 2024-03-31 has 46 periods instead of 48'));
  assert.ok(report.notes.includes('DST day 2024-10-27 has 50 periods instead of 48'));
  const at = (v: number) => iso(s.timesMs[s.values.indexOf(v)]);
  assert.equal(at(1), '2024-03-31T00:00:00.000Z');
  assert.equal(at(3), '2024-03-31T01:00:00.000Z'); // 02:00 BST: the clock skipped 01:00-02:00
  assert.equal(at(46), '2024-03-31T22:30:00.000Z');
  assert.equal(at(101), '2024-10-26T23:00:00.000Z'); // local midnight is still BST
  assert.equal(at(150), '2024-10-27T23:30:00.000Z');
  assert.equal(at(999), '2024-11-01T23:30:00.000Z');
  for (let i = 1; i < 96; i++) if (i !== 46) assert.equal(s.timesMs[i] - s.timesMs[i - 1], 30 * MIN_MS);
});

test('a row clock places unlabelled rows on local wall-clock time', () => {
  const file = write('clock.csv', `load\n${Array.from({ length: 6 }, (_, i) => i).join('\n')}\n`);
  const { data, report } = loadCsvSeries(
    { file, time: { firstLabel: '2017-03-12T01:00', intervalMinutes: 60, timeZone: 'America/Los_Angeles', labelling: 'interval-end' }, values: [{ column: 'load', name: 'l', unit: 'kW' }] },
    dir,
  );
  // Labels end 01:00..06:00; the interval starting at the skipped 02:00 does not exist.
  assert.equal(dropCount(report, 'non-existent local time'), 1);
  assert.deepEqual(data[0].values, [0, 1, 3, 4, 5]);
  assert.equal(iso(data[0].timesMs[0]), '2017-03-12T08:00:00.000Z');
  assert.equal(iso(data[0].timesMs[2]), '2017-03-12T10:00:00.000Z');
});

test('elapsed h:mm:ss times are placed at the anchor', () => {
  const file = write('elapsed.csv', ',Sig,,\n0:00:00,0.5,,\n0:00:02,-0.5,,\n1:00:00,1,,\n');
  const { data } = loadCsvSeries(
    { file, time: { column: '', format: 'elapsed-h:mm:ss', anchor: '2024-06-01T12:00:00Z', intervalMinutes: 2 / 60 }, values: [{ column: 'Sig', name: 's', unit: '1' }] },
    dir,
  );
  assert.deepEqual(data[0].timesMs.map(iso), ['2024-06-01T12:00:00.000Z', '2024-06-01T12:00:02.000Z', '2024-06-01T13:00:00.000Z']);
});

test('a missing column is an error naming the file and the column', () => {
  const file = write('cols.csv', 'time,value\n2024-01-01T00:00Z,1\n');
  assert.throws(
    () => loadCsvSeries({ file, time: { column: 'time', format: 'iso' }, values: [{ column: 'power_kw', name: 'p', unit: 'kW' }] }, dir),
    (e: unknown) => e instanceof CsvMappingError && e.code === 'VPP_ERR_CSV_MAPPING' && e.message.includes('"power_kw"') && e.message.includes('cols.csv'),
  );
});

test('an invalid mapping names the bad field; a missing file is DataMissingError', () => {
  assert.throws(
    () => loadCsvSeries({ file: 'cols.csv', time: { column: 'time', format: 'yyyy-MM-dd' }, values: [{ column: 'value', name: 'v', unit: 'kW' }] }, dir),
    (e: unknown) => e instanceof CsvMappingError && /timeZone/.test(e.message) && e.message.includes('cols.csv'),
  );
  assert.throws(
    () => loadCsvSeries({ file: 'cols.csv', time: { column: 'time', format: 'yyyy-MM-dd', timeZone: 'Mars/Olympus' }, values: [{ column: 'value', name: 'v', unit: 'kW' }] }, dir),
    (e: unknown) => e instanceof CsvMappingError && e.message.includes('Mars/Olympus'),
  );
  assert.throws(
    () => loadCsvSeries({ file: 'nope.csv', time: { column: 'time', format: 'iso' }, values: [{ column: 'value', name: 'v', unit: 'kW' }] }, dir),
    (e: unknown) => e instanceof DataMissingError && e.message.includes('nope.csv'),
  );
});

test('a zone-less ISO time without time.timeZone is an error naming the line', () => {
  const file = write('naive.csv', 'time,value\n2024-01-01T00:00,1\n');
  assert.throws(
    () => loadCsvSeries({ file, time: { column: 'time', format: 'iso', intervalMinutes: 60 }, values: [{ column: 'value', name: 'v', unit: 'kW' }] }, dir),
    (e: unknown) => e instanceof CsvMappingError && /line 2/.test(e.message) && /time\.timeZone/.test(e.message),
  );
});

test('an absolute file path ignores the base folder', () => {
  const file = path.join(dir, write('abs.csv', 'ms,v\n0,1\n3600000,2\n'));
  const { data } = loadCsvSeries({ file, time: { column: 'ms', format: 'epoch-ms' }, values: [{ column: 'v', name: 'v', unit: '1' }] }, '/nonexistent');
  assert.equal(data[0].intervalMs, HOUR_MS);
  assert.deepEqual(data[0].values, [1, 2]);
});
