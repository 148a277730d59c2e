/**
 * The settlement ledger a coordinator keeps: one block per committed interval, appended in the
 * order intervals commit, each carrying the commit certificate and plan, the signed meter readings
 * that arrived since, and the settlements and energy certificates they give. A block is committed
 * (and may be reported so) once `appendInterval` resolves: it is then on stable storage.
 *
 * One writer per directory: two processes appending to one ledger would interleave records.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SignatureVerifier } from '../protocol/keys.js';
import { toHex } from '../protocol/keys.js';
import type { CommitMessage } from '../protocol/messages.js';
import { createNodeCryptoVerifier } from '../protocol/verifier-node-crypto.js';
import { NO_PREV_HASH, blockHash, canonicalBytes, decodeBlock, encodeBlock, type Block, type CommitWithPlan } from './block.js';
import type { CertificateHolding, CertificateOp, EnergyCertificate } from './certificates.js';
import { ChainInputError, GenesisError } from './errors.js';
import { BLOCK_LOG_FILE, FileLedgerStore } from './file-store.js';
import { parseGenesis, type ChainGenesis, type GenesisInput } from './genesis.js';
import type { SettlementRecord } from './settlement.js';
import type { ServicePaymentInput, ServiceSettlementRecord } from './service-settlement.js';
import type { LedgerState, MeterRejection, SettlementTotals } from './state.js';
import { replayChain, verifyChain, type VerifyReport } from './verify.js';
import type { LedgerStore } from './store.js';

/** How to open a ledger. */
export interface LedgerOptions {
  /** Genesis record: written when the directory holds no chain yet, else must equal the stored one. */
  genesis?: GenesisInput;
  /** Checks commit-certificate and meter signatures (default: node:crypto). */
  verifier?: SignatureVerifier;
  /** Block times, UTC epoch ms (default: Date.now); a block's time never goes below the previous one's. */
  clock?: () => number;
}

/** One committed interval to record. */
export interface IntervalInput {
  /** The commit certificate with the committed plan (`plan` is required here). */
  commit: CommitMessage;
  /** Signed `meter` envelopes that arrived for earlier intervals, as received; bad ones are rejected, not stored. */
  meterEnvelopes?: readonly Uint8Array[];
}

/** A block that is now on stable storage. */
export interface AppendedBlock {
  height: number;
  /** Block hash, hex. */
  hash: string;
}

/** What `appendInterval` recorded. */
export interface IntervalAppended extends AppendedBlock {
  settlements: SettlementRecord[];
  certificates: EnergyCertificate[];
  /** Meter readings (or whole envelopes) not settled, and why; they are not in the block and never paid. */
  rejections: MeterRejection[];
}

/** Head of the chain. */
export interface LedgerHead {
  height: number;
  /** Hash of the head block, hex. */
  hash: string;
  timeMs: number;
  /** Newest committed interval, or undefined before the first. */
  lastIntervalStartMs: number | undefined;
}

