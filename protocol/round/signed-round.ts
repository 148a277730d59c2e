/**
 * One validator node's BFT round over a `Transport`: own engine messages are sealed with
 * `EnvelopeSigner` and published on one topic; received bytes are decoded, authenticated and
 * replay-checked, then handed to the `ConsensusEngine` as coming from their signer.
 *
 * Relays: the engine re-broadcasts messages of other validators (gossip). Those are forwarded as
 * the author's original envelope bytes, so every copy of one message has the same envelope id.
 * A receiver therefore dedupes by envelope id BEFORE the replay guard: a copy already seen is
 * counted as a duplicate (and still shown to the engine, which answers laggards with the commit);
 * only the first sight of an envelope passes the replay guard's window and sequence checks. A copy
 * of a height older than every height this node retains can serve nobody (no honest node re-sends
 * or relays it): it is rejected, as `VPP_ERR_STALE` when issued before the replay window (the
 * guard's first check), else as `VPP_ERR_REPLAY`, and not shown to the engine.
 *
 * Faults (`faults` option, faults.ts) turn a node Byzantine for tests and simulations; an honest
 * node (no fault names it) takes none of those code paths.
 */
import { ConsensusEngine, type CommitCertificate, type ConsensusMessage, type TimeoutConfig, type TimeoutKind, type Vote } from '../consensus/index.js';
import { verifyCommitCertificate } from '../certificate.js';
import type { DecodeMemo } from '../decode-memo.js';
import { decodeEnvelope, DEFAULT_WIRE_LIMITS, EnvelopeSigner, type SignedEnvelope, type WireLimits } from '../envelope.js';
import type { WireErrorCode } from '../errors.js';
import { planHash } from '../hashes.js';
import { equalBytes, toHex, type KeyPair, type SignatureVerifier } from '../keys.js';
import type { CommitMessage, Message } from '../messages.js';
import { ReplayGuard } from '../replay-guard.js';
import type { Transport } from '../transport/index.js';
import { FaultyLinkTransport } from '../transport/faulty-link.js';
import { createNodeCryptoVerifier } from '../verifier-node-crypto.js';
import { ByzantineBehaviour } from './byzantine-behaviour.js';
import { RoundError } from './errors.js';
import { faultActiveAt, type RoundFault } from './faults.js';
import { memoizingVerifier } from './memo-verifier.js';
import { fromWireMessage, heightOf, intervalStartOf, isSignedKind, messageKey, toWireMessage, valueIdOf, type HeightGrid, type RoundValue } from './wire-adapter.js';

/** Runs `fn` after `delayMs` milliseconds; returns a function that cancels it. */
export type RoundScheduler = (fn: () => void, delayMs: number) => () => void;

/** Real timers (`setTimeout`), for nodes. */
export const realTimeScheduler: RoundScheduler = (fn, delayMs) => {
  const handle = setTimeout(fn, delayMs);
  return () => clearTimeout(handle);
};

/** Why a received payload was not given to the engine: a wire error code, or one of the round's own. */
/** `VPP_ERR_ROUND_NOT_OURS`: signed with this node's key but not sent by it. */
export type RoundRejectCode = WireErrorCode | 'VPP_ERR_ROUND_OFF_GRID' | 'VPP_ERR_ROUND_NO_PLAN' | 'VPP_ERR_ROUND_NOT_OURS';

/** A decided height with its wire commit certificate (signed precommit envelopes, plan included). */
export interface RoundDecision {
  /** Engine height (planning interval index). */
  height: number;
  /** UTC epoch ms of the interval's start. */
  intervalStartMs: number;
  plan: RoundValue['plan'];
  /** Offers the plan was built from, as the proposal named them; empty when learnt from another node's commit. */
  offerIds: Uint8Array[];
  /** Passes `verifyCommitCertificate` against the validator set. */
  commit: CommitMessage;
}

/** Counters of one node since construction. */
export interface RoundStats {
  /** Envelopes seen for the first time that passed every check and went to the engine. */
  accepted: number;
  /** Copies of envelopes already seen (relays, re-sends); shown to the engine, not re-checked. */
  duplicates: number;
  /** Envelopes rejected, by code. */
  rejected: Partial<Record<RoundRejectCode, number>>;
  /** Envelopes this node published. */
  published: number;
  /** Publishes the transport refused. */
  publishFailures: number;
}

