import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runEvents } from '../../services/reserve.js';
import { ServiceFleet } from '../../services/real-time.js';
import { HOUR_MS, T0 } from '../actors/fixtures.js';
import { batteryMember, evMember, fleetOf, servicesOf } from './fixtures.js';

const MIN_MS = 60_000;
const reserveSpec = (committedMW: number) =>
  servicesOf({ reserve: { events: { source: 'pjm-spin' }, committedMW, rampMin: 10, stepS: 10, idleStepMin: 5, recoverySocFrac: 0.5, recoveryChargeFrac: 0.5 } }).reserve!;
const idle = (spec: ReturnType<typeof reserveSpec>) => ({ stepMs: spec.idleStepMin * MIN_MS, recovery: { socFrac: spec.recoverySocFrac, chargeFrac: spec.recoveryChargeFrac } });

describe('reserve and demand-response events', () => {
  it('meets a feasible event within the ramp time and holds it to the end', () => {
    const fleet = new ServiceFleet(fleetOf([batteryMember('b1', { rampKWPerS: 0.1 }), batteryMember('b2', { rampKWPerS: 0.1 })]), [], T0);
    const spec = reserveSpec(0.006);
    const { summary, traces } = runEvents(fleet, spec, [{ startMs: T0 + HOUR_MS, endMs: T0 + HOUR_MS + 20 * MIN_MS }], idle(spec));
    const [event] = summary.perEvent;
    assert.ok(event.feasible && event.met, JSON.stringify(event));
    // Two batteries at 0.1 kW/s each reach 2 × 0.1 × 30 s = 6 kW at 30 s; the metered 10-s mean reaches it over 30–40 s.
    assert.equal(event.reachedAfterS, 40);
    assert.ok(traces[0].responseKW.slice(3).every((kW) => kW >= 6 * (1 - 1e-6)));
    assert.equal(summary.eventsServed, 1);
  });

  it('names why an event cannot be met: power, ramp, or energy', () => {
    const cases: { reason: RegExp; committedMW: number; overrides: Record<string, number> }[] = [
      { reason: /^power: .* 10\.0 kW above/, committedMW: 0.012, overrides: {} },
      { reason: /^ramp: the fleet reaches 1\.2 kW within 10 min/, committedMW: 0.004, overrides: { rampKWPerS: 0.001 } },
      // 10 kWh at 15 % with a 10 % floor: 0.5 kWh × 0.9 each, 0.9 kWh over 30 min is 1.8 kW.
      { reason: /^energy: .* hold 1\.8 kW for the event's 30 min/, committedMW: 0.004, overrides: { initialSocFrac: 0.15 } },
    ];
    for (const c of cases) {
      const fleet = new ServiceFleet(fleetOf([batteryMember('b1', c.overrides), batteryMember('b2', c.overrides)]), [], T0);
      const spec = { ...reserveSpec(c.committedMW), recoveryChargeFrac: 1e-9 };
      const { summary } = runEvents(fleet, spec, [{ startMs: T0, endMs: T0 + 30 * MIN_MS }], idle(spec));
      const [event] = summary.perEvent;
      assert.equal(event.feasible, false);
      assert.equal(event.met, false);
      assert.match(event.reason ?? '', c.reason);
      assert.deepEqual(summary.infeasible, [{ start: event.start, reason: event.reason }]);
      assert.equal(summary.eventsFeasibleNotMet, 0);
    }
  });

  it('an EV curtails for the event but still gets its energy by departure; a car that cannot wait limits the cut', () => {
    // Car A wants 10 kWh over 3 h at 7 kW: it can stop for the whole hour and catch up after.
    // Car B wants 18 kWh over 3 h: it must keep drawing (18/0.92 − 7 × 2) kWh over the hour.
    const sessions = (requestedKWh: number) => [{ sessionId: 's', arrivalMs: T0, departureMs: T0 + 3 * HOUR_MS, requestedKWh, maxChargeKW: 7 }];
    const a = evMember('ev-a', 7, sessions(10), T0);
    const b = evMember('ev-b', 7, sessions(18), T0);
    const fleet = new ServiceFleet(fleetOf([a, b]), [], T0);
    const spec = reserveSpec(0.01);
    const event = { startMs: T0 + 10 * MIN_MS, endMs: T0 + 70 * MIN_MS };
    const { summary } = runEvents(fleet, spec, [event], idle(spec));
    assert.match(summary.perEvent[0].reason ?? '', /^energy: /);
    fleet.idleUntil(T0 + 3 * HOUR_MS, idle(spec));
    for (const m of [a, b]) {
      const [session] = (m.device as import('../../actors/index.js').SimulatedEvCharger).completedSessions();
      assert.ok(Math.abs(session.deliveredKWh - session.requestedKWh) < 1e-6, `${m.device.id}: ${session.deliveredKWh} of ${session.requestedKWh} kWh`);
    }
    // What the two cars can give up together (7 + the part of B's draw it can spare) is delivered.
    const spare = 7 + (7 - (18 / 0.92 - 14) / 1);
    assert.ok(Math.abs(summary.perEvent[0].deliveredKW - spare) < 0.05, `${summary.perEvent[0].deliveredKW} kW, expected ≈ ${spare}`);
  });
});
