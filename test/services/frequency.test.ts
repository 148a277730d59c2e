import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { droopFrac, runFrequency } from '../../services/frequency.js';
import { ServiceFleet } from '../../services/real-time.js';
import { T0 } from '../actors/fixtures.js';
import { batteryMember, fleetOf, servicesOf } from './fixtures.js';

const FCR = { nominalHz: 50, deadbandMHz: 10, fullActivationMHz: 200, limitFrac: 1 };

describe('frequency droop', () => {
  it('answers nothing inside the deadband, linearly beyond it, fully at ±200 mHz, up to the limit', () => {
    assert.equal(droopFrac(50.005, FCR), 0);
    assert.equal(droopFrac(49.99, FCR), 0);
    // (100 − 10) / (200 − 10) of the band, exporting at low frequency.
    assert.ok(Math.abs(droopFrac(49.9, FCR) - 90 / 190) < 1e-12);
    assert.ok(Math.abs(droopFrac(50.05, FCR) + 40 / 190) < 1e-12);
    assert.equal(droopFrac(49.7, FCR), 1);
    assert.equal(droopFrac(50.25, FCR), -1);
    assert.equal(droopFrac(49.7, { ...FCR, limitFrac: 0.5 }), 0.5);
  });

  it('one battery holding 49.9 Hz for a minute: response, error and energy as computed by hand', () => {
    const member = batteryMember('b1', { capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: 0.5, dischargeEfficiency: 0.9 });
    const fleet = new ServiceFleet(fleetOf([member]), [], T0);
    const spec = servicesOf({ frequency: { trace: { source: 'de-netztransparenz' }, committedMW: 0.004 } }).frequency!;
    const { summary, trace } = runFrequency(fleet, spec, T0, new Array(60).fill(49.9));
    const requiredKW = (4 * 90) / 190;
    for (const r of trace.requiredKW) assert.ok(Math.abs(r - requiredKW) < 1e-12);
    assert.ok(summary.rmsErrorKW < 1e-9, `error ${summary.rmsErrorKW}`);
    assert.equal(summary.answeredPct, 100);
    const energyKWh = (requiredKW * 60) / 3600;
    assert.ok(Math.abs(summary.energyUpKWh - energyKWh) < 1e-9);
    assert.equal(summary.energyDownKWh, 0);
    // The store gives up the delivered energy plus the discharge loss.
    assert.ok(Math.abs(member.device.telemetryNow().energyKWh! - (5 - energyKWh / 0.9)) < 1e-9);
  });

  it('a ramp-limited battery lags a step change and the error says by how much', () => {
    const member = batteryMember('b1', { rampKWPerS: 0.5 });
    const fleet = new ServiceFleet(fleetOf([member]), [], T0);
    const spec = servicesOf({ frequency: { trace: { source: 'de-netztransparenz' }, committedMW: 0.004 } }).frequency!;
    const { summary, trace } = runFrequency(fleet, spec, T0, [50, 49.7, 49.7, 49.7, 49.7, 49.7]);
    // 4 kW asked at once: each second the dispatcher asks 0.5 kW more (what the ramp reaches) and the
    // battery ramps to it, so the second's mean is 0.25 kW, then 0.75, 1.25, ... kW.
    assert.deepEqual(trace.responseKW.map((kW) => Math.round(kW * 1e9) / 1e9), [0, 0.25, 0.75, 1.25, 1.75, 2.25]);
    assert.ok(summary.meanAbsErrorKW > 0);
  });
});