/** An append-only, hash-linked, crash-safe settlement ledger in a directory. */
export class Ledger {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: LedgerStore,
    private readonly state: LedgerState,
    private readonly verifier: SignatureVerifier,
    private readonly clock: () => number,
    /** Bytes of torn tail cut off on open (an append that never completed). */
    readonly repairedBytes: number,
  ) {}

  /**
   * Opens the ledger in `dir`, creating it from `options.genesis` when there is none yet. A torn
   * tail left by a crash is cut off; damage anywhere else refuses to open (`ChainCorruptError`).
   */
  static async open(dir: string, options: LedgerOptions = {}): Promise<Ledger> {
    const exists = existsSync(join(dir, BLOCK_LOG_FILE));
    if (!exists && !options.genesis) throw new GenesisError(`ledger ${dir}: no chain yet and no genesis record to start one`);
    const genesis = options.genesis && parseGenesis(options.genesis, 'genesis option');
    const store = await FileLedgerStore.open(dir, exists ? 'write' : 'create');
    const clock = options.clock ?? Date.now;
    try {
      if (store.count === 0) {
        // A crash between creating the log and storing block 0 leaves an empty log: start it afresh.
        if (!genesis) throw new GenesisError(`ledger ${dir}: the log is empty and no genesis record was given to start it`);
        const bytes = encodeBlock({ v: 1, height: 0, prevHash: NO_PREV_HASH, timeMs: clock(), kind: 'genesis', genesis });
        await store.append(bytes);
      }
      const state = replayChain(store);
      if (genesis && Buffer.compare(canonicalBytes(genesis), canonicalBytes(state.genesis)) !== 0) {
        throw new GenesisError(`ledger ${dir}: holds a chain with another genesis record than the one given`);
      }
      return new Ledger(store, state, options.verifier ?? createNodeCryptoVerifier(), clock, store.truncatedBytes);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** The configuration the chain settles under. */
  get genesis(): ChainGenesis {
    return this.state.genesis;
  }

  get head(): LedgerHead {
    return { height: this.state.height, hash: toHex(this.state.headHash), timeMs: this.state.headTimeMs, lastIntervalStartMs: this.state.lastIntervalStartMs };
  }

  /** Sums over every settlement so far. */
  get totals(): SettlementTotals {
    return { ...this.state.totals };
  }

  /** Balance per account (owners, `aggregator`, `market`), minor units; they sum to zero. */
  balances(): Map<string, number> {
    return this.state.balances();
  }

  certificate(certificateId: string): CertificateHolding | undefined {
    return this.state.certificate(certificateId);
  }

  certificates(): CertificateHolding[] {
    return this.state.certificates();
  }

  /** The stored block at `height`. */
  block(height: number): Block {
    return decodeBlock(this.store.read(height), height);
  }

  /**
   * Records a committed interval: checks its certificate against the validator set, settles the
   * meter readings in `meterEnvelopes` that are for earlier committed intervals, from the DER's
   * registered meter key, and not yet settled, and resolves once the block is durable. Throws
   * `ChainInputError` (nothing appended) for a bad certificate or an interval out of order.
   */
  appendInterval(input: IntervalInput): Promise<IntervalAppended> {
    return this.serialized(async () => {
      const commit = input.commit;
      if (!commit.plan) throw new ChainInputError(`commit for interval ${commit.intervalStartMs}: the ledger needs the committed plan in the commit message`);
      const withPlan = commit as CommitWithPlan;
      const problem = this.state.commitProblem(withPlan, this.verifier);
      if (problem) throw new ChainInputError(`commit for interval ${commit.intervalStartMs}: ${problem}`);
      const envelopes = input.meterEnvelopes ?? [];
      const derived = this.state.deriveSettlement(commit.intervalStartMs, envelopes, this.verifier);
      const appended = await this.appendBlock({
        ...this.nextHeader(),
        kind: 'interval',
        commit: withPlan,
        meterEnvelopes: derived.acceptedEnvelopes.map((index) => envelopes[index]),
        settlements: derived.settlements,
        certificates: derived.certificates,
      });
      return { ...appended, settlements: derived.settlements, certificates: derived.certificates, rejections: derived.rejections };
    });
  }

  /**
   * Records grid-service capacity and performance payments, one block for all of `inputs`, and
   * resolves once it is durable. Throws `ChainInputError` (nothing appended) when any of them
   * cannot be paid: an unregistered DER, a period not yet over, a payment made before.
   */
  appendServiceSettlement(inputs: readonly ServicePaymentInput[]): Promise<AppendedBlock & { services: ServiceSettlementRecord[] }> {
    return this.serialized(async () => {
      if (inputs.length === 0) throw new ChainInputError('a service settlement needs at least one payment');
      const header = this.nextHeader();
      const derived = this.state.deriveServiceSettlement(inputs, header.timeMs);
      if ('problem' in derived) throw new ChainInputError(`service settlement: ${derived.problem}`);
      const appended = await this.appendBlock({ ...header, kind: 'service-settlement', services: derived.records });
      return { ...appended, services: derived.records };
    });
  }

  /** Moves a certificate from its holder `from` to `to`; resolves once recorded durably. */
  transferCertificate(certificateId: string, from: string, to: string): Promise<AppendedBlock> {
    return this.appendOps([{ op: 'transfer', certificateId, from, to }]);
  }

  /** Retires (claims) a certificate held by `holder`; it can never move again. */
  retireCertificate(certificateId: string, holder: string): Promise<AppendedBlock> {
    return this.appendOps([{ op: 'retire', certificateId, holder }]);
  }

  /** Re-verifies the whole chain as stored (hashes, signatures, settlements, certificates). */
  verify(): VerifyReport {
    return verifyChain(this.store, this.verifier);
  }

  /** Waits for pending appends, then closes the store. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.store.close();
  }

  private appendOps(ops: CertificateOp[]): Promise<AppendedBlock> {
    return this.serialized(async () => {
      const problem = this.state.opsProblem(ops);
      if (problem) throw new ChainInputError(`certificate ${problem}`);
      return this.appendBlock({ ...this.nextHeader(), kind: 'certificate-ops', ops });
    });
  }

  private nextHeader(): { v: 1; height: number; prevHash: Uint8Array; timeMs: number } {
    return { v: 1, height: this.state.height + 1, prevHash: this.state.headHash, timeMs: Math.max(this.clock(), this.state.headTimeMs) };
  }

  private async appendBlock(block: Block): Promise<AppendedBlock> {
    const bytes = encodeBlock(block);
    try {
      // Whatever is stored must read back; a caller's value the block schema refuses (say a NaN price) fails here, not on the next open.
      decodeBlock(bytes, block.height);
    } catch (error) {
      throw new ChainInputError(`block ${block.height} would not read back: ${(error as Error).message}`);
    }
    const hash = blockHash(bytes);
    await this.store.append(bytes);
    this.state.apply(block, hash);
    return { height: block.height, hash: toHex(hash) };
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
