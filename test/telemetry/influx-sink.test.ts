import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { InfluxSink, parseInfluxConfig, point, serviceScorePoint, type InfluxStatus, type TelemetryPoint } from '../../telemetry/index.js';
import { freePort } from '../transport/net-helpers.js';
import { countBy, TestInfluxd } from './influxd.js';

const T0_MS = Date.parse('2022-09-05T00:00:00Z');

/** `n` distinct points of measurement `m` (distinct times: InfluxDB keeps one point per series and time). */
function points(m: string, n: number, fromIndex = 0): TelemetryPoint[] {
  return Array.from({ length: n }, (_, k) => point(m, { der: `d${(fromIndex + k) % 3}` }, T0_MS + (fromIndex + k) * 1000, { powerKW: fromIndex + k }));
}

describe('InfluxSink against a real influxd', () => {
  let influxd: TestInfluxd;
  before(async () => {
    influxd = await TestInfluxd.start();
  });
  after(async () => {
    await influxd?.stop();
  });

  test('creates the database and its retention policy, writes in batches of batchSize, stamps ms, adds the configured tags', async () => {
    const sink = new InfluxSink(parseInfluxConfig({ url: `${influxd.url}/batches`, batchSize: 100, retentionPolicy: { name: 'keep', duration: '520w' }, tags: { run: 'r1' } }, 'test'));
    sink.write(points('der', 250));
    sink.write([serviceScorePoint('pjm-regulation', T0_MS, { accuracy: 0.9, delay: 1, precision: 0.8, score: 0.9 }, { der: 'd0' })]);
    await sink.close();
    assert.deepEqual(sink.stats(), { pointsWritten: 251, pointsRetried: 0, droppedPoints: 0, rejectedPoints: 0, bufferedPoints: 0, failedWrites: 0 });
    const client = influxd.client('batches');
    const policies = await client.showRetentionPolicies('batches');
    const keep = policies.find((p) => p.name === 'keep');
    assert.ok(keep, `retention policy 'keep' missing: ${JSON.stringify(policies)}`);
    assert.equal(keep.duration, '87360h0m0s');
    assert.equal(keep.default, true);
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'der'), { d0: 84, d1: 83, d2: 83 });
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'run'), { r1: 250 });
    const [first] = await client.queryRaw(`SELECT "powerKW" FROM "der" ORDER BY time ASC LIMIT 2`, { precision: 'ms' }).then((r: { results: { series: { values: [number, number][] }[] }[] }) => r.results[0].series);
    assert.deepEqual(first.values, [[T0_MS, 0], [T0_MS + 1000, 1]]);
    const scores = await client.query<{ score: number; service: string }>(`SELECT "score", "service" FROM "service_score"`);
    assert.deepEqual(scores.map((r) => [r.service, r.score]), [['pjm-regulation', 0.9]]);
  });

  test('a partial batch goes out after flushIntervalMs, without a flush', async () => {
    const sink = new InfluxSink(parseInfluxConfig({ url: `${influxd.url}/interval`, batchSize: 1000, flushIntervalMs: 50 }, 'test'));
    sink.write(points('fleet', 7));
    const deadline = Date.now() + 5000;
    while (sink.stats().pointsWritten < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sink.stats().pointsWritten, 7);
    assert.deepEqual(await countBy(influxd.client('interval'), 'fleet', 'powerKW'), { '': 7 });
    await sink.close();
  });

  test('flush waits for the points written before it, not for those a producer keeps adding', async () => {
    const sink = new InfluxSink(parseInfluxConfig({ url: `${influxd.url}/mark`, batchSize: 1000, flushIntervalMs: 60_000 }, 'test'));
    sink.write(points('der', 5));
    const flushed = sink.flush();
    sink.write(points('der', 5, 5));
    await flushed;
    assert.deepEqual({ written: sink.stats().pointsWritten, buffered: sink.stats().bufferedPoints }, { written: 5, buffered: 5 });
    await sink.close();
    assert.deepEqual({ written: sink.stats().pointsWritten, buffered: sink.stats().bufferedPoints }, { written: 10, buffered: 0 });
  });

  test('a tiny buffer while influxd is down: exactly the overflow is dropped, the rest arrives once it is back', async () => {
    const statuses: InfluxStatus[] = [];
    const config = parseInfluxConfig({ url: `${influxd.url}/overflow`, batchSize: 10, bufferPoints: 50, flushIntervalMs: 10, retryInitialMs: 20, retryMaxMs: 100 }, 'test');
    const sink = new InfluxSink(config, { onStatus: (status) => statuses.push(status) });
    sink.write(points('der', 20));
    await sink.flush();
    await influxd.kill();
    sink.write(points('der', 80, 20));
    assert.deepEqual({ buffered: sink.stats().bufferedPoints, dropped: sink.stats().droppedPoints }, { buffered: 50, dropped: 30 });
    // Let a few attempts fail before the database comes back.
    const deadline = Date.now() + 5000;
    while (sink.stats().failedWrites < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(sink.stats().failedWrites >= 3, `expected failed writes while influxd is down, got ${JSON.stringify(sink.stats())}`);
    await influxd.launch();
    await sink.close();
    const stats = sink.stats();
    assert.equal(stats.droppedPoints, 30);
    assert.equal(stats.pointsWritten, 70);
    assert.ok(stats.pointsRetried >= 10, `the first batch was resent: ${JSON.stringify(stats)}`);
    assert.deepEqual(await countBy(influxd.client('overflow'), 'der', 'powerKW'), { '': 70 });
    // The 50 kept are the first ones written while down (points 20…69); 70…99 were dropped.
    const newest = await influxd.client('overflow').query<{ max: number }>(`SELECT MAX("powerKW") AS "max" FROM "der"`);
    assert.equal(newest[0].max, 69);
    assert.deepEqual(statuses.map((s) => s.up), [false, true]);
    assert.match(statuses[0].error ?? '', /ECONNREFUSED|socket|connect/i);
  });

  test('points the database refuses (older than the retention policy) are counted as rejected, never resent', async () => {
    const sink = new InfluxSink(parseInfluxConfig({ url: `${influxd.url}/refused`, batchSize: 10, retentionPolicy: { duration: '1h' } }, 'test'));
    // Two points now, three from 2022: the latter lie beyond a 1-hour policy.
    const nowMs = Date.now();
    sink.write([point('der', {}, nowMs, { powerKW: 1 }), point('der', {}, nowMs - 1000, { powerKW: 2 }), ...points('der', 3)]);
    await sink.close();
    const stats = sink.stats();
    assert.deepEqual({ written: stats.pointsWritten, rejected: stats.rejectedPoints, retried: stats.pointsRetried, dropped: stats.droppedPoints }, { written: 2, rejected: 3, retried: 0, dropped: 0 });
    assert.match(stats.lastError ?? '', /beyond retention policy/);
    assert.deepEqual(await countBy(influxd.client('refused'), 'der', 'powerKW'), { '': 2 });
  });
});

test('with no database at all, writes never throw and close gives up after closeTimeoutMs, counting what is left as dropped', async () => {
  const port = await freePort();
  const sink = new InfluxSink(parseInfluxConfig({ url: `http://127.0.0.1:${port}/none`, batchSize: 5, retryInitialMs: 10, retryMaxMs: 40, closeTimeoutMs: 300 }, 'test'));
  sink.write(points('der', 12));
  const startedMs = Date.now();
  await sink.close();
  const elapsedMs = Date.now() - startedMs;
  assert.ok(elapsedMs >= 250 && elapsedMs < 3000, `close took ${elapsedMs} ms`);
  sink.write(points('der', 2, 12));
  const stats = sink.stats();
  assert.deepEqual({ written: stats.pointsWritten, dropped: stats.droppedPoints, buffered: stats.bufferedPoints }, { written: 0, dropped: 14, buffered: 0 });
  assert.ok(stats.failedWrites >= 2);
});
