/**
 * Versioned wire messages of the VPP protocol (version 1). Every message carries `v` (protocol
 * version) and `type` (the discriminant, also signed in the envelope header). Powers follow the
 * project's sign convention: positive = into the grid (discharge, generation), negative = out of
 * the grid (charging). Times are UTC epoch milliseconds. Hashes and public keys are raw 32-byte
 * `Uint8Array`s (msgpack bin). Field-by-field wire documentation: docs/protocol.md.
 */
import { z } from 'zod';
import type { FlexibilityOffer } from './offer.js';
import type { DispatchPlan, PlanPeriod } from './plan.js';

/** Protocol version carried in every message's `v` field. */
export const PROTOCOL_VERSION = 1;

/** Every message type, in the order docs/protocol.md lists them. */
export const MESSAGE_TYPES = ['offer', 'proposal', 'prevote', 'precommit', 'commit', 'setpoints', 'meter', 'heartbeat'] as const;

/** The `type` discriminant of a wire message. */
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Most offers one `offer` message may carry (a site with more DERs sends several messages). */
export const MAX_OFFERS_PER_MESSAGE = 1024;

/**
 * Flexibility offers of the DERs a peer node runs, for the coming planning horizon, signed once by
 * that node: one signature per site and interval rather than per device.
 */
export interface OfferMessage {
  v: 1;
  type: 'offer';
  /** 1..MAX_OFFERS_PER_MESSAGE offers with distinct `derId`s. */
  offers: FlexibilityOffer[];
}

/** A proposer's plan for one planning interval and consensus round. */
export interface ProposalMessage {
  v: 1;
  type: 'proposal';
  /** UTC epoch ms of the planning interval's start: the consensus height. */
  intervalStartMs: number;
  /** Consensus round within the interval, from 0. */
  round: number;
  /** -1 for a fresh plan; else the earlier round (< `round`) whose ≥ 2f+1 prevotes for this plan justify re-proposing it (Tendermint `validRound`). */
  validRound: number;
  /** Proposer's ed25519 public key, 32 bytes (must equal the envelope sender). */
  proposer: Uint8Array;
  /** `planHash(plan)`, 32 bytes. */
  planHash: Uint8Array;
  /** `offerSetHash(offerIds)`, 32 bytes. */
  offerSetHash: Uint8Array;
  /** Envelope ids (`envelopeId`) of the signed offers the plan was built from, 32 bytes each. */
  offerIds: Uint8Array[];
  plan: DispatchPlan;
}

/** Fields shared by prevotes and precommits. */
interface VoteFields {
  v: 1;
  /** UTC epoch ms of the planning interval's start. */
  intervalStartMs: number;
  /** Consensus round within the interval, from 0. */
  round: number;
  /** Hash of the plan voted for, 32 bytes, or `null` for a nil vote. */
  planHash: Uint8Array | null;
}

/** First-stage vote (Tendermint prevote). */
export interface PrevoteMessage extends VoteFields {
  type: 'prevote';
}

/** Second-stage vote (Tendermint precommit); ≥ 2f+1 of them for one plan hash commit the plan. */
export interface PrecommitMessage extends VoteFields {
  type: 'precommit';
}

/** Proof that a plan committed: the complete signed precommit envelopes of ≥ 2f+1 validators. */
export interface CommitMessage {
  v: 1;
  type: 'commit';
  intervalStartMs: number;
  round: number;
  /** Hash of the committed plan, 32 bytes. */
  planHash: Uint8Array;
  /** Each element is the exact bytes of one signed `precommit` envelope for this interval, round and plan hash. */
  precommits: Uint8Array[];
  /** The committed plan itself, for a node catching up; authenticated by `planHash`, not by the proposer's signature. */
  plan?: DispatchPlan;
}

/** Reference from a plan slice to the commit certificate that makes it binding. */
export interface CertificateRef {
  round: number;
  /** Hash of the committed plan, 32 bytes. */
  planHash: Uint8Array;
  /** `envelopeId` of the signed `commit` envelope, 32 bytes. */
  certificateId: Uint8Array;
}

/** The part of a committed plan addressed to one DER: its setpoints per plan period. */
export interface SetpointsMessage {
  v: 1;
  type: 'setpoints';
  derId: string;
  /** UTC epoch ms of the planning interval's start (the committed plan's height). */
  intervalStartMs: number;
  /** The plan's periods, one per setpoint. */
  periods: PlanPeriod[];
  /** Setpoint per period, kW; positive = into the grid. */
  setpointsKW: number[];
  certificate: CertificateRef;
}

/** Most readings one `meter` message may carry (a site with more DERs sends several messages). */
export const MAX_READINGS_PER_MESSAGE = 1024;

/** One DER's metered energy over the interval of the `meter` message that carries it. */
export interface MeterReading {
  derId: string;
  /** Energy the DER pushed into the grid during the interval, kWh, >= 0. */
  exportedKWh: number;
  /** Energy the DER drew from the grid during the interval, kWh, >= 0. */
  importedKWh: number;
  /** Meter's cumulative export register at the interval's end, kWh, >= 0. */
  meterExportTotalKWh: number;
  /** Meter's cumulative import register at the interval's end, kWh, >= 0. */
  meterImportTotalKWh: number;
}

