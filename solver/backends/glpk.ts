import GLPK from 'glpk.js/node';
import type { LP } from 'glpk.js/node';
import type { LinearProgram } from '../lp.js';
import type { LpBackend, LpSolution } from '../backend.js';

type Glpk = Awaited<ReturnType<typeof GLPK>>;

function boundType(glpk: Glpk, lb: number, ub: number): number {
  if (lb === -Infinity) return ub === Infinity ? glpk.GLP_FR : glpk.GLP_UP;
  if (ub === Infinity) return glpk.GLP_LO;
  return lb === ub ? glpk.GLP_FX : glpk.GLP_DB;
}

// glpk.js wants finite numbers in bound slots it ignores.
const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

function toGlpk(glpk: Glpk, lp: LinearProgram): LP {
  // Index-based names: glpk.js keys results by name, and this avoids any sanitizing.
  const col = (i: number): string => `x${i}`;
  return {
    name: 'lp',
    objective: {
      direction: lp.sense === 'max' ? glpk.GLP_MAX : glpk.GLP_MIN,
      name: 'obj',
      vars: lp.variables.map((v, i) => ({ name: col(i), coef: v.objective })),
    },
    subjectTo: lp.constraints.map((c, j) => ({
      name: `r${j}`,
      vars: c.indices.map((i, k) => ({ name: col(i), coef: c.coefs[k] })),
      bnds: { type: boundType(glpk, c.lb, c.ub), lb: finite(c.lb), ub: finite(c.ub) },
    })),
    bounds: lp.variables.map((v, i) => ({
      name: col(i),
      type: boundType(glpk, v.lb, v.ub),
      lb: finite(v.lb),
      ub: finite(v.ub),
    })),
  };
}

/** LP backend on glpk.js (GLPK 5 compiled to WASM, GPL-3.0). */
export async function createGlpkBackend(): Promise<LpBackend> {
  const glpk = await GLPK();
  const run = (model: LP, presol: boolean, n: number): LpSolution => {
    const r = glpk.solve(model, { msglev: glpk.GLP_MSG_OFF, presol });
    const values = new Float64Array(n);
    const s = r.result.status;
    if (s === glpk.GLP_OPT) {
      for (let i = 0; i < n; i++) values[i] = r.result.vars[`x${i}`] ?? 0;
      return { status: 'optimal', objective: r.result.z, values };
    }
    const status = s === glpk.GLP_NOFEAS ? 'infeasible' : s === glpk.GLP_UNBND ? 'unbounded' : 'error';
    return { status, objective: NaN, values, message: `glpk status ${s}` };
  };
  return {
    name: 'glpk',
    licence: 'GPL-3.0',
    solve(lp) {
      const n = lp.variables.length;
      try {
        const model = toGlpk(glpk, lp);
        const first = run(model, true, n);
        // With presolve on, GLPK reports an infeasible or unbounded LP only as 'undefined'; the
        // simplex without presolve tells which.
        return first.status === 'error' ? run(model, false, n) : first;
      } catch (e) {
        return { status: 'error', objective: NaN, values: new Float64Array(n), message: String(e) };
      }
    },
  };
}
