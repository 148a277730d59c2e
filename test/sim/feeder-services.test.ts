import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { prepareRun, runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, ScenarioError, type Scenario } from '../../sim/scenario.js';
import { checkFeeders } from '../../sim/limit-check.js';
import { serviceMarketOf } from '../../sim/commitments.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const examplePath = join(examples, 'de-feeder-services.yaml');
const raw = parseYaml(readFileSync(examplePath, 'utf8')) as Record<string, unknown>;

/** The feeder example, shortened to two days to keep the test quick. */
function twoDays(overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario({ ...raw, window: { start: '2016-05-01T00:00:00+02:00', end: '2016-05-03T00:00:00+02:00' }, ...overrides }, examplePath);
}

describe('feeder limits in plans', () => {
  let result: RunResult;
  before(async () => {
    result = await runSimulation(twoDays(), { scenarioDir: examples });
  });

  it('the VPP keeps the feeder inside its limits where the uncontrolled homes do not', () => {
    const safety = result.summary.safety as { feederViolations: number; baselineFeederViolations: number; limitViolations: number };
    assert.equal(safety.feederViolations, 0);
    assert.equal(safety.limitViolations, 0);
    // The limit binds: without control the noon PV exceeds it.
    assert.ok(safety.baselineFeederViolations > 0, `baseline feeder violations ${safety.baselineFeederViolations}`);
    const peakKW = Math.max(...result.records.map((r) => r.fleetPowerKW));
    assert.ok(peakKW <= 150 + 1e-6, `fleet peak ${peakKW} kW`);
    assert.ok(Math.max(...result.records.map((r) => r.baselinePowerKW)) > 150);
  });

  it('the independent check counts each feeder outside its limits, and only limited ones', () => {
    const limits = { a: { maxImportKW: 5, maxExportKW: 3 }, b: { maxImportKW: 1, maxExportKW: 1 } };
    assert.equal(checkFeeders([2, 2, -0.5], ['a', 'a', 'b'], limits), 1);
    assert.equal(checkFeeders([2, 1, -2], ['a', 'a', 'b'], limits), 1);
    assert.equal(checkFeeders([-3, -3, 9], ['a', 'a', 'c'], limits), 1);
    assert.equal(checkFeeders([1, 1, 1], ['a', undefined, 'b'], limits), 0);
  });

  it('scenario errors name the feeder and the capacity period', () => {
    assert.throws(() => twoDays({ feeders: { 'street-9': { maxImportKW: 1, maxExportKW: 1 } } }), (e: Error) => e instanceof ScenarioError && /feeders\.street-9: no fleet group names this feeder/.test(e.message));
    const market = raw.market as Record<string, unknown>;
    assert.throws(() => twoDays({ market: { ...market, capacity: { periodMin: 90 } } }), /market\.capacity\.periodMin 90 must be a multiple/);
    assert.throws(() => twoDays({ feeders: { 'street-7': { maxImportKW: -1, maxExportKW: 1 } } }), /feeders\.street-7\.maxImportKW/);
  });

  it('market.capacity becomes per-interval capacity prices, a symmetric band split half up, half down', () => {
    const run = prepareRun(twoDays(), { scenarioDir: examples });
    const horizon = serviceMarketOf(run, 3, 30)!;
    assert.equal(horizon.commitmentIntervals, 1);
    assert.equal(horizon.horizonIntervals, 30);
    assert.deepEqual(horizon.market.pricePerMWh.regulationUp, new Array(30).fill(9));
    assert.deepEqual(horizon.market.pricePerMWh.regulationDown, new Array(30).fill(9));
    assert.deepEqual(horizon.market.pricePerMWh.reserve, new Array(30).fill(6));
    assert.equal(horizon.market.regulationRule, 'symmetric');
    const none = prepareRun(twoDays({ market: { ...(raw.market as object), capacity: undefined } }), { scenarioDir: examples });
    assert.equal(serviceMarketOf(none, 0, 24), undefined);
  });
});
