/**
 * What a chain adds up to after each block: committed intervals still open for meter readings,
 * which (DER, interval) pairs are settled, running balances, certificate counters and holders.
 * The same code derives a new block's records (append) and re-derives a stored block's (verify),
 * so the two can never disagree about the rules.
 */
import { verifyCommitCertificate } from '../protocol/certificate.js';
import { decodeEnvelope } from '../protocol/envelope.js';
import { planHash } from '../protocol/hashes.js';
import { equalBytes, fromHex, toHex, type SignatureVerifier } from '../protocol/keys.js';
import type { MeterReading } from '../protocol/messages.js';
import type { Block, CommitWithPlan } from './block.js';
import { canonicalBytes } from './block.js';
import {
  certificateOpProblem,
  issueCertificates,
  type CertificateCounter,
  type CertificateHolding,
  type CertificateOp,
  type EnergyCertificate,
} from './certificates.js';
import { ChainCorruptError } from './errors.js';
import { AGGREGATOR_ACCOUNT, MARKET_ACCOUNT, type ChainGenesis, type RegisteredDer } from './genesis.js';
import { isPlausibleReading, settleReading, type PlannedInterval, type SettlementRecord } from './settlement.js';
import { paymentInputOf, servicePaymentKey, settleService, type ServicePaymentInput, type ServiceSettlementRecord } from './service-settlement.js';

/** A meter reading (or a whole envelope) that was not settled, and why. */
export interface MeterRejection {
  /** Index of the envelope among those handed in. */
  envelopeIndex: number;
  /** The rejected reading's DER; absent when the whole envelope was rejected. */
  derId?: string;
  /** The interval the envelope claims; absent when it did not decode. */
  intervalStartMs?: number;
  reason: string;
}

/** Records derived from meter envelopes against the chain so far. */
export interface DerivedSettlement {
  settlements: SettlementRecord[];
  certificates: EnergyCertificate[];
  /** Indices of the envelopes with at least one settled reading (the ones a block stores). */
  acceptedEnvelopes: number[];
  rejections: MeterRejection[];
}

/** Sums over every settlement so far, in minor units; service payments count in marketPaid, paidToOwners and fee too. */
export interface SettlementTotals {
  settlements: number;
  /** Service settlement records (one per DER, service and commitment period). */
  serviceSettlements: number;
  /** What the market paid for grid services (part of marketPaidMinor). */
  servicePaidMinor: number;
  marketPaidMinor: number;
  paidToOwnersMinor: number;
  feeMinor: number;
  penaltyMinor: number;
  certificatesIssued: number;
  co2AvoidedKg: number;
}

/** A committed interval still open for meter readings. */
interface OpenInterval {
  intervalMs: number;
  pricePerMWh: number;
  plannedKW: Map<string, number>;
  settledDerIds: Set<string>;
}

/** Chain state after the block at `height`. */
export class LedgerState {
  height = 0;
  headHash: Uint8Array;
  headTimeMs: number;
  /** Start of the newest committed interval, or undefined before the first. */
  lastIntervalStartMs: number | undefined;
  readonly totals: SettlementTotals = { settlements: 0, serviceSettlements: 0, servicePaidMinor: 0, marketPaidMinor: 0, paidToOwnersMinor: 0, feeMinor: 0, penaltyMinor: 0, certificatesIssued: 0, co2AvoidedKg: 0 };
  private readonly validators: Uint8Array[];
  private readonly ders: Map<string, RegisteredDer>;
  private readonly openIntervals = new Map<number, OpenInterval>();
  private readonly counters = new Map<string, CertificateCounter>();
  private readonly holdings = new Map<string, CertificateHolding>();
  private readonly accountBalances = new Map<string, number>();
  private readonly paidServices = new Set<string>();

  constructor(
    readonly genesis: ChainGenesis,
    genesisHash: Uint8Array,
    genesisTimeMs: number,
  ) {
    this.headHash = genesisHash;
    this.headTimeMs = genesisTimeMs;
    this.validators = genesis.validators.map((hex) => fromHex(hex, 32)!);
    this.ders = new Map(genesis.ders.map((der) => [der.derId, der]));
  }

  /** Balance of every account that has one, minor units; they always sum to zero. */
  balances(): Map<string, number> {
    return new Map(this.accountBalances);
  }

  /** A certificate and its current holder. */
  certificate(certificateId: string): CertificateHolding | undefined {
    const holding = this.holdings.get(certificateId);
    return holding && { ...holding };
  }

  /** Every certificate issued so far, in issue order. */
  certificates(): CertificateHolding[] {
    return [...this.holdings.values()].map((holding) => ({ ...holding }));
  }

