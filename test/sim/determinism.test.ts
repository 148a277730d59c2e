import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, type Scenario } from '../../sim/scenario.js';
import { aemoScenario, relDiff, sum, sydneyPvProfile } from './helpers.js';

/**
 * Half a day of AEMO prices (sunrise included), a 6-hour horizon, lossless batteries without wear cost: small enough to
 * run three times, and exact enough that metered energy and stored energy must agree to rounding.
 * Capacities, initial charge and PV sizes are drawn from distributions, so the seed matters.
 */
const scenario: Scenario = parseScenario(
  aemoScenario(1, {
    seed: 1,
    window: { start: '2022-09-05T00:00:00+10:00', end: '2022-09-05T12:00:00+10:00' },
    planning: { horizonH: 6, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 6, periodMin: 30 }] },
    fleet: {
      batteries: [
        {
          name: 'b', count: 4, capacityKWh: { uniform: [8, 14] }, maxChargeKW: 5, maxDischargeKW: { choice: [3.3, 5] },
          chargeEfficiency: 1, dischargeEfficiency: 1, initialSocFrac: { uniform: [0.2, 0.8] },
        },
      ],
      pv: [{ name: 'pv', count: 2, sizeKW: { uniform: [3, 8] }, profile: sydneyPvProfile }],
    },
  }),
  'determinism scenario',
);
const options = { scenarioDir: process.cwd() };
const hours = (scenario.market.intervalMin * 60_000) / 3_600_000;

let first: RunResult;
let second: RunResult;
let otherSeed: RunResult;
before(async () => {
  first = await runSimulation(scenario, options);
  second = await runSimulation(scenario, options);
  otherSeed = await runSimulation(scenario, { ...options, seed: 2 });
});

describe('determinism', () => {
  it('the same scenario and seed give the same CSV and result hash', () => {
    assert.equal(first.summary.seed, 1);
    assert.equal(first.summary.resultHash, second.summary.resultHash);
    assert.equal(first.csv, second.csv);
    assert.match(String(first.summary.resultHash), /^[0-9a-f]{64}$/);
  });

  it('a different seed draws a different fleet and gives a different hash', () => {
    assert.equal(otherSeed.summary.seed, 2);
    assert.notEqual(otherSeed.summary.resultHash, first.summary.resultHash);
    assert.notEqual(otherSeed.csv, first.csv);
  });

  it('the CSV has a header and one row per interval, times in order', () => {
    const lines = first.csv.trimEnd().split('\n');
    assert.equal(lines.length, 1 + 144);
    assert.match(lines[0], /^time,startMs,pricePerMWh,/);
    const starts = lines.slice(1).map((line) => Number(line.split(',')[1]));
    starts.forEach((ms, i) => assert.equal(ms, Date.parse(scenario.window.start) + i * 300_000));
  });
});

describe('energy accounting (lossless batteries, no wear)', () => {
  it('battery energy through the meter equals the change in stored energy', () => {
    for (const run of [first, otherSeed]) {
      const meteredOutKWh = sum(run.records.map((r) => r.batteryPowerKW * hours));
      const stored = (run.summary.storedEnergyChangeKWh as { vpp: number }).vpp;
      assert.ok(Math.abs(meteredOutKWh + stored) < 1e-6, `metered ${meteredOutKWh} kWh out, stored change ${stored} kWh`);
      assert.ok(run.records.some((r) => Math.abs(r.batteryPowerKW) > 1), 'the batteries never moved');
    }
  });

  it('value is exactly price × metered energy plus stored energy at the mean price', () => {
    for (const run of [first, otherSeed]) {
      const market = sum(run.records.map((r) => (r.pricePerMWh * r.fleetPowerKW * hours) / 1000));
      const stored = ((run.summary.storedEnergyChangeKWh as { vpp: number }).vpp * (run.summary.storedEnergyPricePerMWh as number)) / 1000;
      assert.ok(relDiff(run.summary.valueVpp as number, market + stored) < 1e-9, `${run.summary.valueVpp} vs ${market + stored}`);
    }
  });

  it('no device limit is broken', () => {
    for (const run of [first, otherSeed]) assert.equal((run.summary.safety as { limitViolations: number }).limitViolations, 0);
  });
});
