import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { runSimulation, type RunResult } from '../../sim/run.js';
import { parseScenario, type Scenario } from '../../sim/scenario.js';
import { aemoScenario, sydneyPvProfile } from '../sim/helpers.js';
import { countBy, TestInfluxd } from './influxd.js';

/** Four hours of AEMO prices through the protocol (one coordinator, 2 peers, in memory): 48 intervals × 6 DERs. */
function scenario(telemetry?: Record<string, unknown>): Scenario {
  return parseScenario(
    aemoScenario(1, {
      window: { start: '2022-09-05T04:00:00+10:00', end: '2022-09-05T08:00:00+10:00' },
      planning: { horizonH: 4, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 4, periodMin: 30 }] },
      fleet: {
        batteries: [{ name: 'b', count: 4, capacityKWh: { choice: [10, 13.5] }, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: { uniform: [0.3, 0.7] }, feeder: 'feeder-a' }],
        pv: [{ name: 'pv', count: 2, sizeKW: { uniform: [3, 8] }, profile: sydneyPvProfile }],
      },
      consensus: { transport: 'memory', validators: 1, peers: 2 },
      ...(telemetry ? { telemetry } : {}),
    }),
    'telemetry scenario',
  );
}
const INTERVALS = 48;
const DERS = 6;
const options = { scenarioDir: process.cwd() };