/** Configuration of a `SignedRound`. */
export interface SignedRoundOptions {
  transport: Transport;
  /** Topic carrying consensus envelopes; default `consensus`. */
  topic?: string;
  /** Network id signed into every envelope. */
  networkId: string;
  /** This validator's key pair; its public key must be in `validators`. */
  keyPair: KeyPair;
  /** Public keys (32 bytes) of the fixed validator set, in proposer order. */
  validators: readonly Uint8Array[];
  grid: HeightGrid;
  /** This node's plan (and the offers it names) for a height it proposes, or undefined (peers then time out). */
  getPlan(height: number, intervalStartMs: number, round: number): RoundValue | undefined;
  /**
   * Deterministic validity check of a proposed plan for `height`. Called once per plan hash and
   * height; a plan learnt from a valid commit certificate is not checked (a quorum already did).
   */
  validatePlan(height: number, intervalStartMs: number, value: RoundValue): boolean;
  /** Called once per decided height. */
  onDecide?(decision: RoundDecision): void;
  /** Timer source; default `realTimeScheduler`. */
  schedule?: RoundScheduler;
  /** Clock for envelope times and the replay window, UTC epoch ms; default `Date.now`. */
  clock?: () => number;
  /** Engine timeouts, ms. */
  timeouts?: Partial<TimeoutConfig>;
  /** Replay-guard window, ms (default 30,000). */
  replayWindowMs?: number;
  /** Envelope ids remembered for dedupe (default 100,000); an evicted id meets the replay guard again. */
  maxSeenIds?: number;
  limits?: WireLimits;
  /**
   * Injected Byzantine faults (e.g. a scenario's `consensus.faults`); this node applies those whose
   * `validator` is its own index. Every `validator` must index `validators`.
   */
  faults?: readonly RoundFault[];
  /**
   * Signature verifier; default node:crypto behind this node's own `memoizingVerifier`. A
   * simulation running many validators in one process may share one memoizing verifier among
   * them, so each envelope's signature is checked once per process rather than once per node.
   */
  verifier?: SignatureVerifier;
  /** Payloads decoded by other nodes of this process (see `DecodeMemo`). */
  decodeMemo?: DecodeMemo;
}

const ACCEPTED_TYPES = ['proposal', 'prevote', 'precommit', 'commit'] as const;
/** Valid signatures remembered, so copies and certificates re-use a verification. */
const VERIFIED_SIGNATURES_KEPT = 4096;
/** Verifies nothing: for decoding an envelope this node has just sealed itself. */
const OWN_ENVELOPE: SignatureVerifier = { name: 'own envelope', verify: () => true };
/** Heights kept (relay bytes, decisions) after a decision; matches the engine's default retention. */
const RETAIN_HEIGHTS = 16;

