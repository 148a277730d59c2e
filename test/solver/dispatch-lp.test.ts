import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLpBackend, type LpBackend } from '../../solver/backend.js';
import { buildDispatchLp, DispatchInputError, evaluatePlanValue, readPowers, type PlanRequest } from '../../solver/dispatch-lp.js';
import { createPlanner } from '../../solver/planner.js';
import { battery, ev, HOUR_MS, pv, request, START_MS } from './fixtures.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

let glpk: LpBackend;
let highs: LpBackend;
before(async () => {
  glpk = await createLpBackend('glpk');
  highs = await createLpBackend('highs');
});

function solvePowers(backend: LpBackend, req: PlanRequest): { objective: number; powers: Record<string, number[]> } {
  const model = buildDispatchLp(req);
  const sol = backend.solve(model.lp);
  assert.equal(sol.status, 'optimal', sol.message);
  return { objective: sol.objective, powers: readPowers(req, model, sol.values) };
}

const smallFleet = fc.record({
  n: fc.integer({ min: 2, max: 12 }),
  prices: fc.array(fc.double({ min: -50, max: 200, noNaN: true }), { minLength: 12, maxLength: 12 }),
  batteries: fc.array(
    fc.record({
      powerKW: fc.double({ min: 1, max: 10, noNaN: true }),
      capacityKWh: fc.double({ min: 2, max: 40, noNaN: true }),
      soc: fc.double({ min: 0, max: 1, noNaN: true }),
      eta: fc.double({ min: 0.8, max: 1, noNaN: true }),
      wear: fc.double({ min: 0, max: 20, noNaN: true }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  pvKW: fc.double({ min: 0, max: 8, noNaN: true }),
  evWantedKWh: fc.double({ min: 0, max: 30, noNaN: true }),
  evLeft: fc.integer({ min: 0, max: 14 }),
  feederKW: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
  terminal: fc.constantFrom('keep' as const, 'free' as const),
});

type Fleet = typeof smallFleet extends fc.Arbitrary<infer T> ? T : never;

function fleetRequest(f: Fleet): PlanRequest {
  const n = f.n;
  const prices = f.prices.slice(0, n);
  const offers = [
    ...f.batteries.map((b, i) => battery({
      id: `b${i}`, n, powerKW: b.powerKW, capacityKWh: b.capacityKWh, energyKWh: b.soc * b.capacityKWh,
      chargeEfficiency: b.eta, dischargeEfficiency: b.eta, wearPerMWh: b.wear, feederId: 'f1',
    })),
    pv('pv', Array.from({ length: n }, (_, i) => f.pvKW * Math.max(0, Math.sin((Math.PI * i) / n))), 'f1'),
    ev('ev', n, 7, f.evWantedKWh, f.evLeft, 'f1'),
  ];
  const feederLimits = f.feederKW === undefined ? undefined : { f1: { maxImportKW: f.feederKW, maxExportKW: f.feederKW } };
  return request(offers, prices, { feederLimits, terminalEnergy: f.terminal });
}

describe('dispatch LP', () => {
  it('glpk and highs agree on random small dispatch LPs', () => {
    fc.assert(
      fc.property(smallFleet, (f) => {
        const req = fleetRequest(f);
        const a = solvePowers(glpk, req);
        const b = solvePowers(highs, req);
        assert.ok(rel(a.objective, b.objective) < 1e-6, `glpk ${a.objective} vs highs ${b.objective}`);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('a blocked horizon has the unblocked optimum when prices are constant within blocks', () => {
    const blocks = [1, 1, 2, 4, 4];
    const blockPrices = [30, 90, -10, 70, 40];
    const prices = blocks.flatMap((len, k) => new Array<number>(len).fill(blockPrices[k]));
    const offers = [
      battery({ id: 'b', n: 12, powerKW: 5, capacityKWh: 12, energyKWh: 6, chargeEfficiency: 0.95, dischargeEfficiency: 0.95, wearPerMWh: 5 }),
      pv('pv', [0, 0, 3, 5, 6, 6, 6, 6, 2, 2, 2, 2]),
    ];
    const fine = solvePowers(highs, request(offers, prices));
    const blockedReq = request(offers, prices, { blocks });
    const model = buildDispatchLp(blockedReq);
    assert.deepEqual(model.periods.map((p) => [p.firstInterval, p.intervals, p.hours]), [[0, 1, 1], [1, 1, 1], [2, 2, 2], [4, 4, 4], [8, 4, 4]]);
    assert.deepEqual(model.pricePerMWh, blockPrices);
    const coarse = solvePowers(highs, blockedReq);
    assert.ok(rel(fine.objective, coarse.objective) < 1e-9, `fine ${fine.objective} vs blocked ${coarse.objective}`);
    // A coarse PV period is bounded by the mean of its intervals' availability.
    assert.ok(coarse.powers.pv[2] <= (3 + 5) / 2 + 1e-9);
    const plan = createPlanner({ backend: highs, strategy: 'full' }).plan(blockedReq);
    assert.deepEqual(plan.periods.map((p) => p.durationMs / HOUR_MS), blocks);
    assert.equal(plan.periods[3].startMs, START_MS + 4 * HOUR_MS);
  });

  it('feeder limits are respected and bind', () => {
    const n = 8;
    const prices = [10, 10, 200, 200, 10, 10, 200, 200];
    const offers = [
      battery({ id: 'a', n, powerKW: 10, capacityKWh: 40, energyKWh: 20, feederId: 'f1' }),
      battery({ id: 'b', n, powerKW: 10, capacityKWh: 40, energyKWh: 20, feederId: 'f1' }),
      pv('pv', new Array<number>(n).fill(4), 'f1'),
      battery({ id: 'c', n, powerKW: 10, capacityKWh: 40, energyKWh: 20, feederId: 'f2' }),
    ];
    const free = solvePowers(highs, request(offers, prices));
    const f1 = (p: Record<string, number[]>, k: number): number => p.a[k] + p.b[k] + p.pv[k];
    assert.ok(Math.max(...prices.map((_, k) => Math.abs(f1(free.powers, k)))) > 12, 'limit would not bind');
    const limits = { f1: { maxImportKW: 6, maxExportKW: 12 } };
    for (const backend of [glpk, highs]) {
      const lim = solvePowers(backend, request(offers, prices, { feederLimits: limits }));
      prices.forEach((_, k) => {
        assert.ok(f1(lim.powers, k) <= 12 + 1e-7 && f1(lim.powers, k) >= -6 - 1e-7, `period ${k}: ${f1(lim.powers, k)}`);
      });
      assert.ok(lim.objective < free.objective - 1e-6);
      // Feeder f2 is not limited: its battery still uses full power.
      assert.ok(Math.max(...lim.powers.c) > 10 - 1e-7);
    }
  });

  it('PV curtails only at negative prices; EV charges in the cheapest hours before departure', () => {
    const prices = [50, -20, 30, 10, 80, 5];
    const offers = [pv('pv', [4, 4, 4, 4, 4, 4]), ev('ev', 6, 7, 9, 4)];
    const { powers } = solvePowers(glpk, request(offers, prices));
    assert.deepEqual(powers.pv.map((x) => Math.round(x * 1e9) / 1e9 + 0), [4, 0, 4, 4, 4, 4]);
    // 9 kWh at 90 %: 10 kWh from the grid, 7 kW at -20 then 3 kW at 10 (the 5 is after departure).
    const ch = powers.ev.map((x) => Math.round(-x * 1e9) / 1e9 + 0);
    assert.deepEqual(ch, [0, 7, 0, 3, 0, 0]);
  });

  it('an EV that cannot be served costs the unmet-energy penalty', () => {
    const req = request([ev('ev', 4, 7, 20, 2)], [10, 10, 10, 10], { evUnmetPenaltyPerKWh: 2 });
    const { objective, powers } = solvePowers(highs, req);
    // At most 2 h × 7 kW × 0.9 = 12.6 kWh arrive; 7.4 kWh unmet at 2 per kWh, 14 kWh bought at 10/MWh.
    assert.ok(rel(objective, -7.4 * 2 - 0.14) < 1e-9, String(objective));
    assert.ok(rel(evaluatePlanValue(req, powers), objective) < 1e-9);
  });

  it('a car leaving part-way through its last interval charges there only for the part it is present', () => {
    // 3 intervals: present 2 whole hours and half of the third. 20 kWh wanted at 90 %, 7 kW charger.
    const offer = ev('ev', 4, 7, 20, 3);
    offer.evDemand = { ...offer.evDemand!, lastIntervalFrac: 0.5 };
    const req = request([offer], [10, 10, 10, 10], { evUnmetPenaltyPerKWh: 2 });
    const { objective } = solvePowers(highs, req);
    // At most (2 + 0.5) h × 7 kW × 0.9 = 15.75 kWh arrive; 4.25 kWh unmet at 2 per kWh. Power is priced for the
    // whole interval it is held in: 7 kW in each of the three hours, 21 kWh at 10/MWh.
    assert.ok(rel(objective, -4.25 * 2 - (14 + 7) * 0.01) < 1e-9, String(objective));
  });

  it('rejects bad input naming the field', () => {
    const good = request([battery({ id: 'b1', n: 3, powerKW: 1, capacityKWh: 2, energyKWh: 1 })], [1, 2, 3]);
    const bad = (req: PlanRequest, pattern: RegExp): void => {
      assert.throws(() => buildDispatchLp(req), (e: unknown) => e instanceof DispatchInputError && e.code === 'VPP_ERR_DISPATCH_INPUT' && pattern.test(e.message));
    };
    bad({ ...good, pricePerMWh: [1, 2] }, /pricePerMWh: expected an array of length 3/);
    bad({ ...good, blocks: [1, 1] }, /blocks: lengths sum to 2/);
    bad({ ...good, offers: [{ ...good.offers[0], maxPowerKW: [1, NaN, 1] }] }, /offer b1\.maxPowerKW\[1\]/);
    bad({ ...good, offers: [{ ...good.offers[0], storage: undefined }] }, /offer b1: a battery offer needs storage/);
    assert.throws(() => evaluatePlanValue(good, { b1: [0, 0, 0], x: [0, 0, 0] }), /setpointsKW\.x/);
  });
});
