import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FleetCommitment } from '../../services/commitment.js';
import { tempDir } from '../sim/helpers.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');
const dir = tempDir('cli-commitments');
const vpp = async (...args: string[]) => (await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: process.cwd(), maxBuffer: 16 << 20 })).stdout;

describe('vpp plan --commitments and vpp forecast-eval', () => {
  it('writes one FleetCommitment per hour for every DER, with totals and value', async () => {
    const file = join(dir, 'commitments.json');
    const stdout = await vpp('plan', 'examples/de-feeder-services.yaml', '--at', '2016-05-03T10:00:00+02:00', '--out', join(dir, 'plan.json'), '--commitments', file);
    assert.match(stdout, /commitments: 24 periods, value/);
    const out = JSON.parse(readFileSync(file, 'utf8')) as { commitments: FleetCommitment[]; totals: { regulationUpKW: number }[]; capacityValue: number; objectiveValue: number };
    assert.equal(out.commitments.length, 24);
    for (const [k, c] of out.commitments.entries()) {
      assert.equal(c.ders.length, 120);
      assert.equal(c.endMs - c.startMs, 3_600_000);
      assert.ok(Math.abs(out.totals[k].regulationUpKW - c.ders.reduce((s, d) => s + d.regulationUpKW, 0)) < 1e-9);
      // Feeder street-7 takes at most 150 kW out and 120 kW in, capacities included.
      assert.ok(c.ders.reduce((s, d) => s + d.basepointKW + d.regulationUpKW + d.reserveKW + d.frequencyKW, 0) <= 150 + 1e-6);
      assert.ok(c.ders.reduce((s, d) => s + d.basepointKW - d.regulationDownKW - d.frequencyKW, 0) >= -120 - 1e-6);
    }
    assert.ok(out.capacityValue > 0, `capacity value ${out.capacityValue}`);
  });

  it('forecast-eval prints a table per quantity with every method against persistence', async () => {
    const stdout = await vpp('forecast-eval', '--only', 'AEMO', '--days', '3');
    assert.match(stdout, /AEMO NSW1 price \(5 min\) \[AUD\/MWh\]/);
    for (const method of ['persistence', 'seasonal-blend', 'seasonal-regression']) assert.match(stdout, new RegExp(`\\| ${method} \\| [0-9.]+ \\|`));
  });
});
