import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDataDir } from '../../sim/signals/data-dir.js';
import { loadAemoPriceDemand } from '../../sim/signals/aemo.js';
import { loadEpftoolbox } from '../../sim/signals/epftoolbox.js';
import { valueAt, type LoadReport, type TimeSeries } from '../../sim/signals/series.js';

const dataDir = resolveDataDir();
const HOUR_MS = 3_600_000;
const at = (isoUtc: string) => Date.parse(isoUtc);

function assertRegular(s: TimeSeries): void {
  for (let i = 1; i < s.timesMs.length; i++) {
    if (s.timesMs[i] - s.timesMs[i - 1] !== s.intervalMs) assert.fail(`${s.name}: step ${i} is ${s.timesMs[i] - s.timesMs[i - 1]} ms`);
  }
}

function dropCount(report: LoadReport, prefix: string): number {
  return report.dropped.filter((d) => d.reason.startsWith(prefix)).reduce((n, d) => n + d.count, 0);
}

test('AEMO NSW1: 7,200 five-minute rows, interval-end UTC+10 labels become UTC starts', () => {
  const { data, report } = loadAemoPriceDemand(dataDir);
  const { pricePerMWh: price, demandMW: demand } = data;
  assert.equal(report.rowsRead, 7200);
  assert.equal(report.rowsKept, 7200);
  assert.deepEqual(report.dropped, []);
  assert.equal(price.values.length, 7200);
  assert.equal(price.unit, 'AUD/MWh');
  assert.equal(demand.unit, 'MW');
  assert.equal(price.timesMs[0], at('2022-08-31T14:00:00Z'));
  assert.equal(price.values[0], 160.96);
  assert.equal(demand.values[0], 7924.98);
  // Last label 9/26/2022 0:00 AEST = 2022-09-25T14:00Z end.
  assert.equal(price.timesMs[7199] + price.intervalMs, at('2022-09-25T14:00:00Z'));
  assert.equal(valueAt(price, at('2022-08-31T14:04:59.999Z')), 160.96);
  assert.equal(valueAt(price, at('2022-08-31T14:05:00Z')), 161);
  assert.equal(Math.min(...price.values), -79.74);
  assert.equal(Math.max(...price.values), 1025.2);
  const mean = price.values.reduce((a, v) => a + v, 0) / price.values.length;
  assert.ok(Math.abs(mean - 154.9) < 0.01, `mean ${mean}`);
  assertRegular(price);
});

test('epftoolbox DE: DST-regularised labels map onto a regular UTC grid (6 spring hours dropped, 6 fall hours held)', () => {
  const { data, report } = loadEpftoolbox(dataDir, 'DE');
  assert.equal(data.currency, 'EUR');
  assert.equal(data.pricePerMWh.unit, 'EUR/MWh');
  assert.equal(report.rowsRead, 52416);
  // 2012–2017: one spring-forward day a year.
  assert.equal(dropCount(report, 'non-existent local time'), 6);
  assert.equal(report.rowsKept, 52410);
  assert.ok(report.notes.some((n) => /filled 6 missing interval\(s\) in 6 gap/.test(n)));
  const p = data.pricePerMWh;
  assert.equal(p.values.length, 52416);
  assertRegular(p);
  assert.equal(p.timesMs[0], at('2012-01-08T23:00:00Z'));
  assert.equal(p.values[0], 34.97);
  // 2013-03-31: 01:00 CET = 00:00Z; label 02:00 does not exist; 03:00 CEST = 01:00Z.
  assert.equal(valueAt(p, at('2013-03-31T00:00:00Z')), 31.28);
  assert.equal(valueAt(p, at('2013-03-31T01:00:00Z')), 32.01);
  // 2013-10-27: label 02:00 = 02:00 CEST = 00:00Z, held through 02:00 CET = 01:00Z; 03:00 CET = 02:00Z.
  assert.equal(valueAt(p, at('2013-10-27T00:00:00Z')), 11.75);
  assert.equal(valueAt(p, at('2013-10-27T01:00:00Z')), 11.75);
  assert.equal(valueAt(p, at('2013-10-27T02:00:00Z')), 11.7);
  assert.equal(Math.min(...p.values), -221.99);
  assert.equal(Math.max(...p.values), 210);
  assert.deepEqual(data.forecastsMW.map((f) => f.unit), ['MW', 'MW']);
  assert.equal(valueAt(data.forecastsMW[0], at('2012-01-08T23:00:00Z')), 16382);
});

test('epftoolbox PJM and NP: currencies, zones and first hours', () => {
  const pjm = loadEpftoolbox(dataDir, 'PJM');
  assert.equal(pjm.data.currency, 'USD');
  assert.equal(pjm.report.rowsRead, 52416);
  assert.equal(pjm.data.pricePerMWh.values.length, 52416);
  // 2013-01-01 00:00 EST = 05:00Z.
  assert.equal(pjm.data.pricePerMWh.timesMs[0], at('2013-01-01T05:00:00Z'));
  assert.equal(pjm.data.pricePerMWh.values[0], 25.464211);
  // 2013-03-10 03:00 EDT = 07:00Z follows 01:00 EST = 06:00Z.
  assert.equal(valueAt(pjm.data.pricePerMWh, at('2013-03-10T06:00:00Z')), 19.441939);
  assert.equal(valueAt(pjm.data.pricePerMWh, at('2013-03-10T07:00:00Z')), 19.404207);
  assert.equal(Math.min(...pjm.data.pricePerMWh.values).toFixed(2), '-6.98');
  assert.equal(Math.max(...pjm.data.pricePerMWh.values).toFixed(2), '839.30');
  const np = loadEpftoolbox(dataDir, 'NP');
  assert.equal(np.data.currency, 'EUR');
  assert.equal(np.data.timeZone, 'Europe/Oslo');
  assert.equal(np.data.pricePerMWh.timesMs[0], at('2012-12-31T23:00:00Z'));
  assert.equal(np.data.pricePerMWh.values[0], 31.05);
  assert.equal(dropCount(np.report, 'non-existent local time'), 6);
  assert.equal(Math.min(...np.data.pricePerMWh.values), 1.14);
  assert.equal(Math.max(...np.data.pricePerMWh.values), 199.97);
  assertRegular(np.data.pricePerMWh);
  assert.equal(np.data.pricePerMWh.intervalMs, HOUR_MS);
});
