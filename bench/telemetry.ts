/**
 * Telemetry into a real influxd (its own, on free ports): points per second through `InfluxSink`
 * one point per request beside batches of 100 and 5,000, and what writing a simulation's telemetry
 * costs its VPP pass (the same short scenario with and without it, same result hash).
 */
import { performance } from 'node:perf_hooks';
import { runSimulation } from '../sim/run.js';
import { parseScenario } from '../sim/scenario.js';
import { InfluxSink, parseInfluxConfig, point } from '../telemetry/index.js';
import { aemoScenario } from '../test/sim/helpers.js';
import { TestInfluxd } from '../test/telemetry/influxd.js';
import { fmtInt, fmtRatio, formatTable, median } from './table.js';

/** One measured case. */
export interface TelemetryBenchRow {
  case: string;
  batchSize?: number;
  points: number;
  seconds: number;
  pointsPerS: number;
  /** The simulation case: VPP pass wall time without / with telemetry, s, and whether the results agree. */
  passS?: { without: number; with: number; sameResultHash: boolean };
}

const T0_MS = Date.parse('2022-09-05T00:00:00Z');
// Points per case: one per request is ~1,000× slower than batches, so it writes fewer.
const WRITE_CASES: readonly { batchSize: number; points: number }[] = [
  { batchSize: 1, points: 2_000 },
  { batchSize: 100, points: 50_000 },
  { batchSize: 5_000, points: 200_000 },
];
// Runs with and without telemetry take turns this many times: on shared cores one pair is noise.
const SIM_ROUNDS = 3;

/** `der`-shaped points of 100 DERs, one per DER per 5-minute interval. */
function derPoints(count: number): ReturnType<typeof point>[] {
  return Array.from({ length: count }, (_, k) =>
    point('der', { der: `b-${k % 100}`, owner: `owner-b-${k % 100}`, kind: 'battery', feeder: `f${k % 7}` }, T0_MS + Math.floor(k / 100) * 300_000, { powerKW: (k % 11) - 5, setpointKW: (k % 9) - 4, socFrac: (k % 100) / 100, energyKWh: k % 13 }),
  );
}

export async function benchTelemetry(): Promise<{ table: string; rows: TelemetryBenchRow[] }> {
  const influxd = await TestInfluxd.start();
  const rows: TelemetryBenchRow[] = [];
  try {
    for (const { batchSize, points } of WRITE_CASES) {
      const sink = new InfluxSink(parseInfluxConfig({ url: `${influxd.url}/bench${batchSize}`, batchSize, bufferPoints: points, flushIntervalMs: 10 }, 'bench'));
      // The database and its retention policy are set up by a first write, outside the timing.
      sink.write(derPoints(1));
      await sink.flush();
      const batch = derPoints(points);
      const startedMs = performance.now();
      sink.write(batch);
      await sink.close();
      const seconds = (performance.now() - startedMs) / 1000;
      const stats = sink.stats();
      if (stats.pointsWritten !== points + 1 || stats.droppedPoints !== 0) throw new Error(`bench telemetry: batch ${batchSize} wrote ${JSON.stringify(stats)}`);
      rows.push({ case: `InfluxSink, batch ${fmtInt(batchSize)}`, batchSize, points, seconds, pointsPerS: points / seconds });
    }
    const scenario = (telemetry?: unknown) =>
      parseScenario(
        aemoScenario(1, {
          window: { start: '2022-09-05T04:00:00+10:00', end: '2022-09-05T10:00:00+10:00' },
          planning: { horizonH: 4, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 4, periodMin: 30 }] },
          consensus: { transport: 'direct' },
          ...(telemetry ? { telemetry } : {}),
        }),
        'bench telemetry',
      );
    const options = { scenarioDir: process.cwd() };
    // A first run warms the solver up.
    const reference = await runSimulation(scenario(), options);
    const vppS = { without: [] as number[], with: [] as number[] };
    let written = 0;
    let sameResultHash = true;
    for (let round = 0; round < SIM_ROUNDS; round++) {
      for (const telemetry of [undefined, { influx: { url: `${influxd.url}/sim${round}` } }]) {
        const result = await runSimulation(scenario(telemetry), options);
        (telemetry ? vppS.with : vppS.without).push((result.summary.passS as { vpp: number }).vpp);
        if (telemetry) written = (result.summary.telemetry as { pointsWritten: number }).pointsWritten;
        sameResultHash &&= result.summary.resultHash === reference.summary.resultHash;
      }
    }
    const passS = { without: median(vppS.without), with: median(vppS.with), sameResultHash };
    rows.push({ case: `simulation (15 DERs × 72 intervals, direct; median of ${SIM_ROUNDS})`, points: written, seconds: passS.with, pointsPerS: written / passS.with, passS });
  } finally {
    await influxd.stop();
  }
  const unbatched = rows[0].pointsPerS;
  const table = formatTable(
    ['case', 'points', 's', 'points/s', 'vs batch 1', 'VPP pass s without → with'],
    rows.map((r) => [
      r.case,
      fmtInt(r.points),
      r.seconds.toFixed(2),
      fmtInt(r.pointsPerS),
      r.batchSize === undefined ? '' : fmtRatio(r.pointsPerS / unbatched),
      r.passS ? `${r.passS.without.toFixed(2)} → ${r.passS.with.toFixed(2)}${r.passS.sameResultHash ? ' (same resultHash)' : ' (RESULT HASH DIFFERS)'}` : '',
    ]),
  );
  return { table, rows };
}
