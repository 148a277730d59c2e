/**
 * A peer node: a DER owner's site. It signs and publishes the offers of the DERs it runs, and takes
 * a plan only from a commit certificate it verified itself against the validator set: a quorum of
 * signed precommits for exactly that plan's hash. Without one, its DER actors keep (and, once the
 * last certified plan expires, fall back to) their safe default.
 */
import type { DerAgent } from '../actors/der-agent.js';
import type { PlanSlice } from '../actors/der-actor.js';
import { setpointForPlan } from '../actors/offer.js';
import { verifyCommitCertificate } from '../protocol/certificate.js';
import type { DecodeMemo } from '../protocol/decode-memo.js';
import { decodeEnvelope, EnvelopeSigner, peekEnvelope, type WireLimits } from '../protocol/envelope.js';
import type { WireErrorCode } from '../protocol/errors.js';
import { equalBytes, toHex, type KeyPair, type SignatureVerifier } from '../protocol/keys.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import type { MeterReading } from '../protocol/messages.js';
import type { DispatchPlan } from '../protocol/plan.js';
import { heightOf, type HeightGrid } from '../protocol/round/index.js';
import type { Transport } from '../protocol/transport/index.js';
import { createNodeCryptoVerifier } from '../protocol/verifier-node-crypto.js';
import { NETWORK_TOPICS } from './topics.js';

/** A plan this peer verified the commit certificate of. */
export interface CertifiedPlan {
  height: number;
  intervalStartMs: number;
  round: number;
  planHash: Uint8Array;
  plan: DispatchPlan;
}

/** Why a received commit was not taken: a wire error, or one of the peer's own checks. */
export type CommitRejectCode = WireErrorCode | 'VPP_ERR_COMMIT_OFF_GRID' | 'VPP_ERR_COMMIT_NO_PLAN';

/** Configuration of a `PeerNode`. */
export interface PeerNodeOptions {
  transport: Transport;
  networkId: string;
  keyPair: KeyPair;
  /** Public keys of the validator set. */
  validators: readonly Uint8Array[];
  grid: HeightGrid;
  /** The DERs this site runs. */
  agents: readonly DerAgent[];
  /** Native intervals per offer. */
  horizonIntervals: number;
  /** A plan is followed at most this long after its interval starts, ms. */
  planTimeoutMs: number;
  /** Clock for envelope times, UTC epoch ms; default `Date.now`. */
  clock?: () => number;
  /** Signature verifier for commits; default node:crypto. */
  verifier?: SignatureVerifier;
  /** Payloads decoded by other nodes of this process (see `DecodeMemo`). */
  decodeMemo?: DecodeMemo;
  limits?: WireLimits;
  /** Called once per newly certified interval. */
  onCertified?(plan: CertifiedPlan): void;
  /** Feeders the network limits: a PV on one keeps its planned output as its cap (see `setpointForPlan`). */
  limitedFeeders?: ReadonlySet<string>;
}

/** Counters of one peer node. */
export interface PeerStats {
  offersPublished: number;
  publishFailures: number;
  certified: number;
  /** Copies of a commit already taken (every validator publishes one). */
  duplicateCommits: number;
  rejectedCommits: Partial<Record<CommitRejectCode, number>>;
  /** Valid certificates for a second, different plan of an interval already certified: a safety violation seen by this peer. */
  conflictingCommits: number;
}

/** Certified plans kept (newest intervals). */
const RETAIN_PLANS = 16;

/** A DER owner's node; see the module comment. */
export class PeerNode {
  readonly id: string;
  private readonly options: PeerNodeOptions;
  private readonly signer: EnvelopeSigner;
  private readonly verifier: SignatureVerifier;
  private readonly validatorSet: Set<string>;
  private readonly certifiedPlans = new Map<number, CertifiedPlan>();
  /** intervalStartMs → this site's offers for it, by DER id. */
  private readonly offered = new Map<number, Map<string, FlexibilityOffer>>();
  /** The signed offer envelope of the newest interval offered, for `resendOffers`. */
  private lastOfferEnvelope: { intervalStartMs: number; bytes: Uint8Array } | undefined;
  private readonly counters: PeerStats = { offersPublished: 0, publishFailures: 0, certified: 0, duplicateCommits: 0, rejectedCommits: {}, conflictingCommits: 0 };
  private unsubscribe: (() => void) | undefined;
  /** Meter registers per DER id: the device's net meter at the last reading and the export/import totals since. */
  private readonly meters = new Map<string, { netKWh: number; exportTotalKWh: number; importTotalKWh: number }>();

