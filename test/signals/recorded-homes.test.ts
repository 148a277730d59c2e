import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveDataDir } from '../../sim/signals/data-dir.js';
import { loadCityLearnBuilding, loadCityLearnCarbon, loadCityLearnPricing } from '../../sim/signals/citylearn.js';
import { ACN_EXCLUDED_STATION, loadAcnSessions } from '../../sim/signals/acn.js';
import { SignalArgumentError } from '../../sim/signals/errors.js';
import { valueAt } from '../../sim/signals/series.js';

const dataDir = resolveDataDir();
const at = (isoUtc: string) => Date.parse(isoUtc);

/** Raw cells of CityLearn data row `row` (0-based, header excluded), read independently of the loader. */
function rawRow(file: string, row: number): Record<string, string> {
  const lines = readFileSync(path.join(dataDir, 'load-pv-citylearn-fontana', file), 'utf8').split(/\r?\n/);
  const header = lines[0].split(',');
  const cells = lines[row + 1].split(',');
  return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
}

/** Row of local date (days after 2016-08-01) and hour-ending label h: row 0 is 2016-07-31 hour 24. */
const rowOf = (day: number, hourEnding: number) => 1 + 24 * day + (hourEnding - 1);

test('CityLearn building 1: 8,760 rows on an America/Los_Angeles timeline checked against month/hour', () => {
  const { data, report } = loadCityLearnBuilding(dataDir, 1);
  const { loadKW, pvKWPerKW } = data;
  assert.equal(report.rowsRead, 8760);
  assert.equal(report.rowsKept, 8759);
  assert.equal(loadKW.values.length, 8760);
  assert.equal(loadKW.timesMs[0], at('2016-08-01T06:00:00Z'));
  assert.equal(loadKW.values[0], 2.2758);
  for (let i = 1; i < loadKW.timesMs.length; i++) assert.equal(loadKW.timesMs[i] - loadKW.timesMs[i - 1], 3_600_000);
  assert.ok(report.notes.some((n) => /month\/hour columns agree .* on all 8760 intervals/.test(n)), report.notes.join('\n'));
  assert.ok(report.notes.some((n) => /daylight_savings_status disagrees/.test(n)));
  // Fall back 2016-11-06 (day 97): hour 2 = 01:00 PDT = 08:00Z, held through 01:00 PST = 09:00Z; hour 3 = 02:00 PST = 10:00Z.
  const load = (day: number, h: number) => Number(rawRow('Building_1.csv', rowOf(day, h)).non_shiftable_load);
  assert.equal(valueAt(loadKW, at('2016-11-06T07:00:00Z')), load(97, 1));
  assert.equal(valueAt(loadKW, at('2016-11-06T08:00:00Z')), load(97, 2));
  assert.equal(valueAt(loadKW, at('2016-11-06T09:00:00Z')), load(97, 2));
  assert.equal(valueAt(loadKW, at('2016-11-06T10:00:00Z')), load(97, 3));
  // Spring forward 2017-03-12 (day 223): hour 2 = 01:00 PST = 09:00Z; hour 3 (02:00) does not exist; hour 4 = 03:00 PDT = 10:00Z.
  assert.equal(valueAt(loadKW, at('2017-03-12T09:00:00Z')), load(223, 2));
  assert.equal(valueAt(loadKW, at('2017-03-12T10:00:00Z')), load(223, 4));
  assert.equal(rawRow('Building_1.csv', rowOf(223, 4)).hour, '4');
  // PV per kW: file W/kW / 1000.
  const maxPv = Math.max(...pvKWPerKW.values);
  assert.ok(maxPv >= 0.75 && maxPv < 0.9765, `max PV ${maxPv}`); // SOURCE.md: max about 750-976 W/kW
  assert.equal(Math.min(...pvKWPerKW.values), 0);
  const annualKWh = loadKW.values.reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(annualKWh - 10_600) < 150, `annual ${annualKWh}`);
  assert.ok(Math.abs(Math.max(...loadKW.values) - 7.99) < 0.01);
});

test('CityLearn building number out of range is a named argument error', () => {
  assert.throws(() => loadCityLearnBuilding(dataDir, 18), (e: unknown) => e instanceof SignalArgumentError && /1\.\.17/.test(e.message));
});

test('CityLearn pricing and carbon share the timeline; the tariff is also given per MWh', () => {
  const pricing = loadCityLearnPricing(dataDir);
  const carbon = loadCityLearnCarbon(dataDir);
  const { pricePerKWh, pricePerMWh } = pricing.data;
  assert.equal(pricing.report.rowsRead, 8760);
  assert.equal(carbon.report.rowsRead, 8760);
  assert.equal(pricePerMWh.unit, 'USD/MWh');
  assert.deepEqual([...new Set(pricePerKWh.values)].sort(), [0.21, 0.22, 0.4, 0.5, 0.54]);
  pricePerKWh.values.forEach((v, i) => assert.ok(Math.abs(pricePerMWh.values[i] - v * 1000) < 1e-9));
  assert.deepEqual(carbon.data.carbonKgPerKWh.timesMs, pricePerKWh.timesMs);
  assert.equal(carbon.data.carbonKgPerKWh.values[0], 0.1707244);
  assert.equal(carbon.data.carbonKgPerKWh.unit, 'kgCO2/kWh');
});

test('ACN sessions: 2,114 read, the DC station\'s 618 dropped, requests from the latest userInputs entry', () => {
  const { data, report } = loadAcnSessions(dataDir);
  assert.equal(report.rowsRead, 2114);
  assert.equal(report.dropped.find((d) => d.reason.includes(ACN_EXCLUDED_STATION))?.count, 618);
  assert.equal(report.rowsKept, data.length);
  assert.equal(data.length, 2114 - report.dropped.reduce((n, d) => n + d.count, 0));
  assert.ok(data.every((s) => s.stationId !== ACN_EXCLUDED_STATION && s.departureMs > s.arrivalMs && Number.isFinite(s.deliveredKWh)));
  assert.equal(new Set(data.map((s) => s.stationId)).size, 41);
  for (let i = 1; i < data.length; i++) assert.ok(data[i].arrivalMs >= data[i - 1].arrivalMs);
  assert.ok(data[0].arrivalMs >= at('2021-05-01T20:42:47Z'));
  assert.ok(data[data.length - 1].arrivalMs <= at('2021-09-14T01:52:37Z'));
  // A session with two app requests: the one modified later wins.
  const s = data.find((x) => x.sessionId === '2_39_91_437_2021-05-04 19:20:29.694048');
  assert.ok(s);
  assert.equal(s.requestedKWh, 28.6);
  assert.equal(s.requestedDepartureMs, at('2021-05-04T22:49:39Z'));
  const raw = (JSON.parse(readFileSync(path.join(dataDir, 'ev-acn-caltech-2021', 'acndata_sessions.json'), 'utf8')) as { sessionID: string; connectionTime: string }[]).find(
    (x) => x.sessionID === s.sessionId,
  );
  assert.equal(s.arrivalMs, Date.parse(raw!.connectionTime));
});
