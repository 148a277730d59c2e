/**
 * Mapping between the consensus engine's types and the signed wire messages. Choices:
 * - validator id = lowercase hex of the 32-byte ed25519 public key;
 * - engine height = planning interval index: `intervalStartMs = originMs + height * intervalMs`
 *   (small integers keep the engine's "heights ahead" arithmetic meaningful);
 * - the engine's value is a `RoundValue` (the plan and the ids of the offers it was built from);
 *   valueId = hex of `planHash(plan)`, which covers `plan.offerSetHash` when the plan sets it.
 */
import type { ConsensusMessage, Proposal, Vote } from '../consensus/index.js';
import { offerSetHash, planHash } from '../hashes.js';
import { fromHex, toHex } from '../keys.js';
import type { Message, PrecommitMessage, PrevoteMessage, ProposalMessage } from '../messages.js';
import type { DispatchPlan } from '../plan.js';
import { RoundError } from './errors.js';

/** What validators agree on per height: a plan and the envelope ids of the signed offers it was built from. */
export interface RoundValue {
  plan: DispatchPlan;
  /** Envelope ids (32 bytes) of the offers named by the proposal; empty when a node only learnt the plan from a commit. */
  offerIds: Uint8Array[];
}

/** The planning-interval grid: height h starts at `originMs + h * intervalMs` (UTC epoch ms). */
export interface HeightGrid {
  /** Start of height 0, UTC epoch ms. */
  originMs: number;
  /** Length of one planning interval, ms (> 0). */
  intervalMs: number;
}

/** Start of `height`'s planning interval, UTC epoch ms. */
export function intervalStartOf(height: number, grid: HeightGrid): number {
  return grid.originMs + height * grid.intervalMs;
}

/** The height whose interval starts at `intervalStartMs`, or undefined when it is off the grid or before height 0. */
export function heightOf(intervalStartMs: number, grid: HeightGrid): number | undefined {
  const offsetMs = intervalStartMs - grid.originMs;
  if (offsetMs < 0 || offsetMs % grid.intervalMs !== 0) return undefined;
  return offsetMs / grid.intervalMs;
}

/** Engine value id: hex of `planHash(value.plan)` (64 characters). */
export function valueIdOf(value: RoundValue): string {
  return toHex(planHash(value.plan));
}

/**
 * Key naming one signed engine message: equal for the author's message and every relayed copy, so
 * the original envelope bytes can be looked up when the engine asks to forward it.
 */
export function messageKey(msg: { type: 'proposal'; proposal: Proposal<RoundValue> } | { type: 'vote'; vote: Vote }): string {
  if (msg.type === 'proposal') {
    const p = msg.proposal;
    return `proposal:${p.height}:${p.round}:${p.validRound}:${p.valueId}:${p.proposer}`;
  }
  const v = msg.vote;
  return `${v.kind}:${v.height}:${v.round}:${v.valueId ?? 'nil'}:${v.validator}`;
}

function bytesOfId(hex: string, field: string): Uint8Array {
  const bytes = fromHex(hex, 32);
  if (!bytes) throw new RoundError('VPP_ERR_ROUND_ENCODE', `${field}: expected 64 hex characters, got '${hex}'`);
  return bytes;
}

/** Wire message of an engine proposal or vote (the author then seals it). Throws `RoundError` on ids that are not 32-byte hex. */
export function toWireMessage(msg: { type: 'proposal'; proposal: Proposal<RoundValue> } | { type: 'vote'; vote: Vote }, grid: HeightGrid): ProposalMessage | PrevoteMessage | PrecommitMessage {
  if (msg.type === 'proposal') {
    const p = msg.proposal;
    const offerIds = p.value.offerIds;
    return {
      v: 1,
      type: 'proposal',
      intervalStartMs: intervalStartOf(p.height, grid),
      round: p.round,
      validRound: p.validRound,
      proposer: bytesOfId(p.proposer, 'proposal.proposer'),
      planHash: bytesOfId(p.valueId, 'proposal.valueId'),
      offerSetHash: offerSetHash(offerIds),
      offerIds,
      plan: p.value.plan,
    };
  }
  const v = msg.vote;
  return {
    v: 1,
    type: v.kind,
    intervalStartMs: intervalStartOf(v.height, grid),
    round: v.round,
    planHash: v.valueId === null ? null : bytesOfId(v.valueId, 'vote.valueId'),
  };
}

/**
 * Engine message of a verified wire proposal or vote signed by `signerHex`, or undefined when it
 * has no engine meaning (an interval off the grid, or another message type).
 */
export function fromWireMessage(message: Message, signerHex: string, grid: HeightGrid): { type: 'proposal'; proposal: Proposal<RoundValue> } | { type: 'vote'; vote: Vote } | undefined {
  if (message.type !== 'proposal' && message.type !== 'prevote' && message.type !== 'precommit') return undefined;
  const height = heightOf(message.intervalStartMs, grid);
  if (height === undefined) return undefined;
  if (message.type === 'proposal') {
    return {
      type: 'proposal',
      proposal: { height, round: message.round, valueId: toHex(message.planHash), value: { plan: message.plan, offerIds: message.offerIds }, validRound: message.validRound, proposer: toHex(message.proposer) },
    };
  }
  return { type: 'vote', vote: { kind: message.type, height, round: message.round, valueId: message.planHash === null ? null : toHex(message.planHash), validator: signerHex } };
}

/** Narrows an engine message to the kinds that travel as one signed envelope each. */
export function isSignedKind(msg: ConsensusMessage<RoundValue>): msg is { type: 'proposal'; proposal: Proposal<RoundValue> } | { type: 'vote'; vote: Vote } {
  return msg.type === 'proposal' || msg.type === 'vote';
}
