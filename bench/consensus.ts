/**
 * Commit latency of the signed BFT round (`SignedRound`, engine default timeouts) for n = 4, 7 and
 * 16 validators over NATS (a nats-server started here) and over libp2p gossipsub (loopback TCP,
 * each node linked to its 3 predecessors and successors), all validators in this process. Every
 * height carries a real plan: the bench scenario's 150 DERs planned over its 38 planning blocks,
 * shifted onto the height's interval.
 */
import { performance } from 'node:perf_hooks';
import type { DispatchPlan } from '../protocol/plan.js';
import { SignedRound, type HeightGrid, type RoundValue } from '../protocol/round/index.js';
import type { Transport } from '../protocol/transport/index.js';
import { Libp2pTransport } from '../protocol/transport/libp2p.js';
import { NatsTransport } from '../protocol/transport/nats.js';
import { DEFAULT_SOLVER } from '../sim/run.js';
import { percentile } from '../sim/percentile.js';
import { createLpBackend } from '../solver/backend.js';
import { createPlanner } from '../solver/planner.js';
import { NETWORK_ID, validatorKey } from '../test/round/round-helpers.js';
import { freePort, killProcess, startNatsServer } from '../test/transport/net-helpers.js';
import type { Scenario } from '../sim/scenario.js';
import { benchPlanRequest, prepareBenchRun } from './fleet.js';
import { fmtInt, fmtMs, formatTable } from './table.js';
import { waitUntil } from './transport.js';

const VALIDATOR_COUNTS = [4, 7, 16];
const HEIGHTS = 30;
/** `SignedRound`'s default topic. */
const ROUND_TOPIC = 'consensus';
/** A case stops at this wall time even before {@link HEIGHTS} heights. */
const CASE_BUDGET_MS = 10_000;
const PLAN_DERS = 150;
/** libp2p nodes each dial this many predecessors. */
const LIBP2P_DIALS = 3;
/** gossipsub's default D_lo: a node's mesh is complete once it holds this many peers (or all it has). */
const GOSSIP_MESH_LOW = 4;
/** Two plans whose fleet power differs by less than this are the same to the validity check, kW. */
const FLEET_SUM_TOLERANCE_KW = 1e-6;

/** The two transports compared. */
export type ConsensusWire = 'nats' | 'libp2p';

/** One (transport, validator count) case. */
export interface ConsensusBenchRow {
  wire: ConsensusWire;
  validators: number;
  /** Heights every validator decided. */
  heights: number;
  /** Time from startHeight to the decision, at each validator and height, ms. */
  commitMsP50: number;
  commitMsP99: number;
  /** Decisions taken in a round above 0 (a proposer timed out). */
  roundChanges: number;
  /** Envelopes rejected by any validator (should be 0 here). */
  rejected: number;
  wallMs: number;
}

/** What the section returns to bench/run.ts. */
export interface ConsensusBenchResult {
  plan: { ders: number; periods: number };
  rows: ConsensusBenchRow[];
  table: string;
}

/** `plan` moved so its first period starts at `intervalStartMs`. */
function shiftPlan(plan: DispatchPlan, intervalStartMs: number): DispatchPlan {
  const offsetMs = intervalStartMs - plan.periods[0].startMs;
  return { ...plan, createdAtMs: plan.createdAtMs + offsetMs, periods: plan.periods.map((p) => ({ ...p, startMs: p.startMs + offsetMs })) };
}

/** The deterministic check each validator runs: on its interval, one setpoint per DER and period, fleet power = their sum. */
function planIsConsistent(plan: DispatchPlan, intervalStartMs: number, periods: number): boolean {
  if (plan.periods.length !== periods || plan.periods[0].startMs !== intervalStartMs) return false;
  const sums = new Array<number>(periods).fill(0);
  for (const setpoints of Object.values(plan.setpointsKW)) {
    if (setpoints.length !== periods) return false;
    for (let p = 0; p < periods; p++) sums[p] += setpoints[p];
  }
  return plan.fleetPowerKW.every((kw, p) => Math.abs(kw - sums[p]) <= FLEET_SUM_TOLERANCE_KW * Math.max(1, Math.abs(kw)));
}

/** Solves the bench scenario's first plan for {@link PLAN_DERS} DERs over its planning blocks. */
async function benchPlan(base: Scenario): Promise<{ plan: DispatchPlan; marketIntervalMs: number }> {
  const run = prepareBenchRun(base, PLAN_DERS);
  const planner = createPlanner({ backend: await createLpBackend(DEFAULT_SOLVER), strategy: base.planning.strategy });
  const { createdAtMs, periods, pricePerMWh, setpointsKW, fleetPowerKW, objectiveValue, solver } = planner.plan(benchPlanRequest(run, run.newFleet(), run.blocks));
  return { plan: { createdAtMs, periods, pricePerMWh, setpointsKW, fleetPowerKW, objectiveValue, solver }, marketIntervalMs: run.grid.intervalMs };
}

