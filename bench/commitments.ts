/**
 * Co-optimisation cost: the services LP (energy + symmetric regulation + reserve + frequency over 24
 * hourly commitment periods) for fleets of home batteries and PV on two limited feeders, solved
 * over every DER ('full', HiGHS only and small fleets: it takes minutes beyond) and over buckets
 * ('aggregate', both backends), with the aggregate's value gap to the full LP where both ran.
 */
import { createLpBackend, type LpBackendName } from '../solver/backend.js';
import { planCommitments } from '../solver/commitments.js';
import type { PlanStrategy } from '../solver/planner.js';
import type { ServicesRequest } from '../solver/services-lp.js';
import { battery, priceSeries, pv, request, rng } from '../test/solver/fixtures.js';
import { fmtMs, formatTable } from './table.js';

const PERIODS = 24;
const FLEETS = [100, 300, 1000, 10_000];
/** The full LP grows past 100 s at 1,000 batteries on HiGHS: measured only up to here. */
const FULL_UP_TO = 300;

/** One solve of the bench. */
export interface CommitmentsBenchRow {
  batteries: number;
  strategy: PlanStrategy;
  backend: LpBackendName;
  solveMs: number;
  objectiveValue: number;
  capacityValue: number;
  /** Value lost against the full LP, % (aggregate rows). */
  gapPct?: number;
}

function fleetRequest(count: number): ServicesRequest {
  const rand = rng(count);
  const offers = Array.from({ length: count }, (_, i) => {
    const powerKW = [2.5, 3.7, 5][i % 3];
    const capacityKWh = powerKW * (2 + rand());
    return battery({ id: `b${i}`, n: PERIODS, powerKW, capacityKWh, energyKWh: capacityKWh * (0.2 + 0.6 * rand()), minEnergyKWh: 0.1 * capacityKWh, chargeEfficiency: 0.95, dischargeEfficiency: 0.95, wearPerMWh: 15, feederId: `f${i % 2}` });
  });
  for (let i = 0; i < count / 2; i++) offers.push(pv(`pv${i}`, Array.from({ length: PERIODS }, (_, k) => Math.max(0, 6 * Math.sin((Math.PI * (k - 6)) / 12))), `f${i % 2}`));
  const feederKW = count * 1.2;
  const flat = (x: number) => new Array<number>(PERIODS).fill(x);
  return {
    ...request(offers, priceSeries(PERIODS, rand)),
    feederLimits: { f0: { maxImportKW: feederKW, maxExportKW: feederKW }, f1: { maxImportKW: feederKW, maxExportKW: feederKW } },
    market: { regulationRule: 'symmetric', pricePerMWh: { regulationUp: flat(9), regulationDown: flat(9), reserve: flat(6), frequency: flat(10) }, regulationHeadroomMin: 15, reserveDurationMin: 30, frequencyDurationMin: 15 },
    commitmentIntervals: 1,
  };
}

/** Solves every fleet size with each strategy and backend; returns the table and the figures. */
export async function benchCommitments(): Promise<{ table: string; rows: CommitmentsBenchRow[] }> {
  const backends = { glpk: await createLpBackend('glpk'), highs: await createLpBackend('highs') };
  const rows: CommitmentsBenchRow[] = [];
  for (const count of FLEETS) {
    const req = fleetRequest(count);
    const runs: [PlanStrategy, LpBackendName][] = [...(count <= FULL_UP_TO ? [['full', 'highs'] as [PlanStrategy, LpBackendName]] : []), ['aggregate', 'glpk'], ['aggregate', 'highs']];
    let fullValue: number | undefined;
    for (const [strategy, backend] of runs) {
      const plan = planCommitments(req, { backend: backends[backend], strategy });
      if (strategy === 'full') fullValue = plan.objectiveValue;
      rows.push({
        batteries: count, strategy, backend, solveMs: plan.solver.solveMs, objectiveValue: plan.objectiveValue, capacityValue: plan.capacityValue,
        ...(strategy === 'aggregate' && fullValue !== undefined ? { gapPct: (100 * (fullValue - plan.objectiveValue)) / fullValue } : {}),
      });
    }
  }
  const table = formatTable(
    ['batteries (+ half as many PV)', 'strategy', 'backend', 'solve ms', 'value', 'of it capacity', 'gap to full'],
    rows.map((r) => [String(r.batteries), r.strategy, r.backend, fmtMs(r.solveMs), r.objectiveValue.toFixed(2), r.capacityValue.toFixed(2), r.gapPct === undefined ? '' : `${r.gapPct.toFixed(2)} %`]),
  );
  return { table, rows };
}
