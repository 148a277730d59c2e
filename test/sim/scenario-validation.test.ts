import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScenarioError, loadScenario } from '../../sim/scenario.js';
import { planCommand } from '../../cli/commands.js';
import { aemoScenario, tempDir, writeScenario } from './helpers.js';

const dir = tempDir('scenario');

/** The ScenarioError `loadScenario` throws for `scenario` written to `name`, with the file's path. */
function loadError(name: string, scenario: unknown): { error: ScenarioError; path: string } {
  const path = writeScenario(dir, name, scenario);
  try {
    loadScenario(path);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
    assert.equal(error.code, 'VPP_ERR_SCENARIO');
    return { error, path };
  }
  assert.fail(`${name}: loadScenario accepted an invalid scenario`);
}

describe('scenario validation', () => {
  it('accepts the valid base scenario and fills defaults', () => {
    const scenario = loadScenario(writeScenario(dir, 'valid.json', aemoScenario(1)));
    assert.equal(scenario.planning.strategy, 'aggregate');
    assert.equal(scenario.fleet.batteries[0].minSocFrac, 0.1);
  });

  it('a wrong field type names the file, the field path and the expected type', () => {
    const base = aemoScenario(1);
    const { error, path } = loadError('wrong-type.json', { ...base, market: { ...(base.market as object), intervalMin: 'five' } });
    assert.match(error.message, new RegExp(escape(path)));
    assert.match(error.message, /market\.intervalMin/);
    assert.match(error.message, /expected number/);
  });

  it('a nested wrong type names the array index in the path', () => {
    const base = aemoScenario(1);
    const fleet = base.fleet as { batteries: Record<string, unknown>[] };
    const batteries = [{ ...fleet.batteries[0], count: 2.5 }];
    const { error } = loadError('nested.json', { ...base, fleet: { ...fleet, batteries } });
    assert.match(error.message, /fleet\.batteries\.0\.count/);
    assert.match(error.message, /int/i);
  });

  it('an unknown field names the field and where it is', () => {
    const base = aemoScenario(1);
    const fleet = base.fleet as { batteries: Record<string, unknown>[] };
    const batteries = [{ ...fleet.batteries[0], colour: 'red' }];
    const { error, path } = loadError('unknown.json', { ...base, fleet: { ...fleet, batteries } });
    assert.match(error.message, new RegExp(escape(path)));
    assert.match(error.message, /fleet\.batteries\.0/);
    assert.match(error.message, /colour/);
  });

  it('a missing required field names it and what was expected', () => {
    const { currency: _dropped, ...base } = aemoScenario(1);
    const { error, path } = loadError('missing.json', base);
    assert.match(error.message, new RegExp(escape(path)));
    assert.match(error.message, /currency: .*expected string/);
  });

  it('a window time without a zone offset is rejected with the expected form', () => {
    const { error } = loadError('no-zone.json', { ...aemoScenario(1), window: { start: '2022-09-05T00:00:00', end: '2022-09-06T00:00:00+10:00' } });
    assert.match(error.message, /window\.start/);
    assert.match(error.message, /zone offset/);
  });

  it('a window in basic or week ISO form means the same instants as the extended form', () => {
    const extended = loadScenario(writeScenario(dir, 'extended.json', aemoScenario(1)));
    const basic = loadScenario(writeScenario(dir, 'basic.json', { ...aemoScenario(1), window: { start: '20220905T000000+10:00', end: '2022-W36-2T00:00+10:00' } }));
    assert.equal(Date.parse(basic.window.start), Date.parse(extended.window.start));
    assert.equal(Date.parse(basic.window.end), Date.parse(extended.window.end));
  });

  it('a window that is not a whole number of intervals is rejected', () => {
    const { error, path } = loadError('ragged.json', { ...aemoScenario(1), window: { start: '2022-09-05T00:00:00+10:00', end: '2022-09-05T01:07:00+10:00' } });
    assert.match(error.message, new RegExp(escape(path)));
    assert.match(error.message, /window length must be a whole number of market\.intervalMin/);
  });

  it('YAML syntax errors name the file', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'name: [unclosed\n');
    assert.throws(() => loadScenario(path), (error: unknown) => error instanceof ScenarioError && error.message.includes(path) && /YAML/.test(error.message));
  });

  it('a missing scenario file is a ScenarioError naming the file', () => {
    const path = join(dir, 'nope.yaml');
    assert.throws(() => loadScenario(path), (error: unknown) => error instanceof ScenarioError && error.message.includes(path));
  });
});

describe('plan --at validation', () => {
  const path = writeScenario(dir, 'plan.json', aemoScenario(1));
  const out = join(dir, 'plan-out.json');
  for (const [at, why] of [
    ['tomorrow', /expected an ISO-8601 time/],
    ['2022-09-05T08:00:00', /expected an ISO-8601 time/], // no zone: ambiguous
    ['2022-09-05T08:02:00+10:00', /interval start inside the scenario window/],
    ['2022-09-07T08:00:00+10:00', /interval start inside the scenario window/],
  ] as const) {
    it(`rejects --at ${at}`, async () => {
      await assert.rejects(planCommand(path, { at, out }), (error: unknown) => {
        assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
        assert.match(error.message, new RegExp(`--at '?${escape(at)}`));
        assert.match(error.message, why);
        return true;
      });
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
