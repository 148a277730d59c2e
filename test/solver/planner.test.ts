import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLpBackend, type LpBackend } from '../../solver/backend.js';
import { createPlanner, evaluatePlanValue, PlannerOptionsError, type PlanRequest } from '../../solver/planner.js';
import { DEFAULT_DURATION_BUCKET_RATIO, groupOffers, splitTarget } from '../../solver/aggregate.js';
import { battery, ev, firstLimitViolation, pv, priceSeries, request, rng } from './fixtures.js';

const TOL = 1e-7;
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

let highs: LpBackend;
before(async () => {
  highs = await createLpBackend('highs');
});

function batteryFleet(count: number, n: number, seed: number): PlanRequest {
  const rand = rng(seed);
  const offers = Array.from({ length: count }, (_, i) => {
    // Home batteries: mostly 5 kW / 10-13.5 kWh, some 10 kW / 20-27 kWh.
    const powerKW = rand() < 0.75 ? 5 : 10;
    const capacityKWh = powerKW * (2 + 0.7 * rand());
    return battery({
      id: `bat-${i}`, n, powerKW, capacityKWh, energyKWh: capacityKWh * (0.1 + 0.8 * rand()), minEnergyKWh: 0.05 * capacityKWh,
      chargeEfficiency: 0.95, dischargeEfficiency: 0.95, wearPerMWh: 8, feederId: i % 2 === 0 ? 'f1' : 'f2',
    });
  });
  return request(offers, priceSeries(n, rand));
}

