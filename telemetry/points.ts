/**
 * The point schema every producer shares: measurement names, their tags and their fields. Units
 * are in the field names; power is positive into the grid (see actors/device-adapter.ts).
 */
import type { DeviceKind, DeviceTelemetry } from '../actors/device-adapter.js';
import type { TelemetryFieldValue, TelemetryPoint } from './sink.js';

/** Measurement names. */
export const MEASUREMENTS = {
  /** One DER per interval: tags der, owner, kind, feeder (when known). */
  der: 'der',
  /** The whole fleet (or a node's site) per interval. */
  fleet: 'fleet',
  /** The setpoint a plan gave one DER for an interval: tags der (+ owner, kind, feeder where known), field planHash when certified. */
  plan: 'plan',
  /** Market and grid signals per interval: price, its forecast, regulation signal, frequency. */
  signal: 'signal',
  /** A grid-service performance score: tag service, fields named by the service (accuracy, delay, precision, score, …). */
  serviceScore: 'service_score',
  /** A coordinator's commit of one height: tag node. */
  commit: 'commit',
} as const;

/** Who a DER is, as far as tags go. */
export interface DerIdentity {
  derId: string;
  ownerId: string;
  /** Absent when the fleet has no feeder for it: the tag is then left out, not set to a placeholder. */
  feederId?: string;
  kind: DeviceKind;
}

/** Tags of every per-DER point. */
export function derTags(identity: DerIdentity): Record<string, string> {
  const tags: Record<string, string> = { der: identity.derId, owner: identity.ownerId, kind: identity.kind };
  if (identity.feederId !== undefined) tags.feeder = identity.feederId;
  return tags;
}

/** A point from fields that may be undefined or non-finite: those are left out (the line protocol has no NaN). */
export function point(measurement: string, tags: Readonly<Record<string, string>>, timeMs: number, fields: Readonly<Record<string, TelemetryFieldValue | undefined>>): TelemetryPoint {
  const kept: Record<string, TelemetryFieldValue> = {};
  // for…in: a simulation builds a point per DER per interval, and this is ~3× faster than Object.entries.
  for (const name in fields) {
    const value = fields[name];
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) continue;
    kept[name] = value;
  }
  return { measurement, tags, fields: kept, timeMs };
}

/** The `der` fields of a device reading; `powerKW` may be given instead of the reading's (e.g. the interval's mean). */
export function derFields(reading: DeviceTelemetry, powerKW = reading.powerKW): Record<string, TelemetryFieldValue | undefined> {
  return {
    powerKW,
    setpointKW: reading.setpointKW,
    socFrac: reading.socFrac,
    energyKWh: reading.energyKWh,
    availableKW: reading.availableKW,
    meterNetKWh: reading.meterNetKWh,
    online: reading.online,
    evDeliveredKWh: reading.evSession?.deliveredKWh,
    evRequestedKWh: reading.evSession?.requestedKWh,
  };
}

/**
 * A grid-service score for one scoring window ending at `timeMs`: `scores` holds the service's own
 * figures (e.g. PJM's accuracy, delay, precision and score, each in [0, 1]).
 */
export function serviceScorePoint(service: string, timeMs: number, scores: Readonly<Record<string, number>>, tags: Readonly<Record<string, string>> = {}): TelemetryPoint {
  return point(MEASUREMENTS.serviceScore, { ...tags, service }, timeMs, scores);
}
