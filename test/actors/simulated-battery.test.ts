import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DeviceConfigError,
  SetpointRejectedError,
  SimulatedBattery,
  TimeReversalError,
} from '../../actors/index.js';
import { HOUR_MS, T0, batteryConfig, batteryConfigArb, commandsArb, fracToKW } from './fixtures.js';

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);

test('battery: energy is conserved, SoC stays in bounds and the result does not depend on step size', () => {
  fc.assert(
    fc.property(batteryConfigArb, commandsArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (config, commands, cuts) => {
      const coarse = new SimulatedBattery(config);
      const fine = new SimulatedBattery(config);
      const e0 = coarse.telemetryNow().energyKWh!;
      let t = T0;
      for (const { frac, durationMs } of commands) {
        coarse.applySetpointNow(fracToKW(coarse, frac));
        fine.applySetpointNow(fracToKW(fine, frac));
        const end = t + durationMs;
        coarse.advanceTo(end);
        // The fine device takes the same span in several uneven sub-steps.
        for (const c of [...cuts].sort((a, b) => a - b)) fine.advanceTo(Math.max(fine.telemetryNow().timeMs, Math.floor(t + c * durationMs)));
        fine.advanceTo(end);
        t = end;
        const tel = coarse.telemetryNow();
        assert.ok(tel.energyKWh! >= config.minSocFrac * config.capacityKWh - 1e-9, 'above min SoC');
        assert.ok(tel.energyKWh! <= config.maxSocFrac * config.capacityKWh + 1e-9, 'below max SoC');
        assert.ok(tel.powerKW <= config.maxDischargeKW + 1e-9 && tel.powerKW >= -config.maxChargeKW - 1e-9, 'power within limits');
      }
      const a = coarse.telemetryNow();
      const b = fine.telemetryNow();
      const stored =
        config.chargeEfficiency * coarse.importedKWh - coarse.exportedKWh / config.dischargeEfficiency;
      close(stored, a.energyKWh! - e0, 1e-9, 'ηc·import − export/ηd = ΔE');
      close(a.meterNetKWh, coarse.exportedKWh - coarse.importedKWh, 1e-9, 'meter = export − import');
      close(b.energyKWh!, a.energyKWh!, 1e-9, 'energy independent of step size');
      close(b.meterNetKWh, a.meterNetKWh, 1e-9, 'meter independent of step size');
      close(fine.importedKWh, coarse.importedKWh, 1e-9, 'import independent of step size');
    }),
    { numRuns: 300 },
  );
});

