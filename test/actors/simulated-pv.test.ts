import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProfileError, SetpointRejectedError, SimulatedPv, stepProfileFromPoints, type StepPoint } from '../../actors/index.js';
import { HOUR_MS, T0 } from './fixtures.js';

test('PV: step profile lookup', () => {
  const p = stepProfileFromPoints([
    { startMs: 100, value: 0.5 },
    { startMs: 200, value: 0.8 },
  ]);
  assert.equal(p.valueAt(99), 0);
  assert.equal(p.valueAt(100), 0.5);
  assert.equal(p.valueAt(199), 0.5);
  assert.equal(p.valueAt(250), 0.8);
  assert.equal(p.nextChangeAfter(0), 100);
  assert.equal(p.nextChangeAfter(100), 200);
  assert.equal(p.nextChangeAfter(200), Infinity);
  assert.throws(() => stepProfileFromPoints([{ startMs: 5, value: 1 }, { startMs: 5, value: 1 }]), /point 1/);
});

test('PV: output is min(setpoint, available), integrated exactly across profile steps', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ stepMs: fc.integer({ min: 1, max: HOUR_MS }), value: fc.double({ min: 0, max: 1.1, noNaN: true }) }), { minLength: 1, maxLength: 30 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 30 * HOUR_MS }),
      (steps, capFrac, spanMs) => {
        const sizeKW = 8;
        let t = T0;
        const points: StepPoint[] = steps.map((s) => {
          const point = { startMs: t, value: s.value };
          t += s.stepMs;
          return point;
        });
        const pv = new SimulatedPv({ id: 'pv-1', sizeKW, availability: stepProfileFromPoints(points), startMs: T0 });
        const capKW = capFrac * sizeKW;
        pv.applySetpointNow(capKW);
        pv.advanceTo(T0 + spanMs);
        // Reference: sum over each step's overlap with the span.
        let expectedKWh = 0;
        points.forEach((p, i) => {
          const end = Math.min(T0 + spanMs, points[i + 1]?.startMs ?? Infinity);
          if (end > p.startMs) expectedKWh += (Math.min(capKW, sizeKW * p.value) * (end - p.startMs)) / HOUR_MS;
        });
        const tel = pv.telemetryNow();
        assert.ok(Math.abs(tel.meterNetKWh - expectedKWh) < 1e-9, `${tel.meterNetKWh} vs ${expectedKWh}`);
        assert.ok(tel.powerKW >= 0 && tel.powerKW <= capKW + 1e-9, 'curtailed output within [0, setpoint]');
      },
    ),
    { numRuns: 300 },
  );
});

test('PV: starts uncurtailed, never imports, rejects bad profiles', () => {
  const profile = stepProfileFromPoints([{ startMs: T0, value: 0.5 }]);
  const pv = new SimulatedPv({ id: 'pv-1', sizeKW: 4, availability: profile, startMs: T0 });
  assert.equal(pv.telemetryNow().availableKW, 2);
  pv.advanceTo(T0 + HOUR_MS);
  assert.equal(pv.telemetryNow().meterNetKWh, 2);
  assert.throws(() => pv.applySetpointNow(-0.1), SetpointRejectedError);
  const broken = new SimulatedPv({
    id: 'pv-2',
    sizeKW: 4,
    availability: { valueAt: () => -1, nextChangeAfter: () => Infinity },
    startMs: T0,
  });
  assert.throws(() => broken.advanceTo(T0 + 1), (err: unknown) => err instanceof ProfileError && /pv-2/.test(err.message));
});
