import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { aemoScenario, relDiff, tempDir, writeScenario } from '../sim/helpers.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');
const dir = tempDir('cli');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI from the repository root; never throws on a non-zero exit. */
async function vpp(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: process.cwd(), maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Six hours of AEMO prices with 10 batteries and 5 PV, a 4-hour horizon: a quick `sim`. */
const shortScenario = writeScenario(
  dir,
  'short.json',
  aemoScenario(1, {
    window: { start: '2022-09-05T04:00:00+10:00', end: '2022-09-05T10:00:00+10:00' },
    planning: { horizonH: 4, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 4, periodMin: 30 }] },
  }),
);
/** Two days, so a plan on the second morning has a seasonal forecast with shape. */
const twoDayScenario = writeScenario(dir, 'two-day.json', aemoScenario(2));

describe('vpp CLI', { concurrency: true }, () => {
  it('sim writes summary.json, timeseries.csv and a self-contained report.html', async () => {
    const out = join(dir, 'sim-out');
    const result = await vpp('sim', shortScenario, '--out', out, '--no-progress');
    assert.equal(result.code, 0, result.stderr);
    for (const file of ['summary.json', 'timeseries.csv', 'report.html']) {
      assert.ok(existsSync(join(out, file)), `${file} missing`);
      assert.match(result.stdout, new RegExp(file.replace('.', '\\.')));
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    const csv = readFileSync(join(out, 'timeseries.csv'), 'utf8');
    assert.equal(summary.resultHash, createHash('sha256').update(csv).digest('hex'));
    assert.equal(csv.trimEnd().split('\n').length, 1 + 72);
    assert.equal((summary.safety as { limitViolations: number }).limitViolations, 0);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<script>[^<]*uPlot/, 'the uPlot library is not inlined');
    assert.match(html, /new uPlot\(/);
    const firstTimeS = Date.parse('2022-09-05T04:00:00+10:00') / 1000;
    assert.ok(html.includes(`"t":[${firstTimeS},${firstTimeS + 300},`), 'the time series is not embedded');
    assert.ok(html.includes(String(summary.resultHash)), 'the summary table is missing');
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'the report fetches something from the network');
    assert.doesNotMatch(html, /@import|fetch\(/);
  });

  it('plan writes the plan and its LP, and native glpsol finds the same optimum', async () => {
    const plan = join(dir, 'plan.json');
    const lp = join(dir, 'plan.lp');
    const result = await vpp('plan', twoDayScenario, '--at', '2022-09-06T06:00:00+10:00', '--out', plan, '--export-lp', lp);
    assert.equal(result.code, 0, result.stderr);
    const written = JSON.parse(readFileSync(plan, 'utf8')) as { lpObjectiveValue: number; at: string; setpointsKW: Record<string, number[]> };
    assert.equal(written.at, '2022-09-05T20:00:00.000Z');
    assert.equal(Object.keys(written.setpointsKW).length, 15);
    assert.ok(Math.abs(written.lpObjectiveValue) > 1, `objective ${written.lpObjectiveValue}: too small to compare meaningfully`);

    const solution = join(dir, 'glpsol.txt');
    // glpsol is native GLPK (apt: glpk-utils); CI installs it.
    await run('glpsol', ['--lp', lp, '-o', solution]);
    const report = readFileSync(solution, 'utf8');
    assert.match(report, /Status:\s+OPTIMAL/);
    const objective = Number(/Objective:\s+\S+\s*=\s*(\S+)/.exec(report)?.[1]);
    assert.ok(Number.isFinite(objective), `no objective in glpsol output:\n${report.slice(0, 500)}`);
    assert.ok(relDiff(objective, written.lpObjectiveValue) < 1e-6, `glpsol ${objective} vs plan ${written.lpObjectiveValue}`);
  });

  it('a missing data folder exits non-zero naming the folder', async () => {
    const missing = join(dir, 'no-such-data');
    for (const args of [['sim', shortScenario, '--out', join(dir, 'never'), '--data', missing], ['data', '--data', missing]]) {
      const result = await vpp(...args);
      assert.notEqual(result.code, 0);
      assert.ok(result.stderr.includes(missing), `stderr does not name ${missing}: ${result.stderr}`);
      assert.ok(!existsSync(join(dir, 'never')), 'sim wrote results without data');
    }
  });

  it('an invalid scenario exits non-zero naming the file and the field', async () => {
    const bad = writeScenario(dir, 'bad.json', { ...aemoScenario(1), market: { intervalMin: -5, price: { source: 'aemo' } } });
    const result = await vpp('sim', bad, '--out', join(dir, 'bad-out'));
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(bad), result.stderr);
    assert.match(result.stderr, /market\.intervalMin: .*(>0|positive|too small)/i);
  });

  it('a bad --at exits non-zero and says what was expected', async () => {
    const result = await vpp('plan', twoDayScenario, '--at', 'yesterday', '--out', join(dir, 'never.json'));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--at 'yesterday': expected an ISO-8601 time/);
  });

  it('data lists every loader as ok', async () => {
    const result = await vpp('data');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const checks = result.stdout.split('\n').filter((line) => /^(ok|FAIL)\s/.test(line));
    assert.deepEqual(checks.filter((line) => !line.startsWith('ok')), []);
    // One loader per recorded-data folder at least.
    for (const source of ['AEMO', 'epftoolbox PJM', 'epftoolbox Nord Pool', 'epftoolbox EPEX DE', 'CityLearn building', 'CityLearn time-of-use', 'CityLearn carbon', 'ACN', 'NREL', 'PJM synchronized reserve', 'German grid frequency', 'PJM RegA', 'PJM RegD']) {
      assert.ok(checks.some((line) => line.startsWith(`ok   ${source}`)), `no ok line for ${source}`);
    }
  });
});