test('battery: power never changes faster than the ramp limit except for a BMS cut', () => {
  const stepMs = 200;
  fc.assert(
    fc.property(
      batteryConfigArb.filter((c) => Number.isFinite(c.rampKWPerS)),
      fc.array(fc.record({ frac: fc.double({ min: -1, max: 1, noNaN: true }), steps: fc.integer({ min: 1, max: 60 }) }), { minLength: 1, maxLength: 10 }),
      (config, commands) => {
        const b = new SimulatedBattery(config);
        let t = T0;
        let previous = b.telemetryNow().powerKW;
        let cutsBeforePrevious = b.bmsCutCount; // cuts before the previous window began
        let cutsAtPrevious = b.bmsCutCount; // cuts at the end of the previous window
        for (const { frac, steps } of commands) {
          b.applySetpointNow(fracToKW(b, frac));
          for (let i = 0; i < steps; i++) {
            t += stepMs;
            b.advanceTo(t);
            const power = b.telemetryNow().powerKW;
            // Means over consecutive equal windows of a function with slope <= r differ by <= r·window;
            // a BMS cut is a jump, so both windows must be free of one (checked over the pair).
            if (b.bmsCutCount === cutsBeforePrevious) {
              assert.ok(Math.abs(power - previous) <= (config.rampKWPerS * stepMs) / 1000 + 1e-9, `ramp: ${previous} → ${power}`);
            }
            cutsBeforePrevious = cutsAtPrevious;
            cutsAtPrevious = b.bmsCutCount;
            previous = power;
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('battery: ramp reaches the setpoint after |Δ|/rate and holds it', () => {
  const b = new SimulatedBattery(batteryConfig({ rampKWPerS: 0.5 }));
  b.applySetpointNow(4); // 8 s to ramp from 0 to 4 kW
  b.advanceTo(T0 + 4000);
  close(b.instantPowerKW, 2, 1e-12, 'half way');
  b.advanceTo(T0 + 8000);
  close(b.instantPowerKW, 4, 1e-12, 'at setpoint');
  b.advanceTo(T0 + 20_000);
  assert.equal(b.instantPowerKW, 4);
  // Exported energy: ramp triangle (8 s · 4 kW / 2) plus 12 s at 4 kW.
  close(b.exportedKWh, (16 + 48) / 3600, 1e-12, 'exported kWh');
});

test('battery: the BMS cuts power at the exact instant a SoC bound is reached', () => {
  // Constant charging at 4 kW from 8.0 kWh towards 9.0 kWh with ηc = 0.95: cut after 1/3.8 h.
  const b = new SimulatedBattery(batteryConfig({ initialSocFrac: 0.8 }));
  b.applySetpointNow(-4);
  const cutMs = (1 / (4 * 0.95)) * HOUR_MS;
  const beforeMs = Math.floor(cutMs) - 1;
  b.advanceTo(T0 + beforeMs);
  assert.equal(b.bmsCutCount, 0);
  assert.equal(b.instantPowerKW, -4);
  b.advanceTo(T0 + 2 * HOUR_MS);
  assert.equal(b.bmsCutCount, 1);
  assert.equal(b.instantPowerKW, 0);
  assert.equal(b.telemetryNow().energyKWh, 9);
  close(b.importedKWh, 1 / 0.95, 1e-12, 'imported exactly the headroom');
  const lastStepKWh = 1 / 0.95 - (4 * beforeMs) / HOUR_MS;
  close(b.telemetryNow().powerKW, -(lastStepKWh * HOUR_MS) / (2 * HOUR_MS - beforeMs), 1e-9, 'mean power over the last step');

  // Ramping discharge from 0 at 0.001 kW/s: exported = r·τ²/2 reaches (E − Emin)·ηd = 0.9 kWh at
  // τ = sqrt(2·0.9·3600/0.001) s ≈ 2546 s, while power (≈ 2.5 kW) is still below the 5 kW setpoint.
  const r = new SimulatedBattery(batteryConfig({ initialSocFrac: 0.2, rampKWPerS: 0.001 }));
  r.applySetpointNow(5);
  const tauMs = Math.sqrt((2 * 0.9 * 3600) / 0.001) * 1000;
  r.advanceTo(T0 + Math.floor(tauMs) - 1);
  assert.equal(r.bmsCutCount, 0);
  assert.ok(r.instantPowerKW > 0);
  r.advanceTo(T0 + Math.ceil(tauMs) + 1);
  assert.equal(r.bmsCutCount, 1);
  assert.equal(r.instantPowerKW, 0);
  assert.equal(r.telemetryNow().socFrac, 0.1);
  // Still asked to discharge at the bound: held at 0, not counted again; charging is allowed again.
  r.advanceTo(T0 + 2 * HOUR_MS);
  assert.equal(r.bmsCutCount, 1);
  assert.equal(r.telemetryNow().powerKW, 0);
  r.applySetpointNow(-1);
  r.advanceTo(T0 + 3 * HOUR_MS);
  assert.ok(r.telemetryNow().socFrac! > 0.1);
});

test('battery: bad setpoints, time travel and bad config are rejected with named errors', async () => {
  const b = new SimulatedBattery(batteryConfig());
  assert.throws(() => b.applySetpointNow(Number.NaN), SetpointRejectedError);
  assert.throws(() => b.applySetpointNow(5.01), SetpointRejectedError);
  assert.throws(() => b.applySetpointNow(-5.01), SetpointRejectedError);
  await assert.rejects(b.applySetpoint(Infinity), { code: 'VPP_ERR_SETPOINT_REJECTED' });
  b.advanceTo(T0 + 1000);
  assert.throws(() => b.advanceTo(T0), TimeReversalError);
  assert.throws(() => new SimulatedBattery(batteryConfig({ chargeEfficiency: 1.2 })), /chargeEfficiency/);
  assert.throws(() => new SimulatedBattery(batteryConfig({ initialSocFrac: 0.95 })), DeviceConfigError);
  assert.throws(() => new SimulatedBattery(batteryConfig({ maxSocFrac: 0.05 })), /maxSocFrac/);
});