/** One validator's consensus over signed envelopes on a transport topic. */
export class SignedRound {
  readonly selfId: string;
  readonly engine: ConsensusEngine<RoundValue>;
  private readonly options: SignedRoundOptions;
  private readonly transport: Transport;
  private readonly topic: string;
  private readonly signer: EnvelopeSigner;
  private readonly verifier: SignatureVerifier;
  private readonly validatorIds: Set<string>;
  private readonly replayGuard: ReplayGuard;
  private readonly seenIds = new Map<string, true>();
  private readonly maxSeenIds: number;
  private readonly clock: () => number;
  private readonly replayWindowMs: number;
  /** height → message key → original envelope bytes (own and received). */
  private readonly rawByHeight = new Map<number, Map<string, Uint8Array>>();
  private readonly decisions = new Map<number, RoundDecision>();
  private readonly timers = new Set<() => void>();
  private readonly counters: RoundStats = { accepted: 0, duplicates: 0, rejected: {}, published: 0, publishFailures: 0 };
  /** Set only when a fault names this node. */
  private readonly byzantine: ByzantineBehaviour | undefined;
  private readonly faultyLinks: FaultyLinkTransport[] = [];
  private lastDecidedHeight = -1;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(options: SignedRoundOptions) {
    this.options = options;
    this.topic = options.topic ?? 'consensus';
    this.selfId = toHex(options.keyPair.publicKey);
    const ids = options.validators.map(toHex);
    this.validatorIds = new Set(ids);
    if (!this.validatorIds.has(this.selfId)) throw new RoundError('VPP_ERR_ROUND_CONFIG', `keyPair: public key ${this.selfId} is not in validators`);
    if (!(options.grid.intervalMs > 0)) throw new RoundError('VPP_ERR_ROUND_CONFIG', `grid.intervalMs: expected > 0, got ${options.grid.intervalMs}`);
    this.maxSeenIds = options.maxSeenIds ?? 100_000;
    this.verifier = options.verifier ?? memoizingVerifier(createNodeCryptoVerifier(), VERIFIED_SIGNATURES_KEPT);
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    this.replayWindowMs = options.replayWindowMs ?? 30_000;
    this.signer = new EnvelopeSigner({ networkId: options.networkId, keyPair: options.keyPair, clock, limits: options.limits });
    this.replayGuard = new ReplayGuard({ clock, windowMs: this.replayWindowMs });
    const faults = this.ownFaults(options.faults ?? [], ids.indexOf(this.selfId), ids.length);
    this.transport = this.withFaultyLinks(options.transport, faults);
    this.byzantine =
      faults.length === 0
        ? undefined
        : new ByzantineBehaviour(faults, {
            networkId: options.networkId,
            keyPair: options.keyPair,
            validators: options.validators,
            grid: options.grid,
            limits: options.limits ?? DEFAULT_WIRE_LIMITS,
            clock,
            seal: (message) => this.rememberOwn(this.signer.seal(message)),
            publish: (bytes) => this.publish(bytes),
          });
    this.engine = new ConsensusEngine<RoundValue>(
      { validatorIds: ids, selfId: this.selfId, timeouts: options.timeouts },
      {
        getValue: (height, round) => {
          const value = options.getPlan(height, intervalStartOf(height, options.grid), round);
          return this.byzantine ? this.byzantine.proposalValue(height, value) : value;
        },
        validate: (height, value) => options.validatePlan(height, intervalStartOf(height, options.grid), value),
        idOf: valueIdOf,
        broadcast: (msg) => this.broadcast(msg),
        scheduleTimeout: (kind, height, round, ms) => this.scheduleTimeout(kind, height, round, ms),
        onDecide: (cert, value) => this.decided(cert, value),
        // Votes inside a commit are only counted when their signed envelope was verified and stored.
        verifyVote: (vote) => this.rawOf(vote.height, messageKey({ type: 'vote', vote })) !== undefined,
      },
    );
  }

  /** Subscribes to the topic (the transport must be started). */
  start(): void {
    if (this.unsubscribe || this.stopped) throw new RoundError('VPP_ERR_ROUND_STATE', `round ${this.selfId.slice(0, 8)}: start() called twice or after stop()`);
    this.unsubscribe = this.transport.subscribe(this.topic, (data) => this.receive(data));
  }

  /** Starts consensus on `height` (planning interval index). */
  startHeight(height: number): void {
    if (this.stopped) return;
    this.engine.startHeight(height);
    this.byzantine?.startHeight(height);
  }

  /** Unsubscribes and cancels every pending timer; the transport is left to its owner. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    for (const link of this.faultyLinks) link.cancelPending();
  }

  /** The decision of `height`, once decided; the last 16 decided heights are kept (`onDecide` sees every one). */
  decision(height: number): RoundDecision | undefined {
    return this.decisions.get(height);
  }

  /** A snapshot of the counters. */
  stats(): RoundStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  /** The faults naming validator `selfIndex`; throws `RoundError` on a fault naming no validator. */
  private ownFaults(faults: readonly RoundFault[], selfIndex: number, validatorCount: number): RoundFault[] {
    faults.forEach((fault, i) => {
      if (!(Number.isInteger(fault.validator) && fault.validator >= 0 && fault.validator < validatorCount)) {
        throw new RoundError('VPP_ERR_ROUND_CONFIG', `faults[${i}].validator: expected an index in 0..${validatorCount - 1}, got ${fault.validator}`);
      }
    });
    return faults.filter((fault) => fault.validator === selfIndex);
  }

  /** `transport` behind one `FaultyLinkTransport` per `link` fault, each active on its heights. */
  private withFaultyLinks(transport: Transport, faults: readonly RoundFault[]): Transport {
    let wrapped = transport;
    for (const fault of faults) {
      if (fault.kind !== 'link') continue;
      const link = new FaultyLinkTransport(wrapped, {
        ...fault,
        schedule: this.options.schedule ?? realTimeScheduler,
        isActive: () => faultActiveAt(fault, this.engine.height),
      });
      this.faultyLinks.push(link);
      wrapped = link;
    }
    return wrapped;
  }

