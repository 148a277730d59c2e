import type { DeviceCapabilities, DeviceTelemetry } from './device-adapter.js';
import { ActorInputError } from './errors.js';
import { MS_PER_HOUR } from './devices/simulated-device.js';

/** Why the envelope changed a requested setpoint. */
export type ClampReason = 'power' | 'soc' | 'ev-energy' | 'ev-departure' | 'not-finite';

/** Every clamp reason, in a fixed order (for counters and reports). */
export const CLAMP_REASONS: readonly ClampReason[] = ['power', 'soc', 'ev-energy', 'ev-departure', 'not-finite'];

/** Result of passing a setpoint through the envelope. `powerKW` follows the grid sign convention. */
export interface ClampResult {
  powerKW: number;
  clamped: boolean;
  /** The constraint that set the final value ('not-finite' wins when the request was NaN/±Infinity). */
  reason?: ClampReason;
}

// Energy headroom is shaved by this much (a µWh) so float rounding never lands a store past its bound.
const HEADROOM_SLACK_KWH = 1e-9;
// Changes smaller than this (1 mW) are rounding, not a clamp worth counting.
const CLAMP_NOTICE_KW = 1e-6;

/**
 * Power a device falls back to when it has no usable instruction, kW: battery idle (0), EV
 * charging at the owner's configured default rate, else the allowed maximum (negative, 0 without a
 * car or when the car is full), PV uncurtailed (its available power).
 */
export function safeDefaultKW(caps: DeviceCapabilities, telemetry: DeviceTelemetry): number {
  switch (caps.kind) {
    case 'battery':
      return 0;
    case 'ev-charger': {
      const s = telemetry.evSession;
      if (!s || s.departureMs <= telemetry.timeMs || s.deliveredKWh >= s.requestedKWh) return 0;
      return -Math.min(caps.maxImportKW, s.maxChargeKW, caps.safeDefaultImportKW ?? Infinity);
    }
    case 'pv':
      return caps.maxExportKW;
  }
}

/**
 * The local safety envelope every setpoint passes before it reaches a device. Applies, in order:
 * the device's power limits; for storage, the SoC headroom over `horizonMs` (the time the setpoint
 * will be held, ms > 0) after conversion losses; for an EV charger, no power without a car, the
 * car's own limit and no more than the energy still wanted before the car leaves; for PV, export
 * within [0, available]. A NaN/±Infinity request is replaced by `safeDefaultKW` first.
 */
export function clampSetpoint(
  requestedKW: number,
  caps: DeviceCapabilities,
  telemetry: DeviceTelemetry,
  horizonMs: number,
): ClampResult {
  if (!(horizonMs > 0) || !Number.isFinite(horizonMs)) {
    throw new ActorInputError(`clampSetpoint: horizonMs = ${horizonMs}, expected a finite hold time > 0 ms`);
  }
  const finite = Number.isFinite(requestedKW);
  let powerKW = finite ? requestedKW : safeDefaultKW(caps, telemetry);
  let reason: ClampReason | undefined = finite ? undefined : 'not-finite';
  const limit = (minKW: number, maxKW: number, why: ClampReason): void => {
    const next = Math.min(maxKW, Math.max(minKW, powerKW));
    // The µWh headroom slack shaves plans that drain a store exactly to its bound by a few nW:
    // applied, but not counted as a clamp.
    if (finite && Math.abs(next - powerKW) > CLAMP_NOTICE_KW) reason = why;
    powerKW = next;
  };

  limit(-caps.maxImportKW, caps.maxExportKW, 'power');
  const holdH = horizonMs / MS_PER_HOUR;
  switch (caps.kind) {
    case 'battery': {
      const st = caps.storage;
      if (!st) throw new ActorInputError(`clampSetpoint: battery capabilities lack storage limits`);
      const energyKWh = requireField(caps, telemetry, 'energyKWh');
      const dischargeKWh = Math.max(0, energyKWh - st.minSocFrac * st.capacityKWh - HEADROOM_SLACK_KWH) * st.dischargeEfficiency;
      const chargeKWh = Math.max(0, st.maxSocFrac * st.capacityKWh - energyKWh - HEADROOM_SLACK_KWH) / st.chargeEfficiency;
      limit(-chargeKWh / holdH, dischargeKWh / holdH, 'soc');
      break;
    }
    case 'ev-charger': {
      const s = telemetry.evSession;
      const presentMs = s ? s.departureMs - telemetry.timeMs : 0;
      if (!s || presentMs <= 0) {
        limit(0, 0, 'ev-departure');
        break;
      }
      limit(-s.maxChargeKW, 0, 'power');
      // The car leaves before the hold ends: the wanted energy may arrive over the shorter span.
      const spanH = Math.min(horizonMs, presentMs) / MS_PER_HOUR;
      const wantedKWh = Math.max(0, s.requestedKWh - s.deliveredKWh);
      limit(-wantedKWh / s.chargeEfficiency / spanH, 0, 'ev-energy');
      break;
    }
    case 'pv':
      // A PV setpoint is an export cap: the inverter never makes more than the sun gives, so a cap
      // above what is available is no danger and no clamp; only the rating bounds it.
      break;
  }
  powerKW += 0; // normalise -0 from clamping at a zero bound
  return reason === undefined ? { powerKW, clamped: false } : { powerKW, clamped: true, reason };
}

function requireField(caps: DeviceCapabilities, telemetry: DeviceTelemetry, field: 'energyKWh'): number {
  const value = telemetry[field];
  if (value === undefined || !Number.isFinite(value)) {
    throw new ActorInputError(`safety envelope: ${caps.kind} telemetry at ${telemetry.timeMs} has ${field} = ${value}, expected a finite number`);
  }
  return value;
}

/** The safe default through the envelope (an EV never overshoots its energy), kW: what a DER holds without a plan. */
export function safeSetpointKW(caps: DeviceCapabilities, telemetry: DeviceTelemetry, holdMs: number): number {
  return clampSetpoint(safeDefaultKW(caps, telemetry), caps, telemetry, holdMs).powerKW;
}
