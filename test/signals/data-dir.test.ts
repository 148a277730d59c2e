import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dataFile, resolveDataDir } from '../../sim/signals/data-dir.js';
import { DataMissingError } from '../../sim/signals/errors.js';
import { loadAemoPriceDemand } from '../../sim/signals/aemo.js';

function withEnvAndCwd<T>(env: string | undefined, cwd: string, fn: () => T): T {
  const savedEnv = process.env.VPP_DATA;
  const savedCwd = process.cwd();
  if (env === undefined) delete process.env.VPP_DATA;
  else process.env.VPP_DATA = env;
  process.chdir(cwd);
  try {
    return fn();
  } finally {
    process.chdir(savedCwd);
    if (savedEnv === undefined) delete process.env.VPP_DATA;
    else process.env.VPP_DATA = savedEnv;
  }
}

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'vpp-data-dir-')));
const project = path.join(root, 'project');
const shared = path.join(root, 'shared', 'data');
mkdirSync(project);
mkdirSync(shared, { recursive: true });
const other = path.join(root, 'other');
mkdirSync(path.join(other, 'inner'), { recursive: true });

test('resolveDataDir: flag beats env beats ../shared/data', () => {
  withEnvAndCwd(other, project, () => {
    assert.equal(resolveDataDir(shared), shared);
    assert.equal(resolveDataDir(), other);
  });
  withEnvAndCwd(undefined, project, () => assert.equal(resolveDataDir(), shared));
});

test('resolveDataDir: a flag or env naming a missing folder says which setting was wrong', () => {
  withEnvAndCwd(undefined, project, () => {
    assert.throws(() => resolveDataDir(path.join(root, 'nope')), (e: unknown) => e instanceof DataMissingError && /--data /.test(e.message) && e.message.includes('nope'));
  });
  withEnvAndCwd(path.join(root, 'nope-env'), project, () => {
    assert.throws(() => resolveDataDir(), (e: unknown) => e instanceof DataMissingError && /VPP_DATA/.test(e.message) && e.message.includes('nope-env'));
  });
});

test('resolveDataDir: nothing found names every place looked and how to set it', () => {
  withEnvAndCwd(undefined, path.join(other, 'inner'), () => {
    assert.throws(
      () => resolveDataDir(),
      (e: unknown) =>
        e instanceof DataMissingError &&
        e.code === 'VPP_ERR_DATA_MISSING' &&
        e.message.includes(path.join(other, 'shared', 'data')) &&
        /--data /.test(e.message) &&
        /VPP_DATA=/.test(e.message),
    );
  });
});

test('dataFile and loaders name the missing file and the folder', () => {
  assert.throws(
    () => dataFile(shared, 'x/missing.csv'),
    (e: unknown) => e instanceof DataMissingError && e.message.includes('"x/missing.csv"') && e.message.includes(shared),
  );
  assert.throws(() => loadAemoPriceDemand(shared), (e: unknown) => e instanceof DataMissingError && e.message.includes('PRICE_AND_DEMAND_202209_NSW1.csv'));
});