  constructor(options: PeerNodeOptions) {
    this.options = options;
    this.id = toHex(options.keyPair.publicKey);
    this.validatorSet = new Set(options.validators.map(toHex));
    this.verifier = options.verifier ?? createNodeCryptoVerifier();
    this.signer = new EnvelopeSigner({ networkId: options.networkId, keyPair: options.keyPair, clock: options.clock, limits: options.limits });
  }

  /** Subscribes to commits (the transport must be started). */
  start(): void {
    this.unsubscribe = this.options.transport.subscribe(NETWORK_TOPICS.commits, (data) => this.receiveCommit(data));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /**
   * Derives each DER's offer for the horizon starting at `intervalStartMs`, signs them in one
   * envelope and publishes it. `pvAvailableKW` gives a PV's forecast (kW per interval).
   */
  async publishOffers(intervalStartMs: number, pvAvailableKW?: (derId: string) => number[] | undefined): Promise<FlexibilityOffer[]> {
    const window = { startMs: intervalStartMs, intervalMs: this.options.grid.intervalMs, horizonIntervals: this.options.horizonIntervals };
    const offers = await Promise.all(this.options.agents.map((agent) => agent.offer({ ...window, pvAvailableKW: pvAvailableKW?.(agent.id) })));
    this.offered.set(intervalStartMs, new Map(offers.map((o) => [o.derId, o])));
    for (const start of this.offered.keys()) if (start < intervalStartMs - RETAIN_PLANS * this.options.grid.intervalMs) this.offered.delete(start);
    if (offers.length === 0) return offers;
    this.counters.offersPublished++;
    this.lastOfferEnvelope = { intervalStartMs, bytes: this.signer.seal({ v: 1, type: 'offer', offers }) };
    await this.sendOffers(this.lastOfferEnvelope.bytes);
    return offers;
  }

  /**
   * Publishes the same signed offers for `intervalStartMs` again (nothing if that was not the newest
   * interval offered): for a coordinator that missed them. Copies are dropped by the receivers'
   * duplicate checks, so a resend can never count twice.
   */
  async resendOffers(intervalStartMs: number): Promise<void> {
    if (this.lastOfferEnvelope?.intervalStartMs === intervalStartMs) await this.sendOffers(this.lastOfferEnvelope.bytes);
  }

  private async sendOffers(bytes: Uint8Array): Promise<void> {
    try {
      await this.options.transport.publish(NETWORK_TOPICS.offers, bytes);
    } catch {
      // Refused while disconnected: the interval goes unplanned for this site and its DERs keep their safe default.
      this.counters.publishFailures++;
    }
  }

  /**
   * Signs and publishes the metered energy of every DER over the interval that started at
   * `intervalStartMs` (from each device's net meter since the previous call; the first call only
   * sets the baseline and publishes nothing; nor is anything published for an interval without a
   * certified plan, though the registers move on). Returns the readings published.
   */
  async publishMeter(intervalStartMs: number): Promise<MeterReading[]> {
    const readings: MeterReading[] = [];
    for (const agent of this.options.agents) {
      const netKWh = (await agent.telemetry()).meterNetKWh;
      const register = this.meters.get(agent.id);
      if (register === undefined) {
        this.meters.set(agent.id, { netKWh, exportTotalKWh: 0, importTotalKWh: 0 });
        continue;
      }
      // A DER runs one way within an interval: the net change is its export or its import.
      const deltaKWh = netKWh - register.netKWh;
      register.netKWh = netKWh;
      register.exportTotalKWh += Math.max(0, deltaKWh);
      register.importTotalKWh += Math.max(0, -deltaKWh);
      readings.push({ derId: agent.id, exportedKWh: Math.max(0, deltaKWh), importedKWh: Math.max(0, -deltaKWh), meterExportTotalKWh: register.exportTotalKWh, meterImportTotalKWh: register.importTotalKWh });
    }
    // Without a certified plan for the interval there is nothing to settle the readings against.
    if (readings.length === 0 || this.certified(intervalStartMs) === undefined) return [];
    try {
      await this.options.transport.publish(NETWORK_TOPICS.meter, this.signer.seal({ v: 1, type: 'meter', intervalStartMs, intervalMs: this.options.grid.intervalMs, readings }));
    } catch {
      this.counters.publishFailures++;
    }
    return readings;
  }

  /** The certified plan of the interval starting at `intervalStartMs`, if one arrived. */
  certified(intervalStartMs: number): CertifiedPlan | undefined {
    const height = heightOf(intervalStartMs, this.options.grid);
    return height === undefined ? undefined : this.certifiedPlans.get(height);
  }

  /**
   * What `agent` should follow from the certified plan of the interval starting at
   * `intervalStartMs`: its first-period setpoint (see `setpointForPlan`) held for that period, or
   * undefined when no plan certified for the interval names it.
   */
  sliceFor(agent: DerAgent, intervalStartMs: number): PlanSlice | undefined {
    const certified = this.certified(intervalStartMs);
    if (certified === undefined || !Object.hasOwn(certified.plan.setpointsKW, agent.id)) return undefined;
    const plannedKW = certified.plan.setpointsKW[agent.id][0];
    const setpointKW = setpointForPlan(this.offered.get(intervalStartMs)?.get(agent.id), plannedKW, agent.capabilities(), this.options.limitedFeeders);
    const { intervalMs } = this.options.grid;
    const periodIntervals = Math.max(1, Math.round(certified.plan.periods[0].durationMs / intervalMs));
    return { setpointsKW: new Array<number>(periodIntervals).fill(setpointKW), startMs: intervalStartMs, intervalMs, validUntilMs: intervalStartMs + this.options.planTimeoutMs };
  }

  stats(): PeerStats {
    return { ...this.counters, rejectedCommits: { ...this.counters.rejectedCommits } };
  }

  private reject(code: CommitRejectCode): void {
    this.counters.rejectedCommits[code] = (this.counters.rejectedCommits[code] ?? 0) + 1;
  }

  /** A copy (from another validator) of a commit already taken, judged from its unverified payload. */
  private isKnownCommit(data: Uint8Array): boolean {
    const peek = peekEnvelope(data, this.options.limits);
    const payload = peek?.payload as { intervalStartMs?: unknown; planHash?: unknown } | undefined;
    if (peek?.type !== 'commit' || typeof payload?.intervalStartMs !== 'number' || !(payload.planHash instanceof Uint8Array)) return false;
    const height = heightOf(payload.intervalStartMs, this.options.grid);
    const known = height === undefined ? undefined : this.certifiedPlans.get(height);
    return known !== undefined && equalBytes(known.planHash, payload.planHash);
  }

  /** Checks one received commit; never throws on remote input. */
  private receiveCommit(data: Uint8Array): void {
    // Every validator publishes the commit: later copies are dropped before any signature check.
    if (this.isKnownCommit(data)) {
      this.counters.duplicateCommits++;
      return;
    }
    const { networkId, limits, grid } = this.options;
    const decoded = decodeEnvelope(data, { networkId, verifier: this.verifier, acceptTypes: ['commit'], isKnownSender: (key) => this.validatorSet.has(toHex(key)), limits, memo: this.options.decodeMemo });
    if (!decoded.ok) return this.reject(decoded.error.code);
    const commit = decoded.message;
    const height = heightOf(commit.intervalStartMs, grid);
    if (height === undefined) return this.reject('VPP_ERR_COMMIT_OFF_GRID');
    // The decoder already checked planHash == planHash(plan) for a commit that carries its plan.
    if (commit.plan === undefined) return this.reject('VPP_ERR_COMMIT_NO_PLAN');
    const known = this.certifiedPlans.get(height);
    const check = verifyCommitCertificate(commit, { networkId, verifier: this.verifier, validators: this.options.validators, limits, memo: this.options.decodeMemo });
    if (!check.ok) return this.reject(check.error.code);
    if (known !== undefined) {
      this.counters.conflictingCommits++;
      return;
    }
    const certified: CertifiedPlan = { height, intervalStartMs: commit.intervalStartMs, round: commit.round, planHash: commit.planHash, plan: commit.plan };
    this.certifiedPlans.set(height, certified);
    for (const h of this.certifiedPlans.keys()) if (h <= height - RETAIN_PLANS) this.certifiedPlans.delete(h);
    this.counters.certified++;
    this.options.onCertified?.(certified);
  }
}
