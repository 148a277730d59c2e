/**
 * A coordinator node: a validator of the network's BFT round. It collects the peers' signed offers,
 * proposes a plan from them when it is the round's proposer, checks other proposers' plans against
 * the offers they name (re-solving them), and, once a plan commits, publishes the commit
 * certificate with the plan for the DERs. Transports, keys, clock and timers are injected, so the
 * same class runs as a process (`vpp coordinator`), in tests and inside a simulation.
 */
import { performance } from 'node:perf_hooks';
import { EnvelopeSigner, type WireLimits } from '../protocol/envelope.js';
import { toHex, type KeyPair, type SignatureVerifier } from '../protocol/keys.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { SignedRound, type HeightGrid, type RoundDecision, type RoundStats, type SignedRoundOptions, type RoundValue } from '../protocol/round/index.js';
import type { Transport } from '../protocol/transport/index.js';
import type { DecodeMemo } from '../protocol/decode-memo.js';
import { createNodeCryptoVerifier } from '../protocol/verifier-node-crypto.js';
import { OfferPool, type OfferRejectCode } from './offer-pool.js';
import type { PlanMaker, PlanValidation } from './planning.js';
import { NETWORK_TOPICS } from './topics.js';
import type { IntervalAppended, Ledger } from '../chain/index.js';

/** Meter envelopes kept between two blocks at most. */
const MAX_PENDING_METER_ENVELOPES = 100_000;

/** Configuration of a `Coordinator`. */
export interface CoordinatorOptions {
  transport: Transport;
  networkId: string;
  keyPair: KeyPair;
  /** Public keys of the validator set, in proposer order (this node's among them). */
  validators: readonly Uint8Array[];
  grid: HeightGrid;
  /** Native intervals per offer (the planning horizon). */
  horizonIntervals: number;
  planMaker: PlanMaker;
  /** How proposals are checked; default `re-solve`. */
  validation?: PlanValidation;
  /** Peer keys (hex) allowed to offer; undefined = any key. */
  allowedPeers?: ReadonlySet<string>;
  /** Clock for envelopes, replay windows and offer freshness, UTC epoch ms; default `Date.now`. */
  clock?: () => number;
  /** Signature verifier for offers and consensus; default node:crypto (memoized by the round). */
  verifier?: SignatureVerifier;
  /** Payloads decoded by other nodes of this process (see `DecodeMemo`). */
  decodeMemo?: DecodeMemo;
  /** Replay window of offers and consensus envelopes, ms of `clock` (default 30,000). */
  replayWindowMs?: number;
  /** Anything else the signed round takes (timers, timeouts, injected faults). */
  round?: Partial<Omit<SignedRoundOptions, 'transport' | 'networkId' | 'keyPair' | 'validators' | 'grid' | 'getPlan' | 'validatePlan' | 'onDecide' | 'clock' | 'replayWindowMs' | 'verifier' | 'decodeMemo'>>;
  limits?: WireLimits;
  /**
   * Settlement chain this node keeps: every decided height becomes a block with its commit
   * certificate and the meter readings that arrived since the previous one.
   */
  ledger?: Ledger;
  /** Called once per decided height, after the commit was published. */
  onDecide?(decision: RoundDecision, commitMs: number): void;
  /** Called when a block was appended (or could not be). */
  onBlock?(result: { appended: IntervalAppended } | { error: Error }): void;
}

/** Counters of one coordinator. */
export interface CoordinatorStats {
  offers: { accepted: number; rejected: Partial<Record<OfferRejectCode, number>> };
  /** Proposals this node judged invalid, with the last reason. */
  proposalsRejected: number;
  lastRejectReason?: string;
  /** Heights this node was proposer for but could not plan (solver error), with the last message. */
  planFailures: number;
  lastPlanFailure?: string;
  heightsDecided: number;
  /** Heights decided in a round above 0 (the first proposer failed). */
  roundChanges: number;
  round: RoundStats;
}

/** A validator node; see the module comment. */
export class Coordinator {
  readonly id: string;
  private readonly options: CoordinatorOptions;
  private readonly round: SignedRound;
  private readonly pool: OfferPool;
  private readonly commitSigner: EnvelopeSigner;
  private readonly startedAt = new Map<number, number>();
  private unsubscribeOffers: (() => void) | undefined;
  private unsubscribeMeter: (() => void) | undefined;
  /** Meter envelopes received since the last block (checked by the ledger, which rejects bad ones). */
  private meterEnvelopes: Uint8Array[] = [];
  private appending: Promise<void> = Promise.resolve();
  private proposalsRejected = 0;
  private planFailures = 0;
  private lastPlanFailure: string | undefined;
  private lastRejectReason: string | undefined;
  private heightsDecided = 0;
  private roundChanges = 0;

  constructor(options: CoordinatorOptions) {
    this.options = options;
    this.id = toHex(options.keyPair.publicKey);
    const clock = options.clock ?? Date.now;
    this.pool = new OfferPool({
      networkId: options.networkId,
      verifier: options.verifier ?? createNodeCryptoVerifier(),
      intervalMs: options.grid.intervalMs,
      originMs: options.grid.originMs,
      horizonIntervals: options.horizonIntervals,
      allowedSenders: options.allowedPeers,
      clock,
      replayWindowMs: options.replayWindowMs,
      limits: options.limits,
      decodeMemo: options.decodeMemo,
    });
    // Commits are trusted for their certificate, not for who relays them: a second signer with the
    // same key is harmless here (peers do not run commits through a replay guard).
    this.commitSigner = new EnvelopeSigner({ networkId: options.networkId, keyPair: options.keyPair, clock, limits: options.limits });
    this.round = new SignedRound({
      ...options.round,
      transport: options.transport,
      topic: NETWORK_TOPICS.consensus,
      networkId: options.networkId,
      keyPair: options.keyPair,
      validators: options.validators,
      grid: options.grid,
      clock,
      replayWindowMs: options.replayWindowMs,
      ...(options.verifier ? { verifier: options.verifier } : {}),
      decodeMemo: options.decodeMemo,
      limits: options.limits,
      getPlan: (_height, intervalStartMs) => this.propose(intervalStartMs),
      validatePlan: (_height, intervalStartMs, value) => this.validate(intervalStartMs, value),
      onDecide: (decision) => this.decided(decision),
    });
  }

