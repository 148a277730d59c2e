import { verifyCertificate } from './certificate.js';
import { ConsensusError } from './errors.js';
import {
  commitQuorum,
  maxFaulty,
  type CommitCertificate,
  type ConsensusMessage,
  type Evidence,
  type Proposal,
  type TimeoutKind,
  type Vote,
  type VoteKind,
} from './types.js';

/** Timeout of round r is `base + r * roundIncrementMs` (milliseconds); own messages are re-broadcast every `resendMs`. */
export interface TimeoutConfig {
  proposeMs: number;
  prevoteMs: number;
  precommitMs: number;
  roundIncrementMs: number;
  resendMs: number;
}

/** Default timeouts in milliseconds, sized for a LAN/WAN of coordinators. */
export const DEFAULT_TIMEOUTS: TimeoutConfig = { proposeMs: 3000, prevoteMs: 1000, precommitMs: 1000, roundIncrementMs: 500, resendMs: 2000 };

/** Static configuration of one validator's engine. The engine has no clock: timeouts go through `scheduleTimeout`. */
export interface ConsensusConfig {
  /** The fixed validator set (public ids, distinct); the proposer of (h, r) is validatorIds[(h + r) mod n]. */
  validatorIds: readonly string[];
  /** This validator's id; must be in `validatorIds`. */
  selfId: string;
  /** Overrides of `DEFAULT_TIMEOUTS` (milliseconds). */
  timeouts?: Partial<TimeoutConfig>;
  /** Messages up to this many heights ahead are buffered for later (default 4). */
  maxFutureHeights?: number;
  /** Messages more than this many rounds ahead of the current round are dropped (default 64). */
  maxRoundsAhead?: number;
  /** Decided heights kept to answer laggards with their commit (default 16). */
  retainDecidedHeights?: number;
  /** Commit replies sent to one lagging validator for one height (default 8); bounds amplification. */
  maxCommitRepliesPerHeight?: number;
}

/** The application and wire, injected. Callbacks must not throw; the engine tolerates re-entrant calls from them. */
export interface ConsensusCallbacks<V> {
  /** Build this proposer's value for (height, round), or undefined when it has none (peers time out). */
  getValue(height: number, round: number): V | undefined;
  /** Deterministic validity of a proposed value (re-solve or verify the plan); cached per value id and height. */
  validate(height: number, value: V): boolean;
  /** Content hash of a value; equal values must give equal ids. */
  idOf(value: V): string;
  /**
   * Send to every other validator (the engine delivers its own messages to itself). A proposal or
   * vote authored by another validator (`proposer`/`validator` ≠ selfId) is a relay: forward it
   * with its author's original signature, so receivers see it as coming `from` its author.
   */
  broadcast(msg: ConsensusMessage<V>): void;
  /** Ask for `timeout(kind, height, round)` to be called after `ms` milliseconds. */
  scheduleTimeout(kind: TimeoutKind, height: number, round: number, ms: number): void;
  /** The value decided for a height, with its certificate. Called once per height. */
  onDecide(cert: CommitCertificate, value: V): void;
  /** Signature check of a vote inside a received commit certificate (injected by the envelope layer). */
  verifyVote?(vote: Vote): boolean;
  /** Called when a validator is caught signing two conflicting messages. */
  onEvidence?(evidence: Evidence<V>): void;
}

/** Why a received message was not counted. */
export type RejectReason =
  | 'unknown-sender'
  | 'sender-mismatch'
  | 'malformed'
  | 'wrong-proposer'
  | 'bad-value-id'
  | 'old-height'
  | 'too-far-ahead'
  | 'duplicate'
  | 'equivocation'
  | 'bad-certificate'
  | 'invalid-value';

/** Step of the current round; `idle` before the first `startHeight`, `decided` once the height is decided. */
export type Step = 'idle' | 'propose' | 'prevote' | 'precommit' | 'decided';

/** Counters of one engine since construction. */
export interface EngineStats {
  /** Rounds entered above round 0 (timeouts or round skips). */
  roundChanges: number;
  /** Heights decided. */
  decisions: number;
  /** Messages not counted, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Equivocations detected. */
  evidence: number;
}

