/**
 * Round time with 1,000 and 10,000 DER offers: 4 coordinators on an in-memory hub (all in this
 * process, so their work adds up on one core), offers of the bench scenario's fleet signed by sites
 * of 100 DERs each. Measured: admitting every offer envelope at every coordinator (signature,
 * schema, freshness; each coordinator checks every envelope itself), then one height from start to the last coordinator's decision: the proposer plans
 * (aggregate LP, glpk), three validators each re-solve and compare, one after another on this core
 * (on separate machines they would run in parallel), then prevote and precommit.
 */
import { performance } from 'node:perf_hooks';
import { Coordinator } from '../nodes/coordinator.js';
import { PlanMaker } from '../nodes/planning.js';
import { EnvelopeSigner } from '../protocol/envelope.js';
import { keyPairFromSeed } from '../protocol/keys.js';
import { MemoryHub, MemoryTransport } from '../protocol/transport/index.js';
import { DEFAULT_SOLVER, planningSettings } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import { createLpBackend } from '../solver/backend.js';
import { createPlanner } from '../solver/planner.js';
import { benchPlanRequest, prepareBenchRun } from './fleet.js';
import { fmtInt, fmtMs, formatTable } from './table.js';

const DER_COUNTS = [1_000, 10_000];
const VALIDATORS = 4;
const DERS_PER_SITE = 100;
const NETWORK = 'bench-round';

/** One measured case. */
export interface RoundTimeRow {
  ders: number;
  sites: number;
  offerBytes: number;
  /** All envelopes admitted by all coordinators, wall ms. */
  admitMs: number;
  /** startHeight to the last coordinator's decision, wall ms. */
  roundMs: number;
  decided: number;
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > until) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

async function measure(base: Scenario, ders: number): Promise<RoundTimeRow> {
  const run = prepareBenchRun(base, ders);
  const request = benchPlanRequest(run, run.newFleet(), run.blocks);
  const backend = await createLpBackend(DEFAULT_SOLVER);
  const planner = createPlanner({ backend, strategy: 'aggregate', socBucketFrac: run.scenario.planning.socBucketFrac });
  const hub = new MemoryHub();
  const clock = () => run.grid.startMs;
  const keys = Array.from({ length: VALIDATORS }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));
  const transports = keys.map((_, i) => new MemoryTransport({ name: `coordinator-${i}`, network: NETWORK, hub, maxPayloadBytes: 64 * 1024 * 1024 }));
  const decided = new Set<number>();
  const coordinators = keys.map(
    (keyPair, i) =>
      new Coordinator({
        transport: transports[i],
        networkId: NETWORK,
        keyPair,
        validators: keys.map((k) => k.publicKey),
        grid: { originMs: run.grid.startMs, intervalMs: run.grid.intervalMs },
        horizonIntervals: run.horizonIntervals,
        // Each validator its own plan maker: the three re-solves really run (one after another on this core).
        planMaker: new PlanMaker(planner, planningSettings(run), () => request.pricePerMWh),
        clock,
        onDecide: () => decided.add(i),
      }),
  );
  const sitesTransport = new MemoryTransport({ name: 'sites', network: NETWORK, hub, maxPayloadBytes: 64 * 1024 * 1024 });
  for (const t of [...transports, sitesTransport]) await t.start();
  for (const c of coordinators) c.start();
  const envelopes: Uint8Array[] = [];
  for (let s = 0; s * DERS_PER_SITE < request.offers.length; s++) {
    const signer = new EnvelopeSigner({ networkId: NETWORK, keyPair: keyPairFromSeed(Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? 200 : k === 1 ? s & 255 : k === 2 ? s >> 8 : 0))), clock });
    envelopes.push(signer.seal({ v: 1, type: 'offer', offers: request.offers.slice(s * DERS_PER_SITE, (s + 1) * DERS_PER_SITE) }));
  }
  const admitStart = performance.now();
  for (const envelope of envelopes) await sitesTransport.publish('offers', envelope);
  await waitFor(() => coordinators.every((c) => c.offerSenders(run.grid.startMs) === envelopes.length), 120_000);
  const admitMs = performance.now() - admitStart;
  const roundStart = performance.now();
  for (const c of coordinators) c.startHeight(0);
  await waitFor(() => decided.size === VALIDATORS, 120_000);
  const roundMs = performance.now() - roundStart;
  for (const c of coordinators) c.stop();
  for (const t of [...transports, sitesTransport]) await t.stop();
  return { ders, sites: envelopes.length, offerBytes: envelopes.reduce((s, e) => s + e.length, 0), admitMs, roundMs, decided: decided.size };
}

/** Runs every case; returns the rows and a printable table. */
export async function benchRoundTime(base: Scenario): Promise<{ rows: RoundTimeRow[]; table: string }> {
  const rows: RoundTimeRow[] = [];
  for (const ders of DER_COUNTS) rows.push(await measure(base, ders));
  const table = formatTable(
    ['DER offers', 'site envelopes', 'offer MB', 'admit at 4 coordinators', 'round (plan, 3 re-solves in turn, votes)', 'decided'],
    rows.map((r) => [fmtInt(r.ders), fmtInt(r.sites), (r.offerBytes / 1e6).toFixed(2), fmtMs(r.admitMs), fmtMs(r.roundMs), `${r.decided}/${VALIDATORS}`]),
  );
  return { rows, table };
}
