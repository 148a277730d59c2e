import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { roundFaultSchema } from '../protocol/round/faults.js';
import { z } from 'zod';
import { DateTime } from 'luxon';
import { distributionSchema } from './random.js';
import { csvMappingSchema } from './signals/csv-series.js';
import { telemetryConfigSchema } from '../telemetry/config.js';
import { servicesProblems, servicesSchema } from '../services/scenario.js';

/** UTC epoch ms of an ISO-8601 time that ends in a zone offset ('Z', '+10:00'); undefined for anything else. */
export function parseZonedIsoMs(text: string): number | undefined {
  const time = DateTime.fromISO(text, { setZone: true });
  // A time without an offset would be read in the process's own zone: ambiguous, so refused.
  return time.isValid && /([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? time.toMillis() : undefined;
}

// Normalised to extended ISO so every later Date.parse reads it (V8 rejects basic and week forms).
const isoTimeSchema = z
  .string()
  .refine((text) => parseZonedIsoMs(text) !== undefined, {
    message: 'expected an ISO-8601 time with a zone offset, e.g. 2022-09-01T00:00:00+10:00',
  })
  .transform((text) => DateTime.fromISO(text, { setZone: true }).toISO({ suppressMilliseconds: true }) ?? text);

/**
 * Where a recorded series comes from. `align` replays a profile recorded in another year at the same
 * local calendar time (month, day, time of day) in the given zone, e.g. a tariff or a PV profile.
 */
export const signalSchema = z
  .discriminatedUnion('source', [
    z.strictObject({ source: z.literal('aemo'), field: z.enum(['price', 'demand']).default('price') }),
    z.strictObject({ source: z.literal('epftoolbox'), market: z.enum(['PJM', 'NP', 'DE']) }),
    z.strictObject({ source: z.literal('citylearn-pricing') }),
    z.strictObject({ source: z.literal('citylearn-carbon') }),
    z.strictObject({ source: z.literal('citylearn-pv'), building: z.union([z.number().int().min(1).max(17), z.literal('all')]).default('all') }),
    z.strictObject({ source: z.literal('nrel-ghi'), kWPerKWPerWPerM2: z.number().positive().default(0.001) }),
    z.strictObject({ source: z.literal('csv'), mapping: csvMappingSchema, series: z.string() }),
  ])
  .and(
    z.strictObject({
      align: z
        .strictObject({
          calendar: z.literal('same-local-time-of-year'),
          timeZone: z.string(),
          /** Read the recording this many months later than the simulated date (6 moves a profile across hemispheres). */
          monthOffset: z.number().int().min(-11).max(11).default(0),
        })
        .optional(),
      scale: z.number().optional(),
    }),
  );
export type SignalSpec = z.infer<typeof signalSchema>;

const batteryGroupSchema = z.strictObject({
  name: z.string().default('battery'),
  count: z.number().int().nonnegative(),
  capacityKWh: distributionSchema,
  maxChargeKW: distributionSchema,
  maxDischargeKW: distributionSchema,
  chargeEfficiency: distributionSchema.default(0.95),
  dischargeEfficiency: distributionSchema.default(0.95),
  minSocFrac: z.number().min(0).max(1).default(0.1),
  maxSocFrac: z.number().min(0).max(1).default(0.95),
  initialSocFrac: distributionSchema.default(0.5),
  /** kW per second; omit for no ramp limit. */
  rampKWPerS: distributionSchema.optional(),
  wearCostPerMWh: distributionSchema.default(0),
  feeder: z.string().optional(),
});

const pvGroupSchema = z.strictObject({
  name: z.string().default('pv'),
  count: z.number().int().nonnegative(),
  sizeKW: distributionSchema,
  /** Output per kW installed, kW/kW. */
  profile: signalSchema,
  feeder: z.string().optional(),
});

const evFleetSchema = z.strictObject({
  name: z.string().default('ev'),
  chargerMaxKW: distributionSchema.default(6.6),
  carMaxKW: distributionSchema.default(6.6),
  chargeEfficiency: distributionSchema.default(0.92),
  sessions: z.discriminatedUnion('source', [
    z.strictObject({
      source: z.literal('acn'),
      /** Which figure is the driver's need: what the car actually took, or what the driver asked for in the app. */
      energy: z.enum(['delivered', 'requested']).default('delivered'),
    }),
    z.strictObject({
      source: z.literal('generated'),
      chargers: z.number().int().positive(),
      sessionsPerChargerPerDay: z.number().positive(),
      arrivalHourLocal: distributionSchema,
      stayH: distributionSchema,
      energyKWh: distributionSchema,
      timeZone: z.string().default('UTC'),
    }),
  ]),
  feeder: z.string().optional(),
});

/** A capacity price, currency per MW held for an hour: one number, or a recorded series (any signal source, e.g. `csv`). */
const capacityPriceSchema = z.union([z.number(), signalSchema]);

/**
 * The capacity market the co-optimisation sells into (`market.capacity`), all in one piece: the
 * commitment period, the regulation rule, capacity prices (currency per MW-h) and how long each
 * product must be sustainable. A product without a price is not sold. `regulationPerMWh` is the
 * price of a symmetric band (1 MW up and 1 MW down); a side priced on its own
 * (`regulationUpPerMWh` / `regulationDownPerMWh`) replaces its half of it.
 */
export const capacityMarketSchema = z.strictObject({
  /** Length of one commitment period, minutes (a multiple of market.intervalMin). */
  periodMin: z.number().positive().default(60),
  regulationRule: z.enum(['symmetric', 'asymmetric']).default('symmetric'),
  regulationPerMWh: capacityPriceSchema.optional(),
  regulationUpPerMWh: capacityPriceSchema.optional(),
  regulationDownPerMWh: capacityPriceSchema.optional(),
  reservePerMWh: capacityPriceSchema.optional(),
  frequencyPerMWh: capacityPriceSchema.optional(),
  /** Energy kept either side for regulation, minutes at full capacity. */
  regulationHeadroomMin: z.number().nonnegative().default(15),
  reserveDurationMin: z.number().nonnegative().default(30),
  frequencyDurationMin: z.number().nonnegative().default(15),
});
export type CapacityMarket = z.infer<typeof capacityMarketSchema>;

/** A simulation scenario file (YAML or JSON). */
export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  seed: z.number().int().default(1),
  currency: z.string(),
  window: z.strictObject({ start: isoTimeSchema, end: isoTimeSchema }),
  market: z.strictObject({
    /** Settlement and planning interval. */
    intervalMin: z.number().positive(),
    /** Physics step; must divide the interval. Defaults to the interval. */
    stepS: z.number().positive().optional(),
    price: signalSchema,
    /** Capacity prices and commitment rules for the co-optimisation; see `capacityMarketSchema`. */
    capacity: capacityMarketSchema.optional(),
  }),
  planning: z
    .strictObject({
      horizonH: z.number().positive().default(24),
      /** Period lengths grow along the horizon: each entry holds until `untilH` hours ahead. */
      blocks: z.array(z.strictObject({ untilH: z.number().positive(), periodMin: z.number().positive() })).optional(),
      strategy: z.enum(['full', 'aggregate']).default('aggregate'),
      socBucketFrac: z.number().positive().max(1).default(0.1),
      terminalEnergy: z.enum(['keep', 'free']).default('keep'),
      evUnmetPenaltyPerKWh: z.number().nonnegative().default(10),
    })
    .prefault({}),
  fleet: z.strictObject({
    batteries: z.array(batteryGroupSchema).default([]),
    pv: z.array(pvGroupSchema).default([]),
    ev: evFleetSchema.optional(),
  }),
  /** Without a fresh plan for this long a DER falls back to its safe default. */
  planTimeoutMin: z.number().positive().optional(),
  /** Settlement rules of the network's chain (written to `<out>/chain` when the VPP pass runs through the protocol). */
  settlement: z
    .strictObject({
      /** Aggregator's fee, fraction of what the market pays for delivered energy. */
      feeFrac: z.number().min(0).max(1).optional(),
      /** Deviation from plan beyond max(toleranceKWh, toleranceFrac × |planned|) costs penaltyPerMWh. */
      deviationPenalty: z.strictObject({ toleranceKWh: z.number().min(0).optional(), toleranceFrac: z.number().min(0).optional(), penaltyPerMWh: z.number().min(0).optional() }).optional(),
      /** Energy per certificate, kWh. */
      certificateUnitKWh: z.number().positive().optional(),
      /** Grid emission rate (kgCO2/kWh) on the market grid, so certificates carry the emissions avoided. */
      carbonIntensity: signalSchema.optional(),
    })
    .optional(),
  /** The network the VPP pass runs through: coordinators, peer nodes and the transport between them. */
  consensus: z
    .strictObject({
      /** `memory` (default): in-process hub in virtual time; `nats` / `libp2p`: real connections; `direct`: no protocol, plans made in-process. */
      transport: z.enum(['memory', 'nats', 'libp2p', 'direct']).default('memory'),
      /** Coordinator nodes (validators), n = 3f+1 tolerates f Byzantine ones. */
      validators: z.number().int().min(1).max(64).default(4),
      /** Peer nodes the fleet's DERs are dealt to (at most one per DER). */
      peers: z.number().int().min(1).default(4),
      /** How validators check a proposal: re-solve it (default) or only verify it against the offers. */
      validation: z.enum(['re-solve', 'verify']).default('re-solve'),
      /** One-way delay of every in-memory link, ms. */
      linkDelayMs: z.number().nonnegative().default(2),
      /** NATS server URL(s) for `transport: nats`. */
      natsServers: z.string().min(1).default('nats://127.0.0.1:4222'),
      /** Longest a round may take before the interval goes on without a plan (DERs keep their safe default), ms. */
      roundBudgetMs: z.number().positive().default(10_000),
      /** Byzantine faults injected into validators (by index): silent, equivocate, double-vote, forge, replay, infeasible-plan, link. */
      faults: z.array(roundFaultSchema).default([]),
    })
    .prefault({}),
  /** Where the VPP pass's telemetry goes (`influx`: an InfluxDB 1.x); none written without it. */
  telemetry: telemetryConfigSchema.optional(),
  /** Grid services the fleet delivers in real time, and feeder limits (services/scenario.ts). */
  services: servicesSchema.optional(),
});
export type Scenario = z.infer<typeof scenarioSchema>;

