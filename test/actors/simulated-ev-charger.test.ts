import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeviceConfigError, SetpointRejectedError, SimulatedEvCharger, type EvSessionSpec } from '../../actors/index.js';
import { HOUR_MS, T0, sessionsArb } from './fixtures.js';

const MIN_MS = 60_000;

function charger(sessions: EvSessionSpec[], maxChargeKW = 11): SimulatedEvCharger {
  return new SimulatedEvCharger({ id: 'evse-1', maxChargeKW, chargeEfficiency: 0.9, sessions, startMs: T0 });
}

test('EV: a car charges at min(setpoint, charger, car), stops when full and leaves at departure', () => {
  const ev = charger([
    { sessionId: 'a', arrivalMs: T0 + HOUR_MS, departureMs: T0 + 3 * HOUR_MS, requestedKWh: 6.3, maxChargeKW: 7 },
    { sessionId: 'b', arrivalMs: T0 + 4 * HOUR_MS, departureMs: T0 + 5 * HOUR_MS, requestedKWh: 50, maxChargeKW: 22 },
  ]);
  ev.applySetpointNow(-11);
  ev.advanceTo(T0 + HOUR_MS - MIN_MS);
  assert.equal(ev.telemetryNow().evSession, undefined, 'no car before arrival');
  assert.equal(ev.telemetryNow().meterNetKWh, 0);
  ev.advanceTo(T0 + HOUR_MS + 30 * MIN_MS);
  // 7 kW car limit from arrival: 0.5 h · 7 kW drawn, 90 % of it delivered.
  assert.equal(ev.telemetryNow().evSession?.sessionId, 'a');
  assert.ok(Math.abs(ev.telemetryNow().evSession!.deliveredKWh - 3.15) < 1e-12);
  // Full after 6.3 / (0.9 · 7) = 1 h of charging, i.e. at arrival + 1 h; nothing drawn afterwards.
  ev.advanceTo(T0 + 2 * HOUR_MS + 30 * MIN_MS);
  assert.equal(ev.telemetryNow().evSession!.deliveredKWh, 6.3);
  assert.equal(ev.telemetryNow().powerKW, -3.5, 'mean over a step with 30 of 60 min charging');
  ev.advanceTo(T0 + 2 * HOUR_MS + 45 * MIN_MS);
  assert.equal(ev.telemetryNow().powerKW, 0, 'full car draws nothing');
  assert.ok(Math.abs(ev.telemetryNow().meterNetKWh + 7) < 1e-12, 'drew 7 kWh');
  // The second car needs more than it can get: it leaves at departure with 11 kW · 1 h · 0.9.
  ev.advanceTo(T0 + 6 * HOUR_MS);
  assert.equal(ev.telemetryNow().evSession, undefined, 'gone after departure');
  const done = ev.completedSessions();
  assert.deepEqual(done.map((s) => s.sessionId), ['a', 'b']);
  assert.equal(done[0].deliveredKWh, 6.3);
  assert.ok(Math.abs(done[1].deliveredKWh - 9.9) < 1e-12);
  assert.ok(Math.abs(ev.telemetryNow().meterNetKWh + 18) < 1e-12);
});

test('EV: the car is present exactly in [arrival, departure)', () => {
  const ev = charger([{ sessionId: 'a', arrivalMs: T0 + MIN_MS, departureMs: T0 + 2 * MIN_MS, requestedKWh: 10, maxChargeKW: 7 }]);
  ev.advanceTo(T0 + MIN_MS);
  assert.equal(ev.telemetryNow().evSession?.sessionId, 'a');
  ev.advanceTo(T0 + 2 * MIN_MS);
  assert.equal(ev.telemetryNow().evSession, undefined);
  assert.equal(ev.completedSessions().length, 1);
});

test('EV: never over-delivers, only imports, conserves energy, independent of step size', () => {
  fc.assert(
    fc.property(
      sessionsArb,
      fc.array(fc.record({ frac: fc.double({ min: 0, max: 1, noNaN: true }), durationMs: fc.integer({ min: 1, max: 4 * HOUR_MS }) }), { minLength: 1, maxLength: 20 }),
      (sessions, commands) => {
        const coarse = charger(sessions);
        const fine = charger(sessions);
        let t = T0;
        for (const { frac, durationMs } of commands) {
          coarse.applySetpointNow(-11 * frac);
          fine.applySetpointNow(-11 * frac);
          coarse.advanceTo(t + durationMs);
          for (let k = 1; k <= 4; k++) fine.advanceTo(t + Math.floor((k * durationMs) / 4));
          t += durationMs;
          const tel = coarse.telemetryNow();
          assert.ok(tel.powerKW <= 0 && tel.powerKW >= -11 - 1e-9, `power ${tel.powerKW}`);
          if (tel.evSession) assert.ok(tel.evSession.deliveredKWh <= tel.evSession.requestedKWh);
        }
        const all = [...coarse.completedSessions(), ...(coarse.telemetryNow().evSession ? [coarse.telemetryNow().evSession!] : [])];
        let deliveredKWh = 0;
        for (const s of all) {
          assert.ok(s.deliveredKWh <= s.requestedKWh, `session ${s.sessionId} over-delivered`);
          deliveredKWh += s.deliveredKWh;
        }
        assert.ok(Math.abs(-coarse.telemetryNow().meterNetKWh * 0.9 - deliveredKWh) < 1e-9, 'η · imported = delivered');
        assert.ok(Math.abs(fine.telemetryNow().meterNetKWh - coarse.telemetryNow().meterNetKWh) < 1e-9, 'step size');
      },
    ),
    { numRuns: 300 },
  );
});

test('EV: exporting setpoints and overlapping sessions are rejected', () => {
  const ev = charger([]);
  assert.throws(() => ev.applySetpointNow(1), SetpointRejectedError);
  assert.throws(() => ev.applySetpointNow(-12), SetpointRejectedError);
  assert.throws(
    () =>
      charger([
        { sessionId: 'a', arrivalMs: T0, departureMs: T0 + HOUR_MS, requestedKWh: 5, maxChargeKW: 7 },
        { sessionId: 'b', arrivalMs: T0 + HOUR_MS / 2, departureMs: T0 + 2 * HOUR_MS, requestedKWh: 5, maxChargeKW: 7 },
      ]),
    (err: unknown) => err instanceof DeviceConfigError && /session b/.test(err.message),
  );
  assert.throws(
    () => charger([{ sessionId: 'c', arrivalMs: T0, departureMs: T0 - 1, requestedKWh: 5, maxChargeKW: 7 }]),
    /sessions\[c\]\.departureMs/,
  );
});
