/**
 * What a Byzantine validator's `SignedRound` does besides (or instead of) the honest path, for the
 * faults in faults.ts (`link` is a transport decorator, see SignedRound). Everything it sends under
 * its own key is sealed through the node's `EnvelopeSigner`, so its sequence numbers stay valid and
 * receivers judge the messages on content, not on a broken header; only `forge` makes bad envelopes.
 */
import { Encoder } from '@msgpack/msgpack';
import type { ConsensusMessage, Proposal, Vote } from '../consensus/index.js';
import { encodeEnvelope, SIGNING_CONTEXT, type WireLimits } from '../envelope.js';
import { sha256 } from '../hashes.js';
import { toHex, type KeyPair } from '../keys.js';
import type { Message } from '../messages.js';
import type { DispatchPlan } from '../plan.js';
import { faultActiveAt, type RoundFault, type RoundFaultKind } from './faults.js';
import { intervalStartOf, messageKey, toWireMessage, valueIdOf, type HeightGrid, type RoundValue } from './wire-adapter.js';

/** What the behaviour may use of its node. */
export interface ByzantineContext {
  networkId: string;
  keyPair: KeyPair;
  /** Public keys of the validator set, in proposer order. */
  validators: readonly Uint8Array[];
  grid: HeightGrid;
  limits: WireLimits;
  clock: () => number;
  /** Seals with the node's `EnvelopeSigner` (next sequence number, the node's clock). */
  seal(message: Message): Uint8Array;
  /** Publishes on the consensus topic (counted in the node's stats). */
  publish(bytes: Uint8Array): void;
}

/** Setpoint factor of an `infeasible-plan` proposal. */
const INFEASIBLE_FACTOR = 1000;
/** Envelopes kept per height for `replay`. */
const CAPTURED_PER_HEIGHT = 3;
/** Heights back that `replay` re-publishes at each new height: all past the 16 heights a node retains. */
const REPLAY_AGES = [17, 25, 35];
const CAPTURE_HEIGHTS = Math.max(...REPLAY_AGES) + 1;
/** Payload bytes of a forged oversized prevote: over any sane prevote limit. */
const OVERSIZED_PAYLOAD_BYTES = 8 * 1024;

const encoder = new Encoder();

/** The Byzantine side of one validator; created by `SignedRound` only when faults name it. */
export class ByzantineBehaviour {
  private readonly faults: readonly RoundFault[];
  private readonly ctx: ByzantineContext;
  /** Own message key → the conflicting envelope sent with it (re-sent with every re-send). */
  private readonly twins = new Map<string, { height: number; raw: Uint8Array }>();
  /** height → round → value id of the first proposal seen, for conflicting votes. */
  private readonly proposalIds = new Map<number, Map<number, string>>();
  /** height → envelopes received first at that height (for replay). */
  private readonly captured = new Map<number, Uint8Array[]>();
  private lastOwnRaw: Uint8Array | undefined;

  constructor(faults: readonly RoundFault[], ctx: ByzantineContext) {
    this.faults = faults;
    this.ctx = ctx;
  }

  /** Whether a fault of `kind` is active at `height`. */
  active(kind: RoundFaultKind, height: number): boolean {
    return this.faults.some((f) => f.kind === kind && faultActiveAt(f, height));
  }

  /** The value to propose at `height` instead of the honest one (`infeasible-plan`). */
  proposalValue(height: number, value: RoundValue | undefined): RoundValue | undefined {
    if (value === undefined || !this.active('infeasible-plan', height)) return value;
    return { ...value, plan: scaledPlan(value.plan, INFEASIBLE_FACTOR) };
  }

  /** A proposal was received or made: remembered so a double vote can name its value. */
  noteProposal(proposal: Proposal<RoundValue>): void {
    let byRound = this.proposalIds.get(proposal.height);
    if (byRound === undefined) {
      byRound = new Map();
      this.proposalIds.set(proposal.height, byRound);
    }
    if (!byRound.has(proposal.round)) byRound.set(proposal.round, proposal.valueId);
  }

  /** An envelope of `height` (first seen from another validator, or our own), kept for `replay`. */
  capture(height: number, raw: Uint8Array): void {
    let kept = this.captured.get(height);
    if (kept === undefined) {
      kept = [];
      this.captured.set(height, kept);
      for (const h of this.captured.keys()) if (h <= height - CAPTURE_HEIGHTS) this.captured.delete(h);
    }
    if (kept.length < CAPTURED_PER_HEIGHT) kept.push(raw);
  }

