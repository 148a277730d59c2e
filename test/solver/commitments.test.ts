import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLpBackend, type LpBackend } from '../../solver/backend.js';
import { planCommitments, type CommitmentPlan } from '../../solver/commitments.js';
import { PlannerOptionsError, type PlanStrategy } from '../../solver/planner.js';
import type { ServiceMarket, ServicesRequest } from '../../solver/services-lp.js';
import { DispatchInputError } from '../../solver/dispatch-lp.js';
import type { FlexibilityOffer } from '../../protocol/offer.js';
import { battery, ev, firstLimitViolation, LIMIT_TOLERANCE, pv, priceSeries, request, rng } from './fixtures.js';

const backends: Record<string, LpBackend> = {};
before(async () => {
  backends.glpk = await createLpBackend('glpk');
  backends.highs = await createLpBackend('highs');
});

const flat = (n: number, x: number) => new Array<number>(n).fill(x);

function market(prices: ServiceMarket['pricePerMWh'], rule: ServiceMarket['regulationRule'] = 'symmetric', extra: Partial<ServiceMarket> = {}): ServiceMarket {
  return { regulationRule: rule, pricePerMWh: prices, regulationHeadroomMin: 15, reserveDurationMin: 60, frequencyDurationMin: 15, ...extra };
}

function services(offers: FlexibilityOffer[], energyPrices: number[], m: ServiceMarket, extra: Partial<ServicesRequest> = {}): ServicesRequest {
  return { ...request(offers, energyPrices), market: m, commitmentIntervals: 1, ...extra };
}

/** Solves `req` on every backend and strategy; all must agree on the objective, which is returned with the plans. */
function solveEverywhere(req: ServicesRequest): { objective: number; plans: CommitmentPlan[] } {
  const plans: CommitmentPlan[] = [];
  for (const backend of Object.values(backends)) {
    for (const strategy of ['full', 'aggregate'] as PlanStrategy[]) plans.push(planCommitments(req, { backend, strategy }));
  }
  const objective = plans[0].objectiveValue;
  for (const p of plans) assert.ok(Math.abs(p.objectiveValue - objective) < 1e-6, `${p.solver.backend}/${p.solver.strategy}: ${p.objectiveValue} vs ${objective}`);
  return { objective, plans };
}

/**
 * The first commitment that breaks a limit, checked from the offers alone: basepoints within the
 * offer (power and energy), capacities on top of the basepoint within the lowest / highest power
 * the offer holds through the period, the energy each commitment could call for within the store
 * at both ends of the period, a symmetric band equal up and down, every feeder within its limits.
 */