  /** Why `commit` cannot be the next committed interval (undefined when it can); counts the signatures it checked. */
  commitProblem(commit: CommitWithPlan, verifier: SignatureVerifier): string | undefined {
    const plan = commit.plan;
    if (!equalBytes(planHash(plan), commit.planHash)) return "commit 'planHash' does not match its plan";
    if (plan.periods.length === 0 || plan.pricePerMWh.length === 0) return 'the committed plan has no periods';
    if (plan.periods[0].startMs !== commit.intervalStartMs) {
      return `the plan's first period starts at ${plan.periods[0].startMs}, not at the committed interval ${commit.intervalStartMs}`;
    }
    if (this.lastIntervalStartMs !== undefined && commit.intervalStartMs <= this.lastIntervalStartMs) {
      return `interval ${commit.intervalStartMs} is not after the last committed interval ${this.lastIntervalStartMs}`;
    }
    const checked = verifyCommitCertificate(commit, { networkId: this.genesis.networkId, verifier, validators: this.validators });
    return checked.ok ? undefined : `commit certificate: ${checked.error.reason}`;
  }

  /**
   * Settlements and certificates for the meter readings in `envelopes`, to be stored in the block
   * committing `intervalStartMs`. Pure: the state changes only when the block is applied.
   */
  deriveSettlement(intervalStartMs: number, envelopes: readonly Uint8Array[], verifier: SignatureVerifier): DerivedSettlement {
    const derived: DerivedSettlement = { settlements: [], certificates: [], acceptedEnvelopes: [], rejections: [] };
    const settledHere = new Set<string>();
    const scratchCounters = new Map<string, CertificateCounter>();
    envelopes.forEach((bytes, envelopeIndex) => {
      const decoded = decodeEnvelope(bytes, { networkId: this.genesis.networkId, verifier, acceptTypes: ['meter'] });
      if (!decoded.ok) {
        derived.rejections.push({ envelopeIndex, reason: `${decoded.error.code}: ${decoded.error.reason}` });
        return;
      }
      const message = decoded.message;
      const sender = toHex(decoded.envelope.senderPublicKey);
      let accepted = 0;
      for (const reading of message.readings) {
        const key = `${message.intervalStartMs}/${reading.derId}`;
        const problem = this.readingProblem(intervalStartMs, message.intervalStartMs, message.intervalMs, sender, reading) ?? (settledHere.has(key) ? 'already settled' : undefined);
        if (problem) {
          derived.rejections.push({ envelopeIndex, derId: reading.derId, intervalStartMs: message.intervalStartMs, reason: problem });
          continue;
        }
        settledHere.add(key);
        const der = this.ders.get(reading.derId)!;
        const record = settleReading(this.genesis, der, this.plannedInterval(message.intervalStartMs, der.derId), reading);
        let counter = scratchCounters.get(der.derId);
        if (!counter) {
          counter = { ...this.counterOf(der.derId) };
          scratchCounters.set(der.derId, counter);
        }
        derived.settlements.push(record);
        derived.certificates.push(...issueCertificates(this.genesis, der, record, counter));
        accepted++;
      }
      if (accepted > 0) derived.acceptedEnvelopes.push(envelopeIndex);
    });
    return derived;
  }

  /**
   * Service settlement records for `inputs`, to be stored in a block of time `blockTimeMs`, or why
   * they cannot be: each DER must be registered, hold no more than its rating, its period must be
   * over by the block's time, and no (DER, service, period start) is paid twice. Pure.
   */
  deriveServiceSettlement(inputs: readonly ServicePaymentInput[], blockTimeMs: number): { records: ServiceSettlementRecord[] } | { problem: string } {
    const records: ServiceSettlementRecord[] = [];
    const paidHere = new Set<string>();
    for (const [index, input] of inputs.entries()) {
      const der = this.ders.get(input.derId);
      const key = servicePaymentKey(input);
      let problem: string | undefined;
      if (!der) problem = `unknown DER '${input.derId}'`;
      else if (!(input.endMs > input.startMs)) problem = `period ${input.startMs}..${input.endMs} is empty`;
      else if (input.endMs > blockTimeMs) problem = `period ends at ${input.endMs}, after the block's time ${blockTimeMs}: it is paid once it is over`;
      else if (!(input.committedKW >= 0 && input.committedKW <= der.maxPowerKW * (1 + 1e-9))) problem = `committedKW ${input.committedKW} is outside 0..${der.maxPowerKW} (the DER's rating)`;
      else if (!Number.isFinite(input.capacityPricePerMWh)) problem = `capacityPricePerMWh ${input.capacityPricePerMWh} is not a finite number`;
      else if (!(input.performanceScore >= 0 && input.performanceScore <= 1)) problem = `performanceScore ${input.performanceScore} is outside [0, 1]`;
      else if (this.paidServices.has(key) || paidHere.has(key)) problem = 'already paid';
      if (problem) return { problem: `services[${index}] (${input.service} of ${input.derId} @ ${input.startMs}): ${problem}` };
      paidHere.add(key);
      records.push(settleService(this.genesis, der!, input));
    }
    return { records };
  }

