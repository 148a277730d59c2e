import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { prepareRun, runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, ScenarioError, type Scenario } from '../../sim/scenario.js';
import { serviceMarketOf } from '../../sim/commitments.js';
import { tempDir } from './helpers.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const examplePath = join(examples, 'de-feeder-services.yaml');
const raw = parseYaml(readFileSync(examplePath, 'utf8')) as Record<string, unknown>;

/** The feeder example, shortened to one day to keep the test quick. */
function oneDay(overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario({ ...raw, window: { start: '2016-05-01T00:00:00+02:00', end: '2016-05-02T00:00:00+02:00' }, ...overrides }, examplePath);
}

describe('feeder limits in plans', () => {
  const results: Record<string, RunResult> = {};
  before(async () => {
    // In-process, and through the protocol (peers keep a PV's planned output as its cap on the feeder).
    for (const transport of ['direct', 'memory'] as const) results[transport] = await runSimulation(oneDay(), { scenarioDir: examples, transport });
  });

  it('the VPP keeps the feeder inside its limits where the uncontrolled homes do not, on either path', () => {
    for (const [transport, result] of Object.entries(results)) {
      const safety = result.summary.safety as { feederViolations: number; limitViolations: number };
      assert.equal(safety.feederViolations, 0, transport);
      assert.equal(safety.limitViolations, 0, transport);
      const peakKW = Math.max(...result.records.map((r) => r.fleetPowerKW));
      assert.ok(peakKW <= 150 + 1e-6, `${transport}: fleet peak ${peakKW} kW`);
      // The limit binds: without control the noon PV exceeds it.
      assert.ok(Math.max(...result.records.map((r) => r.baselinePowerKW)) > 150);
    }
    assert.equal(results.memory.summary.resultHash, results.direct.summary.resultHash);
  });

  it('scenario errors name the capacity period and price', () => {
    const market = raw.market as Record<string, unknown>;
    assert.throws(() => oneDay({ market: { ...market, capacity: { periodMin: 90 } } }), (e: Error) => e instanceof ScenarioError && /market\.capacity\.periodMin 90 must be a multiple/.test(e.message));
    assert.throws(() => oneDay({ market: { ...market, capacity: { reservePerMWh: 'cheap' } } }), /market\.capacity\.reservePerMWh/);
  });

  it('market.capacity becomes per-interval capacity prices, a symmetric band split half up, half down', () => {
    const run = prepareRun(oneDay(), { scenarioDir: examples });
    const horizon = serviceMarketOf(run, 3, 30)!;
    assert.equal(horizon.commitmentIntervals, 1);
    assert.equal(horizon.horizonIntervals, 30);
    assert.deepEqual(horizon.market.pricePerMWh.regulationUp, new Array(30).fill(9));
    assert.deepEqual(horizon.market.pricePerMWh.regulationDown, new Array(30).fill(9));
    assert.deepEqual(horizon.market.pricePerMWh.reserve, new Array(30).fill(6));
    assert.equal(horizon.market.regulationRule, 'symmetric');
    const none = prepareRun(oneDay({ market: { ...(raw.market as object), capacity: undefined } }), { scenarioDir: examples });
    assert.equal(serviceMarketOf(none, 0, 24), undefined);
  });

  it('a capacity price can be a recorded series through the generic CSV loader', () => {
    const dir = tempDir('capacity-csv');
    // Hour-beginning labels in UTC: 10 EUR/MW-h plus the hour of day.
    const startMs = Date.parse('2016-04-30T22:00:00Z');
    const rows = Array.from({ length: 24 }, (_, h) => `${new Date(startMs + h * 3_600_000).toISOString()},${10 + h}`);
    writeFileSync(join(dir, 'reserve.csv'), `ts,eur\n${rows.join('\n')}\n`);
    const market = raw.market as { capacity: Record<string, unknown> };
    const reservePerMWh = { source: 'csv', series: 'reserve', mapping: { file: 'reserve.csv', time: { column: 'ts', format: 'iso' }, values: [{ column: 'eur', name: 'reserve', unit: 'EUR/MWh' }] } };
    const run = prepareRun(oneDay({ market: { ...market, capacity: { ...market.capacity, reservePerMWh } } }), { scenarioDir: dir });
    const horizon = serviceMarketOf(run, 5, 24)!;
    // From grid interval 5 on; past the window's last hour its price holds.
    assert.deepEqual(horizon.market.pricePerMWh.reserve, Array.from({ length: 24 }, (_, k) => 10 + Math.min(23, 5 + k)));
  });
});
