import type { DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { DeviceConfigError, DeviceLinkError } from '../errors.js';
import { CLAMP_REASONS, clampSetpoint, type ClampReason } from '../safety-envelope.js';
import type { LinkedDeviceAdapter } from './device-link.js';

/** How a `GuardedAdapter` judges a setpoint. */
export interface GuardOptions {
  /**
   * How long a written setpoint may be held before the next one, ms > 0 (the site's control
   * period): the state-of-charge and EV-energy headroom is spread over it.
   */
  holdMs: number;
}

/**
 * The last gate before a setpoint leaves the node: every adapter is wrapped in one. It clamps each
 * setpoint to the device's limits with the shared safety envelope (`clampSetpoint`) on fresh
 * telemetry, whatever the caller already did, and refuses to write to a device that is not
 * answering. Reads pass through and are remembered for the next clamp.
 */
export class GuardedAdapter implements LinkedDeviceAdapter {
  readonly id: string;
  private readonly inner: LinkedDeviceAdapter;
  private readonly holdMs: number;
  /** The reading taken since the last write, if any: each write clamps on a reading no older than the previous write. */
  private unused: DeviceTelemetry | undefined;
  private readonly counts: Record<ClampReason, number>;

  constructor(inner: LinkedDeviceAdapter, options: GuardOptions) {
    if (!(options.holdMs > 0) || !Number.isFinite(options.holdMs)) {
      throw new DeviceConfigError(`GuardedAdapter ${inner.id}: holdMs = ${options.holdMs}, expected a finite number > 0 ms`);
    }
    this.id = inner.id;
    this.inner = inner;
    this.holdMs = options.holdMs;
    this.counts = Object.fromEntries(CLAMP_REASONS.map((r) => [r, 0])) as Record<ClampReason, number>;
  }

  /** How often the guard changed a requested setpoint, per reason. */
  get clampCounts(): Readonly<Record<ClampReason, number>> {
    return this.counts;
  }

  capabilities(): DeviceCapabilities {
    return this.inner.capabilities();
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async readTelemetry(): Promise<DeviceTelemetry> {
    this.unused = await this.inner.readTelemetry();
    return this.unused;
  }

  /** Clamp `powerKW` on the reading taken since the last write (a new one when there is none), then write it. */
  async applySetpoint(powerKW: number): Promise<void> {
    const telemetry = this.unused ?? (await this.readTelemetry());
    this.unused = undefined;
    if (!telemetry.online) throw new DeviceLinkError(`device ${this.id}: not answering, setpoint ${powerKW} kW not sent`);
    const result = clampSetpoint(powerKW, this.inner.capabilities(), telemetry, this.holdMs);
    if (result.reason) this.counts[result.reason] += 1;
    await this.inner.applySetpoint(result.powerKW);
  }
}
