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

/** Slack, kW, for float rounding in a feeder's sum. */
const FEEDER_TOLERANCE_KW = 1e-6;

/**
 * Counts the feeders whose members' summed metered power (`powersKW[k]` for the member on feeder
 * `feederIds[k]`, positive = export) is outside the feeder's limits. Like `checkLimits`, it reads
 * only telemetry and the scenario's limits, never the planner's or envelope's view of them.
 */
export function checkFeeders(powersKW: readonly number[], feederIds: readonly (string | undefined)[], limits: Record<string, { maxImportKW: number; maxExportKW: number }>): number {
  const sums = new Map<string, number>();
  feederIds.forEach((id, k) => {
    if (id !== undefined && Object.hasOwn(limits, id)) sums.set(id, (sums.get(id) ?? 0) + powersKW[k]);
  });
  let violations = 0;
  for (const [id, sum] of sums) {
    if (sum > limits[id].maxExportKW + FEEDER_TOLERANCE_KW || sum < -limits[id].maxImportKW - FEEDER_TOLERANCE_KW) violations++;
  }
  return violations;
}
