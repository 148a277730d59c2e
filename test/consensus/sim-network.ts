/**
 * Deterministic simulated network for the consensus tests: a seeded RNG (pure-rand), an event
 * queue on simulated time, per-link delay and loss, and Byzantine validators whose faults are
 * injected on their outgoing messages. Signatures are modelled by a registry of the votes each
 * validator really emitted (a Byzantine validator can sign anything for itself, never for others).
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import {
  ConsensusEngine,
  SafetyChecker,
  maxFaulty,
  type CommitCertificate,
  type ConsensusMessage,
  type Evidence,
  type Proposal,
  type TimeoutConfig,
  type Vote,
} from '../../protocol/consensus/index.js';

/** The value decided per height in the simulation: a stand-in for a dispatch plan. */
export interface SimValue {
  height: number;
  proposer: string;
  payload: number;
  /** Integrity check `validate` recomputes; a wrong one models an infeasible plan. */
  checksum: string;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const checksumOf = (height: number, proposer: string, payload: number): string => sha(`${height}|${proposer}|${payload}`).slice(0, 16);

/** Builds a value; `valid: false` gives one that every honest `validate` rejects. */
export function makeValue(height: number, proposer: string, payload: number, valid = true): SimValue {
  const checksum = checksumOf(height, proposer, payload);
  return { height, proposer, payload, checksum: valid ? checksum : `bad-${checksum}` };
}

/** Deterministic validity: right height and a checksum that matches the content. */
export function validateValue(height: number, value: SimValue): boolean {
  return value.height === height && value.checksum === checksumOf(value.height, value.proposer, value.payload);
}

/** Content hash of a value. */
export function idOfValue(value: SimValue): string {
  return sha(JSON.stringify([value.height, value.proposer, value.payload, value.checksum]));
}

/** Faults of one Byzantine validator. `silent` and `invalidProposals` last all run; the others stop with the fault phase. */
export interface Behaviour {
  silent?: boolean;
  invalidProposals?: boolean;
  /** Proposes two different valid values to two groups of validators. */
  equivocate?: boolean;
  /** Sends prevotes/precommits for two different values, split by group and sometimes both to one validator. */
  doubleVote?: boolean;
  /** Sends each precommit for a value to one validator only (nil to the rest), so that one decides alone: the attack locking defeats. */
  withholdPrecommits?: boolean;
}

/** Link model: uniform delay in [minDelayMs, maxDelayMs]; during the fault phase add up to `faultExtraDelayMs` and drop with `faultLoss`. */
export interface LinkModel {
  minDelayMs: number;
  maxDelayMs: number;
  faultLoss: number;
  faultExtraDelayMs: number;
}

/** One simulated run. */
export interface Scenario {
  name: string;
  seed: number;
  n: number;
  heights: number;
  /** Byzantine validators by index into the validator list. */
  byzantine: Record<number, Behaviour>;
  /** Faults (link loss/extra delay, equivocation, double votes) are active until the network reaches this height. */
  faultUntilHeight: number;
  link: LinkModel;
  timeouts: Partial<TimeoutConfig>;
  /** Simulated-time cap (ms): a run not done by then has lost liveness. */
  maxSimMs: number;
}

/** Figures of one run. */
export interface ScenarioResult {
  name: string;
  seed: number;
  n: number;
  f: number;
  heights: number;
  /** Heights decided by every honest validator. */
  decidedHeights: number;
  honestDecisions: number;
  /** Highest decision round per height (index = height; -1 if undecided). */
  roundOfHeight: number[];
  roundChanges: number;
  safetyViolations: number;
  /** Decisions of honest validators on a value their own `validate` rejects (must stay 0). */
  invalidDecisions: number;
  /** Validators named by equivocation evidence that honest validators collected, with counts. */
  accused: Map<string, number>;
  delivered: number;
  dropped: number;
  simMs: number;
  certificates: CommitCertificate[];
  validatorIds: string[];
  signedVote: (vote: Vote) => boolean;
}

class EventQueue {
  private readonly heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  push(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): { at: number; run: () => void } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

const voteKey = (v: Vote): string => `${v.validator}|${v.kind}|${v.height}|${v.round}|${v.valueId}`;

/** Runs one scenario to completion (every honest validator decided every height) or to `maxSimMs`. */
export function runScenario(sc: Scenario): ScenarioResult {
  const rng: RandomGenerator = xoroshiro128plus(sc.seed);
  const ids = Array.from({ length: sc.n }, (_, i) => `v${i}`);
  const queue = new EventQueue();
  const checker = new SafetyChecker();
  const signed = new Set<string>();
  const accused = new Map<string, number>();
  const certificates: CommitCertificate[] = [];
  const roundOfHeight = Array.from({ length: sc.heights }, () => -1);
  const decidedBy = Array.from({ length: sc.heights }, () => 0);
  const honestIds = ids.filter((_, i) => sc.byzantine[i] === undefined);
  let now = 0;
  let progressHeight = 0;
  let delivered = 0;
  let dropped = 0;
  let done = 0;
  let invalidDecisions = 0;
  const faultsActive = (): boolean => progressHeight < sc.faultUntilHeight;
  const chance = (p: number): boolean => p > 0 && uniformFloat64(rng) < p;

  // Colluding adversary state: one partition of the validators per (height, round), and the values seen there.
  const partitions = new Map<string, Set<string>>();
  const candidates = new Map<string, string[]>();
  const alternatives = new Map<string, { type: 'proposal'; proposal: Proposal<SimValue> }>();
  const groupOf = (height: number, round: number, to: string): 0 | 1 => {
    const key = `${height}:${round}`;
    let group = partitions.get(key);
    if (group === undefined) {
      group = new Set(ids.filter(() => chance(0.5)));
      partitions.set(key, group);
    }
    return group.has(to) ? 1 : 0;
  };
  const victims = new Map<string, string>();
  /** The one validator that gets the Byzantine precommits for a value at (height, round). */
  const victimOf = (height: number, round: number): string => {
    const key = `${height}:${round}`;
    let victim = victims.get(key);
    if (victim === undefined) {
      victim = honestIds[uniformInt(rng, 0, honestIds.length - 1)];
      victims.set(key, victim);
    }
    return victim;
  };
  const noteCandidate = (height: number, round: number, valueId: string): void => {
    const key = `${height}:${round}`;
    const list = candidates.get(key) ?? [];
    if (!list.includes(valueId)) candidates.set(key, [...list, valueId]);
  };

  const engines = new Map<string, ConsensusEngine<SimValue>>();
  const isByzantine = (id: string): Behaviour | undefined => sc.byzantine[ids.indexOf(id)];

  const send = (from: string, to: string, msg: ConsensusMessage<SimValue>): void => {
    if (msg.type === 'vote') signed.add(voteKey(msg.vote));
    const fault = faultsActive();
    if (fault && chance(sc.link.faultLoss)) {
      dropped++;
      return;
    }
    const extra = fault ? uniformInt(rng, 0, sc.link.faultExtraDelayMs) : 0;
    const delay = uniformInt(rng, sc.link.minDelayMs, sc.link.maxDelayMs) + extra;
    queue.push(now + delay, () => {
      delivered++;
      if (msg.type === 'proposal' && isByzantine(to) !== undefined) noteCandidate(msg.proposal.height, msg.proposal.round, msg.proposal.valueId);
      engines.get(to)!.receive(msg, from);
    });
  };

  /** What a validator with `b` really sends to `to` when its engine broadcasts `msg`. */
  const forge = (from: string, b: Behaviour, msg: ConsensusMessage<SimValue>, to: string): ConsensusMessage<SimValue>[] => {
    if (!faultsActive()) return [msg];
    if (msg.type === 'proposal' && b.equivocate && msg.proposal.validRound === -1) {
      const p = msg.proposal;
      const key = `${from}:${p.height}:${p.round}`;
      let altMsg = alternatives.get(key);
      if (altMsg === undefined) {
        const alt = makeValue(p.height, from, p.value.payload + 1 + uniformInt(rng, 0, 1000));
        altMsg = { type: 'proposal', proposal: { ...p, value: alt, valueId: idOfValue(alt) } };
        alternatives.set(key, altMsg);
        // Candidates are [original, alternative]: group 0 gets the original, group 1 the alternative.
        noteCandidate(p.height, p.round, altMsg.proposal.valueId);
      }
      const mine = groupOf(p.height, p.round, to) === 0 ? [msg, altMsg] : [altMsg, msg];
      return chance(0.3) ? mine : [mine[0]];
    }
    if (msg.type === 'vote' && b.doubleVote) {
      const v = msg.vote;
      const known = candidates.get(`${v.height}:${v.round}`) ?? [];
      const pool = [...known, v.valueId, null, `forged-${v.height}-${v.round}`].filter((x, i, a) => a.indexOf(x) === i);
      const g = groupOf(v.height, v.round, to);
      const first = { ...v, valueId: pool[g] };
      const second = { ...v, valueId: pool[1 - g] };
      if (b.withholdPrecommits && v.kind === 'precommit') return [{ type: 'vote', vote: to === victimOf(v.height, v.round) ? first : { ...v, valueId: null } }];
      const out: ConsensusMessage<SimValue>[] = [{ type: 'vote', vote: first }];
      if (chance(0.5)) out.push({ type: 'vote', vote: second });
      return out;
    }
    if (msg.type === 'vote' && b.withholdPrecommits && msg.vote.kind === 'precommit' && msg.vote.valueId !== null) {
      const v = msg.vote;
      return [{ type: 'vote', vote: to === victimOf(v.height, v.round) ? v : { ...v, valueId: null } }];
    }
    return [msg];
  };

  for (const id of ids) {
    const b = isByzantine(id);
    const engine: ConsensusEngine<SimValue> = new ConsensusEngine<SimValue>(
      { validatorIds: ids, selfId: id, timeouts: sc.timeouts },
      {
        getValue: (height) => makeValue(height, id, uniformInt(rng, 0, 1_000_000), !b?.invalidProposals),
        validate: validateValue,
        idOf: idOfValue,
        broadcast: (msg) => {
          if (b?.silent) return;
          // A relayed proposal or vote still carries its author's signature: it arrives from its author.
          const author = msg.type === 'proposal' ? msg.proposal.proposer : msg.type === 'vote' ? msg.vote.validator : id;
          if (b !== undefined && msg.type === 'proposal') noteCandidate(msg.proposal.height, msg.proposal.round, msg.proposal.valueId);
          for (const to of ids) {
            if (to === id || to === author) continue;
            for (const m of b === undefined || author !== id ? [msg] : forge(id, b, msg, to)) send(author, to, m);
          }
        },
        scheduleTimeout: (kind, height, round, ms) => queue.push(now + ms, () => engine.timeout(kind, height, round)),
        onDecide: (cert, value) => {
          if (b === undefined) {
            checker.record(id, cert.height, idOfValue(value));
            if (!validateValue(cert.height, value)) invalidDecisions++;
            certificates.push(cert);
            roundOfHeight[cert.height] = Math.max(roundOfHeight[cert.height], cert.round);
            decidedBy[cert.height]++;
            if (decidedBy[cert.height] === honestIds.length) done++;
            progressHeight = Math.max(progressHeight, cert.height + 1);
          }
          if (cert.height + 1 < sc.heights) queue.push(now, () => engine.startHeight(cert.height + 1));
        },
        verifyVote: (vote) => signed.has(voteKey(vote)),
        onEvidence: b === undefined ? (e: Evidence<SimValue>) => accused.set(e.validator, (accused.get(e.validator) ?? 0) + 1) : undefined,
      },
    );
    engines.set(id, engine);
    queue.push(uniformInt(rng, 0, 20), () => engine.startHeight(0));
  }

  for (let ev = queue.pop(); ev !== undefined && done < sc.heights && ev.at <= sc.maxSimMs; ev = queue.pop()) {
    now = ev.at;
    ev.run();
  }

  let roundChanges = 0;
  for (const id of honestIds) roundChanges += engines.get(id)!.stats().roundChanges;
  return {
    name: sc.name,
    seed: sc.seed,
    n: sc.n,
    f: maxFaulty(sc.n),
    heights: sc.heights,
    decidedHeights: done,
    honestDecisions: decidedBy.reduce((a, b) => a + b, 0),
    roundOfHeight,
    roundChanges,
    safetyViolations: checker.safetyViolations,
    invalidDecisions,
    accused,
    delivered,
    dropped,
    simMs: now,
    certificates,
    validatorIds: ids,
    signedVote: (vote) => signed.has(voteKey(vote)),
  };
}
