import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyCommitCertificate } from '../../protocol/certificate.js';
import { planHash } from '../../protocol/hashes.js';
import { toHex } from '../../protocol/keys.js';
import { RoundError, roundFaultSchema, SignedRound, type RoundFault, type RoundFaultKind, type RoundRejectCode } from '../../protocol/round/index.js';
import { FaultyLinkTransport, MemoryHub, MemoryTransport } from '../../protocol/transport/index.js';
import { VirtualTime } from '../../sim/virtual-time.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { GRID, NETWORK_ID, validatorKey } from './round-helpers.js';
import { runVirtualCluster, type VirtualClusterRun } from './virtual-cluster.js';

/** Heights each run decides; faults are active on heights below FAULTS_UNTIL. */
const HEIGHTS = 50;
const FAULTS_UNTIL = 40;
/** Heights after the faults stop by which every decision is back in round ≤ f + 2. */
const RECOVERY_HEIGHTS = 3;
const SEEDS = [11, 29];
/** A short replay window and a small id memory, so replays meet both the id dedupe and the replay guard. */
const REPLAY_WINDOW_MS = 1000;
const MAX_SEEN_IDS = 600;

/** Faults of one Byzantine validator, active on heights [from, until). */
type FaultPlan = { kinds: RoundFaultKind[]; from: number; until: number }[];

const always = (...kinds: RoundFaultKind[]): FaultPlan => [{ kinds, from: 0, until: FAULTS_UNTIL }];

/** 13 scenarios: each fault kind alone, then mixes (one validator doing several things, or changing behaviour over time). */
const CASES: { name: string; plan: FaultPlan }[] = [
  { name: 'silent', plan: always('silent') },
  { name: 'equivocate', plan: always('equivocate') },
  { name: 'double-vote', plan: always('double-vote') },
  { name: 'forge', plan: always('forge') },
  { name: 'replay', plan: always('replay') },
  { name: 'infeasible-plan', plan: always('infeasible-plan') },
  { name: 'link (outgoing)', plan: always('link') },
  { name: 'link (incoming)', plan: always('link') },
  { name: 'equivocate + double-vote', plan: always('equivocate', 'double-vote') },
  { name: 'forge + replay + double-vote', plan: always('forge', 'replay', 'double-vote') },
  { name: 'infeasible-plan + equivocate + link', plan: always('infeasible-plan', 'equivocate', 'link') },
  { name: 'every kind but silent', plan: always('equivocate', 'double-vote', 'forge', 'replay', 'infeasible-plan', 'link') },
  {
    name: 'silent, then equivocate + double-vote, then link',
    plan: [
      { kinds: ['silent'], from: 0, until: 15 },
      { kinds: ['equivocate', 'double-vote'], from: 15, until: 30 },
      { kinds: ['link'], from: 30, until: FAULTS_UNTIL },
    ],
  },
];

/** The faults of `plan` for each of `byzantine`, parsed through the scenario schema. */
function faultsOf(name: string, plan: FaultPlan, byzantine: number[]): RoundFault[] {
  const incoming = name.includes('incoming');
  return byzantine.flatMap((validator) =>
    plan.flatMap(({ kinds, from, until }) =>
      kinds.map((kind) =>
        roundFaultSchema.parse(
          kind === 'link'
            ? { kind, validator, fromHeight: from, untilHeight: until, delayMs: 250, lossFrac: 0.3, direction: incoming ? 'incoming' : 'outgoing', seed: validator }
            : { kind, validator, fromHeight: from, untilHeight: until },
        ),
      ),
    ),
  );
}

/** Byzantine validators of an n-validator set: f of them, spread over the proposer order. */
function byzantineOf(n: number): number[] {
  return n === 4 ? [1] : [2, 5];
}

function runCase(n: number, seed: number, faults: RoundFault[]): Promise<VirtualClusterRun> {
  return runVirtualCluster({ n, heights: HEIGHTS, seed, faults, replayWindowMs: REPLAY_WINDOW_MS, maxSeenIds: MAX_SEEN_IDS });
}

/** Sum of one reject code over the honest validators. */
function rejectedByHonest(run: VirtualClusterRun, code: RoundRejectCode): number {
  return run.honest.reduce((sum, i) => sum + (run.stats[i].rejected[code] ?? 0), 0);
}

/** (height, round, plan hash) of every decision of every validator, in order. */
function decisionTrace(run: VirtualClusterRun): string[][] {
  return run.decided.map((ds) => ds.map((d) => `${d.height}:${d.commit.round}:${toHex(planHash(d.plan))}`));
}

