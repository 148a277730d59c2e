import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadScenario } from '../../sim/scenario.js';
import { prepareRun } from '../../sim/run.js';
import { runServices, type ServicesSummary } from '../../services/pass.js';

// Compiled to dist/test/services/: the examples are three folders up.
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Every example that declares services, with its services pass run once (the code `vpp sim` runs). */
const withServices = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, scenario: loadScenario(join(EXAMPLES, file)) }))
  .filter(({ scenario }) => scenario.services !== undefined);

const summaries = new Map<string, ServicesSummary>();
async function servicesOf(file: string): Promise<ServicesSummary> {
  let summary = summaries.get(file);
  if (!summary) {
    const { scenario } = withServices.find((e) => e.file === file)!;
    summary = (await runServices(prepareRun(scenario, { scenarioDir: EXAMPLES }), EXAMPLES)).summary;
    summaries.set(file, summary);
  }
  return summary;
}

describe('grid-service examples', () => {
  it('ship every service the issue names', () => {
    assert.deepEqual(
      withServices.map((e) => e.file),
      ['de-feeder-services.yaml', 'ev-demand-response.yaml', 'fcr-de-day.yaml', 'pjm-rega-40min.yaml', 'pjm-regd-40min.yaml', 'pjm-regd-cooptimised.yaml', 'pjm-spin-events.yaml'],
    );
  });

  for (const file of ['pjm-regd-40min.yaml', 'pjm-rega-40min.yaml']) {
    it(`${file}: 100 batteries + 50 EV chargers score >= 0.90 on PJM's composite, each component in [0, 1]`, async () => {
      const { scenario } = withServices.find((e) => e.file === file)!;
      assert.equal(scenario.fleet.batteries.reduce((n, g) => n + g.count, 0), 100);
      assert.equal(scenario.fleet.ev?.sessions.source === 'generated' && scenario.fleet.ev.sessions.chargers, 50);
      const regulation = (await servicesOf(file)).regulation!;
      assert.ok(regulation.score >= 0.9, `score ${regulation.score}`);
      for (const part of [regulation.accuracy, regulation.delay, regulation.precision]) assert.ok(part >= 0 && part <= 1, String(part));
      assert.ok(Math.abs(regulation.score - (regulation.accuracy + regulation.delay + regulation.precision) / 3) < 1e-12);
      assert.ok(Math.abs(regulation.assignedMW - scenario.services!.regulation!.committedMW) < 1e-9, 'the fleet carries its whole commitment');
      assert.ok(regulation.hourly.length >= 1 && regulation.hourly.every((h) => h.score >= 0 && h.score <= 1));
      // EV chargers follow the signal too, not only the batteries.
      assert.ok(regulation.participants > 100, `${regulation.participants} participants`);
    });
  }

  for (const { file } of withServices) {
    it(`${file}: zero device and feeder violations, counted by the independent checker`, async () => {
      const summary = await servicesOf(file);
      assert.equal(summary.device.violations, 0);
      assert.equal(summary.feeder.violations, 0);
      assert.ok(summary.feeder.feeders >= 1, 'the example declares feeders, so the count means something');
    });
  }

  it('pjm-spin-events.yaml: a year of events, each feasible one delivered within the ramp time', async () => {
    const reserve = (await servicesOf('pjm-spin-events.yaml')).reserve!;
    assert.ok(reserve.events >= 10, `${reserve.events} events`);
    assert.equal(reserve.eventsFeasibleNotMet, 0);
    for (const event of reserve.perEvent) {
      if (!event.feasible) continue;
      assert.ok(event.met && event.deliveredKW >= event.committedKW * (1 - 1e-6), `${event.start}: ${event.deliveredKW} of ${event.committedKW} kW`);
      assert.ok(event.reachedAfterS !== null && event.reachedAfterS <= reserve.rampMin * 60, `${event.start} reached after ${event.reachedAfterS} s`);
    }
  });

  it('ev-demand-response.yaml: chargers meet each feasible event, say why the others fail, and no car misses energy it could have had', async () => {
    const dr = (await servicesOf('ev-demand-response.yaml')).demandResponse!;
    assert.equal(dr.events, 7);
    assert.equal(dr.eventsFeasibleNotMet, 0);
    assert.ok(dr.eventsServed >= 1);
    assert.equal(dr.infeasible.length, dr.eventsInfeasible);
    for (const e of dr.infeasible) assert.match(e.reason, /^(power|ramp|energy): /);
    assert.ok(dr.ev.sessions > 100);
    assert.equal(dr.ev.sessionsShortFeasible, 0);
  });

  it('fcr-de-day.yaml: the droop is answered every second of the day within tolerance', async () => {
    const frequency = (await servicesOf('fcr-de-day.yaml')).frequency!;
    assert.equal(frequency.durationMin, 24 * 60);
    assert.ok(frequency.answeredPct >= 99, `${frequency.answeredPct} %`);
    assert.ok(frequency.energyUpKWh > 0 && frequency.energyDownKWh > 0, 'the day asks for both directions');
  });
});
