import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coordinatorConfigSchema, peerConfigSchema } from '../../nodes/config.js';
import { startCoordinator, startPeer } from '../../nodes/runtime.js';
import { generateKeyPair, saveKeyFile, toHex } from '../../protocol/keys.js';
import { aemoScenario, sydneyPvProfile, tempDir, writeScenario } from '../sim/helpers.js';
import { freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';
import { countBy, TestInfluxd } from './influxd.js';

const INTERVALS = 6;
/** A 5-minute interval per wall second. */
const SPEEDUP = 300;

describe('coordinator and peer nodes writing telemetry to a real influxd', () => {
  let influxd: TestInfluxd;
  let nats: ChildProcess;
  const dir = tempDir('node-telemetry');
  const events: Record<string, unknown>[] = [];
  let coordinatorId: string;

  before(async () => {
    const natsPort = await freePort();
    [influxd, nats] = await Promise.all([TestInfluxd.start(), startNatsServer(natsPort)]);
    const scenario = writeScenario(
      dir,
      'scenario.json',
      aemoScenario(1, {
        window: { start: '2022-09-05T06:00:00+10:00', end: `2022-09-05T06:${String(INTERVALS * 5).padStart(2, '0')}:00+10:00` },
        planning: { horizonH: 2, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 2, periodMin: 30 }] },
        fleet: {
          batteries: [{ name: 'b', count: 2, capacityKWh: 13.5, maxChargeKW: 5, maxDischargeKW: 5, feeder: 'feeder-a' }],
          pv: [{ name: 'pv', count: 1, sizeKW: 5, profile: sydneyPvProfile }],
        },
      }),
    );
    const coordinatorKey = generateKeyPair();
    coordinatorId = toHex(coordinatorKey.publicKey);
    saveKeyFile(join(dir, 'c0.json'), coordinatorKey);
    saveKeyFile(join(dir, 'p0.json'), generateKeyPair());
    const common = {
      networkId: 'telemetry-test',
      validators: [coordinatorId],
      transports: [{ kind: 'nats', servers: `nats://127.0.0.1:${natsPort}` }],
      scenario,
      clock: { speedup: SPEEDUP, wallStart: new Date(Date.now() + 4000).toISOString() },
      telemetry: { influx: { url: `${influxd.url}/nodes`, batchSize: 20, flushIntervalMs: 50 } },
    };
    const log = (event: Record<string, unknown>) => events.push(event);
    const coordinator = await startCoordinator(coordinatorConfigSchema.parse({ ...common, key: join(dir, 'c0.json') }), (e) => log({ ...e, role: 'coordinator' }));
    const peer = await startPeer(peerConfigSchema.parse({ ...common, key: join(dir, 'p0.json'), fleet: { index: 0, of: 1 } }), (e) => log({ ...e, role: 'peer' }));
    await Promise.all([coordinator.done, peer.done]);
  });
  after(async () => {
    await influxd?.stop();
    if (nats) await killProcess(nats);
  });

  test('the peer writes each DER every interval and what it followed; the coordinator its commits and plans', async () => {
    const intervals = events.filter((e) => e.event === 'interval');
    const commits = events.filter((e) => e.event === 'commit');
    // A node that starts late on a loaded machine joins mid-window: count what it saw.
    const n = intervals.length;
    assert.ok(n >= INTERVALS - 3 && commits.length >= INTERVALS - 4, `only ${n} intervals and ${commits.length} commits`);
    const followed = intervals.reduce((total, e) => total + (e.followed as number), 0);
    assert.ok(followed > 0, 'no DER followed a certified plan');
    const stopped = events.filter((e) => e.event === 'stopped');
    for (const e of stopped) assert.equal((e.telemetry as { droppedPoints: number }).droppedPoints, 0);

    const client = influxd.client('nodes');
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'der'), { 'b-1': n, 'b-2': n, 'pv-1': n });
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'feeder'), { 'feeder-a': 2 * n, '': n });
    assert.deepEqual(await countBy(client, 'der', 'state', 'owner'), { 'owner-b-1': n, 'owner-b-2': n, 'owner-pv-1': n });
    // Plans: the peer's (tagged by DER owner, no node) and the coordinator's (tagged by node).
    const ders = commits.reduce((total, e) => total + (e.ders as number), 0);
    assert.deepEqual(await countBy(client, 'plan', 'setpointKW', 'node'), { [coordinatorId]: ders, '': followed });
    assert.deepEqual(await countBy(client, 'commit', 'height', 'node'), { [coordinatorId]: commits.length });
    const logged = commits.map((e) => e.planHash).sort();
    const stored = (await client.query<{ planHash: string }>(`SELECT "planHash" FROM "commit"`)).map((r) => r.planHash).sort();
    assert.deepEqual(stored, logged);
    const peerStats = stopped.find((e) => e.role === 'peer')!.telemetry as { pointsWritten: number };
    assert.equal(peerStats.pointsWritten, 3 * n + followed);
  });
});
