import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimulatedBattery, SimulatedEvCharger, type SimulatedDevice } from '../../actors/index.js';
import { checkFeederLimits, checkLimits } from '../../sim/limit-check.js';
import { RealTimeDispatcher } from '../../services/dispatcher.js';
import { T0, batteryConfigArb, sessionsArb } from '../actors/fixtures.js';

const FEEDERS = ['f1', 'f2'];

/** A random DER on a random feeder (or none); `rampFree` drops battery ramp limits. */
const memberArb = (rampFree: boolean) =>
  fc.record({
    feeder: fc.constantFrom(undefined, ...FEEDERS),
    make: fc.oneof(
      batteryConfigArb.map((c) => (id: string) => new SimulatedBattery({ ...c, id, ...(rampFree ? { rampKWPerS: Infinity } : {}) }) as SimulatedDevice),
      fc
        .record({ sessions: sessionsArb, maxChargeKW: fc.double({ min: 1, max: 22, noNaN: true }), eta: fc.double({ min: 0.8, max: 1, noNaN: true }) })
        .map(({ sessions, maxChargeKW, eta }) => (id: string) => new SimulatedEvCharger({ id, maxChargeKW, chargeEfficiency: eta, sessions, startMs: T0 }) as SimulatedDevice),
    ),
  });

interface Step {
  stepMs: number;
  deviationKW: number;
  headroomMs: number;
  basepointFrac: number;
}

const stepsArb: fc.Arbitrary<Step[]> = fc.array(
  fc.record({
    stepMs: fc.integer({ min: 1_000, max: 15 * 60_000 }),
    deviationKW: fc.double({ min: -500, max: 500, noNaN: true }),
    headroomMs: fc.integer({ min: 1_000, max: 3_600_000 }),
    basepointFrac: fc.double({ min: -1, max: 1, noNaN: true }),
  }),
  { minLength: 1, maxLength: 40 },
);

const feedersArb = fc.tuple(fc.double({ min: 0, max: 60, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true }))
  .map(([i1, e1, i2, e2]) => [
    { id: 'f1', importLimitKW: i1, exportLimitKW: e1 },
    { id: 'f2', importLimitKW: i2, exportLimitKW: e2 },
  ]);

function run(members: { feeder?: string; make: (id: string) => SimulatedDevice }[], feeders: { id: string; importLimitKW: number; exportLimitKW: number }[], steps: Step[], nonParticipants: boolean) {
  const dispatchMembers = members.map((m, k) => ({ device: m.make(`der-${k}`), feederId: m.feeder }));
  const dispatcher = new RealTimeDispatcher(dispatchMembers, feeders);
  const caps = dispatchMembers.map((m) => m.device.capabilities());
  let t = T0;
  let deviceViolations = 0;
  let feederViolations = 0;
  let shortOfReachable = 0;
  for (const step of steps) {
    // Basepoints anywhere in (and beyond) each DER's ratings; every third DER sits out when asked.
    const basepointKW = caps.map((c, k) => (nonParticipants && k % 3 === 2 ? NaN : step.basepointFrac * (step.basepointFrac >= 0 ? c.maxExportKW : c.maxImportKW) * 1.2));
    const reachableKW = dispatcher.upHeadroomKW(basepointKW, Math.max(step.stepMs, step.headroomMs), step.stepMs);
    const outcome = dispatcher.dispatch({ stepMs: step.stepMs, basepointKW, deviationKW: step.deviationKW, headroomMs: step.headroomMs });
    // Asked for no more upward than the fleet can reach, the fleet plans all of it.
    if (step.deviationKW >= 0 && step.deviationKW <= reachableKW - 1e-6 && outcome.shortfallKW > 1e-6 * Math.max(1, step.deviationKW)) shortOfReachable++;
    t += step.stepMs;
    for (let k = 0; k < dispatchMembers.length; k++) {
      dispatchMembers[k].device.advanceTo(t);
      deviceViolations += checkLimits(dispatchMembers[k].device, caps[k]);
    }
    feederViolations += checkFeederLimits(dispatchMembers, feeders);
  }
  return { deviceViolations, feederViolations, shortOfReachable, clamps: Object.values(dispatcher.clamps).reduce((a, b) => a + b, 0) };
}

describe('real-time dispatcher', () => {
  it('never pushes a device past its limits, whatever the fleet, targets, basepoints and ramps', () => {
    fc.assert(
      fc.property(fc.array(memberArb(false), { minLength: 1, maxLength: 8 }), feedersArb, stepsArb, (members, feeders, steps) => {
        const result = run(members, feeders, steps, true);
        assert.equal(result.deviceViolations, 0);
        assert.equal(result.shortOfReachable, 0);
      }),
      { numRuns: 150 },
    );
  });

  it('never breaks a feeder limit when every DER takes part and can move within a step', () => {
    fc.assert(
      fc.property(fc.array(memberArb(true), { minLength: 1, maxLength: 8 }), feedersArb, stepsArb, (members, feeders, steps) => {
        const result = run(members, feeders, steps, false);
        assert.equal(result.feederViolations, 0);
        assert.equal(result.deviceViolations, 0);
        // The allocation stays inside the envelope: it never has to clamp what it asks.
        assert.equal(result.clamps, 0);
      }),
      { numRuns: 150 },
    );
  });
});