/**
 * Everything received for one height, deduplicated. As in Algorithm 1, a tally for a value counts
 * distinct validators that voted for it, so each validator counts at most once per (round, kind,
 * value) and at most once in any-value tallies; an equivocator's conflicting votes are kept (they
 * are evidence and other validators may have counted them) but can never add up within one tally.
 */
class HeightLog<V> {
  /** round → distinct proposals of the round's proposer, first received first (more than one is equivocation). */
  readonly proposals = new Map<number, Proposal<V>[]>();
  /** key `${round}:${kind}` → validator → its distinct votes, first received first. */
  readonly votes = new Map<string, Map<string, Vote[]>>();
  /** round → validators that sent any proposal or vote in that round (for the round-skip rule). */
  readonly senders = new Map<number, Set<string>>();

  votesOf(round: number, kind: VoteKind): Map<string, Vote[]> {
    const key = `${round}:${kind}`;
    let m = this.votes.get(key);
    if (m === undefined) {
      m = new Map();
      this.votes.set(key, m);
    }
    return m;
  }

  count(round: number, kind: VoteKind, valueId: string | null): number {
    let c = 0;
    for (const vs of this.votesOf(round, kind).values()) if (vs.some((v) => v.valueId === valueId)) c++;
    return c;
  }

  /** The vote of each validator for `valueId` at (round, kind). */
  votesFor(round: number, kind: VoteKind, valueId: string): Vote[] {
    const out: Vote[] = [];
    for (const vs of this.votesOf(round, kind).values()) {
      const v = vs.find((x) => x.valueId === valueId);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  noteSender(round: number, validator: string): void {
    let s = this.senders.get(round);
    if (s === undefined) {
      s = new Set();
      this.senders.set(round, s);
    }
    s.add(validator);
  }
}

/** Distinct proposals per round, or votes per validator, round and kind, that are kept; more than one only ever comes from an equivocator. */
const MAX_CONFLICTING = 4;

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/**
 * One validator of a Tendermint-style BFT round (Algorithm 1 of Buchman/Kwon/Milosevic 2018):
 * propose / prevote / precommit with locking (lockedValue, lockedRound) and validValue/validRound,
 * round skip on f+1 messages of a higher round, timeouts growing with the round, and decision on
 * 2f+1 precommits with the proposal. Pure and deterministic: inputs are `startHeight`, `receive`
 * and `timeout`; outputs go through the injected callbacks.
 */
export class ConsensusEngine<V> {
  readonly validatorIds: readonly string[];
  readonly selfId: string;
  /** Tolerated Byzantine validators. */
  readonly f: number;
  /** Votes needed to lock or decide (2f+1 when n = 3f+1). */
  readonly quorum: number;

  private readonly cb: ConsensusCallbacks<V>;
  private readonly members: Set<string>;
  private readonly timeouts: TimeoutConfig;
  private readonly maxFutureHeights: number;
  private readonly maxRoundsAhead: number;
  private readonly retainDecidedHeights: number;
  private readonly maxCommitRepliesPerHeight: number;

  private h = -1;
  private r = 0;
  private s: Step = 'idle';
  /** Tendermint's lockedValue/lockedRound and validValue/validRound, with the value's id. */
  private locked: { value: V; id: string; round: number } | undefined;
  private valid: { value: V; id: string; round: number } | undefined;
  private readonly logs = new Map<number, HeightLog<V>>();
  private readonly validity = new Map<string, boolean>();
  /** Once-only rules of the current height, keyed `${rule}:${round}`. */
  private readonly fired = new Set<string>();
  private readonly decided = new Map<number, { cert: CommitCertificate; value: V }>();
  /** height → lagging validator → commit replies sent. */
  private readonly commitReplies = new Map<number, Map<string, number>>();
  private readonly selfInbox: ConsensusMessage<V>[] = [];
  private readonly inputs: (() => void)[] = [];
  private busy = false;
  private readonly counters: EngineStats = { roundChanges: 0, decisions: 0, rejected: {}, evidence: 0 };

  constructor(config: ConsensusConfig, callbacks: ConsensusCallbacks<V>) {
    const ids = config.validatorIds;
    if (ids.length === 0) throw new ConsensusError('VPP_ERR_CONSENSUS_CONFIG', 'validatorIds: expected at least one validator id');
    const members = new Set(ids);
    if (members.size !== ids.length) throw new ConsensusError('VPP_ERR_CONSENSUS_CONFIG', 'validatorIds: expected distinct ids, found a duplicate');
    if (!members.has(config.selfId)) {
      throw new ConsensusError('VPP_ERR_CONSENSUS_CONFIG', `selfId: ${config.selfId} is not in validatorIds`);
    }
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...config.timeouts };
    for (const [k, v] of Object.entries(this.timeouts)) {
      const ok = Number.isFinite(v) && (k === 'resendMs' ? v > 0 : v >= 0);
      if (!ok) throw new ConsensusError('VPP_ERR_CONSENSUS_CONFIG', `timeouts.${k}: expected a ${k === 'resendMs' ? 'positive' : 'non-negative'} number of ms, got ${v}`);
    }
    this.validatorIds = [...ids];
    this.selfId = config.selfId;
    this.members = members;
    this.f = maxFaulty(ids.length);
    this.quorum = commitQuorum(ids.length);
    this.maxFutureHeights = config.maxFutureHeights ?? 4;
    this.maxRoundsAhead = config.maxRoundsAhead ?? 64;
    this.retainDecidedHeights = config.retainDecidedHeights ?? 16;
    this.maxCommitRepliesPerHeight = config.maxCommitRepliesPerHeight ?? 8;
    this.cb = callbacks;
  }

  /** Current height (-1 before the first `startHeight`). */
  get height(): number {
    return this.h;
  }

  /** Current round within the height. */
  get round(): number {
    return this.r;
  }

  /** Current step. */
  get step(): Step {
    return this.s;
  }

  /** Snapshot of the counters. */
  stats(): EngineStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  /** Lock state of the current height (for tests and diagnostics). */
  lockState(): { lockedRound: number; lockedValueId: string | null; validRound: number; validValueId: string | null } {
    return {
      lockedRound: this.locked?.round ?? -1,
      lockedValueId: this.locked?.id ?? null,
      validRound: this.valid?.round ?? -1,
      validValueId: this.valid?.id ?? null,
    };
  }

  /** Proposer of (height, round): validatorIds[(height + round) mod n]. */
  proposerOf(height: number, round: number): string {
    return this.validatorIds[(height + round) % this.validatorIds.length];
  }

  /** Timeout of `kind` in round `round`, in milliseconds; grows linearly with the round. */
  timeoutMs(kind: Exclude<TimeoutKind, 'resend'>, round: number): number {
    const base = kind === 'propose' ? this.timeouts.proposeMs : kind === 'prevote' ? this.timeouts.prevoteMs : this.timeouts.precommitMs;
    return base + round * this.timeouts.roundIncrementMs;
  }

  /** The decision of a retained height, if any. */
  decision(height: number): { cert: CommitCertificate; value: V } | undefined {
    return this.decided.get(height);
  }

  /**
   * Start deciding `height` (a planning interval) at round 0; abandons an undecided earlier height.
   * @throws ConsensusError VPP_ERR_CONSENSUS_HEIGHT when `height` is not above the current height
   */
  startHeight(height: number): void {
    if (!isIndex(height)) throw new ConsensusError('VPP_ERR_CONSENSUS_HEIGHT', `height: expected a non-negative integer, got ${height}`);
    if (height <= this.h) throw new ConsensusError('VPP_ERR_CONSENSUS_HEIGHT', `height ${height} is not above the current height ${this.h}`);
    this.run(() => {
      // Re-checked here: a re-entrant call is queued behind inputs that may have moved the height.
      if (height <= this.h) return;
      this.h = height;
      this.locked = undefined;
      this.valid = undefined;
      this.validity.clear();
      this.fired.clear();
      for (const k of this.logs.keys()) if (k < height && !this.decided.has(k)) this.logs.delete(k);
      this.cb.scheduleTimeout('resend', height, 0, this.timeouts.resendMs);
      this.startRound(0);
    });
  }

  /**
   * A message signed by validator `from` (its author, as authenticated by the envelope layer, also
   * when relayed by someone else). Untrusted: anything malformed, from outside the validator set,
   * or whose proposer/validator field is not `from` is counted and dropped.
   */
  receive(msg: ConsensusMessage<V>, from: string): void {
    this.run(() => this.ingest(msg, from));
  }

  /** A timeout requested through `scheduleTimeout` has expired. Stale timeouts are ignored. */
  timeout(kind: TimeoutKind, height: number, round: number): void {
    this.run(() => {
      if (kind === 'resend') {
        if (height === this.h && this.s !== 'decided') this.resend();
        return;
      }
      if (height !== this.h || round !== this.r) return;
      if (kind === 'propose' && this.s === 'propose') this.vote('prevote', null);
      else if (kind === 'prevote' && this.s === 'prevote') this.vote('precommit', null);
      else if (kind === 'precommit' && this.s !== 'decided' && this.s !== 'idle') this.startRound(this.r + 1);
    });
  }

  // Inputs may arrive re-entrantly from callbacks; queue them so rules always see a consistent state.
  private run(input: () => void): void {
    this.inputs.push(input);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.inputs.shift(); next !== undefined; next = this.inputs.shift()) {
        next();
        this.settle();
      }
    } finally {
      this.busy = false;
    }
  }

  private settle(): void {
    for (;;) {
      const own = this.selfInbox.shift();
      if (own !== undefined) {
        this.ingest(own, this.selfId);
        continue;
      }
      if (!this.applyRule()) return;
    }
  }

  private reject(reason: RejectReason): void {
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
  }

  private emit(msg: ConsensusMessage<V>): void {
    this.cb.broadcast(msg);
    this.selfInbox.push(msg);
  }

  private logOf(height: number): HeightLog<V> {
    let log = this.logs.get(height);
    if (log === undefined) {
      log = new HeightLog();
      this.logs.set(height, log);
    }
    return log;
  }

  /** Range checks shared by proposals and votes; returns false (after counting) when not storable. Decided heights stay storable so re-sent messages can be recognised. */
  private admissible(height: number, round: number): boolean {
    if (height < this.h && !this.decided.has(height)) {
      this.reject('old-height');
      return false;
    }
    const base = height === this.h ? this.r : 0;
    if (height > Math.max(this.h, 0) + this.maxFutureHeights || round > base + this.maxRoundsAhead) {
      this.reject('too-far-ahead');
      return false;
    }
    return true;
  }

  private ingest(msg: ConsensusMessage<V>, from: string): void {
    if (!this.members.has(from)) return this.reject('unknown-sender');
    if (typeof msg !== 'object' || msg === null) return this.reject('malformed');
    switch (msg.type) {
      case 'proposal':
        return this.ingestProposal(msg.proposal, from);
      case 'vote':
        return this.ingestVote(msg.vote, from);
      case 'commit':
        return this.ingestCommit(msg.certificate, msg.value);
      default:
        return this.reject('malformed');
    }
  }

  private ingestProposal(p: Proposal<V>, from: string): void {
    if (typeof p !== 'object' || p === null || !isIndex(p.height) || !isIndex(p.round) || typeof p.valueId !== 'string') return this.reject('malformed');
    if (!Number.isSafeInteger(p.validRound) || p.validRound < -1 || p.validRound >= p.round) return this.reject('malformed');
    if (p.proposer !== from) return this.reject('sender-mismatch');
    if (p.proposer !== this.proposerOf(p.height, p.round)) return this.reject('wrong-proposer');
    if (!this.admissible(p.height, p.round)) return;
    let id: string;
    try {
      id = this.cb.idOf(p.value);
    } catch {
      return this.reject('malformed');
    }
    if (id !== p.valueId) return this.reject('bad-value-id');
    const log = this.logOf(p.height);
    const known = log.proposals.get(p.round) ?? [];
    if (known.some((k) => k.valueId === p.valueId && k.validRound === p.validRound)) return this.duplicate(p.height, from);
    if (known.length > 0) {
      this.reject('equivocation');
      this.evidence({ kind: 'proposal-equivocation', validator: from, height: p.height, round: p.round, first: known[0], second: p });
      // Keep a few conflicting proposals so a value that gathers a quorum can still be decided; bounded against spam.
      if (known.length >= MAX_CONFLICTING) return;
    }
    log.proposals.set(p.round, [...known, p]);
    log.noteSender(p.round, from);
  }

  private ingestVote(v: Vote, from: string): void {
    if (typeof v !== 'object' || v === null || !isIndex(v.height) || !isIndex(v.round)) return this.reject('malformed');
    if ((v.kind !== 'prevote' && v.kind !== 'precommit') || (v.valueId !== null && typeof v.valueId !== 'string')) return this.reject('malformed');
    if (v.validator !== from) return this.reject('sender-mismatch');
    if (!this.admissible(v.height, v.round)) return;
    const log = this.logOf(v.height);
    const votes = log.votesOf(v.round, v.kind);
    const known = votes.get(from) ?? [];
    if (known.some((k) => k.valueId === v.valueId)) return this.duplicate(v.height, from);
    const vote: Vote = { kind: v.kind, height: v.height, round: v.round, valueId: v.valueId, validator: v.validator };
    if (known.length > 0) {
      this.reject('equivocation');
      this.evidence({ kind: 'vote-equivocation', validator: from, height: v.height, round: v.round, first: known[0], second: vote });
      if (known.length >= MAX_CONFLICTING) return;
    }
    votes.set(from, [...known, vote]);
    log.noteSender(v.round, from);
  }

  private ingestCommit(cert: CommitCertificate, value: V): void {
    if (this.h < 0 || this.s === 'decided' || typeof cert !== 'object' || cert === null || cert.height !== this.h) return this.reject('old-height');
    const check = verifyCertificate(cert, this.validatorIds, this.f, this.cb.verifyVote?.bind(this.cb));
    if (!check.ok) return this.reject('bad-certificate');
    let id: string;
    try {
      id = this.cb.idOf(value);
    } catch {
      return this.reject('malformed');
    }
    if (id !== cert.valueId) return this.reject('bad-value-id');
    if (!this.isValid(id, value)) return this.reject('invalid-value');
    this.decide({ height: cert.height, round: cert.round, valueId: cert.valueId, precommits: cert.precommits.map((v) => ({ ...v })) }, value);
  }

  /**
   * A message we already hold. Only a validator that has not decided re-sends, so if we decided
   * that height, send it the commit (a bounded number of times per validator and height).
   */
  private duplicate(height: number, from: string): void {
    this.reject('duplicate');
    const done = this.decided.get(height);
    if (done === undefined || from === this.selfId) return;
    let replies = this.commitReplies.get(height);
    if (replies === undefined) {
      replies = new Map();
      this.commitReplies.set(height, replies);
    }
    const sent = replies.get(from) ?? 0;
    if (sent >= this.maxCommitRepliesPerHeight) return;
    replies.set(from, sent + 1);
    this.cb.broadcast({ type: 'commit', certificate: done.cert, value: done.value });
  }

  /**
   * The height is slow: re-broadcast every proposal and vote we hold for it, ours and relayed ones.
   * This is the gossip Algorithm 1 assumes: lost messages get through, and every honest validator
   * eventually sees what any other honest one saw (including an equivocator's other votes).
   */
  private resend(): void {
    const log = this.logOf(this.h);
    for (const ps of log.proposals.values()) for (const p of ps) this.cb.broadcast({ type: 'proposal', proposal: p });
    for (const votes of log.votes.values()) for (const vs of votes.values()) for (const vote of vs) this.cb.broadcast({ type: 'vote', vote });
    this.cb.scheduleTimeout('resend', this.h, 0, this.timeouts.resendMs);
  }

  private evidence(e: Evidence<V>): void {
    this.counters.evidence++;
    this.cb.onEvidence?.(e);
  }

  private isValid(valueId: string, value: V): boolean {
    let ok = this.validity.get(valueId);
    if (ok === undefined) {
      ok = this.cb.validate(this.h, value);
      this.validity.set(valueId, ok);
    }
    return ok;
  }

  private startRound(round: number): void {
    if (round > 0) this.counters.roundChanges++;
    this.r = round;
    this.s = 'propose';
    if (this.proposerOf(this.h, round) === this.selfId) {
      // Lines 14-19: re-propose the latest value with a polka, else build a fresh one.
      const value = this.valid?.value ?? this.cb.getValue(this.h, round);
      if (value !== undefined) {
        const valueId = this.valid?.id ?? this.cb.idOf(value);
        this.emit({ type: 'proposal', proposal: { height: this.h, round, valueId, value, validRound: this.valid?.round ?? -1, proposer: this.selfId } });
        return;
      }
    }
    this.cb.scheduleTimeout('propose', this.h, round, this.timeoutMs('propose', round));
  }

  private vote(kind: VoteKind, valueId: string | null): void {
    this.s = kind;
    this.emit({ type: 'vote', vote: { kind, height: this.h, round: this.r, valueId, validator: this.selfId } });
  }

  private once(rule: string, round: number): boolean {
    const key = `${rule}:${round}`;
    if (this.fired.has(key)) return false;
    this.fired.add(key);
    return true;
  }

  private decide(cert: CommitCertificate, value: V): void {
    this.s = 'decided';
    this.counters.decisions++;
    this.decided.set(cert.height, { cert, value });
    for (const k of this.decided.keys()) {
      if (k <= cert.height - this.retainDecidedHeights) {
        this.decided.delete(k);
        this.commitReplies.delete(k);
        this.logs.delete(k);
      }
    }
    this.cb.onDecide(cert, value);
  }

  /** Fires the first applicable rule of Algorithm 1; returns whether one fired. */
  private applyRule(): boolean {
    if (this.s === 'idle' || this.s === 'decided') return false;
    const log = this.logOf(this.h);
    const q = this.quorum;

    // Lines 49-54: decide on 2f+1 precommits for a proposed valid value, in any round.
    for (const [round, ps] of log.proposals) {
      for (const p of ps) {
        if (log.count(round, 'precommit', p.valueId) >= q && this.isValid(p.valueId, p.value)) {
          const precommits = log.votesFor(round, 'precommit', p.valueId);
          this.decide({ height: this.h, round, valueId: p.valueId, precommits }, p.value);
          return true;
        }
      }
    }

    // Lines 55-56: f+1 validators already in a higher round: skip to the highest such round.
    let skipTo = -1;
    for (const [round, senders] of log.senders) if (round > this.r && round > skipTo && senders.size >= this.f + 1) skipTo = round;
    if (skipTo >= 0) {
      this.startRound(skipTo);
      return true;
    }

    const proposals = log.proposals.get(this.r) ?? [];
    for (const p of this.s === 'propose' ? proposals : []) {
      if (p.validRound === -1) {
        // Lines 22-27: fresh proposal; prevote it unless locked on something else.
        const ok = this.isValid(p.valueId, p.value) && (this.locked === undefined || this.locked.id === p.valueId);
        this.vote('prevote', ok ? p.valueId : null);
        return true;
      }
      if (log.count(p.validRound, 'prevote', p.valueId) >= q) {
        // Lines 28-33: re-proposal justified by 2f+1 prevotes at validRound; unlock if our lock is older.
        const ok = this.isValid(p.valueId, p.value) && ((this.locked?.round ?? -1) <= p.validRound || this.locked?.id === p.valueId);
        this.vote('prevote', ok ? p.valueId : null);
        return true;
      }
    }

    // Lines 34-35: 2f+1 prevotes of any kind: start the prevote timeout.
    if (this.s === 'prevote' && log.votesOf(this.r, 'prevote').size >= q && this.once('prevote-timeout', this.r)) {
      this.cb.scheduleTimeout('prevote', this.h, this.r, this.timeoutMs('prevote', this.r));
      return true;
    }

    // Lines 36-43: 2f+1 prevotes for the proposal: lock (if still prevoting) and remember it as valid.
    const afterPrevote = this.s === 'prevote' || this.s === 'precommit';
    const p = afterPrevote ? proposals.find((c) => log.count(this.r, 'prevote', c.valueId) >= q && this.isValid(c.valueId, c.value)) : undefined;
    if (p !== undefined && this.once('polka', this.r)) {
      if (this.s === 'prevote') {
        this.locked = { value: p.value, id: p.valueId, round: this.r };
        this.vote('precommit', p.valueId);
      }
      this.valid = { value: p.value, id: p.valueId, round: this.r };
      return true;
    }

    // Lines 44-46: 2f+1 nil prevotes: precommit nil.
    if (this.s === 'prevote' && log.count(this.r, 'prevote', null) >= q) {
      this.vote('precommit', null);
      return true;
    }

    // Lines 47-48: 2f+1 precommits of any kind: start the precommit timeout.
    if (log.votesOf(this.r, 'precommit').size >= q && this.once('precommit-timeout', this.r)) {
      this.cb.scheduleTimeout('precommit', this.h, this.r, this.timeoutMs('precommit', this.r));
      return true;
    }
    return false;
  }
}
