import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ActorInputError,
  clampSetpoint,
  deriveOffer,
  safeDefaultKW,
  type DeviceCapabilities,
  type DeviceTelemetry,
  type EvSessionState,
} from '../../actors/index.js';
import { HOUR_MS, T0 } from './fixtures.js';

const battery: DeviceCapabilities = {
  kind: 'battery',
  maxExportKW: 5,
  maxImportKW: 4,
  rampKWPerS: Infinity,
  wearCostPerMWh: 30,
  storage: { capacityKWh: 10, minSocFrac: 0.1, maxSocFrac: 0.9, chargeEfficiency: 0.95, dischargeEfficiency: 0.9 },
};
const charger: DeviceCapabilities = { kind: 'ev-charger', maxExportKW: 0, maxImportKW: 11, rampKWPerS: Infinity, wearCostPerMWh: 0 };
const pv: DeviceCapabilities = { kind: 'pv', maxExportKW: 8, maxImportKW: 0, rampKWPerS: Infinity, wearCostPerMWh: 0 };

const tel = (extra: Partial<DeviceTelemetry>): DeviceTelemetry => ({
  timeMs: T0,
  online: true,
  powerKW: 0,
  setpointKW: 0,
  meterNetKWh: 0,
  ...extra,
});
const car = (extra: Partial<EvSessionState> = {}): EvSessionState => ({
  sessionId: 'c1',
  arrivalMs: T0 - HOUR_MS,
  departureMs: T0 + 2 * HOUR_MS,
  requestedKWh: 20,
  deliveredKWh: 5,
  maxChargeKW: 7,
  chargeEfficiency: 0.9,
  ...extra,
});

test('envelope: battery power limits and SoC headroom over the hold time', () => {
  const mid = tel({ energyKWh: 5, socFrac: 0.5 });
  const quarter = HOUR_MS / 4;
  assert.deepEqual(clampSetpoint(3, battery, mid, quarter), { powerKW: 3, clamped: false });
  assert.deepEqual(clampSetpoint(7, battery, mid, quarter), { powerKW: 5, clamped: true, reason: 'power' });
  assert.deepEqual(clampSetpoint(-9, battery, mid, quarter), { powerKW: -4, clamped: true, reason: 'power' });
  // Held 1 h, 4 kWh above the floor at 90 % allow only ≈ 3.6 kW: the SoC binds after the power limit.
  assert.equal(clampSetpoint(7, battery, mid, HOUR_MS).reason, 'soc');
  // 0.5 kWh above the floor, 0.9 discharge efficiency, held 1 h: at most ≈ 0.45 kW.
  const low = tel({ energyKWh: 1.5 });
  const d = clampSetpoint(3, battery, low, HOUR_MS);
  assert.equal(d.reason, 'soc');
  assert.ok(Math.abs(d.powerKW - 0.45) < 1e-8 && d.powerKW < 0.45);
  // 0.5 kWh below the ceiling, 0.95 charge efficiency, held 15 min: at most ≈ 2.105 kW drawn.
  const high = tel({ energyKWh: 8.5 });
  const c = clampSetpoint(-4, battery, high, HOUR_MS / 4);
  assert.equal(c.reason, 'soc');
  assert.ok(Math.abs(c.powerKW + 0.5 / 0.95 / 0.25) < 1e-8 && c.powerKW > -0.5 / 0.95 / 0.25);
  // At the floor nothing may be discharged; charging stays allowed.
  assert.equal(clampSetpoint(1, battery, tel({ energyKWh: 1 }), HOUR_MS).powerKW, 0);
  assert.equal(clampSetpoint(-1, battery, tel({ energyKWh: 1 }), HOUR_MS).powerKW, -1);
});