  /** Why certificate `ops` cannot apply in order (undefined when they can). */
  opsProblem(ops: readonly CertificateOp[]): string | undefined {
    const scratch = new Map<string, CertificateHolding>();
    for (const [index, op] of ops.entries()) {
      const holding = scratch.get(op.certificateId) ?? this.holdings.get(op.certificateId);
      const problem = certificateOpProblem(op, holding);
      if (problem) return `ops[${index}]: ${problem}`;
      scratch.set(op.certificateId, op.op === 'transfer' ? { ...holding!, holder: op.to } : { ...holding!, retired: true });
    }
    return undefined;
  }

  /**
   * Moves the state past `block` (at height + 1, with hash `hash`). Checks what is cheap to check
   * (intervals and settlement keys exist and are fresh, certificates follow from the settlements,
   * ops are allowed); signatures and the derivation from meter envelopes are `verifyChain`'s job.
   */
  apply(block: Block, hash: Uint8Array): void {
    const height = this.height + 1;
    if (block.kind === 'genesis') throw new ChainCorruptError(height, 'a genesis block after block 0');
    if (block.timeMs < this.headTimeMs) throw new ChainCorruptError(height, `block time ${block.timeMs} is before the previous block's ${this.headTimeMs}`);
    if (block.kind === 'interval') this.applyInterval(block, height);
    else if (block.kind === 'service-settlement') this.applyServices(block.services, block.timeMs, height);
    else this.applyOps(block.ops, height);
    this.height = height;
    this.headHash = hash;
    this.headTimeMs = block.timeMs;
  }

  private applyInterval(block: Extract<Block, { kind: 'interval' }>, height: number): void {
    const commit = block.commit;
    if (this.lastIntervalStartMs !== undefined && commit.intervalStartMs <= this.lastIntervalStartMs) {
      throw new ChainCorruptError(height, `interval ${commit.intervalStartMs} is not after the last committed interval ${this.lastIntervalStartMs}`);
    }
    const issued: EnergyCertificate[] = [];
    for (const [index, record] of block.settlements.entries()) {
      const der = this.ders.get(record.derId);
      const open = this.openIntervals.get(record.intervalStartMs);
      if (!der || der.ownerId !== record.ownerId || !open || open.settledDerIds.has(record.derId) || record.intervalStartMs < commit.intervalStartMs - this.genesis.maxMeterDelayMs) {
        throw new ChainCorruptError(height, `settlements[${index}] (${record.derId} @ ${record.intervalStartMs}) settles an unknown, closed or already settled reading`);
      }
      if (record.marketPaidMinor !== record.ownerMinor + record.feeMinor + record.penaltyMinor) {
        throw new ChainCorruptError(height, `settlements[${index}] does not add up: marketPaid ≠ owner + fee + penalty`);
      }
      open.settledDerIds.add(record.derId);
      this.book(record, height);
      this.totals.settlements++;
      issued.push(...issueCertificates(this.genesis, der, record, this.counterOf(der.derId)));
    }
    if (Buffer.compare(canonicalBytes(issued), canonicalBytes(block.certificates)) !== 0) {
      throw new ChainCorruptError(height, 'certificates do not follow from the settlements');
    }
    for (const certificate of issued) {
      this.holdings.set(certificate.id, { certificate, holder: certificate.ownerId, retired: false });
      this.totals.certificatesIssued++;
      this.totals.co2AvoidedKg += certificate.co2AvoidedKg ?? 0;
    }
    const plan = commit.plan;
    const plannedKW = new Map(Object.entries(plan.setpointsKW).map(([derId, setpoints]) => [derId, setpoints[0] ?? 0]));
    this.openIntervals.set(commit.intervalStartMs, { intervalMs: plan.periods[0].durationMs, pricePerMWh: plan.pricePerMWh[0], plannedKW, settledDerIds: new Set() });
    this.lastIntervalStartMs = commit.intervalStartMs;
    // Readings for intervals this old are rejected from now on, so their bookkeeping can go.
    for (const startMs of this.openIntervals.keys()) {
      if (startMs < commit.intervalStartMs - this.genesis.maxMeterDelayMs) this.openIntervals.delete(startMs);
    }
  }