/** A scenario file that does not parse or does not match the schema. */
export class ScenarioError extends Error {
  readonly code = 'VPP_ERR_SCENARIO';
}

/** Reads and validates a scenario; errors name the file, the field and what was expected. */
export function loadScenario(path: string): Scenario {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ScenarioError(`${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  return parseScenario(raw, file);
}

/** Validates an already parsed scenario object; `origin` names it in errors. */
export function parseScenario(raw: unknown, origin: string): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ScenarioError(`${origin}: invalid scenario\n${lines.join('\n')}`);
  }
  const scenario = result.data;
  const startMs = Date.parse(scenario.window.start);
  const endMs = Date.parse(scenario.window.end);
  const intervalMs = scenario.market.intervalMin * 60_000;
  if (endMs <= startMs) throw new ScenarioError(`${origin}: window.end must be after window.start`);
  if ((endMs - startMs) % intervalMs !== 0) throw new ScenarioError(`${origin}: window length must be a whole number of market.intervalMin`);
  const stepMs = (scenario.market.stepS ?? scenario.market.intervalMin * 60) * 1000;
  if (intervalMs % stepMs !== 0) throw new ScenarioError(`${origin}: market.stepS must divide market.intervalMin`);
  const capacity = scenario.market.capacity;
  if (capacity !== undefined && (capacity.periodMin * 60_000) % intervalMs !== 0) {
    throw new ScenarioError(`${origin}: market.capacity.periodMin ${capacity.periodMin} must be a multiple of market.intervalMin`);
  }
  for (const block of scenario.planning.blocks ?? []) {
    if ((block.periodMin * 60_000) % intervalMs !== 0) {
      throw new ScenarioError(`${origin}: planning.blocks periodMin ${block.periodMin} must be a multiple of market.intervalMin`);
    }
  }
  const problems = servicesProblems(scenario.services, scenario.fleet, scenario.market.capacity !== undefined);
  if (problems.length > 0) throw new ScenarioError(`${origin}: invalid scenario\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return scenario;
}