function assertRunHolds(run: VirtualClusterRun, n: number, label: string): void {
  const f = (n - 1) / 3;
  assert.ok(run.complete, `${label}: honest validators decided ${run.honest.map((i) => run.decided[i].length).join(', ')} of ${HEIGHTS} heights`);
  assert.equal(run.safety.safetyViolations, 0, `${label}: conflicting decisions at heights ${run.safety.violatingHeights().join(', ')}`);
  assert.equal(run.safety.decidedHeights, HEIGHTS, label);
  assert.equal(run.infeasibleDecisions, 0, `${label}: an honest validator decided an infeasible plan`);
  for (const i of run.honest) {
    const heights = run.decided[i].map((d) => d.height);
    assert.deepEqual(heights, Array.from({ length: HEIGHTS }, (_, h) => h), `${label}: validator ${i} decided heights out of order or twice`);
    for (const d of run.decided[i]) {
      if (d.height >= FAULTS_UNTIL + RECOVERY_HEIGHTS) assert.ok(d.commit.round <= f + 2, `${label}: validator ${i} decided height ${d.height} in round ${d.commit.round} after the faults stopped`);
    }
  }
}

/** The certificates of the first honest validator's last 10 decisions verify against the validator set. */
function assertCertificatesVerify(run: VirtualClusterRun, n: number, label: string): void {
  const validators = Array.from({ length: n }, (_, i) => validatorKey(i).publicKey);
  const verifier = createNodeCryptoVerifier();
  for (const d of run.decided[run.honest[0]].slice(-10)) {
    const check = verifyCommitCertificate(d.commit, { networkId: NETWORK_ID, verifier, validators });
    assert.ok(check.ok, `${label}: height ${d.height}: ${check.ok ? '' : check.error.reason}`);
  }
}

/** The faults did happen: honest validators saw their effects (evidence, round changes, rejections). */
function assertFaultsSeen(run: VirtualClusterRun, kinds: Set<RoundFaultKind>, label: string): void {
  const honestEngines = run.honest.map((i) => run.engineStats[i]);
  if (kinds.has('equivocate') || kinds.has('double-vote')) {
    assert.ok(honestEngines.every((e) => e.evidence > 0), `${label}: an honest validator saw no equivocation`);
  }
  if (kinds.has('silent') || kinds.has('infeasible-plan')) {
    // A Byzantine proposer's round 0 cannot decide: its heights need a round change.
    assert.ok(honestEngines.every((e) => e.roundChanges > 0), `${label}: no round change`);
  }
}

/** Envelopes the injected faults produce are rejected and counted under their codes. */
function assertRejections(run: VirtualClusterRun, kinds: Set<RoundFaultKind>, label: string): void {
  const onlyReplay = kinds.size === 1 && kinds.has('replay');
  if (kinds.has('forge')) {
    for (const i of run.honest) {
      assert.ok((run.stats[i].rejected.VPP_ERR_BAD_SIGNATURE ?? 0) > 0, `${label}: validator ${i} counted no forged signature`);
      assert.ok((run.stats[i].rejected.VPP_ERR_OVERSIZED ?? 0) > 0, `${label}: validator ${i} counted no oversized envelope`);
    }
  }
  if (kinds.has('replay')) {
    // Which of the two a replayed envelope meets depends on its age against the window, so a mix
    // that slows heights down may see only stale ones; replay alone must see both.
    const replays = rejectedByHonest(run, 'VPP_ERR_REPLAY');
    const stale = rejectedByHonest(run, 'VPP_ERR_STALE');
    assert.ok(replays + stale > 0, `${label}: no replayed envelope rejected`);
    if (onlyReplay) assert.ok(replays > 0 && stale > 0, `${label}: replays ${replays}, stale ${stale}; expected both > 0`);
  }
}

