import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLpBackend, type LpBackend } from '../../solver/backend.js';
import { createPlanner, planToCplexLp, type PlanStrategy } from '../../solver/planner.js';
import { battery, ev, priceSeries, pv, request, rng } from './fixtures.js';

let dir: string;
let glpk: LpBackend;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpp-lp-'));
  glpk = await createLpBackend('glpk');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Solves an LP file with native GLPK and returns the objective it prints. */
function glpsolObjective(lpText: string, name: string): number {
  const lpFile = join(dir, `${name}.lp`);
  const outFile = join(dir, `${name}.txt`);
  writeFileSync(lpFile, lpText);
  execFileSync('glpsol', ['--lp', lpFile, '-o', outFile], { stdio: 'pipe' });
  const out = readFileSync(outFile, 'utf8');
  assert.match(out, /Status:\s+OPTIMAL/);
  const m = /Objective:\s+\S+ = (\S+)/.exec(out);
  assert.ok(m, `no objective in glpsol output:\n${out.slice(0, 400)}`);
  return Number(m[1]);
}

function scenario() {
  const n = 24;
  const rand = rng(99);
  const offers = [
    ...Array.from({ length: 8 }, (_, i) => battery({
      // Awkward ids exercise name sanitizing.
      id: i === 0 ? 'e1 battery/α' : `home:${i}`, n, powerKW: 5, capacityKWh: 10 + rand() * 3.5, energyKWh: 2 + rand() * 8,
      minEnergyKWh: 0.5, chargeEfficiency: 0.95, dischargeEfficiency: 0.95, wearPerMWh: 7.3, feederId: i % 2 === 0 ? 'north' : 'south',
    })),
    pv('roof 1', Array.from({ length: n }, (_, i) => Math.max(0, 6 * Math.sin((Math.PI * (i - 6)) / 12))), 'north'),
    ev('ev-7', n, 11, 25.5, 9, 'south'),
  ];
  return request(offers, priceSeries(n, rand), {
    blocks: [1, 1, 1, 1, 2, 2, 4, 4, 8],
    feederLimits: { north: { maxImportKW: 18, maxExportKW: 16 }, south: { maxImportKW: 15, maxExportKW: 15 } },
  });
}

describe('exported LP solved by native glpsol', () => {
  for (const strategy of ['full', 'aggregate'] as PlanStrategy[]) {
    it(`${strategy}: same objective as the plan's LP within 1e-6 relative`, () => {
      const req = scenario();
      const plan = createPlanner({ backend: glpk, strategy, socBucketFrac: 0.5 }).plan(req);
      const text = planToCplexLp(req, { strategy, socBucketFrac: 0.5 });
      const columns = text.slice(text.indexOf('\nBounds\n')).split('\n').length;
      if (strategy === 'aggregate') assert.ok(columns < planToCplexLp(req, { strategy: 'full' }).split('\nBounds\n')[1].split('\n').length, 'buckets should shrink the LP');
      const z = glpsolObjective(text, strategy);
      const rel = Math.abs(z - plan.lpObjectiveValue) / Math.max(1, Math.abs(plan.lpObjectiveValue));
      console.log(`${strategy}: glpsol ${z}, plan LP ${plan.lpObjectiveValue}, plan value ${plan.objectiveValue}`);
      assert.ok(rel < 1e-6, `glpsol ${z} vs plan LP ${plan.lpObjectiveValue}`);
      if (strategy === 'full') assert.ok(Math.abs(plan.objectiveValue - z) / Math.max(1, Math.abs(z)) < 1e-6);
    });
  }
});