/** Runs one validator per transport until each decided {@link HEIGHTS} heights or the budget ends. */
async function runHeights(transports: Transport[], plan: DispatchPlan, grid: HeightGrid): Promise<Omit<ConsensusBenchRow, 'wire'>> {
  const n = transports.length;
  const validators = transports.map((_, i) => validatorKey(i).publicKey);
  const commitMs: number[] = [];
  const decidedCount = new Array<number>(n).fill(0);
  let roundChanges = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const startedAt = transports.map(() => new Map<number, number>());
  const begin = (i: number, height: number) => {
    startedAt[i].set(height, performance.now());
    rounds[i].startHeight(height);
  };
  const rounds: SignedRound[] = transports.map(
    (transport, i) =>
      new SignedRound({
        transport,
        networkId: NETWORK_ID,
        keyPair: validatorKey(i),
        validators,
        grid,
        getPlan: (_height, intervalStartMs): RoundValue => ({ plan: shiftPlan(plan, intervalStartMs), offerIds: [] }),
        validatePlan: (_height, intervalStartMs, value) => planIsConsistent(value.plan, intervalStartMs, plan.periods.length),
        onDecide: (decision) => {
          commitMs.push(performance.now() - startedAt[i].get(decision.height)!);
          if (decision.commit.round > 0) roundChanges++;
          decidedCount[i]++;
          if (decidedCount.every((c) => c >= HEIGHTS)) finish();
          if (decision.height + 1 < HEIGHTS) setImmediate(() => begin(i, decision.height + 1));
        },
      }),
  );
  const t0 = performance.now();
  for (const round of rounds) round.start();
  rounds.forEach((_, i) => begin(i, 0));
  let budgetTimer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (budgetTimer = setTimeout(resolve, CASE_BUDGET_MS)))]);
  clearTimeout(budgetTimer);
  const wallMs = performance.now() - t0;
  for (const round of rounds) round.stop();
  const rejected = rounds.reduce((sum, r) => sum + Object.values(r.stats().rejected).reduce((a, b) => a + (b ?? 0), 0), 0);
  return {
    validators: n,
    heights: Math.min(...decidedCount),
    commitMsP50: percentile(commitMs, 50),
    commitMsP99: percentile(commitMs, 99),
    roundChanges,
    rejected,
    wallMs,
  };
}

/**
 * Validators subscribe to the round's topic before the round starts (a no-op handler kept until the
 * transport stops), so height 0's opening messages reach everyone: the bench times heights, not joins.
 */
function preSubscribe(transports: Transport[], topic: string): void {
  for (const transport of transports) transport.subscribe(topic, () => {});
}

async function natsValidators(n: number, url: string, topic: string): Promise<Transport[]> {
  const transports = Array.from({ length: n }, (_, i) => new NatsTransport({ name: `validator-${i}`, network: NETWORK_ID, servers: url }));
  await Promise.all(transports.map((t) => t.start()));
  preSubscribe(transports, topic);
  await Promise.all(transports.map((t) => t.flush()));
  return transports;
}

/**
 * Each node dials the {@link LIBP2P_DIALS} nodes started just before it (degree ≤ 6, gossipsub's
 * mesh size: with many simultaneous dials some peers' subscriptions were never learnt). Resolves
 * once every node knows its neighbours' subscriptions and has them all in its gossipsub mesh.
 */
async function libp2pValidators(n: number, topic: string): Promise<Transport[]> {
  const nodes: Libp2pTransport[] = [];
  for (let i = 0; i < n; i++) {
    const bootstrap = nodes.slice(Math.max(0, i - LIBP2P_DIALS)).flatMap((p) => p.listenAddrs());
    const node = new Libp2pTransport({ name: `validator-${i}`, network: NETWORK_ID, bootstrap, redialIntervalMs: 500 });
    await node.start();
    nodes.push(node);
  }
  preSubscribe(nodes, topic);
  const degree = (i: number) => Math.min(i, LIBP2P_DIALS) + Math.min(n - 1 - i, LIBP2P_DIALS);
  await waitUntil(
    () => nodes.every((node, i) => node.connectedPeers().length >= degree(i) && node.topicPeers(topic).length >= degree(i) && node.meshPeers(topic).length >= Math.min(degree(i), GOSSIP_MESH_LOW)),
    `the libp2p mesh of ${n}`,
    20_000,
  );
  return nodes;
}

/** Runs every case and returns the rows and a printable table. */
export async function benchConsensus(base: Scenario): Promise<ConsensusBenchResult> {
  const { plan, marketIntervalMs } = await benchPlan(base);
  const grid: HeightGrid = { originMs: plan.periods[0].startMs, intervalMs: marketIntervalMs };
  const port = await freePort();
  const server = await startNatsServer(port);
  const rows: ConsensusBenchRow[] = [];
  try {
    for (const n of VALIDATOR_COUNTS) {
      for (const wire of ['nats', 'libp2p'] as const) {
        const transports = wire === 'nats' ? await natsValidators(n, `nats://127.0.0.1:${port}`, ROUND_TOPIC) : await libp2pValidators(n, ROUND_TOPIC);
        try {
          const row = { wire, ...(await runHeights(transports, plan, grid)) };
          rows.push(row);
          console.error(`  [${wire}, n = ${n}] ${row.heights} heights, commit p50 ${fmtMs(row.commitMsP50)} ms, p99 ${fmtMs(row.commitMsP99)} ms`);
        } finally {
          await Promise.all(transports.map((t) => t.stop()));
        }
      }
    }
  } finally {
    await killProcess(server);
  }
  const periods = plan.periods.length;
  const ders = Object.keys(plan.setpointsKW).length;
  const table = [
    `plan: ${ders} DERs × ${periods} periods per height (${base.name}, ${DEFAULT_SOLVER} aggregate); up to ${HEIGHTS} heights or ${CASE_BUDGET_MS / 1000} s per case; all validators in one process`,
    formatTable(
      ['transport', 'validators', 'heights', 'commit p50 ms', 'commit p99 ms', 'round changes', 'rejected', 'wall s'],
      rows.map((r) => [r.wire, String(r.validators), `${r.heights}/${HEIGHTS}`, fmtMs(r.commitMsP50), fmtMs(r.commitMsP99), fmtInt(r.roundChanges), fmtInt(r.rejected), (r.wallMs / 1000).toFixed(1)]),
    ),
    'commit = time from startHeight to the decision at each validator (engine default timeouts); a validator starts the next height when it decides',
  ].join('\n');
  return { plan: { ders, periods }, rows, table };
}