function firstCommitmentViolation(req: ServicesRequest, plan: CommitmentPlan): string | undefined {
  const tol = LIMIT_TOLERANCE;
  const periods = plan.commitments.length;
  const c = req.commitmentIntervals;
  const setpoints = Object.fromEntries(req.offers.map((o, j) => [o.derId, plan.commitments.map((fc) => fc.ders[j].basepointKW)]));
  const basepoint = firstLimitViolation(req, setpoints, flat(periods, c));
  if (basepoint !== undefined) return basepoint;
  const h = (c * req.intervalMs) / 3_600_000;
  const hReg = req.market.regulationHeadroomMin / 60;
  const hRes = req.market.reserveDurationMin / 60;
  const hFr = req.market.frequencyDurationMin / 60;
  for (const [j, o] of req.offers.entries()) {
    let e = o.storage?.energyKWh ?? 0;
    for (let k = 0; k < periods; k++) {
      const d = plan.commitments[k].ders[j];
      const tag = `${o.derId} period ${k}`;
      if (d.derId !== o.derId) return `${tag}: commitment names ${d.derId}`;
      const caps = [d.regulationUpKW, d.regulationDownKW, d.reserveKW, d.frequencyKW];
      if (caps.some((x) => !(x >= -tol))) return `${tag}: negative capacity ${caps}`;
      if (req.market.regulationRule === 'symmetric' && Math.abs(d.regulationUpKW - d.regulationDownKW) > tol) return `${tag}: symmetric band ${d.regulationUpKW} up, ${d.regulationDownKW} down`;
      const up = d.regulationUpKW + d.reserveKW + d.frequencyKW;
      const down = d.regulationDownKW + d.frequencyKW;
      const idx = Array.from({ length: c }, (_, i) => k * c + i);
      const lo = Math.max(...idx.map((i) => o.minPowerKW[i]));
      const hi = Math.min(...idx.map((i) => (o.kind === 'ev-charger' ? Math.min(0, o.maxPowerKW[i]) : o.maxPowerKW[i])));
      if (o.kind === 'pv' && up + down > tol) return `${tag}: PV carries capacity`;
      if (d.basepointKW + up > hi + tol || d.basepointKW - down < lo - tol) return `${tag}: ${d.basepointKW} +${up}/-${down} kW outside [${lo}, ${hi}]`;
      const s = o.storage;
      if (s !== undefined) {
        const end = e + (d.basepointKW > 0 ? (-d.basepointKW * h) / s.dischargeEfficiency : -d.basepointKW * h * s.chargeEfficiency);
        for (const at of [e, end]) {
          const need = (d.regulationUpKW * hReg + d.reserveKW * hRes + d.frequencyKW * hFr) / s.dischargeEfficiency;
          const room = (d.regulationDownKW * hReg + d.frequencyKW * hFr) * s.chargeEfficiency;
          if (at - need < Math.min(s.minEnergyKWh, s.energyKWh) - tol) return `${tag}: ${at} kWh cannot sustain ${need} kWh up`;
          if (at + room > Math.max(s.maxEnergyKWh, s.energyKWh) + tol) return `${tag}: ${at} kWh cannot absorb ${room} kWh down`;
        }
        e = end;
      }
    }
  }
  for (const [feeder, lim] of Object.entries(req.feederLimits ?? {})) {
    for (const [k, fcm] of plan.commitments.entries()) {
      const on = fcm.ders.filter((d) => req.offers.find((o) => o.derId === d.derId)?.feederId === feeder);
      const most = on.reduce((s, d) => s + d.basepointKW + d.regulationUpKW + d.reserveKW + d.frequencyKW, 0);
      const least = on.reduce((s, d) => s + d.basepointKW - d.regulationDownKW - d.frequencyKW, 0);
      if (most > lim.maxExportKW + 1e-6 || least < -lim.maxImportKW - 1e-6) return `feeder ${feeder} period ${k}: ${least}..${most} kW outside [-${lim.maxImportKW}, ${lim.maxExportKW}]`;
    }
  }
  return undefined;
}