test('envelope: non-finite requests fall back to the safe default and are flagged', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    assert.deepEqual(clampSetpoint(bad, battery, tel({ energyKWh: 5 }), HOUR_MS), { powerKW: 0, clamped: true, reason: 'not-finite' });
    assert.deepEqual(clampSetpoint(bad, pv, tel({ availableKW: 6 }), HOUR_MS), { powerKW: 8, clamped: true, reason: 'not-finite' });
  }
  // The EV safe default is still limited by the energy the car wants.
  const nearlyFull = tel({ evSession: car({ requestedKWh: 5.9 }) });
  const r = clampSetpoint(Number.NaN, charger, nearlyFull, HOUR_MS);
  assert.equal(r.reason, 'not-finite');
  assert.ok(Math.abs(r.powerKW + 0.9 / 0.9) < 1e-12);
});

test('envelope: EV limits (no car, car max, energy wanted, departure)', () => {
  assert.deepEqual(clampSetpoint(-5, charger, tel({}), HOUR_MS), { powerKW: 0, clamped: true, reason: 'ev-departure' });
  assert.deepEqual(clampSetpoint(-5, charger, tel({ evSession: car({ departureMs: T0 }) }), HOUR_MS), {
    powerKW: 0,
    clamped: true,
    reason: 'ev-departure',
  });
  assert.deepEqual(clampSetpoint(-10, charger, tel({ evSession: car() }), HOUR_MS / 4), { powerKW: -7, clamped: true, reason: 'power' });
  assert.deepEqual(clampSetpoint(2, charger, tel({ evSession: car() }), HOUR_MS), { powerKW: 0, clamped: true, reason: 'power' });
  // 15 kWh wanted over 1 h at 90 %: more than 7 kW would be needed, so only the car's max binds.
  assert.equal(clampSetpoint(-7, charger, tel({ evSession: car() }), HOUR_MS).clamped, false);
  // 1.8 kWh wanted, held 1 h: at most 2 kW drawn.
  const almost = tel({ evSession: car({ deliveredKWh: 18.2 }) });
  const r = clampSetpoint(-7, charger, almost, HOUR_MS);
  assert.equal(r.reason, 'ev-energy');
  assert.ok(Math.abs(r.powerKW + 2) < 1e-9);
  // The car leaves after 30 min of a 1 h hold: the energy may arrive within those 30 min.
  const leaving = tel({ evSession: car({ deliveredKWh: 18.2, departureMs: T0 + HOUR_MS / 2 }) });
  assert.ok(Math.abs(clampSetpoint(-7, charger, leaving, HOUR_MS).powerKW + 4) < 1e-9);
});

test('envelope: a PV setpoint is an export cap within [0, rating]', () => {
  const sunny = tel({ availableKW: 6 });
  // A cap above what the sun gives is harmless: the inverter cannot exceed availability.
  assert.deepEqual(clampSetpoint(7, pv, sunny, HOUR_MS), { powerKW: 7, clamped: false });
  assert.deepEqual(clampSetpoint(9, pv, sunny, HOUR_MS), { powerKW: 8, clamped: true, reason: 'power' });
  assert.deepEqual(clampSetpoint(-1, pv, sunny, HOUR_MS), { powerKW: 0, clamped: true, reason: 'power' });
  assert.deepEqual(clampSetpoint(2, pv, sunny, HOUR_MS), { powerKW: 2, clamped: false });
});

test('envelope: safe defaults', () => {
  assert.equal(safeDefaultKW(battery, tel({ energyKWh: 5 })), 0);
  assert.equal(safeDefaultKW(charger, tel({})), 0);
  assert.equal(safeDefaultKW(charger, tel({ evSession: car() })), -7);
  assert.equal(safeDefaultKW(charger, tel({ evSession: car({ deliveredKWh: 20 }) })), 0);
  // The owner's configured default rate, never above what the car and charger allow.
  assert.equal(safeDefaultKW({ ...charger, safeDefaultImportKW: 3.7 }, tel({ evSession: car() })), -3.7);
  assert.equal(safeDefaultKW({ ...charger, safeDefaultImportKW: 22 }, tel({ evSession: car() })), -7);
  // Uncurtailed: capped only at the rating, so output follows the sun through the hold.
  assert.equal(safeDefaultKW(pv, tel({ availableKW: 3.5 })), 8);
});

