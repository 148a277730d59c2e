import type { DeviceCapabilities } from '../actors/device-adapter.js';
import type { SimulatedDevice } from '../actors/devices/simulated-device.js';

// Float rounding allowance: a kWh-scale quantity off by less than this is not a violation.
const TOLERANCE = 1e-7;

/**
 * Counts the limits a device's latest state breaks: power outside its ratings, state of charge
 * outside the owner's bounds, PV importing, an EV charger exporting, a car over-delivered.
 * Deliberately independent of the safety envelope's code: it reads only telemetry and
 * capabilities, so an envelope bug shows up here as a violation.
 */
export function checkLimits(device: SimulatedDevice, caps: DeviceCapabilities): number {
  const telemetry = device.telemetryNow();
  let violations = 0;
  if (telemetry.powerKW > caps.maxExportKW + TOLERANCE || telemetry.powerKW < -caps.maxImportKW - TOLERANCE) violations++;
  if (caps.storage && telemetry.socFrac !== undefined) {
    if (telemetry.socFrac < caps.storage.minSocFrac - TOLERANCE || telemetry.socFrac > caps.storage.maxSocFrac + TOLERANCE) violations++;
  }
  if ((caps.kind === 'pv' || caps.kind === 'ev-charger') && (caps.kind === 'pv' ? telemetry.powerKW < -TOLERANCE : telemetry.powerKW > TOLERANCE)) {
    violations++;
  }
  const session = telemetry.evSession;
  if (session && session.deliveredKWh > session.requestedKWh + TOLERANCE) violations++;
  return violations;
}

/** A feeder node's limits as the checker reads them. */
export interface FeederLimitSpec {
  id: string;
  importLimitKW: number;
  exportLimitKW: number;
}

/**
 * Counts the feeders whose DERs' summed power over the last step (telemetry only, as
 * `checkLimits`) is outside the feeder's import/export limits.
 */
export function checkFeederLimits(members: readonly { device: SimulatedDevice; feederId?: string }[], feeders: readonly FeederLimitSpec[]): number {
  if (feeders.length === 0) return 0;
  const sumKW = new Map<string, number>();
  for (const m of members) {
    if (m.feederId !== undefined) sumKW.set(m.feederId, (sumKW.get(m.feederId) ?? 0) + m.device.telemetryNow().powerKW);
  }
  let violations = 0;
  for (const f of feeders) {
    const kW = sumKW.get(f.id) ?? 0;
    if (kW > f.exportLimitKW + TOLERANCE || kW < -f.importLimitKW - TOLERANCE) violations++;
  }
  return violations;
}
