import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { prepareRun, runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, type Scenario } from '../../sim/scenario.js';
import { sum } from './helpers.js';

const MS_PER_HOUR = 3_600_000;
const options = { scenarioDir: process.cwd() };

/** EV charging on the CityLearn time-of-use tariff (replayed in 2021), 15-min intervals, 3 chargers' worth of days. */
function evScenario(name: string, window: { start: string; end: string }, sessions: Record<string, unknown>): Scenario {
  return parseScenario(
    {
      name,
      seed: 5,
      currency: 'USD',
      window,
      market: {
        intervalMin: 15,
        price: { source: 'citylearn-pricing', align: { calendar: 'same-local-time-of-year', timeZone: 'America/Los_Angeles' } },
      },
      planning: { horizonH: 12, blocks: [{ untilH: 2, periodMin: 15 }, { untilH: 12, periodMin: 60 }], evUnmetPenaltyPerKWh: 5 },
      fleet: { ev: { chargerMaxKW: 6.6, carMaxKW: { choice: [6.6, 7.2, 11] }, chargeEfficiency: 0.92, sessions } },
    },
    name,
  );
}

const generated = evScenario(
  'generated EV sessions',
  { start: '2021-05-03T00:00:00-07:00', end: '2021-05-05T00:00:00-07:00' },
  {
    source: 'generated', chargers: 6, sessionsPerChargerPerDay: 0.9, timeZone: 'America/Los_Angeles',
    arrivalHourLocal: { uniform: [6, 14] }, stayH: { uniform: [2, 9] }, energyKWh: { uniform: [4, 40] },
  },
);
const acn = evScenario('ACN Caltech, early May 2021', { start: '2021-05-03T00:00:00-07:00', end: '2021-05-07T00:00:00-07:00' }, { source: 'acn', energy: 'delivered' });

/** What the sessions of a scenario allow, kWh (see `sessionBounds`). */
interface SessionBounds {
  sessions: number;
  requestedKWh: number;
  /** Each car charging at min(charger, car) from the first physics step edge at or after it plugs in (setpoints change only at step edges). */
  fromStepEdgeKWh: number;
  /** The same from the moment it plugs in: no controller can deliver more. */
  fromArrivalKWh: number;
  /** At full power in each session's last, partial interval: a plan in whole intervals cannot use it. */
  partialLastIntervalKWh: number;
}

/** Bounds on deliverable energy from an independently built fleet (same seed, same sessions). */
function sessionBounds(scenario: Scenario): SessionBounds {
  const run = prepareRun(scenario, options);
  const fleet = run.newFleet();
  const bounds: SessionBounds = { sessions: 0, requestedKWh: 0, fromStepEdgeKWh: 0, fromArrivalKWh: 0, partialLastIntervalKWh: 0 };
  const edgeAtOrAfter = (ms: number, stepMs: number) => run.grid.startMs + Math.ceil((ms - run.grid.startMs) / stepMs) * stepMs;
  for (const member of fleet.members) {
    if (!member.ev) continue;
    const chargerKW = member.device.capabilities().maxImportKW;
    for (const s of member.ev.sessions) {
      const kW = Math.min(chargerKW, s.maxChargeKW) * member.ev.chargeEfficiency;
      const deliverable = (fromMs: number) => Math.min(s.requestedKWh, (kW * Math.max(0, s.departureMs - fromMs)) / MS_PER_HOUR);
      bounds.sessions++;
      bounds.requestedKWh += s.requestedKWh;
      bounds.fromStepEdgeKWh += deliverable(edgeAtOrAfter(s.arrivalMs, run.stepMs));
      bounds.fromArrivalKWh += deliverable(s.arrivalMs);
      const lastEdgeMs = edgeAtOrAfter(s.departureMs, run.grid.intervalMs) - run.grid.intervalMs;
      bounds.partialLastIntervalKWh += (kW * Math.max(0, s.departureMs - Math.max(lastEdgeMs, s.arrivalMs))) / MS_PER_HOUR;
    }
  }
  return bounds;
}

interface EvSummary {
  sessions: number;
  requestedKWh: number;
  deliveredKWh: number;
  sessionsShort: number;
  baselineDeliveredKWh: number;
}

const results = new Map<string, RunResult>();
before(async () => {
  for (const scenario of [generated, acn]) results.set(scenario.name, await runSimulation(scenario, options));
});

