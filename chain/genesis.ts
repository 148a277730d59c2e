/**
 * The genesis record: the configuration a chain is settled under, stored in block 0 so that the
 * chain verifies on its own. Whoever audits a chain checks its genesis hash (printed by
 * `vpp chain verify`) against the one the network published.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fromHex } from '../protocol/keys.js';
import type { TimeSeries } from '../sim/signals/series.js';
import { GenesisError } from './errors.js';

/** Account credited with what the market pays, negated: its balance is minus everything the market paid. */
export const MARKET_ACCOUNT = 'market';
/** Account credited with fees and deviation penalties. */
export const AGGREGATOR_ACCOUNT = 'aggregator';

const id = z.string().min(1).max(128);
const publicKeyHex = z.string().refine((hex) => fromHex(hex, 32) !== undefined, 'expected a 32-byte ed25519 public key as 64 hex characters');

const derSchema = z.strictObject({
  derId: id,
  /** Owner paid for this DER; also the first holder of its energy certificates. */
  ownerId: id.refine((owner) => owner !== MARKET_ACCOUNT && owner !== AGGREGATOR_ACCOUNT, `must not be '${MARKET_ACCOUNT}' or '${AGGREGATOR_ACCOUNT}' (reserved accounts)`),
  kind: z.enum(['battery', 'ev-charger', 'pv']),
  /** Public key of the peer node (site gateway) allowed to sign this DER's meter readings, hex. */
  meterPublicKey: publicKeyHex,
  /** Rated power, kW: a reading of more than this × interval length is implausible and rejected. */
  maxPowerKW: z.number().positive().finite(),
});

const genesisSchema = z.strictObject({
  v: z.literal(1).default(1),
  /** Network id the commit certificates and meter envelopes are signed for. */
  networkId: z.string().min(1).max(64),
  /** Validators' ed25519 public keys, hex; commit certificates need ⌊2n/3⌋+1 of them. */
  validators: z.array(publicKeyHex).min(1).refine((keys) => new Set(keys.map((k) => k.toLowerCase())).size === keys.length, 'validator keys must be distinct'),
  /** Currency code of every amount, e.g. AUD. */
  currency: z.string().min(1).max(16),
  /** Minor units per currency unit (100 for cents); amounts are integers of minor units. */
  minorUnitsPerUnit: z.int().positive().max(1_000_000).default(100),
  /** Aggregator's fee, fraction of the market payment for each delivered (positive) energy amount. */
  feeFrac: z.number().min(0).max(1).default(0),
  /** Deviation beyond max(toleranceKWh, toleranceFrac × |planned|) costs penaltyPerMWh. */
  deviationPenalty: z
    .strictObject({
      toleranceKWh: z.number().min(0).finite().default(0),
      toleranceFrac: z.number().min(0).finite().default(0),
      penaltyPerMWh: z.number().min(0).finite().default(0),
    })
    .default({ toleranceKWh: 0, toleranceFrac: 0, penaltyPerMWh: 0 }),
  /** Energy per certificate, kWh, a whole number of Wh (1000 = one MWh certificate). */
  certificateUnitKWh: z
    .number()
    .positive()
    .max(1e9)
    .refine((kwh) => Math.abs(kwh * 1000 - Math.round(kwh * 1000)) < 1e-9, 'must be a whole number of Wh (multiple of 0.001 kWh)')
    .default(1000),
  /** Meter readings for intervals older than this (before the block's interval) are rejected, ms. */
  maxMeterDelayMs: z.int().positive().default(86_400_000),
  ders: z
    .array(derSchema)
    .refine((ders) => new Set(ders.map((d) => d.derId)).size === ders.length, 'derIds must be distinct'),
  /** Grid emission rate per interval, kgCO2/kWh; certificates of intervals it covers carry the emissions avoided. */
  carbonIntensity: z
    .strictObject({
      startMs: z.int().nonnegative(),
      intervalMs: z.int().positive(),
      kgPerKWh: z.array(z.number().min(0).finite()).min(1),
    })
    .optional(),
});

/** A validated genesis record, defaults filled in. */
export type ChainGenesis = z.infer<typeof genesisSchema>;
/** What a caller writes: the genesis record with optional fields left out. */
export type GenesisInput = z.input<typeof genesisSchema>;
/** One registered DER. */
export type RegisteredDer = ChainGenesis['ders'][number];

/** Validates a genesis record; errors name `origin` and every bad field. */
export function parseGenesis(raw: unknown, origin: string): ChainGenesis {
  const parsed = genesisSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new GenesisError(`${origin}: invalid genesis record\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Reads and validates a genesis record from a JSON file. */
export function loadGenesisFile(path: string): ChainGenesis {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new GenesisError(`genesis file ${path}: cannot read JSON: ${(error as Error).message}`);
  }
  return parseGenesis(raw, `genesis file ${path}`);
}

/** The `carbonIntensity` field from a kgCO2/kWh series on a regular grid (e.g. CityLearn's, aligned by the caller). */
export function carbonIntensityOf(series: TimeSeries): NonNullable<ChainGenesis['carbonIntensity']> {
  if (series.timesMs.length === 0) throw new GenesisError(`carbon series "${series.name}" is empty`);
  for (let i = 1; i < series.timesMs.length; i++) {
    if (series.timesMs[i] - series.timesMs[i - 1] !== series.intervalMs) {
      throw new GenesisError(`carbon series "${series.name}": row ${i} is ${series.timesMs[i] - series.timesMs[i - 1]} ms after the previous one, expected a regular ${series.intervalMs} ms grid`);
    }
  }
  return { startMs: series.timesMs[0], intervalMs: series.intervalMs, kgPerKWh: [...series.values] };
}

/** Grid emission rate at `timeMs`, kgCO2/kWh, or undefined outside the series (or without one). */
export function carbonIntensityAt(genesis: ChainGenesis, timeMs: number): number | undefined {
  const series = genesis.carbonIntensity;
  if (!series) return undefined;
  const index = Math.floor((timeMs - series.startMs) / series.intervalMs);
  return index >= 0 && index < series.kgPerKWh.length ? series.kgPerKWh[index] : undefined;
}
