import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { prepareRun, runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, type Scenario } from '../../sim/scenario.js';
import { aemoScenario, relDiff, sum } from './helpers.js';

/** Two days of AEMO NSW prices, 10 batteries (95 % efficient each way, wear cost) and 5 PV systems. */
const scenario: Scenario = parseScenario(aemoScenario(2), 'aemo-invariants scenario');
const options = { scenarioDir: process.cwd() };
const hours = (scenario.market.intervalMin * 60_000) / 3_600_000;

let seasonal: RunResult;
let oracle: RunResult;
before(async () => {
  seasonal = await runSimulation(scenario, options);
  oracle = await runSimulation(scenario, { ...options, forecast: 'oracle' });
});

const num = (summary: Record<string, unknown>, key: string): number => {
  const value = summary[key];
  assert.equal(typeof value, 'number', `summary.${key} = ${JSON.stringify(value)}`);
  return value as number;
};

describe('AEMO 2-day run: invariants', () => {
  it('no pass breaks a device limit', () => {
    for (const run of [seasonal, oracle]) {
      const safety = run.summary.safety as { limitViolations: number; bmsCuts: number };
      assert.equal(safety.limitViolations, 0);
      assert.equal(safety.bmsCuts, 0);
    }
  });

  it('the summary says which forecast was used, and flags the oracle', () => {
    assert.equal(seasonal.summary.forecast, 'seasonal-blend');
    assert.match(String(oracle.summary.forecast), /^oracle .*upper bound/);
  });

  it('fleet power is the sum of its parts, each interval', () => {
    for (const r of seasonal.records) {
      assert.ok(Math.abs(r.fleetPowerKW - (r.batteryPowerKW + r.pvPowerKW + r.evPowerKW)) < 1e-9, `at ${new Date(r.startMs).toISOString()}`);
    }
  });

  it('stored energy gains no more than the metered battery energy (losses, never gains)', () => {
    for (const run of [seasonal, oracle]) {
      const meteredInKWh = -sum(run.records.map((r) => r.batteryPowerKW * hours));
      const stored = (run.summary.storedEnergyChangeKWh as { vpp: number }).vpp;
      assert.ok(stored <= meteredInKWh + 1e-6, `stored change ${stored} kWh exceeds the ${meteredInKWh} kWh metered in`);
      assert.ok(run.records.some((r) => Math.abs(r.batteryPowerKW) > 1), 'the batteries never moved');
    }
  });

  it('PV delivered plus curtailed equals what the sun offered, from an independently built fleet', () => {
    const fleet = prepareRun(scenario, options).newFleet();
    const availableKW = seasonal.records.map((_, i) =>
      sum(fleet.members.map((m) => (m.pvProfileIndex === undefined ? 0 : fleet.pvProfiles[m.pvProfileIndex][i] * (m.pvSizeKW ?? 0)))),
    );
    assert.ok(sum(availableKW) > 10, 'no sunshine in the PV profile');
    seasonal.records.forEach((r, i) => {
      assert.ok(r.pvCurtailedKW > -1e-9 && r.pvPowerKW > -1e-9, `negative PV at ${i}`);
      assert.ok(Math.abs(r.pvPowerKW + r.pvCurtailedKW - availableKW[i]) < 1e-6, `interval ${i}: ${r.pvPowerKW} + ${r.pvCurtailedKW} vs ${availableKW[i]}`);
    });
  });

  it('value is at most price × metered energy plus stored energy at the mean price (wear only costs)', () => {
    for (const run of [seasonal, oracle]) {
      const market = sum(run.records.map((r) => (r.pricePerMWh * r.fleetPowerKW * hours) / 1000));
      const stored = ((run.summary.storedEnergyChangeKWh as { vpp: number }).vpp * num(run.summary, 'storedEnergyPricePerMWh')) / 1000;
      assert.ok(num(run.summary, 'valueVpp') <= market + stored + 1e-9);
      assert.ok(relDiff(run.records[run.records.length - 1].valueVpp, num(run.summary, 'valueVpp')) < 1e-9);
      const meanPrice = sum(run.records.map((r) => r.pricePerMWh)) / run.records.length;
      assert.ok(relDiff(meanPrice, num(run.summary, 'storedEnergyPricePerMWh')) < 1e-12);
    }
  });

  it('perfect foresight is worth at least the baseline, and the VPP at most perfect foresight (small tolerance)', () => {
    for (const run of [seasonal, oracle]) {
      const baseline = num(run.summary, 'valueBaseline');
      const perfect = num(run.summary, 'valuePerfectForesight');
      assert.ok(perfect >= baseline, `perfect foresight ${perfect} < baseline ${baseline}`);
      assert.ok(num(run.summary, 'valueVpp') <= perfect + 0.01 * Math.abs(perfect), 'VPP beat perfect foresight');
    }
  });

  it('with the oracle forecast the VPP captures ≥ 95 % of the perfect-foresight uplift and beats the baseline', () => {
    const captured = num(oracle.summary, 'capturedPct');
    console.log(`capturedPct with oracle forecast over 2 days: ${captured.toFixed(2)} % (seasonal-blend: ${num(seasonal.summary, 'capturedPct').toFixed(2)} %)`);
    assert.ok(captured >= 95, `captured only ${captured} %`);
    assert.ok(num(oracle.summary, 'valueVpp') >= num(oracle.summary, 'valueBaseline'));
  });

  it('the baseline and perfect foresight do not depend on the forecast', () => {
    assert.equal(num(oracle.summary, 'valueBaseline'), num(seasonal.summary, 'valueBaseline'));
    assert.equal(num(oracle.summary, 'valuePerfectForesight'), num(seasonal.summary, 'valuePerfectForesight'));
  });
});
