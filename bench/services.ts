/**
 * Time per 2-s step of the real-time services path for 1,000 and 10,000 DERs: the RegD example's
 * fleet (2 batteries per EV charger, two feeders) scaled, following PJM's RegD test signal. The
 * path drives devices directly through the safety envelope (no XState event per step: see 1.).
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { prepareRun } from '../sim/run.js';
import { loadScenario, type Scenario } from '../sim/scenario.js';
import { loadPjmRegulationSignal } from '../sim/signals/pjm-regulation.js';
import { resample } from '../sim/signals/series.js';
import { basepointsOf } from '../services/commitment-rule.js';
import { ServiceFleet } from '../services/real-time.js';
import { fmtInt, fmtMs, formatTable, median } from './table.js';

const SCENARIO_PATH = fileURLToPath(new URL('../../examples/pjm-regd-40min.yaml', import.meta.url));
const SIZES = [1_000, 10_000];
const STEP_MS = 2_000;
// Steps timed per size (5 minutes of the signal), and the wall budget per size.
const STEPS = 150;
const BUDGET_MS = 30_000;

/** One measured fleet size. */
export interface ServicesBenchRow {
  ders: number;
  steps: number;
  /** Median per step: the allocation (telemetry snapshot, ranges, split, envelope, setpoints), ms. */
  dispatchMs: number;
  /** Median per step: physics of every device plus the independent device and feeder checks, ms. */
  physicsAndChecksMs: number;
  /** Median per step, everything (dispatch, physics, checks, metering), ms. */
  stepMs: number;
  /** How many times faster than the 2-s cadence the step runs. */
  headroomX: number;
}

/** The example scaled to `ders` DERs (2/3 batteries, 1/3 EV chargers), with commitment and feeders scaled alike. */
function scaled(base: Scenario, ders: number): Scenario {
  const factor = ders / 150;
  const batteries = base.fleet.batteries.map((g) => ({ ...g, count: Math.round(g.count * factor) }));
  const ev = base.fleet.ev!;
  if (ev.sessions.source !== 'generated') throw new Error(`${SCENARIO_PATH}: expected generated EV sessions`);
  const chargers = ders - batteries.reduce((n, g) => n + g.count, 0);
  const services = base.services!;
  return {
    ...base,
    fleet: { ...base.fleet, batteries, ev: { ...ev, sessions: { ...ev.sessions, chargers } } },
    services: {
      ...services,
      regulation: { ...services.regulation!, committedMW: services.regulation!.committedMW * factor },
      feeders: services.feeders.map((f) => ({ ...f, importLimitKW: f.importLimitKW * factor, exportLimitKW: f.exportLimitKW * factor })),
    },
  };
}

/** Runs the measurement; returns the printed table and the rows for the results JSON. */
export async function benchServices(): Promise<{ table: string; rows: ServicesBenchRow[] }> {
  const base = loadScenario(SCENARIO_PATH);
  const rows: ServicesBenchRow[] = [];
  for (const ders of SIZES) {
    const scenario = scaled(base, ders);
    const run = prepareRun(scenario, { scenarioDir: dirname(SCENARIO_PATH) });
    const regulation = scenario.services!.regulation!;
    const startMs = Date.parse(regulation.start!);
    const signal = resample(loadPjmRegulationSignal(run.signals.dataDirectory(), 'RegD', startMs).data.signal, startMs, STEP_MS, STEPS);
    const fleet = new ServiceFleet(run.newFleet(), scenario.services!.feeders, run.grid.startMs);
    fleet.idleUntil(startMs, { stepMs: 15 * 60_000 });
    const headroomMs = regulation.socHorizonMin * 60_000;
    const period = fleet.commitments('regulation', startMs, startMs + STEPS * STEP_MS, regulation.committedMW * 1000, headroomMs);
    const basepointKW = basepointsOf(fleet.dispatcher, period.fleet);
    const dispatchMs: number[] = [];
    const physicsMs: number[] = [];
    const totalMs: number[] = [];
    const began = performance.now();
    for (let i = 0; i < STEPS && performance.now() - began < BUDGET_MS; i++) {
      const t0 = performance.now();
      fleet.dispatcher.dispatch({ stepMs: STEP_MS, basepointKW, deviationKW: signal[i] * period.committedKW, headroomMs });
      const t1 = performance.now();
      fleet.advance(startMs + (i + 1) * STEP_MS);
      const t2 = performance.now();
      fleet.responseKW(basepointKW);
      const t3 = performance.now();
      dispatchMs.push(t1 - t0);
      physicsMs.push(t2 - t1);
      totalMs.push(t3 - t0);
    }
    if (fleet.deviceViolations + fleet.feederViolations > 0) throw new Error(`services bench: ${fleet.deviceViolations} device and ${fleet.feederViolations} feeder violations at ${ders} DERs`);
    const stepMs = median(totalMs);
    rows.push({ ders: run.newFleet().members.length, steps: totalMs.length, dispatchMs: median(dispatchMs), physicsAndChecksMs: median(physicsMs), stepMs, headroomX: STEP_MS / stepMs });
  }
  const table = formatTable(
    ['DERs', 'steps', 'dispatch ms', 'physics + checks ms', 'ms per 2-s step', 'x faster than real time'],
    rows.map((r) => [fmtInt(r.ders), String(r.steps), fmtMs(r.dispatchMs), fmtMs(r.physicsAndChecksMs), fmtMs(r.stepMs), fmtInt(r.headroomX)]),
  );
  return { table, rows };
}
