import type { LinearProgram } from './lp.js';

/** Outcome of one LP solve. `values` is indexed like `LinearProgram.variables`. */
export interface LpSolution {
  status: 'optimal' | 'infeasible' | 'unbounded' | 'error';
  /** Objective value in the LP's own sense; meaningful only when `status === 'optimal'`. */
  objective: number;
  /** Primal value per variable; zeros unless `status === 'optimal'`. */
  values: Float64Array;
  /** Solver detail when not optimal. */
  message?: string;
}

/** Names of the available LP backends. */
export type LpBackendName = 'glpk' | 'highs';

/** The LP backend a run uses when none is asked for (chosen by `npm run bench`: see README). */
export const DEFAULT_SOLVER: LpBackendName = 'glpk';

/**
 * A synchronous LP solver. Both implementations run WASM on the calling thread: a large LP blocks
 * the event loop, so callers that must stay responsive run the planner in a worker thread.
 */
export interface LpBackend {
  readonly name: LpBackendName;
  /** SPDX licence of the solver library (glpk.js is GPL-3.0, highs is MIT). */
  readonly licence: string;
  solve(lp: LinearProgram): LpSolution;
}

/** Raised for an unknown backend name. */
export class LpBackendError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_LP_BACKEND';
  constructor(message: string) {
    super(message);
    this.name = 'LpBackendError';
  }
}

/** Names accepted by `createLpBackend`. */
export const LP_BACKEND_NAMES: readonly LpBackendName[] = ['glpk', 'highs'];

/**
 * Loads and warms up (one tiny solve, since the first solve in a process is several times slower)
 * the named backend.
 */
export async function createLpBackend(name: string): Promise<LpBackend> {
  let backend: LpBackend;
  if (name === 'glpk') backend = await (await import('./backends/glpk.js')).createGlpkBackend();
  else if (name === 'highs') backend = await (await import('./backends/highs.js')).createHighsBackend();
  else throw new LpBackendError(`unknown LP backend '${name}', expected one of: ${LP_BACKEND_NAMES.join(', ')}`);
  backend.solve({
    name: 'warmup',
    sense: 'max',
    variables: [{ name: 'x', lb: 0, ub: 1, objective: 1 }],
    constraints: [{ name: 'c', indices: [0], coefs: [1], lb: -Infinity, ub: 1 }],
  });
  return backend;
}
