/**
 * Message and certificate types of the Tendermint-style BFT round (Buchman, Kwon, Milosevic,
 * "The latest gossip on BFT consensus", 2018). One value `V` is decided per height; a height is
 * one planning interval. The types are transport- and signature-agnostic: the signed envelope
 * layer wraps them on the wire and tells the engine who authenticated each message.
 */

/** The two vote kinds of a round. */
export type VoteKind = 'prevote' | 'precommit';

/**
 * Timers the engine asks for: the three timeouts of a round (each grows with the round number) and
 * `resend`, the period at which a validator re-broadcasts its own messages of an undecided height
 * so that lost messages on a lossy transport are eventually delivered.
 */
export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'resend';

/** A proposer's value for (height, round). `validRound` is -1 for a fresh value, else the round whose 2f+1 prevotes justify re-proposing it. */
export interface Proposal<V> {
  /** Planning interval index (non-negative integer). */
  height: number;
  /** Round within the height (non-negative integer). */
  round: number;
  /** Hash of `value` as computed by the injected `idOf(value)`. */
  valueId: string;
  /** The proposed value (e.g. a dispatch plan). */
  value: V;
  /** -1, or a round < `round` in which 2f+1 validators prevoted `valueId`. */
  validRound: number;
  /** Public id of the validator that proposed; must be the round's proposer. */
  proposer: string;
}

/** A prevote or precommit; `valueId: null` is a nil vote. */
export interface Vote {
  kind: VoteKind;
  /** Planning interval index. */
  height: number;
  /** Round within the height. */
  round: number;
  /** The value voted for, or null for nil. */
  valueId: string | null;
  /** Public id of the voting validator. */
  validator: string;
}

/** Proof that a value was decided: precommits for `valueId` at (height, round) from ≥ 2f+1 distinct validators. */
export interface CommitCertificate {
  height: number;
  round: number;
  valueId: string;
  /** Precommit votes for `valueId` at (height, round), one per validator. */
  precommits: Vote[];
}

/** Everything a validator broadcasts. `commit` answers a message from a height the sender already decided, so a validator that missed the decision catches up. */
export type ConsensusMessage<V> =
  | { type: 'proposal'; proposal: Proposal<V> }
  | { type: 'vote'; vote: Vote }
  | { type: 'commit'; certificate: CommitCertificate; value: V };

/** Two conflicting messages signed by one validator in one (height, round): proof of Byzantine behaviour. */
export type Evidence<V> =
  | { kind: 'vote-equivocation'; validator: string; height: number; round: number; first: Vote; second: Vote }
  | { kind: 'proposal-equivocation'; validator: string; height: number; round: number; first: Proposal<V>; second: Proposal<V> };

/**
 * Fault tolerance of a validator set of size `n`: the largest f with n ≥ 3f+1.
 * @param validatorCount n, number of validators (≥ 1)
 */
export function maxFaulty(validatorCount: number): number {
  return Math.floor((validatorCount - 1) / 3);
}

/**
 * Votes needed to lock or commit among `n` validators: n − f, i.e. 2f+1 when n = 3f+1
 * (any two such quorums share at least f+1 validators, so at least one honest one).
 * @param validatorCount n, number of validators (≥ 1)
 */
export function commitQuorum(validatorCount: number): number {
  return validatorCount - maxFaulty(validatorCount);
}