for (const scenario of [generated, acn]) {
  describe(`EV: ${scenario.name}`, () => {
    const result = () => results.get(scenario.name) as RunResult;
    const ev = () => result().summary.ev as EvSummary;

    it('has sessions, and no car ever gets more than it asked for', () => {
      const bounds = sessionBounds(scenario);
      const summary = result().summary;
      console.log(
        `${scenario.name}: ${ev().sessions} sessions, requested ${ev().requestedKWh.toFixed(1)} kWh, deliverable ${bounds.fromStepEdgeKWh.toFixed(1)}–${bounds.fromArrivalKWh.toFixed(1)},` +
          ` baseline ${ev().baselineDeliveredKWh.toFixed(1)}, VPP ${ev().deliveredKWh.toFixed(1)} (${((100 * ev().deliveredKWh) / ev().baselineDeliveredKWh).toFixed(1)} %);` +
          ` value VPP ${(summary.valueVpp as number).toFixed(2)} vs baseline ${(summary.valueBaseline as number).toFixed(2)} ${summary.currency}`,
      );
      assert.ok(ev().sessions >= 5, `only ${ev().sessions} sessions`);
      assert.equal(ev().sessions, bounds.sessions);
      assert.ok(Math.abs(ev().requestedKWh - bounds.requestedKWh) < 1e-6);
      // The limit check counts any session delivered beyond its request, in every pass.
      assert.equal((summary.safety as { limitViolations: number }).limitViolations, 0);
      assert.ok(ev().deliveredKWh <= ev().requestedKWh + 1e-6);
      assert.ok(ev().baselineDeliveredKWh <= ev().requestedKWh + 1e-6);
      for (const r of result().records) {
        assert.ok(r.evDeliveredKWh <= r.evRequestedKWh + 1e-6, `VPP ahead of requests at ${new Date(r.startMs).toISOString()}`);
        assert.ok(r.evBaselineDeliveredKWh <= r.evRequestedKWh + 1e-6, `baseline ahead of requests at ${new Date(r.startMs).toISOString()}`);
      }
    });

    it('the uncontrolled baseline delivers what is feasible', () => {
      const bounds = sessionBounds(scenario);
      const delivered = ev().baselineDeliveredKWh;
      // At least from each step edge; more only where a charger still running for the previous car serves the next one mid-step.
      assert.ok(delivered >= bounds.fromStepEdgeKWh - 1e-6, `baseline ${delivered} < ${bounds.fromStepEdgeKWh} deliverable from step edges`);
      assert.ok(delivered <= bounds.fromArrivalKWh + 1e-6, `baseline ${delivered} > ${bounds.fromArrivalKWh} deliverable from arrival`);
    });

    it('the VPP delivers nearly as much (short at most by the partial last intervals) while paying less', () => {
      const bounds = sessionBounds(scenario);
      const shortKWh = ev().baselineDeliveredKWh - ev().deliveredKWh;
      assert.ok(shortKWh <= bounds.partialLastIntervalKWh + 1e-6, `VPP ${shortKWh} kWh short of the baseline; partial last intervals hold ${bounds.partialLastIntervalKWh} kWh`);
      assert.ok(ev().deliveredKWh >= 0.95 * ev().baselineDeliveredKWh, `VPP ${ev().deliveredKWh} kWh vs baseline ${ev().baselineDeliveredKWh} kWh`);
      assert.ok((result().summary.valueVpp as number) >= (result().summary.valueBaseline as number));
      assert.equal(ev().sessionsShort > 0, ev().deliveredKWh < ev().requestedKWh - 1e-6 * ev().sessions);
    });

    it('energy drawn from the grid × charger efficiency is the energy the cars got', () => {
      const hours = (scenario.market.intervalMin * 60_000) / MS_PER_HOUR;
      const drawnKWh = -sum(result().records.map((r) => r.evPowerKW * hours));
      assert.ok(Math.abs(drawnKWh * 0.92 - ev().deliveredKWh) < 1e-6 * Math.max(1, drawnKWh), `${drawnKWh} kWh drawn, ${ev().deliveredKWh} delivered`);
      assert.ok(Math.abs(result().records[result().records.length - 1].evDeliveredKWh - ev().deliveredKWh) < 1e-9);
    });
  });
}
