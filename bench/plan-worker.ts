/**
 * Worker thread that times plans with one LP backend, so the bench can stop a solve that runs
 * over its budget (a WASM solve blocks its thread and cannot be interrupted otherwise).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { createLpBackend, type LpBackend } from '../solver/backend.js';
import { createPlanner, type PlannerResult } from '../solver/planner.js';
import type { PlanCaseRequest, PlanWorkerMessage } from './plan-runner.js';

const port = parentPort!;
const inner = await createLpBackend((workerData as { backend: string }).backend);
let lpSize = { variables: 0, constraints: 0 };
// Records the size of the LP the planner hands over, without changing how it is solved.
const backend: LpBackend = {
  name: inner.name,
  licence: inner.licence,
  solve(lp) {
    lpSize = { variables: lp.variables.length, constraints: lp.constraints.length };
    return inner.solve(lp);
  },
};

port.on('message', (job: PlanCaseRequest) => {
  let reply: PlanWorkerMessage;
  try {
    const planner = createPlanner({ backend, strategy: job.strategy });
    const planMs: number[] = [];
    const solveMs: number[] = [];
    let spentMs = 0;
    let result: PlannerResult;
    do {
      const t0 = performance.now();
      result = planner.plan(job.request);
      const ms = performance.now() - t0;
      planMs.push(ms);
      solveMs.push(result.solver.solveMs);
      spentMs += ms;
    } while (planMs.length < job.maxRepeats && spentMs + planMs[0] <= job.repeatBudgetMs);
    reply = {
      type: 'result',
      planMs,
      solveMs,
      ...lpSize,
      objectiveValue: result.objectiveValue,
      lpObjectiveValue: result.lpObjectiveValue,
      periods: result.periods.length,
    };
  } catch (e) {
    reply = { type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' } satisfies PlanWorkerMessage);
