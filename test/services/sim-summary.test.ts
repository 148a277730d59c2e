import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadScenario, parseScenario } from '../../sim/scenario.js';
import { prepareRun, runSimulation } from '../../sim/run.js';
import { writeResults } from '../../sim/results.js';
import { runServices } from '../../services/pass.js';
import { tempDir } from '../sim/helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('services in vpp sim', () => {
  it('a scenario with services: summary.json gains services, violations stay counted, report.html charts signal vs response', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'pjm-rega-40min.yaml'));
    const result = await runSimulation(scenario, { scenarioDir: EXAMPLES, transport: 'direct' });
    const summary = result.summary as { services: { regulation: { score: number }; feeder: { violations: number } }; safety: { limitViolations: number; feederViolations: number } };
    assert.ok(summary.services.regulation.score >= 0.9);
    assert.equal(summary.services.feeder.violations, 0);
    assert.equal(summary.safety.limitViolations, 0);
    assert.equal(summary.safety.feederViolations, 0, 'the energy passes respect the feeders too');
    const out = tempDir('services');
    writeResults(out, result.summary, result.records, result.csv, result.serviceCharts);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /Regulation: PJM RegA 40-minute test, signal × committed vs fleet response/);
    assert.match(html, /id="service0"/);
    assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).services.regulation.score, summary.services.regulation.score);
  });

  it('same scenario and seed, same service trace; another seed, another fleet and trace', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'pjm-regd-40min.yaml'));
    const hash = async (seed: number) => (await runServices(prepareRun(scenario, { scenarioDir: EXAMPLES, seed }), EXAMPLES)).summary.traceHash;
    assert.equal(await hash(21), await hash(21));
    assert.notEqual(await hash(21), await hash(22));
  });

  it('rejects a fleet group on an undeclared feeder and a bad services field, naming the field', async () => {
    const raw = {
      name: 't',
      currency: 'USD',
      window: { start: '2016-07-01T00:00:00-04:00', end: '2016-07-02T00:00:00-04:00' },
      market: { intervalMin: 60, price: { source: 'epftoolbox', market: 'PJM' } },
      fleet: { batteries: [{ count: 1, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, feeder: 'east' }] },
      services: { feeders: [{ id: 'west', importLimitKW: 10, exportLimitKW: 10 }] },
    };
    assert.throws(() => parseScenario(raw, 'x.yaml'), /fleet\.batteries\.0\.feeder: feeder 'east' is not in services\.feeders \(west\)/);
    assert.throws(() => parseScenario({ ...raw, services: { regulation: { signal: { source: 'pjm-test', kind: 'RegC' }, committedMW: 1 } } }, 'x.yaml'), /services\.regulation\.signal\.kind/);
    assert.throws(() => parseScenario({ ...raw, services: { reserve: { events: { source: 'pjm-spin' }, committedMW: -1 } } }, 'x.yaml'), /services\.reserve\.committedMW/);
    // A service outside the window is refused before anything runs, naming the field.
    const late = parseScenario({ ...raw, fleet: { batteries: [] }, services: { regulation: { signal: { source: 'pjm-test', kind: 'RegD' }, start: '2016-07-02T09:00:00-04:00', committedMW: 1 } } }, 'x.yaml');
    await assert.rejects(runServices(prepareRun(late, { scenarioDir: EXAMPLES }), EXAMPLES), (e: Error & { code?: string }) => e.code === 'VPP_ERR_SERVICE' && /services\.regulation\.start/.test(e.message));
  });

  it('follows a regulation signal from the user\'s own CSV, on the signal loaders\' mapping', async () => {
    const dir = tempDir('reg-csv');
    const startMs = Date.parse('2016-07-01T04:00:00Z');
    const rows = Array.from({ length: 1800 }, (_, i) => `${new Date(startMs + i * 2000).toISOString()},${Math.sin(i / 40).toFixed(4)}`);
    writeFileSync(join(dir, 'reg.csv'), `ts,value\n${rows.join('\n')}\n`);
    const scenario = parseScenario(
      {
        name: 'csv regulation',
        currency: 'USD',
        window: { start: '2016-07-01T00:00:00-04:00', end: '2016-07-01T01:00:00-04:00' },
        market: { intervalMin: 60, price: { source: 'epftoolbox', market: 'PJM' } },
        fleet: { batteries: [{ count: 10, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5 }] },
        services: {
          regulation: {
            signal: { source: 'csv', series: 'reg', mapping: { file: 'reg.csv', time: { column: 'ts', format: 'iso' }, values: [{ column: 'value', name: 'reg', unit: '1' }] } },
            committedMW: 0.04,
          },
        },
      },
      'csv.yaml',
    );
    const run = prepareRun(scenario, { scenarioDir: dir });
    const regulation = (await runServices(run, dir)).summary.regulation!;
    assert.equal(regulation.durationMin, 60);
    assert.equal(regulation.signal, 'CSV reg');
    assert.ok(regulation.score >= 0.9, String(regulation.score));
    assert.ok(run.reports.some((r) => r.source.endsWith('reg.csv')), 'the CSV\'s load report joins the run\'s');
  });
});