  /** Subscribes to offers and consensus (the transport must be started). */
  start(): void {
    this.unsubscribeOffers = this.options.transport.subscribe(NETWORK_TOPICS.offers, (data) => {
      this.pool.admit(data);
    });
    if (this.options.ledger) {
      this.unsubscribeMeter = this.options.transport.subscribe(NETWORK_TOPICS.meter, (data) => {
        // Bounded: a flood of meter envelopes between two commits cannot grow memory without limit.
        if (this.meterEnvelopes.length < MAX_PENDING_METER_ENVELOPES) this.meterEnvelopes.push(data);
      });
    }
    this.round.start();
  }

  /** Resolves when every block of a decided height is on stable storage. */
  async settled(): Promise<void> {
    await this.appending;
  }

  /** Starts consensus on the interval with index `height` (ignored when the node is already there or past it). */
  startHeight(height: number): void {
    if (height <= this.round.engine.height) return;
    this.startedAt.set(height, performance.now());
    this.round.startHeight(height);
  }

  /** Number of peers whose offers for the interval this node holds. */
  offerSenders(intervalStartMs: number): number {
    return this.pool.current(intervalStartMs).length;
  }

  /** The offers held for the interval starting at `intervalStartMs` (each sender's newest envelope). */
  heldOffers(intervalStartMs: number): FlexibilityOffer[] {
    return this.pool.current(intervalStartMs).flatMap((h) => h.offers);
  }

  /** Where consensus stands: the current height (-1 before the first) and its round. */
  position(): { height: number; round: number } {
    return { height: this.round.engine.height, round: this.round.engine.round };
  }

  /** The decision of a recent height, if decided. */
  decision(height: number): RoundDecision | undefined {
    return this.round.decision(height);
  }

  /** Stops listening and cancels timers; the transport is left to its owner. */
  stop(): void {
    this.unsubscribeOffers?.();
    this.unsubscribeMeter?.();
    this.round.stop();
  }

  stats(): CoordinatorStats {
    return {
      offers: this.pool.stats(),
      proposalsRejected: this.proposalsRejected,
      ...(this.lastRejectReason !== undefined ? { lastRejectReason: this.lastRejectReason } : {}),
      planFailures: this.planFailures,
      ...(this.lastPlanFailure !== undefined ? { lastPlanFailure: this.lastPlanFailure } : {}),
      heightsDecided: this.heightsDecided,
      roundChanges: this.roundChanges,
      round: this.round.stats(),
    };
  }

  /** This node's proposal; undefined (the others then time out and move on) when it cannot plan. */
  private propose(intervalStartMs: number): RoundValue | undefined {
    const held = this.pool.current(intervalStartMs);
    const offerIds = held.map((h) => h.id);
    try {
      const plan = this.options.planMaker.make(intervalStartMs, held.flatMap((h) => h.offers), offerIds);
      return plan === undefined ? undefined : { plan, offerIds };
    } catch (error) {
      this.planFailures++;
      this.lastPlanFailure = (error as Error).message;
      return undefined;
    }
  }

  private validate(intervalStartMs: number, value: RoundValue): boolean {
    const found = this.pool.lookup(intervalStartMs, value.offerIds);
    let reason: string | undefined;
    try {
      reason =
        'missing' in found
          ? `offer ${found.missing.slice(0, 16)}… is not held`
          : this.options.planMaker.rejectReason(intervalStartMs, value.plan, found.held.flatMap((h): FlexibilityOffer[] => h.offers), value.offerIds, this.options.validation ?? 're-solve');
    } catch (error) {
      reason = `re-solving failed: ${(error as Error).message}`;
    }
    if (reason === undefined) return true;
    this.proposalsRejected++;
    this.lastRejectReason = reason;
    return false;
  }

  private decided(decision: RoundDecision): void {
    const started = this.startedAt.get(decision.height);
    // Heights abandoned undecided are dropped too, or a long run with missed heights would grow this map.
    for (const height of this.startedAt.keys()) if (height <= decision.height) this.startedAt.delete(height);
    const commitMs = started === undefined ? Number.NaN : performance.now() - started;
    this.heightsDecided++;
    if (decision.commit.round > 0) this.roundChanges++;
    this.pool.closeBefore(decision.intervalStartMs);
    this.options.transport.publish(NETWORK_TOPICS.commits, this.commitSigner.seal(decision.commit)).catch(() => {
      // A refused publish (transport down) is covered by the other validators' copies and by catch-up.
    });
    this.options.onDecide?.(decision, commitMs);
    const ledger = this.options.ledger;
    if (ledger) {
      const meterEnvelopes = this.meterEnvelopes;
      this.meterEnvelopes = [];
      this.appending = this.appending.then(async () => {
        try {
          this.options.onBlock?.({ appended: await ledger.appendInterval({ commit: decision.commit, meterEnvelopes }) });
        } catch (error) {
          this.options.onBlock?.({ error: error as Error });
        }
      });
    }
  }
}
