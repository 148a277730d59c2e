import { SafetyChecker, type EngineStats } from '../../protocol/consensus/index.js';
import { planHash } from '../../protocol/hashes.js';
import { toHex } from '../../protocol/keys.js';
import { memoizingVerifier, SignedRound, type RoundDecision, type RoundFault, type RoundStats } from '../../protocol/round/index.js';
import { MemoryHub, MemoryTransport } from '../../protocol/transport/index.js';
import { seededRandom } from '../../sim/random.js';
import { VirtualTime } from '../../sim/virtual-time.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { GRID, NETWORK_ID, planFor, planIsFeasible, validatorKey } from './round-helpers.js';

/** Engine timeouts of the virtual clusters, ms (virtual). */
export const VIRTUAL_TIMEOUTS = { proposeMs: 300, prevoteMs: 150, precommitMs: 150, roundIncrementMs: 100, resendMs: 600 };

/** A cluster run in virtual time. */
export interface VirtualClusterOptions {
  /** Validators (n = 3f + 1). */
  n: number;
  /** Heights 0..heights-1 each validator decides before the run ends. */
  heights: number;
  /** Seed of the link delays and the hub's loss draws. */
  seed: number;
  faults: RoundFault[];
  /** Link delays are drawn per directed link, uniform in this range, ms; default [1, 20]. */
  linkDelayMs?: [number, number];
  /** Replay-guard window of every node, ms; default 30,000. */
  replayWindowMs?: number;
  /** Envelope ids every node remembers; default SignedRound's. */
  maxSeenIds?: number;
  /** Virtual time budget, ms; default 10 s per height. */
  budgetMs?: number;
}

/** What a virtual run produced. */
export interface VirtualClusterRun {
  /** Indices of the validators no fault names. */
  honest: number[];
  /** Decisions per validator, in decision order (Byzantine validators included). */
  decided: RoundDecision[][];
  stats: RoundStats[];
  /** Engine counters per validator (round changes, equivocation evidence). */
  engineStats: EngineStats[];
  /** Fed with every honest decision (validator, height, hex of planHash of the decided plan). */
  safety: SafetyChecker;
  /** Whether every honest validator decided every height within the budget. */
  complete: boolean;
  /** Decided plans an honest validator's feasibility rule rejects. */
  infeasibleDecisions: number;
  /** Virtual time the run took, ms. */
  virtualMs: number;
}

/**
 * Runs n `SignedRound` validators on a `MemoryHub` entirely in virtual time: the hub's deliveries,
 * the rounds' timers and every clock come from one `VirtualTime`, and link delays are drawn from
 * the seed, so a seed fixes the whole run. Each validator starts height h+1 once it decided h.
 */
export async function runVirtualCluster(options: VirtualClusterOptions): Promise<VirtualClusterRun> {
  const { n, heights, seed, faults } = options;
  const time = new VirtualTime(GRID.originMs);
  const hub = new MemoryHub({ seed, schedule: time.schedule });
  const random = seededRandom(seed);
  const [minDelayMs, maxDelayMs] = options.linkDelayMs ?? [1, 20];
  const names = Array.from({ length: n }, (_, i) => `node-${i}`);
  for (const from of names) {
    for (const to of names) if (from !== to) hub.setLink(from, to, { delayMs: Math.round(minDelayMs + (maxDelayMs - minDelayMs) * random.next()) });
  }
  const transports = names.map((name) => new MemoryTransport({ name, network: NETWORK_ID, hub }));
  await Promise.all(transports.map((t) => t.start()));

  const faulty = new Set(faults.map((f) => f.validator));
  const honest = names.map((_, i) => i).filter((i) => !faulty.has(i));
  const keys = names.map((_, i) => validatorKey(i));
  const validators = keys.map((k) => k.publicKey);
  const safety = new SafetyChecker();
  const decided: RoundDecision[][] = names.map(() => []);
  let infeasibleDecisions = 0;
  // One process, many nodes: each valid signature is checked once, not once per node.
  const verifier = memoizingVerifier(createNodeCryptoVerifier(), 20_000);
  const rounds = transports.map((transport, i) => {
    const round: SignedRound = new SignedRound({
      transport,
      networkId: NETWORK_ID,
      keyPair: keys[i],
      validators,
      grid: GRID,
      timeouts: VIRTUAL_TIMEOUTS,
      schedule: time.schedule,
      clock: time.now,
      replayWindowMs: options.replayWindowMs,
      maxSeenIds: options.maxSeenIds,
      faults,
      verifier,
      getPlan: (height, intervalStartMs) => ({ plan: planFor(height, intervalStartMs), offerIds: [] }),
      validatePlan: (_height, intervalStartMs, value) => planIsFeasible(intervalStartMs, value.plan),
      onDecide: (decision) => {
        decided[i].push(decision);
        if (!faulty.has(i)) {
          safety.record(round.selfId, decision.height, toHex(planHash(decision.plan)));
          if (!planIsFeasible(decision.intervalStartMs, decision.plan)) infeasibleDecisions++;
        }
        if (decision.height + 1 < heights) time.schedule(() => round.startHeight(decision.height + 1), 0);
      },
    });
    return round;
  });
  for (const round of rounds) round.start();
  for (const round of rounds) round.startHeight(0);
  const complete = time.runUntil(() => honest.every((i) => decided[i].length >= heights), GRID.originMs + (options.budgetMs ?? heights * 10_000));
  for (const round of rounds) round.stop();
  await Promise.all(transports.map((t) => t.stop()));
  return { honest, decided, stats: rounds.map((r) => r.stats()), engineStats: rounds.map((r) => r.engine.stats()), safety, complete, infeasibleDecisions, virtualMs: time.now() - GRID.originMs };
}
