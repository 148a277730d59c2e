/**
 * Byzantine faults a simulation or test can inject into one validator of a `SignedRound`
 * (issue 5's `consensus.faults`). Each names the validator (index in the validator list) and the
 * heights it is active on: `fromHeight` inclusive (default 0) to `untilHeight` exclusive (default
 * never ending). Behaviours: see `ByzantineBehaviour` (byzantine-behaviour.ts).
 */
import { z } from 'zod';

const common = {
  /** Index of the faulty validator in the validator list. */
  validator: z.number().int().nonnegative(),
  /** First height the fault is active on (default 0). */
  fromHeight: z.number().int().nonnegative().optional(),
  /** First height the fault is no longer active on (default: active for ever). */
  untilHeight: z.number().int().nonnegative().optional(),
};

const untilAfterFrom = (fault: { fromHeight?: number; untilHeight?: number }): boolean => fault.untilHeight === undefined || fault.untilHeight > (fault.fromHeight ?? 0);
const untilAfterFromIssue = { message: 'untilHeight: expected a height above fromHeight', path: ['untilHeight'] };

/**
 * One injected fault:
 * - `silent`: publishes nothing;
 * - `equivocate`: as proposer, also signs and publishes a second, different plan for the same height and round;
 * - `double-vote`: every own prevote/precommit is followed by a signed conflicting one (nil ↔ a value);
 * - `forge`: also publishes envelopes claiming other validators' keys (bad signatures), its own
 *   envelopes with tampered payload bytes, and oversized envelopes;
 * - `replay`: re-publishes envelopes received earlier, from old heights;
 * - `infeasible-plan`: as proposer, proposes its plan with every setpoint ×1000 (fleet power kept consistent);
 * - `link`: outgoing (default) or incoming messages are lost with probability `lossFrac` and the rest delayed by `delayMs`.
 */
export const roundFaultSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('silent'), ...common }),
    z.strictObject({ kind: z.literal('equivocate'), ...common }),
    z.strictObject({ kind: z.literal('double-vote'), ...common }),
    z.strictObject({ kind: z.literal('forge'), ...common }),
    z.strictObject({ kind: z.literal('replay'), ...common }),
    z.strictObject({ kind: z.literal('infeasible-plan'), ...common }),
    z.strictObject({
      kind: z.literal('link'),
      ...common,
      /** Extra delay of every message that is not lost, ms. */
      delayMs: z.number().finite().nonnegative(),
      /** Probability in [0, 1] that a message is lost. */
      lossFrac: z.number().min(0).max(1),
      /** Which messages of this validator suffer: the ones it sends (default) or receives. */
      direction: z.enum(['outgoing', 'incoming']).optional(),
      /** Seed of the loss draws (default 1). */
      seed: z.number().int().optional(),
    }),
  ])
  .refine(untilAfterFrom, untilAfterFromIssue);

/** One injected fault; see {@link roundFaultSchema}. */
export type RoundFault = z.infer<typeof roundFaultSchema>;

/** The kinds of {@link RoundFault}. */
export type RoundFaultKind = RoundFault['kind'];

/** The link fault's settings. */
export type LinkFault = Extract<RoundFault, { kind: 'link' }>;

/** Whether `fault` is active at `height`. */
export function faultActiveAt(fault: RoundFault, height: number): boolean {
  return height >= (fault.fromHeight ?? 0) && (fault.untilHeight === undefined || height < fault.untilHeight);
}
