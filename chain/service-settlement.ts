/**
 * Settlement of one DER's grid-service commitment over one commitment period, PJM style: the
 * capability credit is committed MW × hours × capacity price × performance score, so a DER that
 * followed the signal half as well earns half. There is no separate penalty: the score already
 * takes off what was not delivered. Money in integer minor units, rounded once per amount, and the
 * owner gets what is left after the fee, so marketPaid = owner + fee holds exactly per record.
 */
import type { ChainGenesis, RegisteredDer } from './genesis.js';
import { feeOf, toMinor } from './settlement.js';

const MS_PER_HOUR = 3_600_000;
const KW_PER_MW = 1000;

/** The services the market pays capacity for (demand response settles as reserve). */
export const GRID_SERVICES = ['regulation', 'reserve', 'frequency'] as const;
export type GridService = (typeof GRID_SERVICES)[number];

/** What the caller states about one commitment; every amount follows from it and the genesis. */
export interface ServicePaymentInput {
  derId: string;
  service: GridService;
  /** The commitment period paid, [startMs, endMs), UTC epoch ms. */
  startMs: number;
  endMs: number;
  /** Capacity the DER held for the service, kW ≥ 0. */
  committedKW: number;
  /** Capacity price, currency per MW held for an hour. */
  capacityPricePerMWh: number;
  /** How well the service was delivered, in [0, 1]. */
  performanceScore: number;
}

/** One DER's service settlement for one commitment period, as stored in a block. */
export interface ServiceSettlementRecord extends ServicePaymentInput {
  ownerId: string;
  /** committedKW/1000 × hours × capacityPricePerMWh × performanceScore, minor units. */
  marketPaidMinor: number;
  /** Aggregator's fee, `feeFrac` of a positive payment. */
  feeMinor: number;
  /** marketPaidMinor − feeMinor. */
  ownerMinor: number;
}

/** Settles `input` for `der` (the DER registered under `input.derId`). */
export function settleService(genesis: ChainGenesis, der: RegisteredDer, input: ServicePaymentInput): ServiceSettlementRecord {
  const hours = (input.endMs - input.startMs) / MS_PER_HOUR;
  const marketPaidMinor = toMinor((input.committedKW / KW_PER_MW) * hours * input.capacityPricePerMWh * input.performanceScore * genesis.minorUnitsPerUnit);
  const feeMinor = feeOf(genesis, marketPaidMinor);
  return {
    derId: der.derId,
    ownerId: der.ownerId,
    service: input.service,
    startMs: input.startMs,
    endMs: input.endMs,
    committedKW: input.committedKW,
    capacityPricePerMWh: input.capacityPricePerMWh,
    performanceScore: input.performanceScore,
    marketPaidMinor,
    feeMinor,
    ownerMinor: marketPaidMinor - feeMinor,
  };
}

/** The key a commitment is paid under at most once. */
export function servicePaymentKey(payment: Pick<ServicePaymentInput, 'derId' | 'service' | 'startMs'>): string {
  // JSON, not a joined string: a derId may hold any separator.
  return JSON.stringify([payment.service, payment.derId, payment.startMs]);
}

/** Only the inputs of a stored record, to re-derive it. */
export function paymentInputOf(record: ServiceSettlementRecord): ServicePaymentInput {
  const { derId, service, startMs, endMs, committedKW, capacityPricePerMWh, performanceScore } = record;
  return { derId, service, startMs, endMs, committedKW, capacityPricePerMWh, performanceScore };
}
