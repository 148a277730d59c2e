import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { runSimulation, scenarioDirOf, type RunResult } from '../../sim/run.js';
import { loadScenario } from '../../sim/scenario.js';
import { tempDir, writeScenario } from './helpers.js';

const ZONE = 'Europe/Berlin';
const dir = tempDir('csv-price');

/** A distinct, recognisable price for each local day and 1-based half-hour period, EUR/MWh. */
const priceOf = (day: number, period: number): number => Math.round((60 + 40 * Math.sin((2 * Math.PI * period) / 48) + 7 * day + period / 100) * 100) / 100;

// A market operator's style file: local date, period 1..48, price; 31 May – 3 Jun 2022 (CEST, no DST change).
const firstDay = DateTime.fromISO('2022-05-31', { zone: ZONE });
const rows = ['trading_date;period;price_eur_mwh'];
for (let day = 0; day < 4; day++) {
  for (let period = 1; period <= 48; period++) rows.push(`${firstDay.plus({ days: day }).toFormat('dd.MM.yyyy')};${period};${priceOf(day, period)}`);
}
writeFileSync(join(dir, 'my-prices.csv'), `${rows.join('\n')}\n`);

const mapping = {
  file: 'my-prices.csv',
  delimiter: ';',
  time: { dateColumn: 'trading_date', dateFormat: 'dd.MM.yyyy', periodColumn: 'period', periodsPerDay: 48, timeZone: ZONE },
  values: [{ column: 'price_eur_mwh', name: 'price', unit: 'EUR/MWh' }],
};

const scenarioPath = writeScenario(dir, 'own-prices.json', {
  name: 'own CSV prices',
  currency: 'EUR',
  window: { start: '2022-06-01T00:00:00+02:00', end: '2022-06-03T00:00:00+02:00' },
  market: { intervalMin: 30, price: { source: 'csv', mapping, series: 'price' } },
  planning: { horizonH: 12 },
  fleet: { batteries: [{ count: 3, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5 }] },
});

let result: RunResult;
before(async () => {
  result = await runSimulation(loadScenario(scenarioPath), { scenarioDir: scenarioDirOf(scenarioPath) });
});

describe('a scenario priced from the user’s own CSV (date + period, local time zone)', () => {
  it('each interval carries the price of its local date and period', () => {
    assert.equal(result.records.length, 96);
    for (const r of result.records) {
      const local = DateTime.fromMillis(r.startMs, { zone: ZONE });
      const day = Math.round(local.startOf('day').diff(firstDay, 'days').days);
      const period = (local.hour * 60 + local.minute) / 30 + 1;
      assert.equal(r.pricePerMWh, priceOf(day, period), `${local.toISO()}`);
    }
    // Period 1 of 1 June is 22:00 UTC on 31 May.
    assert.equal(result.records[0].startMs, Date.parse('2022-05-31T22:00:00Z'));
    assert.equal(result.records[0].pricePerMWh, priceOf(1, 1));
  });

  it('the run reports the file it read and trades on it safely', () => {
    const data = result.summary.data as { source: string; rowsRead: number; rowsKept: number }[];
    const csv = data.find((d) => d.source.endsWith('my-prices.csv'));
    assert.ok(csv, `data sources: ${data.map((d) => d.source).join(', ')}`);
    assert.equal(csv.rowsRead, 192);
    assert.equal(csv.rowsKept, 192);
    assert.equal(result.summary.currency, 'EUR');
    assert.equal((result.summary.safety as { limitViolations: number }).limitViolations, 0);
    assert.ok(result.records.some((r) => Math.abs(r.batteryPowerKW) > 1), 'the batteries never traded');
    assert.ok((result.summary.valueVpp as number) >= (result.summary.valueBaseline as number));
  });

  it('a series name the file does not have is an error naming the file and the series it has', async () => {
    const bad = writeScenario(dir, 'bad-series.json', { ...JSON.parse(JSON.stringify(loadScenario(scenarioPath))), market: { intervalMin: 30, price: { source: 'csv', mapping, series: 'prices' } } });
    await assert.rejects(runSimulation(loadScenario(bad), { scenarioDir: dir }), /'prices'.*my-prices\.csv.*\bprice\b/);
  });

  it('a window outside the recording is an error naming the spans', async () => {
    const late = writeScenario(dir, 'late.json', { ...JSON.parse(JSON.stringify(loadScenario(scenarioPath))), window: { start: '2022-06-02T00:00:00+02:00', end: '2022-06-05T00:00:00+02:00' } });
    await assert.rejects(runSimulation(loadScenario(late), { scenarioDir: dir }), /covers 2022-05-30T22:00:00\.000Z … 2022-06-03T22:00:00\.000Z but the simulation needs/);
  });
});
