import type { DeviceTelemetry } from '../device-adapter.js';
import { DeviceConfigError, ProfileError } from '../errors.js';
import { MS_PER_HOUR, SimulatedDeviceBase, requireNumber } from './simulated-device.js';

/**
 * A piecewise-constant signal of time. `valueAt(t)` holds from one change to the next;
 * `nextChangeAfter(t)` is the first time strictly after `t` where the value may change
 * (`Infinity` when it never changes again).
 */
export interface StepProfile {
  valueAt(timeMs: number): number;
  nextChangeAfter(timeMs: number): number;
}

/** One step of a profile: `value` holds from `startMs` (UTC epoch ms) until the next point. */
export interface StepPoint {
  startMs: number;
  value: number;
}

/**
 * A step profile over sorted points: 0 before the first point, the last value forever after the
 * last one. Throws `DeviceConfigError` when the points are empty or not strictly increasing.
 */
export function stepProfileFromPoints(points: readonly StepPoint[], name = 'profile'): StepProfile {
  if (points.length === 0) throw new DeviceConfigError(`${name}: needs at least one point`);
  points.forEach((p, i) => {
    if (!Number.isFinite(p.startMs) || (i > 0 && p.startMs <= points[i - 1].startMs)) {
      throw new DeviceConfigError(`${name}: point ${i} startMs ${p.startMs} is not finite and after the previous point`);
    }
  });
  const starts = points.map((p) => p.startMs);
  // Index of the last point starting at or before t, -1 before the first.
  const indexAt = (t: number): number => {
    let lo = -1;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi + 1) / 2);
      if (starts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    valueAt: (t) => {
      const i = indexAt(t);
      return i < 0 ? 0 : points[i].value;
    },
    nextChangeAfter: (t) => starts[indexAt(t) + 1] ?? Infinity,
  };
}

/** Parameters of a simulated PV system. */
export interface SimulatedPvConfig {
  id: string;
  /** Installed (inverter) size, kW > 0. */
  sizeKW: number;
  /** Available generation per installed kW, kW/kW >= 0, as a step profile. */
  availability: StepProfile;
  /** UTC epoch ms of the initial state. */
  startMs: number;
  /** Wear cost per MWh of throughput, currency per MWh; 0 when omitted. */
  wearCostPerMWh?: number;
}

/**
 * A curtailable PV system: output is min(setpoint, sizeKW × availability), integrated exactly
 * across the profile's steps. It never imports.
 */
export class SimulatedPv extends SimulatedDeviceBase {
  private readonly sizeKW: number;
  private readonly availability: StepProfile;

  constructor(config: SimulatedPvConfig) {
    const sizeKW = requireNumber(config.id, 'sizeKW', config.sizeKW, Number.MIN_VALUE, Number.MAX_VALUE);
    super(
      config.id,
      {
        kind: 'pv',
        maxExportKW: sizeKW,
        maxImportKW: 0,
        rampKWPerS: Infinity,
        wearCostPerMWh: requireNumber(config.id, 'wearCostPerMWh', config.wearCostPerMWh ?? 0, 0, Number.MAX_VALUE),
      },
      config.startMs,
    );
    this.sizeKW = sizeKW;
    this.availability = config.availability;
    // An inverter powers up uncurtailed until told otherwise.
    this.setpointKW = sizeKW;
  }

  protected extraTelemetry(): Partial<DeviceTelemetry> {
    return { availableKW: this.availableAt(this.timeMs) };
  }

  protected integrate(fromMs: number, toMs: number): number {
    let exportedKWh = 0;
    let t = fromMs;
    while (t < toMs) {
      const next = this.availability.nextChangeAfter(t);
      if (!(next > t)) {
        throw new ProfileError(`device ${this.id}: availability nextChangeAfter(${t}) = ${next} is not after ${t}`);
      }
      const end = Math.min(toMs, next);
      exportedKWh += (Math.min(this.setpointKW, this.availableAt(t)) * (end - t)) / MS_PER_HOUR;
      t = end;
    }
    return exportedKWh;
  }

  private availableAt(timeMs: number): number {
    const perKW = this.availability.valueAt(timeMs);
    if (!Number.isFinite(perKW) || perKW < 0) {
      throw new ProfileError(`device ${this.id}: availability at ${timeMs} is ${perKW}, expected a finite kW/kW >= 0`);
    }
    return this.sizeKW * perKW;
  }
}
