import { writeCplexLp } from '../lp.js';
import type { LpBackend, LpSolution } from '../backend.js';
import type { Highs } from 'highs';

// The package's single .d.ts is typed as CommonJS, but Node's ESM import gets highs.mjs whose
// default export is the loader itself.
type HighsModule = { default: () => Promise<Highs> };

/** LP backend on the `highs` package (HiGHS compiled to WASM, MIT); models go in as CPLEX LP text. */
export async function createHighsBackend(): Promise<LpBackend> {
  const highs = await ((await import('highs')) as unknown as HighsModule).default();
  return {
    name: 'highs',
    licence: 'MIT',
    solve(lp) {
      const n = lp.variables.length;
      const values = new Float64Array(n);
      try {
        const { text, columnNames } = writeCplexLp(lp);
        let r = highs.solve(text, { output_flag: false });
        // Presolve may stop at 'infeasible or unbounded'; the plain simplex tells which.
        if (r.Status === 'Primal infeasible or unbounded') r = highs.solve(text, { output_flag: false, presolve: 'off' });
        if (r.Status === 'Optimal') {
          for (let i = 0; i < n; i++) {
            const c = r.Columns[columnNames[i]];
            values[i] = c !== undefined && 'Primal' in c ? c.Primal : 0;
          }
          return { status: 'optimal', objective: r.ObjectiveValue, values } satisfies LpSolution;
        }
        const status = r.Status === 'Infeasible' ? 'infeasible' : r.Status === 'Unbounded' ? 'unbounded' : 'error';
        return { status, objective: NaN, values, message: `highs status ${r.Status}` };
      } catch (e) {
        return { status: 'error', objective: NaN, values, message: String(e) };
      }
    },
  };
}