describe('a simulation writing telemetry to a real influxd', () => {
  let influxd: TestInfluxd;
  let plain: RunResult;
  before(async () => {
    influxd = await TestInfluxd.start();
    plain = await runSimulation(scenario(), options);
  });
  after(async () => {
    await influxd?.stop();
  });

  test('every interval lands with the right tags and counts; the results are those of the run without telemetry', async () => {
    const result = await runSimulation(scenario({ influx: { url: `${influxd.url}/sim`, batchSize: 100 } }), options);
    assert.equal(result.summary.resultHash, plain.summary.resultHash);
    assert.equal('telemetry' in plain.summary, false);
    const consensus = result.summary.consensus as { uncertifiedDerIntervals: number; commits: number };
    assert.equal(consensus.commits, INTERVALS);
    const planPoints = DERS * INTERVALS - consensus.uncertifiedDerIntervals;
    const expectedTotal = DERS * INTERVALS + 2 * INTERVALS + planPoints;
    assert.deepEqual(result.summary.telemetry, { sink: 'influx', database: 'sim', pointsWritten: expectedTotal, pointsRetried: 0, droppedPoints: 0, rejectedPoints: 0, failedWrites: 0 });

    const client = influxd.client('sim');
    assert.deepEqual((await client.getMeasurements()).sort(), ['der', 'fleet', 'plan', 'signal']);
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'kind'), { battery: 4 * INTERVALS, pv: 2 * INTERVALS });
    // Batteries sit on a feeder in the scenario, PV does not: its points carry no feeder tag.
    assert.deepEqual(await countBy(client, 'der', 'powerKW', 'feeder'), { 'feeder-a': 4 * INTERVALS, '': 2 * INTERVALS });
    const perDer = await countBy(client, 'der', 'powerKW', 'der');
    assert.deepEqual(Object.keys(perDer).sort(), ['b-1', 'b-2', 'b-3', 'b-4', 'pv-1', 'pv-2']);
    assert.ok(Object.values(perDer).every((count) => count === INTERVALS), JSON.stringify(perDer));
    const owners = await client.query<{ owner: string; der: string; last: number }>(`SELECT LAST("powerKW") AS "last" FROM "der" GROUP BY "der", "owner"`);
    assert.deepEqual(owners.groups().map((g) => `${g.tags.der}:${g.tags.owner}`).sort(), ['b-1:owner-b-1', 'b-2:owner-b-2', 'b-3:owner-b-3', 'b-4:owner-b-4', 'pv-1:owner-pv-1', 'pv-2:owner-pv-2']);
    assert.deepEqual(await countBy(client, 'der', 'socFrac'), { '': 4 * INTERVALS });
    assert.deepEqual(await countBy(client, 'plan', 'setpointKW'), { '': planPoints });
    assert.deepEqual(await countBy(client, 'plan', 'planHash'), { '': planPoints });
    assert.deepEqual(await countBy(client, 'fleet', 'fleetPowerKW'), { '': INTERVALS });
    assert.deepEqual(await countBy(client, 'signal', 'pricePerMWh'), { '': INTERVALS });

    // The points are the run's own figures at its interval starts (virtual clock, UTC ms).
    const fleet = await client.queryRaw(`SELECT "fleetPowerKW" FROM "fleet" ORDER BY time ASC`, { precision: 'ms' });
    const values = (fleet as { results: { series: { values: [number, number][] }[] }[] }).results[0].series[0].values;
    assert.deepEqual(
      values.map(([timeMs]) => timeMs),
      result.records.map((r) => r.startMs),
    );
    values.forEach(([, powerKW], i) => assert.ok(Math.abs(powerKW - result.records[i].fleetPowerKW) < 1e-9, `interval ${i}: ${powerKW} vs ${result.records[i].fleetPowerKW}`));
    const signal = await client.query<{ pricePerMWh: number }>(`SELECT "pricePerMWh" FROM "signal" ORDER BY time ASC`);
    assert.deepEqual(signal.map((r) => r.pricePerMWh), result.records.map((r) => r.pricePerMWh));
    const hashes = await client.query<{ planHash: string }>(`SELECT "planHash" FROM "plan"`);
    assert.ok(hashes.every((r) => /^[0-9a-f]{64}$/.test(r.planHash)));
  });

  test('influxd killed mid-run and restarted on the same ports and data: every point is there, nothing dropped', async () => {
    let restarted: Promise<void> | undefined;
    let killed = false;
    // The scenario's URL is replaced by the run's (`vpp sim --influx`), which names the database too.
    const result = await runSimulation(scenario({ influx: { url: 'http://127.0.0.1:1/elsewhere', batchSize: 50, flushIntervalMs: 20, retryInitialMs: 20, retryMaxMs: 200, closeTimeoutMs: 30_000 } }), {
      ...options,
      influx: `${influxd.url}/outage`,
      onProgress: () => {
        // At the first interval done: the VPP pass (seconds long) has only begun; influxd is back a second later.
        if (!killed) {
          killed = true;
          restarted = influxd.kill().then(async () => {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            await influxd.launch();
          });
        }
      },
    });
    assert.ok(restarted, 'the run never reached the point where influxd is killed');
    await restarted;
    assert.equal(result.summary.resultHash, plain.summary.resultHash);
    const telemetry = result.summary.telemetry as { pointsWritten: number; droppedPoints: number; pointsRetried: number; failedWrites: number };
    const consensus = result.summary.consensus as { uncertifiedDerIntervals: number };
    const expectedTotal = 2 * DERS * INTERVALS + 2 * INTERVALS - consensus.uncertifiedDerIntervals;
    assert.equal(telemetry.droppedPoints, 0);
    assert.equal(telemetry.pointsWritten, expectedTotal);
    assert.ok(telemetry.failedWrites > 0 && telemetry.pointsRetried > 0, `the outage was not seen: ${JSON.stringify(telemetry)}`);
    const client = influxd.client('outage');
    const counted: [string, string][] = [['der', 'powerKW'], ['plan', 'setpointKW'], ['fleet', 'fleetPowerKW'], ['signal', 'pricePerMWh']];
    const counts = await Promise.all(counted.map(([measurement, field]) => countBy(client, measurement, field)));
    assert.deepEqual(
      counts.map((c) => c['']),
      [DERS * INTERVALS, DERS * INTERVALS - consensus.uncertifiedDerIntervals, INTERVALS, INTERVALS],
    );
  });
});