test('envelope: missing telemetry or a bad hold time is a named error', () => {
  assert.throws(() => clampSetpoint(1, battery, tel({}), HOUR_MS), (e: unknown) => e instanceof ActorInputError && /energyKWh/.test(e.message));
  assert.throws(() => clampSetpoint(1, battery, tel({ energyKWh: 5 }), 0), /horizonMs/);
});

const meta = { derId: 'd1', ownerId: 'o1', feederId: 'f1' };
const window = { startMs: T0, intervalMs: HOUR_MS / 4, horizonIntervals: 12 };

test('offer: battery bounds, storage state and wear cost', () => {
  const o = deriveOffer(battery, tel({ energyKWh: 6 }), meta, window);
  assert.equal(o.kind, 'battery');
  assert.equal(o.feederId, 'f1');
  assert.deepEqual(o.minPowerKW, new Array(12).fill(-4));
  assert.deepEqual(o.maxPowerKW, new Array(12).fill(5));
  assert.deepEqual(o.storage, { energyKWh: 6, minEnergyKWh: 1, maxEnergyKWh: 9, chargeEfficiency: 0.95, dischargeEfficiency: 0.9 });
  assert.equal(o.marginalCostPerMWh, 30);
});

test('offer: EV charges in the intervals before departure, the last one counted for the part the car is present', () => {
  // Departure 2 h 1 min after start → 8 quarter-hours and 1/15 of a 9th.
  const o = deriveOffer(charger, tel({ evSession: car({ departureMs: T0 + 2 * HOUR_MS + 60_000 }) }), meta, window);
  assert.deepEqual(o.minPowerKW, [...new Array(9).fill(-7), ...new Array(3).fill(0)]);
  assert.deepEqual(o.maxPowerKW, new Array(12).fill(0));
  assert.equal(o.evDemand?.intervalsLeft, 9);
  assert.ok(Math.abs((o.evDemand?.lastIntervalFrac ?? 0) - 1 / 15) < 1e-12);
  assert.deepEqual({ ...o.evDemand, lastIntervalFrac: undefined }, { wantedKWh: 15, intervalsLeft: 9, lastIntervalFrac: undefined, chargeEfficiency: 0.9 });
  // Leaving on an interval edge: whole intervals only.
  const onEdge = deriveOffer(charger, tel({ evSession: car({ departureMs: T0 + 2 * HOUR_MS }) }), meta, window);
  assert.deepEqual(onEdge.evDemand, { wantedKWh: 15, intervalsLeft: 8, lastIntervalFrac: 1, chargeEfficiency: 0.9 });
  const none = deriveOffer(charger, tel({}), meta, window);
  assert.equal(none.evDemand, undefined);
  assert.ok(none.minPowerKW.every((v) => v === 0));
});

test('offer: PV uses the forecast, else the current availability; offline offers nothing', () => {
  const forecast = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1];
  const o = deriveOffer(pv, tel({ availableKW: 2 }), meta, { ...window, pvAvailableKW: forecast });
  assert.deepEqual(o.maxPowerKW, [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 0]);
  assert.deepEqual(o.minPowerKW, new Array(12).fill(0));
  assert.deepEqual(deriveOffer(pv, tel({ availableKW: 2 }), meta, window).maxPowerKW, new Array(12).fill(2));
  assert.throws(() => deriveOffer(pv, tel({ availableKW: 2 }), meta, { ...window, pvAvailableKW: [1] }), /pvAvailableKW/);
  const offline = deriveOffer(battery, tel({ energyKWh: 6, online: false }), meta, window);
  assert.ok(offline.maxPowerKW.every((v) => v === 0) && offline.minPowerKW.every((v) => v === 0));
  assert.throws(() => deriveOffer(battery, tel({ energyKWh: 6 }), meta, { ...window, horizonIntervals: 0 }), /horizonIntervals/);
});