  // Re-derived here rather than only in verify: it needs no signatures, so a replaying writer gets the same guarantee for free.
  private applyServices(records: readonly ServiceSettlementRecord[], blockTimeMs: number, height: number): void {
    const derived = this.deriveServiceSettlement(records.map(paymentInputOf), blockTimeMs);
    if ('problem' in derived) throw new ChainCorruptError(height, derived.problem);
    const differing = derived.records.findIndex((record, index) => Buffer.compare(canonicalBytes(record), canonicalBytes(records[index])) !== 0);
    if (differing >= 0) throw new ChainCorruptError(height, `services[${differing}] differs from what its committed capacity, price and performance score give`);
    for (const record of derived.records) {
      this.paidServices.add(servicePaymentKey(record));
      this.book({ ...record, penaltyMinor: 0 }, height);
      this.totals.serviceSettlements++;
      this.totals.servicePaidMinor += record.marketPaidMinor;
    }
  }

  /** Moves one record's money: the only place balances and money totals change, so both kinds conserve alike. */
  private book(record: Pick<SettlementRecord, 'ownerId' | 'marketPaidMinor' | 'feeMinor' | 'penaltyMinor' | 'ownerMinor'>, height: number): void {
    this.credit(record.ownerId, record.ownerMinor, height);
    this.credit(AGGREGATOR_ACCOUNT, record.feeMinor + record.penaltyMinor, height);
    this.credit(MARKET_ACCOUNT, -record.marketPaidMinor, height);
    this.totals.marketPaidMinor += record.marketPaidMinor;
    this.totals.paidToOwnersMinor += record.ownerMinor;
    this.totals.feeMinor += record.feeMinor;
    this.totals.penaltyMinor += record.penaltyMinor;
  }

  private applyOps(ops: readonly CertificateOp[], height: number): void {
    const problem = this.opsProblem(ops);
    if (problem) throw new ChainCorruptError(height, problem);
    for (const op of ops) {
      const holding = this.holdings.get(op.certificateId)!;
      if (op.op === 'transfer') holding.holder = op.to;
      else holding.retired = true;
    }
  }

  /** Why `reading` in a `meter` message for `readingStartMs` cannot be settled in the block of `blockIntervalStartMs`. */
  private readingProblem(blockIntervalStartMs: number, readingStartMs: number, readingIntervalMs: number, sender: string, reading: MeterReading): string | undefined {
    const der = this.ders.get(reading.derId);
    if (!der) return `unknown DER '${reading.derId}'`;
    if (der.meterPublicKey.toLowerCase() !== sender) return `signed by ${sender}, not by the meter key registered for '${reading.derId}'`;
    if (readingStartMs >= blockIntervalStartMs) return `interval ${readingStartMs} is not before this block's interval ${blockIntervalStartMs}`;
    if (readingStartMs < blockIntervalStartMs - this.genesis.maxMeterDelayMs) return `interval ${readingStartMs} is older than maxMeterDelayMs`;
    const open = this.openIntervals.get(readingStartMs);
    if (!open) return `no committed interval starts at ${readingStartMs}`;
    if (open.intervalMs !== readingIntervalMs) return `interval length ${readingIntervalMs} ms, the committed interval is ${open.intervalMs} ms`;
    if (open.settledDerIds.has(reading.derId)) return 'already settled';
    if (!isPlausibleReading(der, readingIntervalMs, reading)) return `more energy than '${reading.derId}' can move at ${der.maxPowerKW} kW in the interval`;
    return undefined;
  }

  private plannedInterval(intervalStartMs: number, derId: string): PlannedInterval {
    const open = this.openIntervals.get(intervalStartMs)!;
    return { intervalStartMs, intervalMs: open.intervalMs, pricePerMWh: open.pricePerMWh, plannedKW: open.plannedKW.get(derId) ?? 0 };
  }

  private counterOf(derId: string): CertificateCounter {
    let counter = this.counters.get(derId);
    if (!counter) {
      counter = { pendingWh: 0, nextSerial: 0 };
      this.counters.set(derId, counter);
    }
    return counter;
  }

  private credit(account: string, amountMinor: number, height: number): void {
    const balance = (this.accountBalances.get(account) ?? 0) + amountMinor;
    if (!Number.isSafeInteger(balance)) throw new ChainCorruptError(height, `balance of '${account}' leaves the safe-integer range`);
    this.accountBalances.set(account, balance);
  }
}
