import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLpBackend, LpBackendError, type LpBackend } from '../../solver/backend.js';
import { LpBuilder, LpModelError, lpObjective, toCplexLp } from '../../solver/lp.js';
import { buildDispatchLp } from '../../solver/dispatch-lp.js';
import { battery, request } from './fixtures.js';

const close = (a: number, b: number, tol = 1e-7): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

// The same compliance cases, with the same optima, for every backend.
for (const name of ['glpk', 'highs'] as const) {
  describe(`LP backend compliance: ${name}`, () => {
    let backend: LpBackend;
    before(async () => {
      backend = await createLpBackend(name);
    });

    it('reports its name and licence', () => {
      assert.equal(backend.name, name);
      assert.equal(backend.licence, name === 'glpk' ? 'GPL-3.0' : 'MIT');
    });

    it('1-battery 3-period arbitrage matches the hand optimum', () => {
      // 5 kW / 10 kWh, 2 kWh stored, 90 % each way, prices 20/80/40: charge 5 kW at 20 (E = 6.5),
      // discharge 5 kW at 80 (E = 6.5 - 5/0.9), then the rest (0.85 kW) at 40:
      // -0.1 + 0.4 + 0.034 = 0.334.
      const req = request(
        [battery({ id: 'b', n: 3, powerKW: 5, capacityKWh: 10, energyKWh: 2, chargeEfficiency: 0.9, dischargeEfficiency: 0.9 })],
        [20, 80, 40],
        { terminalEnergy: 'free' },
      );
      const model = buildDispatchLp(req);
      const sol = backend.solve(model.lp);
      assert.equal(sol.status, 'optimal');
      close(sol.objective, 0.334);
      close(lpObjective(model.lp, sol.values), 0.334);
    });

    it('ranged row, free and fixed bounds (max x + 2y + 1e-7 w)', () => {
      const b = new LpBuilder('ranged', 'max');
      const x = b.addVariable('x a', -Infinity, 3, 1);
      const y = b.addVariable('y', 0, Infinity, 2);
      const z = b.addVariable('z', -Infinity, Infinity);
      const w = b.addVariable('w', 2.5, 2.5, 1e-7);
      b.addConstraint('c1', [x, y], [1, 1], -Infinity, 4);
      b.addConstraint('c2', [x, y], [1, -1], -1, 1.5);
      b.addConstraint('c3', [z], [1], 0.1, 0.1);
      b.addConstraint('c4', [w, z], [1, 1], -1e3, Infinity);
      const sol = backend.solve(b.build());
      assert.equal(sol.status, 'optimal');
      // x - y = -1 binds with x + y = 4: x = 1.5, y = 2.5.
      close(sol.objective, 6.5 + 2.5e-7);
      close(sol.values[x], 1.5);
      close(sol.values[y], 2.5);
      close(sol.values[z], 0.1);
      close(sol.values[w], 2.5);
    });

    it('minimisation with negative bounds and an equality', () => {
      const b = new LpBuilder('min', 'min');
      const x = b.addVariable('x', -Infinity, 5, 1);
      const y = b.addVariable('y', -3, Infinity, 1);
      b.addConstraint('eq', [x, y], [1, -1], 1, 1);
      const sol = backend.solve(b.build());
      assert.equal(sol.status, 'optimal');
      // x = y + 1, minimise 2y + 1 with y >= -3.
      close(sol.objective, -5);
      close(sol.values[y], -3);
    });

    it('reports an infeasible LP', () => {
      const b = new LpBuilder('infeasible', 'max');
      const x = b.addVariable('x', 0, 10, 1);
      const y = b.addVariable('y', 0, 10, 1);
      b.addConstraint('lo', [x, y], [1, 1], 5, Infinity);
      b.addConstraint('hi', [x, y], [1, 1], -Infinity, 3);
      assert.equal(backend.solve(b.build()).status, 'infeasible');
    });

    it('reports an unbounded LP', () => {
      const b = new LpBuilder('unbounded', 'max');
      const x = b.addVariable('x', 0, Infinity, 1);
      const y = b.addVariable('y', 0, Infinity, 0);
      b.addConstraint('c', [x, y], [1, -1], -Infinity, 1);
      assert.equal(backend.solve(b.build()).status, 'unbounded');
    });
  });
}

describe('LP model', () => {
  it('rejects malformed rows and bounds with a named error', () => {
    const b = new LpBuilder('bad', 'max');
    assert.throws(() => b.addVariable('x', 2, 1), (e: unknown) => e instanceof LpModelError && /variable x/.test(e.message));
    const x = b.addVariable('x', 0, 1);
    assert.throws(() => b.addConstraint('r', [x, 7], [1, 1], 0, 1), (e: unknown) => e instanceof LpModelError && e.code === 'VPP_ERR_LP_MODEL');
    assert.throws(() => b.addConstraint('r', [x], [NaN], 0, 1), LpModelError);
  });

  it('writes sanitized unique names and round-trip numbers', () => {
    const b = new LpBuilder('names', 'max');
    b.addVariable('a b', 0, 1, 0.1 + 0.2);
    b.addVariable('a_b', 0, 1, 1e-7);
    b.addVariable('e1', -Infinity, Infinity);
    b.addVariable('free', 0, 1);
    const text = toCplexLp(b.build());
    assert.match(text, / \+ 0\.30000000000000004 a_b /);
    assert.match(text, / \+ 1e-7 a_b_2/);
    assert.match(text, / _e1 free/);
    assert.match(text, / 0 <= _free <= 1/);
  });

  it('rejects an unknown backend name', async () => {
    await assert.rejects(createLpBackend('cplex'), (e: unknown) => e instanceof LpBackendError && /cplex/.test(e.message));
  });
});
