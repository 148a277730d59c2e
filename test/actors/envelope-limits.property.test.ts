import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimulatedClock } from 'xstate';
import {
  DerAgent,
  clampSetpoint,
  safeSetpointKW,
  SimulatedBattery,
  SimulatedEvCharger,
  SimulatedPv,
  stepProfileFromPoints,
  type SimulatedDevice,
} from '../../actors/index.js';
import { HOUR_MS, T0, batteryConfigArb, sessionsArb } from './fixtures.js';

const TICK_MS = 5 * 60_000;
const TICKS = 36;
const EPS = 1e-9;

const requestArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -300, max: 300, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
);
const commitsArb = fc.array(
  fc.record({
    atTick: fc.integer({ min: 0, max: TICKS - 1 }),
    setpointsKW: fc.array(requestArb, { minLength: 1, maxLength: 12 }),
    validTicks: fc.integer({ min: 1, max: 12 }),
  }),
  { maxLength: 8 },
);

const pvArb = fc
  .record({
    sizeKW: fc.double({ min: 1, max: 50, noNaN: true }),
    steps: fc.array(fc.record({ stepMs: fc.integer({ min: 60_000, max: HOUR_MS }), value: fc.double({ min: 0, max: 1.05, noNaN: true }) }), {
      minLength: 1,
      maxLength: 20,
    }),
  })
  .map(({ sizeKW, steps }) => {
    let t = T0;
    const points = steps.map((s) => {
      const p = { startMs: t, value: s.value };
      t += s.stepMs;
      return p;
    });
    return () => new SimulatedPv({ id: 'pv', sizeKW, availability: stepProfileFromPoints(points), startMs: T0 });
  });

const deviceArb: fc.Arbitrary<() => SimulatedDevice> = fc.oneof(
  batteryConfigArb.map((c) => () => new SimulatedBattery(c)),
  fc
    .record({ sessions: sessionsArb, maxChargeKW: fc.double({ min: 1, max: 50, noNaN: true }), eta: fc.double({ min: 0.8, max: 1, noNaN: true }) })
    .map(({ sessions, maxChargeKW, eta }) => () =>
      new SimulatedEvCharger({ id: 'ev', maxChargeKW, chargeEfficiency: eta, sessions, startMs: T0 }),
    ),
  pvArb,
);

test('property: random plans through the envelope and the actor never drive a device past its limits', async () => {
  await fc.assert(
    fc.asyncProperty(deviceArb, commitsArb, fc.integer({ min: 1, max: 6 }), async (makeDevice, commits, timeoutTicks) => {
      const device = makeDevice();
      const caps = device.capabilities();
      const clock = new SimulatedClock();
      clock.set(T0);
      const agent = new DerAgent({ adapter: device, ownerId: 'o', planTimeoutMs: timeoutTicks * TICK_MS, clock });
      for (let k = 0; k < TICKS; k++) {
        const now = T0 + k * TICK_MS;
        clock.set(now);
        for (const c of commits.filter((x) => x.atTick === k)) {
          agent.commit({ setpointsKW: c.setpointsKW, startMs: now, intervalMs: TICK_MS, validUntilMs: now + c.validTicks * TICK_MS });
        }
        const before = device.telemetryNow();
        const { setpointKW } = await agent.step(now, TICK_MS);
        assert.ok(Number.isFinite(setpointKW), 'finite setpoint');
        assert.ok(setpointKW <= caps.maxExportKW && setpointKW >= -caps.maxImportKW, `setpoint ${setpointKW} within power limits`);
        const s = before.evSession;
        if (caps.kind === 'ev-charger' && s) {
          const spanH = Math.min(TICK_MS, s.departureMs - now) / HOUR_MS;
          assert.ok(-setpointKW <= s.maxChargeKW + EPS, 'within the car maximum');
          assert.ok(-setpointKW * s.chargeEfficiency * spanH <= s.requestedKWh - s.deliveredKWh + EPS, 'no more than the energy wanted');
        }
        device.advanceTo(now + TICK_MS);
        const after = device.telemetryNow();
        assert.ok(after.powerKW <= caps.maxExportKW + EPS && after.powerKW >= -caps.maxImportKW - EPS, `power ${after.powerKW}`);
        if (caps.storage) {
          const { capacityKWh, minSocFrac, maxSocFrac } = caps.storage;
          assert.ok(after.energyKWh! >= minSocFrac * capacityKWh - EPS && after.energyKWh! <= maxSocFrac * capacityKWh + EPS, 'SoC bounds');
          // Without ramp lag the envelope alone keeps the store inside its bounds: the BMS never acts.
          if (caps.rampKWPerS === Infinity) assert.equal((device as SimulatedBattery).bmsCutCount, 0, 'no BMS cut');
        }
        if (after.evSession) assert.ok(after.evSession.deliveredKWh <= after.evSession.requestedKWh + EPS, 'EV not over-delivered');
        if (caps.kind === 'pv') assert.ok(after.powerKW >= 0, 'PV never imports');
      }
      if (device instanceof SimulatedEvCharger) {
        for (const done of device.completedSessions()) assert.ok(done.deliveredKWh <= done.requestedKWh + EPS);
      }
      agent.stop();
    }),
    { numRuns: 250 },
  );
});

test('property: the direct path (envelope only) drives a device exactly as its actor does', async () => {
  // The simulator's reference runs skip the actors; this is what makes their results comparable.
  const INTERVAL_MS = 15 * 60_000;
  const plansArb = fc.array(fc.option(fc.double({ min: -300, max: 300, noNaN: true }), { nil: undefined }), { minLength: 1, maxLength: 16 });
  await fc.assert(
    fc.asyncProperty(deviceArb, plansArb, async (makeDevice, plans) => {
      const viaActor = makeDevice();
      const direct = makeDevice();
      const clock = new SimulatedClock();
      clock.set(T0);
      const agent = new DerAgent({ adapter: viaActor, ownerId: 'o', planTimeoutMs: 2 * INTERVAL_MS, clock });
      await agent.refresh();
      const caps = direct.capabilities();
      for (let i = 0; i < plans.length; i++) {
        const nowMs = T0 + i * INTERVAL_MS;
        clock.set(nowMs);
        const requested = plans[i];
        if (requested === undefined) await agent.step(nowMs, INTERVAL_MS);
        else await agent.follow({ setpointsKW: [requested], startMs: nowMs, intervalMs: INTERVAL_MS, validUntilMs: nowMs + INTERVAL_MS }, nowMs, INTERVAL_MS);
        const telemetry = direct.telemetryNow();
        direct.applySetpointNow(requested === undefined ? safeSetpointKW(caps, telemetry, INTERVAL_MS) : clampSetpoint(requested, caps, telemetry, INTERVAL_MS).powerKW);
        viaActor.advanceTo(nowMs + INTERVAL_MS);
        direct.advanceTo(nowMs + INTERVAL_MS);
        assert.deepEqual(direct.telemetryNow(), viaActor.telemetryNow());
      }
      agent.stop();
    }),
    { numRuns: 60 },
  );
});
