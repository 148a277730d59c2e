import type { DeviceAdapter, DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { DeviceConfigError, SetpointRejectedError, TimeReversalError } from '../errors.js';

/** Milliseconds per hour: kW × ms / MS_PER_HOUR = kWh. */
export const MS_PER_HOUR = 3_600_000;

/**
 * A device whose physics the simulator drives directly. The synchronous methods exist for the
 * simulator's speed; the async `DeviceAdapter` methods wrap them.
 */
export interface SimulatedDevice extends DeviceAdapter {
  /** Integrate the device's physics exactly from its current time to `timeMs` (UTC epoch ms). */
  advanceTo(timeMs: number): void;
  /** Telemetry at the device's current time. */
  telemetryNow(): DeviceTelemetry;
  /** Hold `powerKW` (sign: positive = into the grid) from the device's current time on. */
  applySetpointNow(powerKW: number): void;
}

/**
 * Shared bookkeeping of the simulated devices: clock, setpoint check, meter and the async
 * wrappers. Subclasses integrate their own physics in `integrate`.
 */
export abstract class SimulatedDeviceBase implements SimulatedDevice {
  readonly id: string;
  protected readonly caps: DeviceCapabilities;
  /** Device time, UTC epoch ms. */
  protected timeMs: number;
  /** Setpoint being followed, kW. */
  protected setpointKW = 0;
  /** Exported minus imported energy since start, kWh. */
  protected meterNetKWh = 0;
  /** Mean grid power over the last advance, kW. */
  protected lastStepPowerKW = 0;

  protected constructor(id: string, caps: DeviceCapabilities, startMs: number) {
    requireNumber(id, 'startMs', startMs, -Number.MAX_VALUE, Number.MAX_VALUE);
    this.id = id;
    this.caps = caps;
    this.timeMs = startMs;
  }

  /**
   * Integrate physics over [fromMs, toMs] with the current setpoint; update internal state and
   * return the net energy exported to the grid over the span, kWh (negative = imported).
   */
  protected abstract integrate(fromMs: number, toMs: number): number;

  /** Device-specific telemetry fields added to the common ones. */
  protected abstract extraTelemetry(): Partial<DeviceTelemetry>;

  capabilities(): DeviceCapabilities {
    const { storage } = this.caps;
    return storage ? { ...this.caps, storage: { ...storage } } : { ...this.caps };
  }

  advanceTo(timeMs: number): void {
    if (!Number.isFinite(timeMs) || timeMs < this.timeMs) {
      throw new TimeReversalError(
        `device ${this.id}: advanceTo(${timeMs}) must be a finite time at or after the device time ${this.timeMs}`,
      );
    }
    if (timeMs === this.timeMs) return;
    const netKWh = this.integrate(this.timeMs, timeMs);
    this.meterNetKWh += netKWh;
    this.lastStepPowerKW = (netKWh * MS_PER_HOUR) / (timeMs - this.timeMs);
    this.timeMs = timeMs;
  }

  applySetpointNow(powerKW: number): void {
    if (!Number.isFinite(powerKW) || powerKW > this.caps.maxExportKW || powerKW < -this.caps.maxImportKW) {
      throw new SetpointRejectedError(
        `device ${this.id}: setpoint ${powerKW} kW is outside [${-this.caps.maxImportKW}, ${this.caps.maxExportKW}] kW`,
      );
    }
    this.setpointKW = powerKW;
  }

  telemetryNow(): DeviceTelemetry {
    return {
      timeMs: this.timeMs,
      online: true,
      powerKW: this.lastStepPowerKW,
      setpointKW: this.setpointKW,
      meterNetKWh: this.meterNetKWh,
      ...this.extraTelemetry(),
    };
  }

  readTelemetry(): Promise<DeviceTelemetry> {
    return Promise.resolve(this.telemetryNow());
  }

  applySetpoint(powerKW: number): Promise<void> {
    try {
      this.applySetpointNow(powerKW);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * Check a configuration number lies in [min, max]; throws `DeviceConfigError` naming the device
 * and field otherwise. `Infinity` passes only when `max` is `Infinity`.
 */
export function requireNumber(deviceId: string, field: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new DeviceConfigError(`device ${deviceId}: ${field} = ${value} is not a number in [${min}, ${max}]`);
  }
  return value;
}