/**
 * Metered energy of the DERs a peer node (site gateway) runs, over one interval, signed once by
 * that node: one signature per site and interval rather than per device.
 */
export interface MeterReadingMessage {
  v: 1;
  type: 'meter';
  /** UTC epoch ms of the metered interval's start. */
  intervalStartMs: number;
  /** Length of the metered interval, ms, > 0. */
  intervalMs: number;
  /** 1..MAX_READINGS_PER_MESSAGE readings with distinct `derId`s. */
  readings: MeterReading[];
}

/** Liveness signal of a node. */
export interface HeartbeatMessage {
  v: 1;
  type: 'heartbeat';
  role: 'coordinator' | 'peer';
  /** Start (UTC epoch ms) of the newest interval the node knows committed, or `null`. */
  lastCommittedIntervalStartMs: number | null;
}

/** Any wire message; discriminated by `type`. */
export type Message =
  | OfferMessage
  | ProposalMessage
  | PrevoteMessage
  | PrecommitMessage
  | CommitMessage
  | SetpointsMessage
  | MeterReadingMessage
  | HeartbeatMessage;

/** The message of one type. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

const bytes32 = z.instanceof(Uint8Array).refine((b) => b.length === 32, 'expected 32 bytes');
const id = z.string().min(1).max(128);
const timeMs = z.int().nonnegative();
const durationMs = z.int().positive();
const round = z.int().nonnegative().max(1_000_000);
const nonNegative = z.number().nonnegative();
/**
 * An array of finite numbers, checked in one pass: offers and plans carry tens of thousands of them
 * per interval, and a per-element schema costs several times the whole msgpack decode.
 */
const finiteNumbers = z.custom<number[]>((value) => Array.isArray(value) && value.every((x) => typeof x === 'number' && Number.isFinite(x)), 'expected an array of finite numbers');

/**
 * Offer power profiles travel as a plain array, or as runs `{ values, counts }` (value `values[i]`
 * repeated `counts[i]` times) when that is shorter. A battery's bounds are one run over the whole
 * horizon, so most offers shrink from kilobytes to a few bytes; receivers see plain arrays.
 */
/** A profile as runs when that is shorter on the wire, else unchanged. */
function compactProfile(values: readonly number[]): readonly number[] | { values: number[]; counts: number[] } {
  const runs: { values: number[]; counts: number[] } = { values: [], counts: [] };
  for (const value of values) {
    const last = runs.values.length - 1;
    if (last >= 0 && Object.is(runs.values[last], value)) runs.counts[last]++;
    else {
      runs.values.push(value);
      runs.counts.push(1);
    }
  }
  return 2 * runs.values.length < values.length ? runs : values;
}

/** The message as it is encoded: offer profiles as runs where shorter. */
export function toWire(message: Message): unknown {
  if (message.type !== 'offer') return message;
  return { ...message, offers: message.offers.map((o) => ({ ...o, minPowerKW: compactProfile(o.minPowerKW), maxPowerKW: compactProfile(o.maxPowerKW) })) };
}

/**
 * A decoded (untrusted) payload with offer runs expanded, for the schema to check; anything not
 * shaped as runs is left for the schema to reject. Runs that would expand beyond `maxValues` numbers
 * in all are an error: a few bytes must not make a receiver allocate gigabytes.
 */
