/**
 * Block format. A block is a msgpack map in canonical form (keys sorted, absent optional fields
 * omitted, integers shortest, other numbers float64, as `planHash`), stored as exactly those bytes;
 * its hash is SHA-256 of them and the next block names it in `prevHash`. Block 0 holds the genesis
 * record; every later block is either a committed interval (its commit certificate with the plan,
 * the signed meter envelopes that arrived for earlier intervals, and the settlements and
 * certificates derived from them), a batch of certificate transfers and retirements, or the grid
 * services' capacity and performance payments.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
import type { CommitMessage } from '../protocol/messages.js';
import { MESSAGE_SCHEMAS } from '../protocol/messages.js';
import type { DispatchPlan } from '../protocol/plan.js';
import { sha256 } from '../protocol/hashes.js';
import type { CertificateOp, EnergyCertificate } from './certificates.js';
import { ChainCorruptError } from './errors.js';
import { parseGenesis, type ChainGenesis } from './genesis.js';
import type { SettlementRecord } from './settlement.js';
import { GRID_SERVICES, type ServiceSettlementRecord } from './service-settlement.js';

/** Block format version carried in every block's `v`. */
export const BLOCK_VERSION = 1;

/** `prevHash` of block 0. */
export const NO_PREV_HASH = new Uint8Array(32);

/** Fields every block has. */
interface BlockHeader {
  v: 1;
  height: number;
  /** Hash of the block before, 32 bytes (zeros for block 0). */
  prevHash: Uint8Array;
  /** When the block was made, UTC epoch ms; never below the previous block's. */
  timeMs: number;
}

/** Block 0: the configuration the chain settles under. */
export interface GenesisBlock extends BlockHeader {
  kind: 'genesis';
  genesis: ChainGenesis;
}

/** A commit certificate that carries its plan. */
export type CommitWithPlan = CommitMessage & { plan: DispatchPlan };

/** A committed interval with the settlement of meter readings for earlier intervals. */
export interface IntervalBlock extends BlockHeader {
  kind: 'interval';
  /** The commit certificate (≥ 2f+1 signed precommit envelopes) with the committed plan. */
  commit: CommitWithPlan;
  /** Signed `meter` envelopes, exactly as received, each with at least one reading settled here. */
  meterEnvelopes: Uint8Array[];
  /** One record per settled (DER, interval), in envelope and reading order. */
  settlements: SettlementRecord[];
  /** Certificates the settled readings completed, in the same order. */
  certificates: EnergyCertificate[];
}

/** Certificate transfers and retirements, applied in order. */
export interface CertificateOpsBlock extends BlockHeader {
  kind: 'certificate-ops';
  ops: CertificateOp[];
}

/** Capacity and performance payments for grid services, one record per DER, service and commitment period. */
export interface ServiceSettlementBlock extends BlockHeader {
  kind: 'service-settlement';
  services: ServiceSettlementRecord[];
}

/** Any block. */
export type Block = GenesisBlock | IntervalBlock | CertificateOpsBlock | ServiceSettlementBlock;

const canonicalEncoder = new Encoder({ sortKeys: true, ignoreUndefined: true });
const bytes32 = z.instanceof(Uint8Array).refine((b) => b.length === 32, 'expected 32 bytes');
const id = z.string().min(1).max(128);
const timeMs = z.int().nonnegative();
const header = { v: z.literal(BLOCK_VERSION), height: z.int().nonnegative(), prevHash: bytes32, timeMs };
// z.int() admits safe integers only, so sums of a few amounts stay exact.
const amount = z.int();

const settlementSchema = z.strictObject({
  derId: id,
  ownerId: id,
  intervalStartMs: timeMs,
  intervalMs: z.int().positive(),
  pricePerMWh: z.number(),
  plannedKWh: z.number(),
  exportedKWh: z.number().nonnegative(),
  importedKWh: z.number().nonnegative(),
  meteredKWh: z.number(),
  marketPaidMinor: amount,
  feeMinor: amount,
  penaltyMinor: amount,
  ownerMinor: amount,
});

const serviceSettlementSchema = z.strictObject({
  derId: id,
  ownerId: id,
  service: z.enum(GRID_SERVICES),
  startMs: timeMs,
  endMs: timeMs,
  committedKW: z.number().nonnegative().finite(),
  capacityPricePerMWh: z.number().finite(),
  performanceScore: z.number().min(0).max(1),
  marketPaidMinor: amount,
  feeMinor: amount,
  ownerMinor: amount,
});

const certificateSchema = z.strictObject({
  id: z.string().min(1).max(160),
  derId: id,
  ownerId: id,
  intervalStartMs: timeMs,
  energyKWh: z.number().positive(),
  co2AvoidedKg: z.number().nonnegative().optional(),
});

const certificateOpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('transfer'), certificateId: z.string().min(1).max(160), from: id, to: id }),
  z.strictObject({ op: z.literal('retire'), certificateId: z.string().min(1).max(160), holder: id }),
]);

const blockSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...header, kind: z.literal('genesis'), genesis: z.unknown() }),
  z.strictObject({
    ...header,
    kind: z.literal('interval'),
    commit: MESSAGE_SCHEMAS.commit.refine((commit) => commit.plan !== undefined, { message: 'the commit must carry its plan', path: ['plan'] }),
    meterEnvelopes: z.array(z.instanceof(Uint8Array)),
    settlements: z.array(settlementSchema),
    certificates: z.array(certificateSchema),
  }),
  z.strictObject({ ...header, kind: z.literal('certificate-ops'), ops: z.array(certificateOpSchema).min(1) }),
  z.strictObject({ ...header, kind: z.literal('service-settlement'), services: z.array(serviceSettlementSchema).min(1) }),
]);

/** The canonical bytes of a block (what is stored and hashed). */
export function encodeBlock(block: Block): Uint8Array {
  return canonicalEncoder.encode(block);
}

/** Hash of a block's stored bytes, 32 bytes. */
export function blockHash(blockBytes: Uint8Array): Uint8Array {
  return sha256(blockBytes);
}

/** The canonical bytes of any value, for comparing derived records with stored ones. */
export function canonicalBytes(value: unknown): Uint8Array {
  return canonicalEncoder.encode(value);
}

/**
 * Decodes and schema-checks the stored bytes of the block at `height`. Throws `ChainCorruptError`
 * naming the height for anything that is not a well-formed block in canonical form.
 */
export function decodeBlock(bytes: Uint8Array, height: number): Block {
  let raw: unknown;
  try {
    raw = new Decoder().decode(bytes);
  } catch (error) {
    throw new ChainCorruptError(height, `block is not valid msgpack (${(error as Error).message})`);
  }
  const parsed = blockSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ChainCorruptError(height, `block field '${issue?.path.map(String).join('.') || '(root)'}': ${issue?.message ?? 'invalid'}`);
  }
  let block: Block;
  if (parsed.data.kind === 'genesis') {
    try {
      block = { ...parsed.data, genesis: parseGenesis(parsed.data.genesis, 'block 0') };
    } catch (error) {
      throw new ChainCorruptError(height, (error as Error).message);
    }
  } else {
    block = parsed.data as Block;
  }
  if (block.height !== height) throw new ChainCorruptError(height, `block says it is at height ${block.height}`);
  const canonical = encodeBlock(block);
  if (Buffer.compare(canonical, bytes) !== 0) throw new ChainCorruptError(height, 'block is not in canonical encoding');
  return block;
}
