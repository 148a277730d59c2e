/**
 * The `services:` block of a scenario: which grid services the fleet delivers in real time, what
 * it committed, and the feeder nodes whose import/export limits no plan or setpoint may break.
 */
import { z } from 'zod';
import { csvMappingSchema } from '../sim/signals/csv-series.js';

const isoWithOffset = z.string().regex(/([zZ]|[+-]\d\d:?\d\d)$/, 'expected an ISO-8601 time with a zone offset, e.g. 2016-07-01T13:00:00-04:00');

/** Settings of the PJM performance score; the defaults are PJM's. */
const scoringSchema = z
  .strictObject({
    /** Scoring sample period, s (PJM: 10 s, every 5th sample of the 2-s signal). */
    sampleS: z.number().positive().default(10),
    windowSamples: z.number().int().min(2).default(31),
    maxShiftSamples: z.number().int().min(0).default(30),
    flatSignalStd: z.number().nonnegative().default(0.05),
  })
  .prefault({});

const regulationSchema = z.strictObject({
  /** The normalised regulation signal in [-1, 1]: PJM's 40-minute RegA/RegD test, or a CSV series. */
  signal: z.discriminatedUnion('source', [
    z.strictObject({ source: z.literal('pjm-test'), kind: z.enum(['RegA', 'RegD']) }),
    z.strictObject({ source: z.literal('csv'), mapping: csvMappingSchema, series: z.string() }),
  ]),
  /** When the test starts (a PJM test signal's 0:00:00 is placed here); default: the window start. */
  start: isoWithOffset.optional(),
  /** How long the fleet follows the signal, min; default: the PJM test's 40 minutes, or until the window ends for a CSV. */
  durationMin: z.number().positive().optional(),
  /** Regulation capacity the fleet sells, MW (symmetric: up at +1, down at −1). */
  committedMW: z.number().positive(),
  /** Dispatch (and signal) step, s. */
  stepS: z.number().positive().default(2),
  /** Commitment period, min: commitments (and the capacity PJM scores against) are fixed per period. */
  periodMin: z.number().positive().default(60),
  /** A DER's headroom is what it can hold for this long without leaving its SoC bounds, min. */
  socHorizonMin: z.number().positive().default(15),
  /** Batteries' basepoints steer them toward mid-SoC with at most this fraction of their rating. */
  socCorrectionFrac: z.number().min(0).max(1).default(0.1),
  scoring: scoringSchema,
});

const frequencySchema = z.strictObject({
  /** The frequency trace: the German 1-s recording of 2022-09-17, or a CSV series in Hz. */
  trace: z.discriminatedUnion('source', [
    z.strictObject({ source: z.literal('de-netztransparenz') }),
    z.strictObject({ source: z.literal('csv'), mapping: csvMappingSchema, series: z.string() }),
  ]),
  start: isoWithOffset.optional(),
  durationMin: z.number().positive().optional(),
  nominalHz: z.number().positive().default(50),
  /** No response while |f − nominal| is within this band, mHz. */
  deadbandMHz: z.number().nonnegative().default(10),
  /** Full response at this deviation, mHz (FCR: 200). */
  fullActivationMHz: z.number().positive().default(200),
  /** Largest response as a fraction of the committed band (1 = the whole band). */
  limitFrac: z.number().positive().max(1).default(1),
  /** Frequency-containment band the fleet sells, MW (symmetric). */
  committedMW: z.number().positive(),
  stepS: z.number().positive().default(1),
  periodMin: z.number().positive().default(240),
  socHorizonMin: z.number().positive().default(15),
  socCorrectionFrac: z.number().min(0).max(1).default(0.1),
  /** A step counts as answered when its response error is within this fraction of the band. */
  toleranceFrac: z.number().nonnegative().default(0.05),
});