export function fromWire(type: MessageType, body: unknown, maxValues: number): { value: unknown } | { error: string } {
  if (type !== 'offer' || typeof body !== 'object' || body === null || !Array.isArray((body as { offers?: unknown }).offers)) return { value: body };
  let budget = maxValues;
  const expand = (profile: unknown, where: string): unknown => {
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) return profile;
    const { values, counts } = profile as { values?: unknown; counts?: unknown };
    if (!Array.isArray(values) || !Array.isArray(counts) || values.length !== counts.length || Object.keys(profile).length !== 2) {
      throw new Error(`field '${where}': expected an array of numbers or runs { values, counts } of equal length`);
    }
    const total = counts.reduce<number>((sum, c) => (Number.isSafeInteger(c) && (c as number) > 0 ? sum + (c as number) : Number.NaN), 0);
    if (!(total <= budget)) throw new Error(`field '${where}.counts': expected positive integers expanding to at most ${budget} more values`);
    budget -= total;
    const out = new Array<unknown>(total);
    let k = 0;
    for (let i = 0; i < values.length; i++) for (let c = counts[i] as number; c > 0; c--) out[k++] = values[i];
    return out;
  };
  try {
    const offers = (body as { offers: unknown[] }).offers.map((offer, i) => {
      if (typeof offer !== 'object' || offer === null) return offer;
      const o = offer as Record<string, unknown>;
      return { ...o, minPowerKW: expand(o.minPowerKW, `offers.${i}.minPowerKW`), maxPowerKW: expand(o.maxPowerKW, `offers.${i}.maxPowerKW`) };
    });
    return { value: { ...body, offers } };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const offerSchema = z.strictObject({
  derId: id,
  kind: z.enum(['battery', 'ev-charger', 'pv']),
  ownerId: id,
  feederId: id.optional(),
  startMs: timeMs,
  intervalMs: durationMs,
  minPowerKW: finiteNumbers,
  maxPowerKW: finiteNumbers,
  storage: z
    .strictObject({
      energyKWh: z.number(),
      minEnergyKWh: z.number(),
      maxEnergyKWh: z.number(),
      chargeEfficiency: z.number(),
      dischargeEfficiency: z.number(),
    })
    .optional(),
  evDemand: z
    .strictObject({
      wantedKWh: z.number(),
      intervalsLeft: z.int().nonnegative(),
      lastIntervalFrac: z.number().optional(),
      chargeEfficiency: z.number(),
    })
    .optional(),
  marginalCostPerMWh: z.number(),
}).refine((o) => o.minPowerKW.length === o.maxPowerKW.length, { message: 'minPowerKW and maxPowerKW must have the same length', path: ['maxPowerKW'] });

const periodSchema = z.strictObject({ startMs: timeMs, durationMs });

const planSchema = z.strictObject({
  createdAtMs: timeMs,
  periods: z.array(periodSchema),
  pricePerMWh: finiteNumbers,
  setpointsKW: z.record(id, finiteNumbers),
  fleetPowerKW: finiteNumbers,
  objectiveValue: z.number(),
  solver: z.strictObject({ backend: id, strategy: id, lpSolves: z.int().nonnegative(), solveMs: nonNegative }),
  offerSetHash: bytes32.optional(),
});

const voteFields = { v: z.literal(1), intervalStartMs: timeMs, round, planHash: bytes32.nullable() };

/** zod schema of each message type's payload, used by `decodeEnvelope` after the signature checks out. */
export const MESSAGE_SCHEMAS: { [T in MessageType]: z.ZodType<MessageOf<T>> } = {
  offer: z.strictObject({
    v: z.literal(1),
    type: z.literal('offer'),
    offers: z
      .array(offerSchema)
      .min(1)
      .max(MAX_OFFERS_PER_MESSAGE)
      .refine((offers) => new Set(offers.map((o) => o.derId)).size === offers.length, 'derIds must be distinct'),
  }),
  proposal: z.strictObject({
    v: z.literal(1),
    type: z.literal('proposal'),
    intervalStartMs: timeMs,
    round,
    validRound: z.int().min(-1).max(1_000_000),
    proposer: bytes32,
    planHash: bytes32,
    offerSetHash: bytes32,
    offerIds: z.array(bytes32),
    plan: planSchema,
  }).refine((m) => m.validRound < m.round, { message: 'validRound must be -1 or below round', path: ['validRound'] }),
  prevote: z.strictObject({ ...voteFields, type: z.literal('prevote') }),
  precommit: z.strictObject({ ...voteFields, type: z.literal('precommit') }),
  commit: z.strictObject({
    v: z.literal(1),
    type: z.literal('commit'),
    intervalStartMs: timeMs,
    round,
    planHash: bytes32,
    precommits: z.array(z.instanceof(Uint8Array)).min(1),
    plan: planSchema.optional(),
  }),
  setpoints: z
    .strictObject({
      v: z.literal(1),
      type: z.literal('setpoints'),
      derId: id,
      intervalStartMs: timeMs,
      periods: z.array(periodSchema).min(1),
      setpointsKW: finiteNumbers.refine((values) => values.length >= 1, 'expected at least one setpoint'),
      certificate: z.strictObject({ round, planHash: bytes32, certificateId: bytes32 }),
    })
    .refine((m) => m.periods.length === m.setpointsKW.length, { message: 'setpointsKW must have one value per period', path: ['setpointsKW'] }),
  meter: z.strictObject({
    v: z.literal(1),
    type: z.literal('meter'),
    intervalStartMs: timeMs,
    intervalMs: durationMs,
    readings: z
      .array(
        z.strictObject({
          derId: id,
          exportedKWh: nonNegative,
          importedKWh: nonNegative,
          meterExportTotalKWh: nonNegative,
          meterImportTotalKWh: nonNegative,
        }),
      )
      .min(1)
      .max(MAX_READINGS_PER_MESSAGE)
      .refine((readings) => new Set(readings.map((r) => r.derId)).size === readings.length, 'derIds must be distinct'),
  }),
  heartbeat: z.strictObject({
    v: z.literal(1),
    type: z.literal('heartbeat'),
    role: z.enum(['coordinator', 'peer']),
    lastCommittedIntervalStartMs: timeMs.nullable(),
  }),
};

/** True when `type` names a protocol-1 message type. */
export function isMessageType(type: unknown): type is MessageType {
  return typeof type === 'string' && (MESSAGE_TYPES as readonly string[]).includes(type);
}