describe('SignedRound with Byzantine validators, in virtual time', () => {
  it('an honest control run rejects nothing and decides every height in round 0', async () => {
    for (const n of [4, 7]) {
      const run = await runCase(n, SEEDS[0], []);
      assertRunHolds(run, n, `control n=${n}`);
      for (const i of run.honest) assert.deepEqual(run.stats[i].rejected, {}, `control n=${n}: validator ${i}`);
      assert.ok(run.decided.every((ds) => ds.every((d) => d.commit.round === 0)));
    }
  });

  for (const n of [4, 7]) {
    it(`n=${n} (f=${(n - 1) / 3}): 13 fault scenarios × ${SEEDS.length} seeds stay safe, decide every height and recover`, async () => {
      let heightsDecided = 0;
      for (const { name, plan } of CASES) {
        const kinds = new Set(plan.flatMap((p) => p.kinds));
        for (const seed of SEEDS) {
          const label = `n=${n} ${name} seed ${seed}`;
          const run = await runCase(n, seed, faultsOf(name, plan, byzantineOf(n)));
          assertRunHolds(run, n, label);
          assertRejections(run, kinds, label);
          assertFaultsSeen(run, kinds, label);
          heightsDecided += run.safety.decidedHeights;
        }
      }
      assert.equal(heightsDecided, CASES.length * SEEDS.length * HEIGHTS);
    });
  }

  it('the same seed gives the same decisions, rounds and counters; another seed gives another schedule', async () => {
    const { name, plan } = CASES[CASES.length - 1];
    const faults = faultsOf(name, plan, byzantineOf(7));
    const first = await runCase(7, SEEDS[0], faults);
    const again = await runCase(7, SEEDS[0], faults);
    const other = await runCase(7, SEEDS[1], faults);
    assertCertificatesVerify(first, 7, 'determinism');
    assert.deepEqual(decisionTrace(again), decisionTrace(first));
    assert.deepEqual(again.stats, first.stats);
    assert.equal(again.virtualMs, first.virtualMs);
    assert.notEqual(other.virtualMs, first.virtualMs);
  });
});

describe('round faults: configuration and the faulty-link decorator', () => {
  it('the schema names the field and what was expected', () => {
    const bad = [
      [{ kind: 'silent', validator: -1 }, 'validator'],
      [{ kind: 'silent', validator: 0, fromHeight: 5, untilHeight: 5 }, 'untilHeight'],
      [{ kind: 'link', validator: 0, delayMs: 10, lossFrac: 1.5 }, 'lossFrac'],
      [{ kind: 'link', validator: 0, lossFrac: 0.1 }, 'delayMs'],
      [{ kind: 'shout', validator: 0 }, 'kind'],
      [{ kind: 'forge', validator: 0, extra: 1 }, 'extra'],
    ] as const;
    for (const [input, field] of bad) {
      const result = roundFaultSchema.safeParse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      const paths = result.error!.issues.map((issue) => [...issue.path, ...('keys' in issue ? issue.keys : [])].join('.'));
      assert.ok(paths.some((p) => p.includes(field)), `${JSON.stringify(input)}: issues at ${paths.join(', ')}`);
    }
    assert.deepEqual(roundFaultSchema.parse({ kind: 'replay', validator: 2, fromHeight: 3, untilHeight: 9 }), { kind: 'replay', validator: 2, fromHeight: 3, untilHeight: 9 });
  });

  it('SignedRound refuses a fault naming no validator', async () => {
    const transport = new MemoryTransport({ name: 'solo', network: NETWORK_ID, hub: new MemoryHub() });
    const options = {
      transport,
      networkId: NETWORK_ID,
      keyPair: validatorKey(0),
      validators: [0, 1, 2, 3].map((i) => validatorKey(i).publicKey),
      grid: GRID,
      getPlan: () => undefined,
      validatePlan: () => true,
      faults: [roundFaultSchema.parse({ kind: 'silent', validator: 4 })],
    };
    assert.throws(() => new SignedRound(options), (error: unknown) => error instanceof RoundError && error.code === 'VPP_ERR_ROUND_CONFIG' && error.message.includes('faults[0].validator'));
  });

  it('FaultyLinkTransport loses about lossFrac of the payloads, delays the rest, and only while active', async () => {
    const time = new VirtualTime(0);
    const hub = new MemoryHub({ schedule: time.schedule });
    const sender = new MemoryTransport({ name: 'a', network: NETWORK_ID, hub });
    const receiver = new MemoryTransport({ name: 'b', network: NETWORK_ID, hub });
    await Promise.all([sender.start(), receiver.start()]);
    let active = true;
    const faulty = new FaultyLinkTransport(sender, { delayMs: 100, lossFrac: 0.25, seed: 3, schedule: time.schedule, isActive: () => active });
    const arrivals: number[] = [];
    receiver.subscribe('t', () => arrivals.push(time.now()));
    for (let i = 0; i < 400; i++) await faulty.publish('t', new Uint8Array([i]));
    time.advanceTo(99);
    assert.equal(arrivals.length, 0, 'delivered before the delay');
    time.advanceTo(100);
    const lost = 400 - arrivals.length;
    assert.ok(lost > 70 && lost < 130, `lost ${lost} of 400 at lossFrac 0.25`);
    assert.equal(faulty.stats().dropped, lost);
    active = false;
    await faulty.publish('t', new Uint8Array([0]));
    time.advanceTo(100);
    assert.equal(arrivals.length, 400 - lost + 1, 'an inactive link passes payloads at once');
    await faulty.stop();
    await receiver.stop();
  });
});
