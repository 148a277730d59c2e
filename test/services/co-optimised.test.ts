import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadScenario, parseScenario } from '../../sim/scenario.js';
import { prepareRun } from '../../sim/run.js';
import { planningStrategyOf, planRequestAt, servicesRequestAt } from '../../sim/plan-request.js';
import { createLpBackend, DEFAULT_SOLVER } from '../../solver/backend.js';
import { planCommitments } from '../../solver/commitments.js';
import { runServices, type ServicesOutcome } from '../../services/pass.js';
import { serviceCapacityKW } from '../../services/planned.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const FILE = 'pjm-regd-cooptimised.yaml';

let outcome: Promise<ServicesOutcome> | undefined;
/** The example's services pass, run once for every test here. */
const passOf = () => (outcome ??= runServices(prepareRun(loadScenario(join(EXAMPLES, FILE)), { scenarioDir: EXAMPLES }), EXAMPLES));

describe('services.commitments: co-optimise', () => {
  it(`${FILE}: each DER's regulation capacity in the pass is what planCommitments commits for that hour`, async () => {
    const { commitments, summary } = await passOf();
    const handed = commitments.regulation!;
    assert.ok(handed.length >= 1);
    const run = prepareRun(loadScenario(join(EXAMPLES, FILE)), { scenarioDir: EXAMPLES });
    const planner = { backend: await createLpBackend(DEFAULT_SOLVER), ...planningStrategyOf(run) };
    for (const [i, fleet] of handed.entries()) {
      const nowIndex = (fleet.startMs - run.grid.startMs) / run.grid.intervalMs;
      assert.ok(Number.isInteger(nowIndex), 'commitments start on a market period');
      const { request } = await planRequestAt(run, nowIndex);
      const planned = planCommitments(servicesRequestAt(run, nowIndex, request, 'test'), planner).commitments[0];
      assert.equal(planned.startMs, fleet.startMs);
      const carrying = planned.ders.filter((c) => serviceCapacityKW(c, 'regulation') > 0);
      assert.ok(carrying.length > 0, 'the regulation price makes the planner commit regulation');
      assert.deepEqual(fleet.ders, carrying, 'the pass gets the planner\'s DERs, basepoints and capacities unchanged');
      const plannedKW = carrying.reduce((s, c) => s + Math.min(c.regulationUpKW, c.regulationDownKW), 0);
      assert.ok(Math.abs(summary.commitments.committedMW.regulation![i].mw * 1000 - plannedKW) < 1e-9, `${summary.commitments.committedMW.regulation![i].mw} MW vs ${plannedKW} kW`);
    }
    assert.equal(summary.commitments.source, 'co-optimise');
    // The scored capacity is the planner's, not the block's committedMW.
    const plannedMW = summary.commitments.committedMW.regulation!.map((p) => p.mw);
    const { assignedMW } = summary.regulation!;
    assert.ok(assignedMW >= Math.min(...plannedMW) - 1e-9 && assignedMW <= Math.max(...plannedMW) + 1e-9, `${assignedMW} MW outside ${plannedMW}`);
    assert.ok(summary.regulation!.score >= 0.9, `score ${summary.regulation!.score}`);
  });

  it(`${FILE}: 0 device and 0 feeder violations, counted by the independent checkers`, async () => {
    const { summary } = await passOf();
    assert.ok(summary.feeder.feeders >= 1);
    assert.equal(summary.device.violations, 0);
    assert.equal(summary.feeder.violations, 0);
  });

  it('the default stays the rule', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'pjm-regd-40min.yaml'));
    assert.equal(scenario.services!.commitments, 'rule');
  });

  it('co-optimise without market.capacity is refused, naming the field', () => {
    const raw = {
      name: 't',
      currency: 'USD',
      window: { start: '2016-07-01T00:00:00-04:00', end: '2016-07-02T00:00:00-04:00' },
      market: { intervalMin: 60, price: { source: 'epftoolbox', market: 'PJM' } },
      fleet: { batteries: [{ count: 1, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5 }] },
      services: { commitments: 'co-optimise', regulation: { signal: { source: 'pjm-test', kind: 'RegD' }, committedMW: 0.004 } },
    };
    assert.throws(() => parseScenario(raw, 'x.yaml'), /services\.commitments: co-optimise needs a market\.capacity block/);
    assert.throws(() => parseScenario({ ...raw, services: { ...raw.services, commitments: 'planner' } }, 'x.yaml'), /services\.commitments/);
    // With a capacity market the same scenario loads.
    const ok = parseScenario({ ...raw, market: { ...raw.market, capacity: { regulationPerMWh: 60 } } }, 'x.yaml');
    assert.equal(ok.services!.commitments, 'co-optimise');
  });
});