describe('planner', () => {
  it('full: objectiveValue is the LP optimum and setpoints sum to the fleet power', () => {
    const req = batteryFleet(5, 24, 3);
    req.offers.push(pv('pv', new Array<number>(24).fill(3), 'f1'), ev('ev', 24, 7, 20, 10, 'f2'));
    const plan = createPlanner({ backend: highs, strategy: 'full' }).plan(req);
    assert.ok(rel(plan.objectiveValue, plan.lpObjectiveValue) < 1e-7, `${plan.objectiveValue} vs ${plan.lpObjectiveValue}`);
    assert.equal(plan.solver.backend, 'highs');
    assert.equal(plan.solver.strategy, 'full');
    assert.equal(plan.solver.lpSolves, 1);
    plan.fleetPowerKW.forEach((x, k) => assert.ok(Math.abs(x - Object.values(plan.setpointsKW).reduce((s, sp) => s + sp[k], 0)) < 1e-9));
    assert.equal(firstLimitViolation(req, plan.setpointsKW, new Array<number>(24).fill(1)), undefined);
  });

  it('aggregate plans never break a member power or energy limit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 25 }),
        fc.constantFrom<number[]>([1, 1, 2, 4, 4], [12], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        fc.constantFrom('keep' as const, 'free' as const),
        fc.boolean(),
        // Coarse buckets (up to one SoC bucket, very wide duration bins) stress the member split.
        fc.constantFrom(0.1, 0.5, 1),
        fc.constantFrom(0.25, 3),
        (seed, count, blocks, terminalEnergy, limited, socBucketFrac, durationBucketRatio) => {
          const planner = createPlanner({ backend: highs, strategy: 'aggregate', socBucketFrac, durationBucketRatio });
          const rand = rng(seed);
          const n = 12;
          const offers = Array.from({ length: count }, (_, i) => {
            const powerKW = 1 + rand() * 9;
            const capacityKWh = powerKW * (0.5 + rand() * 4);
            const minEnergyKWh = rand() * 0.2 * capacityKWh;
            const o = battery({
              id: `b${i}`, n, powerKW, capacityKWh, minEnergyKWh, energyKWh: minEnergyKWh + rand() * (capacityKWh - minEnergyKWh),
              chargeEfficiency: rand() < 0.2 ? 0.9 : 0.95, dischargeEfficiency: 0.95, wearPerMWh: rand() < 0.2 ? 0 : 10, feederId: `f${i % 2}`,
            });
            // Time-varying, asymmetric derates.
            o.minPowerKW = o.minPowerKW.map((x) => x * (rand() < 0.2 ? rand() : 1));
            o.maxPowerKW = o.maxPowerKW.map((x) => x * (rand() < 0.2 ? rand() : 1));
            return o;
          });
          offers.push(pv('pv0', Array.from({ length: n }, () => rand() * 5), 'f0'), pv('pv1', Array.from({ length: n }, () => rand() * 5), 'f0'));
          offers.push(ev('ev0', n, 7, rand() * 30, Math.floor(rand() * 14), 'f1'));
          const feederLimits = limited ? { f0: { maxImportKW: 5, maxExportKW: 8 }, f1: { maxImportKW: 10, maxExportKW: 3 } } : undefined;
          const req = request(offers, priceSeries(n, rand), { blocks, terminalEnergy, feederLimits });
          const plan = planner.plan(req);
          const violation = firstLimitViolation(req, plan.setpointsKW, blocks);
          assert.equal(violation, undefined, violation);
          assert.ok(rel(plan.objectiveValue, evaluatePlanValue(req, plan.setpointsKW)) < 1e-12);
          for (const [feeder, lim] of Object.entries(feederLimits ?? {})) {
            // Whatever the member split could not place, the feeder's members stay inside its limits.
            plan.periods.forEach((_, k) => {
              const sum = offers.filter((o) => o.feederId === feeder).reduce((s, o) => s + plan.setpointsKW[o.derId][k], 0);
              assert.ok(sum <= lim.maxExportKW + TOL && sum >= -lim.maxImportKW - TOL, `${feeder} period ${k}: ${sum} kW`);
            });
          }
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('aggregate loses little against the full LP on 50 batteries × 48 periods', () => {
    const req = batteryFleet(50, 48, 42);
    const full = createPlanner({ backend: highs, strategy: 'full' }).plan(req);
    const agg = createPlanner({ backend: highs, strategy: 'aggregate', socBucketFrac: 0.1 }).plan(req);
    const buckets = groupOffers(req, { socBucketFrac: 0.1, durationBucketRatio: DEFAULT_DURATION_BUCKET_RATIO }).groups.length;
    const loss = (full.objectiveValue - agg.objectiveValue) / Math.abs(full.objectiveValue);
    const shortfallKWh = agg.shortfallKW.reduce((s, x) => s + Math.abs(x), 0);
    console.log(
      `50x48 (${buckets} buckets): full ${full.objectiveValue.toFixed(4)} (${full.solver.solveMs.toFixed(1)} ms), aggregate ${agg.objectiveValue.toFixed(4)} `
        + `(${agg.solver.solveMs.toFixed(1)} ms, bucket LP ${agg.lpObjectiveValue.toFixed(4)}), loss ${(100 * loss).toFixed(3)} %, shortfall ${shortfallKWh.toFixed(3)} kWh`,
    );
    assert.ok(full.objectiveValue > 0);
    assert.ok(loss >= -1e-9, 'a feasible member plan cannot beat the full LP');
    assert.ok(loss < 0.02, `aggregate loss ${(100 * loss).toFixed(3)} %`);
    assert.equal(firstLimitViolation(req, agg.setpointsKW, new Array<number>(48).fill(1)), undefined);
  });

  it('splitTarget shares by headroom and reports what does not fit', () => {
    const a = splitTarget(6, [[-2, 4], [-2, 2], [1, 3]]);
    // Base 0, 0, 1; the rest 5 shared over headroom 4, 2, 2.
    assert.deepEqual(a.powersKW, [2.5, 1.25, 2.25]);
    assert.equal(a.shortfallKW, 0);
    const b = splitTarget(-10, [[-2, 4], [-3, 2]]);
    assert.deepEqual(b.powersKW, [-2, -3]);
    assert.equal(b.shortfallKW, -5);
  });

  it('rejects bad options', () => {
    const req = batteryFleet(2, 4, 1);
    assert.throws(() => createPlanner({ backend: highs, strategy: 'aggregate', socBucketFrac: 0 }).plan(req), PlannerOptionsError);
  });
});