  private reject(code: RoundRejectCode): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
  }

  private rawOf(height: number, key: string): Uint8Array | undefined {
    return this.rawByHeight.get(height)?.get(key);
  }

  private storeRaw(height: number, key: string, raw: Uint8Array): void {
    let m = this.rawByHeight.get(height);
    if (m === undefined) {
      m = new Map();
      this.rawByHeight.set(height, m);
    }
    if (!m.has(key)) m.set(key, raw);
  }

  private publish(bytes: Uint8Array): void {
    if (this.stopped || this.byzantine?.active('silent', this.engine.height)) return;
    this.counters.published++;
    this.transport.publish(this.topic, bytes).catch(() => {
      this.counters.publishFailures++;
    });
  }

  private broadcast(msg: ConsensusMessage<RoundValue>): void {
    if (isSignedKind(msg)) {
      const height = msg.type === 'proposal' ? msg.proposal.height : msg.vote.height;
      const key = messageKey(msg);
      const author = msg.type === 'proposal' ? msg.proposal.proposer : msg.vote.validator;
      let raw = this.rawOf(height, key);
      if (raw === undefined) {
        // A relay we hold no bytes for cannot be forwarded: re-signing would misattribute it.
        if (author !== this.selfId) return;
        raw = this.signer.seal(toWireMessage(msg, this.options.grid));
        this.storeRaw(height, key, raw);
        this.rememberOwn(raw);
      }
      this.publish(raw);
      if (author === this.selfId) this.byzantine?.afterOwn(msg, raw);
      return;
    }
    const commit = this.commitMessage(msg.certificate, msg.value.plan);
    if (commit) this.publish(this.rememberOwn(this.signer.seal(commit)));
  }

  /** Records an envelope this node sealed, so copies relayed back are known; returns it. */
  private rememberOwn(raw: Uint8Array): Uint8Array {
    const own = decodeEnvelope(raw, { networkId: this.options.networkId, verifier: OWN_ENVELOPE, limits: this.options.limits });
    if (!own.ok) throw new RoundError('VPP_ERR_ROUND_ENCODE', `own envelope does not decode: ${own.error.reason}`);
    // Recorded like a received envelope, so a replay of it meets the guard as a replay once its id is forgotten.
    this.replayGuard.admit(own.envelope.senderPublicKey, own.envelope.seq, own.envelope.issuedAtMs);
    this.remember(toHex(own.envelope.id));
    return raw;
  }

  private commitMessage(cert: CommitCertificate, plan: RoundValue['plan']): CommitMessage | undefined {
    const precommits: Uint8Array[] = [];
    for (const vote of cert.precommits) {
      const raw = this.rawOf(cert.height, messageKey({ type: 'vote', vote }));
      if (raw === undefined) return undefined;
      precommits.push(raw);
    }
    return { v: 1, type: 'commit', intervalStartMs: intervalStartOf(cert.height, this.options.grid), round: cert.round, planHash: planHash(plan), precommits, plan };
  }

  private scheduleTimeout(kind: TimeoutKind, height: number, round: number, ms: number): void {
    if (this.stopped) return;
    const cancel = (this.options.schedule ?? realTimeScheduler)(() => {
      this.timers.delete(cancel);
      if (!this.stopped) this.engine.timeout(kind, height, round);
    }, ms);
    this.timers.add(cancel);
  }

  private decided(cert: CommitCertificate, value: RoundValue): void {
    const commit = this.commitMessage(cert, value.plan);
    if (commit === undefined) throw new RoundError('VPP_ERR_ROUND_STATE', `height ${cert.height}: a precommit of the certificate has no stored envelope`);
    const decision: RoundDecision = { height: cert.height, intervalStartMs: commit.intervalStartMs, plan: value.plan, offerIds: value.offerIds, commit };
    this.decisions.set(cert.height, decision);
    this.lastDecidedHeight = Math.max(this.lastDecidedHeight, cert.height);
    for (const h of this.rawByHeight.keys()) if (h <= cert.height - RETAIN_HEIGHTS) this.rawByHeight.delete(h);
    for (const h of this.decisions.keys()) if (h <= cert.height - RETAIN_HEIGHTS) this.decisions.delete(h);
    this.options.onDecide?.(decision);
  }

  /** Checks one received payload and hands it to the engine. Never throws on remote input. */
  private receive(data: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decodeEnvelope(data, {
      networkId: this.options.networkId,
      verifier: this.verifier,
      acceptTypes: ACCEPTED_TYPES,
      isKnownSender: (key) => this.validatorIds.has(toHex(key)),
      limits: this.options.limits ?? DEFAULT_WIRE_LIMITS,
      memo: this.options.decodeMemo,
    });
    if (!decoded.ok) return this.reject(decoded.error.code);
    const { envelope, message } = decoded;
    const signer = toHex(envelope.senderPublicKey);
    const idHex = toHex(envelope.id);
    if (this.seenIds.has(idHex)) {
      if (this.isPastRetention(message)) return this.reject(envelope.issuedAtMs < this.clock() - this.replayWindowMs ? 'VPP_ERR_STALE' : 'VPP_ERR_REPLAY');
      this.counters.duplicates++;
      // A relayed copy of our own message: the engine already holds it.
      if (signer === this.selfId) return;
    } else {
      const admitted = this.replayGuard.admit(envelope.senderPublicKey, envelope.seq, envelope.issuedAtMs);
      if (!admitted.ok) return this.reject(admitted.error.code);
      // Signed with our key but never sent by this node: another process holds the key.
      if (signer === this.selfId) return this.reject('VPP_ERR_ROUND_NOT_OURS');
      this.remember(idHex);
      this.counters.accepted++;
    }
    this.deliver(envelope, message, signer);
  }

  /** Whether `message` is for a height below every height this node still keeps. */
  private isPastRetention(message: Message): boolean {
    const intervalStartMs = 'intervalStartMs' in message ? message.intervalStartMs : undefined;
    const height = intervalStartMs === undefined ? undefined : heightOf(intervalStartMs, this.options.grid);
    return height !== undefined && height <= this.lastDecidedHeight - RETAIN_HEIGHTS;
  }

  private remember(idHex: string): void {
    this.seenIds.set(idHex, true);
    if (this.seenIds.size > this.maxSeenIds) this.seenIds.delete(this.seenIds.keys().next().value as string);
  }

  private deliver(envelope: SignedEnvelope, message: Message, signer: string): void {
    if (message.type === 'commit') return this.deliverCommit(message, signer);
    const msg = fromWireMessage(message, signer, this.options.grid);
    if (msg === undefined) return this.reject('VPP_ERR_ROUND_OFF_GRID');
    const height = msg.type === 'proposal' ? msg.proposal.height : msg.vote.height;
    this.storeRaw(height, messageKey(msg), envelope.raw);
    if (this.byzantine) {
      if (msg.type === 'proposal') this.byzantine.noteProposal(msg.proposal);
      this.byzantine.capture(height, envelope.raw);
    }
    this.engine.receive(msg, signer);
  }

  private deliverCommit(commit: CommitMessage, signer: string): void {
    const height = heightOf(commit.intervalStartMs, this.options.grid);
    if (height === undefined) return this.reject('VPP_ERR_ROUND_OFF_GRID');
    if (commit.plan === undefined) return this.reject('VPP_ERR_ROUND_NO_PLAN');
    const check = verifyCommitCertificate(commit, { networkId: this.options.networkId, verifier: this.verifier, validators: this.options.validators, limits: this.options.limits, memo: this.options.decodeMemo });
    if (!check.ok) return this.reject(check.error.code);
    if (!equalBytes(planHash(commit.plan), commit.planHash)) return this.reject('VPP_ERR_SCHEMA');
    const precommits: Vote[] = [];
    for (const raw of commit.precommits) {
      // Already verified by verifyCommitCertificate; decoded again only to read the signer and vote.
      const vote = decodeEnvelope(raw, { networkId: this.options.networkId, verifier: this.verifier, acceptTypes: ['precommit'], limits: this.options.limits, memo: this.options.decodeMemo });
      if (!vote.ok) return this.reject(vote.error.code);
      const msg = fromWireMessage(vote.message, toHex(vote.envelope.senderPublicKey), this.options.grid);
      if (msg === undefined || msg.type !== 'vote') return this.reject('VPP_ERR_ROUND_OFF_GRID');
      this.storeRaw(height, messageKey(msg), vote.envelope.raw);
      precommits.push(msg.vote);
    }
    this.engine.receive({ type: 'commit', certificate: { height, round: commit.round, valueId: toHex(commit.planHash), precommits }, value: { plan: commit.plan, offerIds: [] } }, signer);
  }
}
