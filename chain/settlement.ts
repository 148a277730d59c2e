/**
 * Settlement of one DER's metered energy over one committed interval. Money is in integer minor
 * units (cents), rounded once per amount, and the owner's share is what is left after the fee and
 * the penalty, so every record conserves money exactly: marketPaid = owner + fee + penalty.
 */
import type { MeterReading } from '../protocol/messages.js';
import type { ChainGenesis, RegisteredDer } from './genesis.js';

const MS_PER_HOUR = 3_600_000;
const KWH_PER_MWH = 1000;

/** What the committed plan said about one DER for an interval. */
export interface PlannedInterval {
  intervalStartMs: number;
  intervalMs: number;
  /** Price the plan was made with for this interval, currency/MWh. */
  pricePerMWh: number;
  /** The DER's setpoint for the interval, kW (0 when the plan left it out); positive = into the grid. */
  plannedKW: number;
}

/** One DER's settlement for one interval, as stored in a block. */
export interface SettlementRecord {
  derId: string;
  ownerId: string;
  intervalStartMs: number;
  intervalMs: number;
  pricePerMWh: number;
  /** Planned energy into the grid, kWh (negative = planned charging). */
  plannedKWh: number;
  exportedKWh: number;
  importedKWh: number;
  /** exportedKWh − importedKWh. */
  meteredKWh: number;
  /** What the market pays for the metered energy at the plan's price; negative when the DER drew energy. */
  marketPaidMinor: number;
  /** Aggregator's fee, taken from positive market payments only. */
  feeMinor: number;
  /** Deviation penalty, kept by the aggregator (who carries the imbalance toward the market). */
  penaltyMinor: number;
  /** Owner's share: marketPaidMinor − feeMinor − penaltyMinor. */
  ownerMinor: number;
}

/** Rounds an amount of minor units to an integer (never −0, which would encode differently). */
export function toMinor(amount: number): number {
  return Math.round(amount) || 0;
}

/** The aggregator's fee on a market payment: only what the market pays out is charged, never what a DER pays in. */
export function feeOf(genesis: ChainGenesis, marketPaidMinor: number): number {
  return marketPaidMinor > 0 ? toMinor(marketPaidMinor * genesis.feeFrac) : 0;
}

/** Settles `reading` of `der` against what the committed plan said for its interval. */
export function settleReading(genesis: ChainGenesis, der: RegisteredDer, planned: PlannedInterval, reading: MeterReading): SettlementRecord {
  const plannedKWh = (planned.plannedKW * planned.intervalMs) / MS_PER_HOUR;
  const meteredKWh = reading.exportedKWh - reading.importedKWh;
  const minorPerMWh = genesis.minorUnitsPerUnit / KWH_PER_MWH;
  const marketPaidMinor = toMinor(meteredKWh * planned.pricePerMWh * minorPerMWh);
  const feeMinor = feeOf(genesis, marketPaidMinor);
  const rule = genesis.deviationPenalty;
  const toleranceKWh = Math.max(rule.toleranceKWh, rule.toleranceFrac * Math.abs(plannedKWh));
  const excessKWh = Math.max(0, Math.abs(meteredKWh - plannedKWh) - toleranceKWh);
  const penaltyMinor = toMinor(excessKWh * rule.penaltyPerMWh * minorPerMWh);
  return {
    derId: der.derId,
    ownerId: der.ownerId,
    intervalStartMs: planned.intervalStartMs,
    intervalMs: planned.intervalMs,
    pricePerMWh: planned.pricePerMWh,
    plannedKWh,
    exportedKWh: reading.exportedKWh,
    importedKWh: reading.importedKWh,
    meteredKWh,
    marketPaidMinor,
    feeMinor,
    penaltyMinor,
    ownerMinor: marketPaidMinor - feeMinor - penaltyMinor,
  };
}

/** True when a reading's energy is physically possible for the DER: neither direction above its rating over the interval. */
export function isPlausibleReading(der: RegisteredDer, intervalMs: number, reading: MeterReading): boolean {
  // A device held at its rated power for the whole interval meters exactly this, give or take float rounding.
  const maxKWh = ((der.maxPowerKW * intervalMs) / MS_PER_HOUR) * (1 + 1e-9) + 1e-9;
  return reading.exportedKWh <= maxKWh && reading.importedKWh <= maxKWh;
}