/** Reserve or demand-response events: when the operator calls, the fleet ramps up by its commitment and holds it. */
const eventServiceSchema = z.strictObject({
  events: z.discriminatedUnion('source', [
    /** PJM synchronized-reserve events (events-pjm-spin); `zones` keeps only those zones. */
    z.strictObject({ source: z.literal('pjm-spin'), zones: z.array(z.string()).min(1).optional() }),
    /**
     * A CSV of events: `mapping.time` reads the start column, and `mapping.values` names a series
     * `durationMin` (event length) and optionally `targetMW` (that event's commitment).
     */
    z.strictObject({ source: z.literal('csv'), mapping: csvMappingSchema }),
  ]),
  /** Export increase the fleet commits per event, MW (a CSV's `targetMW` overrides it per event). */
  committedMW: z.number().positive(),
  /** The commitment must be reached within this time of the event's start, min (PJM: 10). */
  rampMin: z.number().positive().default(10),
  stepS: z.number().positive().default(10),
  /** Between events batteries recharge toward this state of charge. */
  recoverySocFrac: z.number().min(0).max(1).default(0.6),
  /** ... at this fraction of their charge rating. */
  recoveryChargeFrac: z.number().positive().max(1).default(0.5),
  /** Dispatch step between events, min (batteries recover, EVs charge, feeder limits hold). */
  idleStepMin: z.number().positive().default(15),
});

const feederSchema = z.strictObject({
  id: z.string().min(1),
  /** Largest power the feeder's DERs may draw together, kW >= 0. */
  importLimitKW: z.number().nonnegative(),
  /** Largest power the feeder's DERs may push together, kW >= 0. */
  exportLimitKW: z.number().nonnegative(),
});

/** The `services:` block. */
export const servicesSchema = z.strictObject({
  /**
   * Where each period's commitments come from: `rule` (services/commitment-rule.ts) or
   * `co-optimise` (the co-optimising planner over `market.capacity`, as `vpp plan --commitments`).
   */
  commitments: z.enum(['rule', 'co-optimise']).default('rule'),
  regulation: regulationSchema.optional(),
  frequency: frequencySchema.optional(),
  reserve: eventServiceSchema.optional(),
  demandResponse: eventServiceSchema.optional(),
  /** Feeder nodes; fleet groups name theirs with `feeder:`. */
  feeders: z.array(feederSchema).default([]),
});
/** The parsed `services:` block, defaults filled in. */
export type ServicesSpec = z.infer<typeof servicesSchema>;
/** `services.regulation`. */
export type RegulationSpec = z.infer<typeof regulationSchema>;
/** `services.frequency`. */
export type FrequencySpec = z.infer<typeof frequencySchema>;
/** `services.reserve` or `services.demandResponse`. */
export type EventServiceSpec = z.infer<typeof eventServiceSchema>;
/** One of `services.feeders`. */
export type FeederSpec = z.infer<typeof feederSchema>;

/** What the scenario says about its fleet groups' feeders, for the cross-field checks. */
interface FleetFeeders {
  batteries: { feeder?: string }[];
  pv: { feeder?: string }[];
  ev?: { feeder?: string };
}

/**
 * Cross-field checks the schema cannot make: feeder ids are unique, and once feeders are declared
 * every group's `feeder` names one of them. Returns one message per problem, naming the field.
 */
export function servicesProblems(services: ServicesSpec | undefined, fleet: FleetFeeders, hasCapacityMarket: boolean): string[] {
  const problems: string[] = [];
  if (services?.commitments === 'co-optimise') {
    if (!hasCapacityMarket) problems.push('services.commitments: co-optimise needs a market.capacity block (the capacity prices and commitment rules the planner sells into)');
    // The planner's reserve capacity is held per commitment period, not per called event: the event services keep the rule.
    for (const key of ['reserve', 'demandResponse'] as const) if (services[key]) problems.push(`services.commitments: co-optimise is for regulation and frequency; services.${key} needs commitments: rule`);
  }
  const feeders = services?.feeders ?? [];
  if (feeders.length === 0) return problems;
  const ids = new Set<string>();
  feeders.forEach((f, i) => {
    if (ids.has(f.id)) problems.push(`services.feeders.${i}.id: feeder '${f.id}' is declared twice`);
    ids.add(f.id);
  });
  const check = (feeder: string | undefined, field: string) => {
    if (feeder !== undefined && !ids.has(feeder)) problems.push(`${field}: feeder '${feeder}' is not in services.feeders (${[...ids].join(', ')})`);
  };
  fleet.batteries.forEach((g, i) => check(g.feeder, `fleet.batteries.${i}.feeder`));
  fleet.pv.forEach((g, i) => check(g.feeder, `fleet.pv.${i}.feeder`));
  check(fleet.ev?.feeder, 'fleet.ev.feeder');
  return problems;
}