  /** The node starts `height`: `replay` and `forge` send their extra envelopes. */
  startHeight(height: number): void {
    for (const h of this.proposalIds.keys()) if (h < height) this.proposalIds.delete(h);
    if (this.active('replay', height)) {
      for (const age of REPLAY_AGES) for (const raw of this.captured.get(height - age) ?? []) this.ctx.publish(raw);
    }
    if (this.active('forge', height)) this.forge(height);
  }

  /** The node published (or re-published) its own proposal or vote as `raw`: send the conflicting twin. */
  afterOwn(msg: { type: 'proposal'; proposal: Proposal<RoundValue> } | { type: 'vote'; vote: Vote }, raw: Uint8Array): void {
    const height = msg.type === 'proposal' ? msg.proposal.height : msg.vote.height;
    this.lastOwnRaw = raw;
    this.capture(height, raw);
    if (msg.type === 'proposal') this.noteProposal(msg.proposal);
    const wanted = msg.type === 'proposal' ? this.active('equivocate', height) : this.active('double-vote', height);
    if (!wanted) return;
    const key = messageKey(msg);
    let twin = this.twins.get(key);
    if (twin === undefined) {
      const conflicting = msg.type === 'proposal' ? this.twinProposal(msg.proposal) : this.twinVote(msg.vote);
      twin = { height, raw: this.ctx.seal(toWireMessage(conflicting, this.ctx.grid)) };
      this.twins.set(key, twin);
      for (const [k, t] of this.twins) if (t.height < height - 1) this.twins.delete(k);
    }
    this.ctx.publish(twin.raw);
  }

  /** Same height, round and validRound, another plan (created 1 ms later, so another hash). */
  private twinProposal(p: Proposal<RoundValue>): { type: 'proposal'; proposal: Proposal<RoundValue> } {
    const value: RoundValue = { ...p.value, plan: { ...p.value.plan, createdAtMs: p.value.plan.createdAtMs + 1 } };
    return { type: 'proposal', proposal: { ...p, value, valueId: valueIdOf(value) } };
  }

  /** A vote for a value becomes nil; a nil vote becomes a vote for the round's proposal (or an unknown value). */
  private twinVote(v: Vote): { type: 'vote'; vote: Vote } {
    const other = v.valueId !== null ? null : (this.proposalIds.get(v.height)?.get(v.round) ?? toHex(sha256(new TextEncoder().encode(`double-vote:${v.height}:${v.round}`))));
    return { type: 'vote', vote: { ...v, valueId: other } };
  }

  /**
   * Three bad envelopes: a prevote claiming another validator's key (signed with ours), our last
   * genuine envelope with a payload byte flipped, and a prevote far over the size limit.
   */
  private forge(height: number): void {
    const { validators, keyPair, networkId, clock, grid, limits } = this.ctx;
    const selfIndex = validators.findIndex((v) => toHex(v) === toHex(keyPair.publicKey));
    const victim = validators[(selfIndex + 1) % validators.length];
    const vote: Message = { v: 1, type: 'prevote', intervalStartMs: intervalStartOf(height, grid), round: 0, planHash: null };
    const nowMs = clock();
    this.ctx.publish(encodeEnvelope(vote, { networkId, keyPair: { publicKey: victim, secretKey: keyPair.secretKey }, seq: nowMs * 1000, issuedAtMs: nowMs }, limits));
    if (this.lastOwnRaw !== undefined) {
      const tampered = this.lastOwnRaw.slice();
      // The signature's bin header (2 bytes) and 64 bytes sit at the end; the byte before is the payload's last.
      tampered[tampered.length - 67] ^= 0x01;
      this.ctx.publish(tampered);
    }
    const padding = new Uint8Array(Math.max(OVERSIZED_PAYLOAD_BYTES, limits.maxEnvelopeBytes.prevote + 1));
    const signedBytes = encoder.encode([SIGNING_CONTEXT, networkId, 'prevote', victim, nowMs * 1000, nowMs, padding]);
    this.ctx.publish(encoder.encode([signedBytes, new Uint8Array(64)]));
  }
}

/** `plan` with every setpoint and the fleet power multiplied by `factor` (so it stays self-consistent). */
function scaledPlan(plan: DispatchPlan, factor: number): DispatchPlan {
  const setpointsKW: Record<string, number[]> = {};
  for (const [der, kw] of Object.entries(plan.setpointsKW)) setpointsKW[der] = kw.map((x) => x * factor);
  return { ...plan, setpointsKW, fleetPowerKW: plan.fleetPowerKW.map((x) => x * factor) };
}
