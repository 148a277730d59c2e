import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNodeConfig, NodeConfigError, peerConfigSchema } from '../../nodes/config.js';
import { runSimulation } from '../../sim/run.js';
import { parseScenario, ScenarioError } from '../../sim/scenario.js';
import { influxTarget, parseInfluxConfig, TelemetryConfigError, withInfluxUrl } from '../../telemetry/index.js';
import { aemoScenario, tempDir } from '../sim/helpers.js';

const withTelemetry = (influx: Record<string, unknown>) => aemoScenario(1, { telemetry: { influx } });

test('a bad telemetry block in a scenario names the field and what was expected', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ url: 'localhost:8086' }, /telemetry\.influx\.url: expected an http:\/\/ or https:\/\/ URL/],
    [{ url: 'http://127.0.0.1:8086', batchSize: 0 }, /telemetry\.influx\.batchSize: .*>0|telemetry\.influx\.batchSize: Too small/i],
    [{ url: 'http://127.0.0.1:8086', batchSize: 500, bufferPoints: 100 }, /telemetry\.influx\.bufferPoints: must be at least batchSize/],
    [{ url: 'http://127.0.0.1:8086', retentionPolicy: { duration: '30 days' } }, /telemetry\.influx\.retentionPolicy\.duration: expected INF or an InfluxQL duration/],
    [{ url: 'http://127.0.0.1:8086/a', database: 'b' }, /telemetry\.influx\.database: names another database than url's path/],
    [{ url: 'http://127.0.0.1:8086/a b' }, /telemetry\.influx\.url: the path \(database name\) must be/],
    [{ url: 'http://127.0.0.1:8086', batchsize: 10 }, /telemetry\.influx: Unrecognized key.*batchsize/],
  ];
  for (const [influx, expected] of cases) {
    assert.throws(() => parseScenario(withTelemetry(influx), 'bad.yaml'), (error: Error) => error instanceof ScenarioError && expected.test(error.message) && error.message.startsWith('bad.yaml'), JSON.stringify(influx));
  }
});

test('a node config with a bad telemetry block names the file and the field', () => {
  const dir = tempDir('telemetry-config');
  const path = join(dir, 'peer.json');
  const config = { networkId: 'n', key: 'k.json', validators: ['0'.repeat(64)], transports: [{ kind: 'nats' }], scenario: 's.yaml', fleet: { index: 0, of: 1 }, telemetry: { influx: { url: 'udp://x:8089' } } };
  writeFileSync(path, JSON.stringify(config));
  assert.throws(() => loadNodeConfig(path, peerConfigSchema), (error: Error) => error instanceof NodeConfigError && error.message.includes(path) && /telemetry\.influx\.url: expected an http/.test(error.message));
});

test('--influx replaces the URL; its path, when it has one, names the database', () => {
  const configured = parseInfluxConfig({ url: 'http://10.0.0.1:8086', database: 'ops', batchSize: 50 }, 'telemetry.influx');
  assert.deepEqual(influxTarget(withInfluxUrl(configured, 'http://127.0.0.1:9999', '--influx')), { baseUrl: 'http://127.0.0.1:9999', database: 'ops' });
  const moved = withInfluxUrl(configured, 'https://db.example:8443/sim', '--influx');
  assert.deepEqual(influxTarget(moved), { baseUrl: 'https://db.example:8443', database: 'sim' });
  assert.equal(moved.batchSize, 50);
  assert.deepEqual(influxTarget(withInfluxUrl(undefined, 'http://h:8086', '--influx')), { baseUrl: 'http://h:8086', database: 'vpp' });
  assert.throws(() => withInfluxUrl(undefined, 'ftp://h/db', '--influx'), (error: Error) => error instanceof TelemetryConfigError && /--influx 'ftp:\/\/h\/db': expected an http/.test(error.message));
});

test('a simulation with a bad --influx stops before it runs, naming the flag', async () => {
  await assert.rejects(runSimulation(parseScenario(aemoScenario(1), 'ok'), { scenarioDir: process.cwd(), influx: 'localhost:8086' }), (error: Error) => error instanceof TelemetryConfigError && /--influx 'localhost:8086'/.test(error.message));
});