describe('co-optimisation (services LP)', () => {
  it('capacity paying more than the energy spread: the whole battery goes to regulation', () => {
    // 10 kW / 20 kWh at 10 kWh; spread 10/MWh; a kW of band earns 15 + 15 per MWh-hour.
    const req = services([battery({ id: 'b', n: 2, powerKW: 10, capacityKWh: 20, energyKWh: 10 })], [50, 60], market({ regulationUp: flat(2, 15), regulationDown: flat(2, 15) }));
    const { objective, plans } = solveEverywhere(req);
    assert.ok(Math.abs(objective - 2 * 10 * 30 / 1000) < 1e-9, `${objective}`);
    for (const p of plans) {
      for (const fcm of p.commitments) {
        const [d] = fcm.ders;
        assert.ok(Math.abs(d.basepointKW) < 1e-9 && Math.abs(d.regulationUpKW - 10) < 1e-9 && Math.abs(d.regulationDownKW - 10) < 1e-9, JSON.stringify(d));
      }
      assert.ok(Math.abs(p.capacityValue - objective) < 1e-9);
      assert.equal(firstCommitmentViolation(req, p), undefined);
    }
  });

  it('energy spread paying more than capacity: arbitrage, no regulation', () => {
    const req = services([battery({ id: 'b', n: 2, powerKW: 10, capacityKWh: 20, energyKWh: 10 })], [0, 100], market({ regulationUp: flat(2, 1), regulationDown: flat(2, 1) }));
    const { objective, plans } = solveEverywhere(req);
    assert.ok(Math.abs(objective - 1) < 1e-9, `${objective}`);
    const [first, second] = plans[0].commitments.map((f) => f.ders[0]);
    assert.deepEqual([first.basepointKW, second.basepointKW].map((x) => Math.round(x * 1e9) / 1e9), [-10, 10]);
    assert.ok(first.regulationUpKW < 1e-9 && second.regulationDownKW < 1e-9);
  });

  it('state-of-charge headroom caps what can be committed: 1 kWh sustains 4 kW for 15 minutes', () => {
    const one = battery({ id: 'b', n: 1, powerKW: 10, capacityKWh: 20, energyKWh: 1 });
    const prices = { regulationUp: [20], regulationDown: [20] };
    const asym = solveEverywhere(services([one], [50], market(prices, 'asymmetric')));
    // 4 kW up (energy-bound), 10 kW down (power-bound), 20/MWh each.
    assert.ok(Math.abs(asym.objective - (4 + 10) * 20 / 1000) < 1e-9, `${asym.objective}`);
    const sym = solveEverywhere(services([one], [50], market(prices, 'symmetric')));
    assert.ok(Math.abs(sym.objective - 4 * 40 / 1000) < 1e-9, `${sym.objective}`);
    // Reserve must last an hour: 5 kWh sustains 5 kW.
    const res = solveEverywhere(services([battery({ id: 'b', n: 1, powerKW: 10, capacityKWh: 20, energyKWh: 5 })], [50], market({ reserve: [30] })));
    assert.ok(Math.abs(res.objective - 5 * 30 / 1000) < 1e-9, `${res.objective}`);
    assert.ok(Math.abs(res.plans[0].commitments[0].ders[0].reserveKW - 5) < 1e-9);
  });

  it('a feeder limit bounds basepoint plus committed capacity of all its DERs', () => {
    const offers = [battery({ id: 'a', n: 1, powerKW: 10, capacityKWh: 20, energyKWh: 10, feederId: 'f' }), battery({ id: 'b', n: 1, powerKW: 10, capacityKWh: 20, energyKWh: 10, feederId: 'f' })];
    const req = services(offers, [50], market({ regulationUp: [15], regulationDown: [15], frequency: [10] }), { feederLimits: { f: { maxImportKW: 5, maxExportKW: 7 } } });
    const { objective, plans } = solveEverywhere(req);
    // Regulation pays 30, frequency 10 per kW: the 5 kW the import side allows go to regulation.
    assert.ok(Math.abs(objective - 5 * 30 / 1000) < 1e-9, `${objective}`);
    for (const p of plans) assert.equal(firstCommitmentViolation(req, p), undefined);
  });

  it('an EV charger carries regulation around its charging and still delivers the car', () => {
    // 7 kW charger, 6.3 kWh wanted over 2 hours at 90 %: 3.5 kW each hour, a 3.5 kW band around it.
    const req = services([ev('car', 2, 7, 6.3, 2)], [50, 50], market({ regulationUp: flat(2, 15), regulationDown: flat(2, 15) }));
    const { objective, plans } = solveEverywhere(req);
    assert.ok(Math.abs(objective - (-7 * 50 + 7 * 30) / 1000) < 1e-9, `${objective}`);
    for (const d of plans[0].commitments.map((f) => f.ders[0])) assert.ok(Math.abs(d.basepointKW + 3.5) < 1e-9 && Math.abs(d.regulationUpKW - 3.5) < 1e-9);
  });

  it('hourly commitments over 5-minute intervals, and bad settings named', () => {
    const n = 24;
    const o = battery({ id: 'b', n, powerKW: 5, capacityKWh: 10, energyKWh: 5, intervalMs: 300_000 });
    const req: ServicesRequest = { ...request([o], priceSeries(n, rng(3)), { intervalMs: 300_000 }), market: market({ reserve: flat(n, 12) }), commitmentIntervals: 12 };
    const plan = planCommitments(req, { backend: backends.highs, strategy: 'full' });
    assert.equal(plan.commitments.length, 2);
    assert.equal(plan.commitments[1].startMs - plan.commitments[0].startMs, 3_600_000);
    assert.equal(firstCommitmentViolation(req, plan), undefined);
    assert.throws(() => planCommitments({ ...req, commitmentIntervals: 7 }, { backend: backends.highs, strategy: 'full' }), (e: Error) => e instanceof DispatchInputError && /commitmentIntervals/.test(e.message));
    assert.throws(() => planCommitments({ ...req, market: market({ regulationUp: flat(n, 1) }) }, { backend: backends.highs, strategy: 'full' }), /symmetric regulation band needs both/);
    assert.throws(() => planCommitments({ ...req, market: market({ reserve: [1] }) }, { backend: backends.highs, strategy: 'full' }), /market.pricePerMWh.reserve/);
    assert.throws(() => planCommitments(req, { backend: backends.highs, strategy: 'aggregate', socBucketFrac: 2 }), (e: Error) => e instanceof PlannerOptionsError && /socBucketFrac/.test(e.message));
    assert.throws(() => planCommitments(req, { backend: backends.highs, strategy: 'buckets' as PlanStrategy }), /strategy: expected 'full' or 'aggregate', got 'buckets'/);
  });

  it('aggregate commitments lose little against the full LP when members charge and discharge at different rates', () => {
    const rand = rng(5);
    const n = 12;
    const offers = Array.from({ length: 30 }, (_, i) => {
      const o = battery({ id: `b${i}`, n, powerKW: 3.7, capacityKWh: [5, 7.5, 10][i % 3], energyKWh: 2 + rand() * 3, chargeEfficiency: 0.95, dischargeEfficiency: 0.95, wearPerMWh: 15, feederId: 'f' });
      // Half charge slower than they discharge, half the other way round.
      o.minPowerKW = o.minPowerKW.map(() => (i % 2 === 0 ? -2.5 : -3.7));
      o.maxPowerKW = o.maxPowerKW.map(() => (i % 2 === 0 ? 3.7 : 2.5));
      return o;
    });
    const req = services(offers, priceSeries(n, rand), market({ regulationUp: flat(n, 9), regulationDown: flat(n, 9), reserve: flat(n, 6) }), { feederLimits: { f: { maxImportKW: 60, maxExportKW: 80 } } });
    const full = planCommitments(req, { backend: backends.highs, strategy: 'full' });
    const agg = planCommitments(req, { backend: backends.highs, strategy: 'aggregate' });
    const loss = (full.objectiveValue - agg.objectiveValue) / full.objectiveValue;
    assert.ok(full.capacityValue > 0.5 * full.objectiveValue, `capacity ${full.capacityValue} of ${full.objectiveValue}`);
    assert.ok(loss >= -1e-9 && loss < 0.01, `aggregate ${agg.objectiveValue} vs full ${full.objectiveValue}: loss ${(100 * loss).toFixed(2)} %`);
    assert.equal(firstCommitmentViolation(req, agg), undefined);
  });

  it('aggregate commitments never break a member limit or a feeder limit (property)', () => {
    let committedRuns = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 14 }),
        fc.constantFrom('symmetric' as const, 'asymmetric' as const),
        fc.boolean(),
        fc.constantFrom(0.1, 0.5, 1),
        (seed, count, rule, limited, socBucketFrac) => {
          const rand = rng(seed);
          const n = 6;
          const offers: FlexibilityOffer[] = Array.from({ length: count }, (_, i) => {
            const powerKW = 1 + rand() * 9;
            const capacityKWh = powerKW * (0.3 + rand() * 3);
            const minEnergyKWh = rand() * 0.2 * capacityKWh;
            const o = battery({
              id: `b${i}`, n, powerKW, capacityKWh, minEnergyKWh, energyKWh: minEnergyKWh + rand() * (capacityKWh - minEnergyKWh),
              chargeEfficiency: 0.95, dischargeEfficiency: rand() < 0.3 ? 0.9 : 0.95, wearPerMWh: rand() < 0.5 ? 0 : 10, feederId: `f${i % 2}`,
            });
            if (rand() < 0.3) o.maxPowerKW = o.maxPowerKW.map((x) => x * rand());
            return o;
          });
          offers.push(pv('pv0', Array.from({ length: n }, () => rand() * 6), 'f0'), ev('ev0', n, 7, rand() * 20, 1 + Math.floor(rand() * 6), 'f1'));
          const priced = () => (rand() < 0.8 ? Array.from({ length: n }, () => rand() * 60) : undefined);
          const reg = priced();
          const m = market({ regulationUp: reg, regulationDown: rule === 'symmetric' ? reg?.map((x) => x * 0.5) : priced(), reserve: priced(), frequency: priced() }, rule, {
            regulationHeadroomMin: Math.floor(rand() * 60),
            reserveDurationMin: 15 + Math.floor(rand() * 60),
          });
          const feederLimits = limited ? { f0: { maxImportKW: 6, maxExportKW: 9 }, f1: { maxImportKW: 12, maxExportKW: 4 } } : undefined;
          const req = services(offers, priceSeries(n, rand), m, { feederLimits });
          const plan = planCommitments(req, { backend: backends.highs, strategy: 'aggregate', socBucketFrac });
          const violation = firstCommitmentViolation(req, plan);
          assert.equal(violation, undefined, violation);
          assert.ok(plan.objectiveValue <= plan.lpObjectiveValue + 1e-6, `${plan.objectiveValue} above the relaxation ${plan.lpObjectiveValue}`);
          runs++;
          if (plan.capacityValue > 0) committedRuns++;
        },
      ),
      { numRuns: 80, seed: 7 },
    );
    // The property must be about commitments, not empty ones.
    assert.ok(committedRuns > runs / 2, `${committedRuns} of ${runs} runs committed capacity`);
  });
});
