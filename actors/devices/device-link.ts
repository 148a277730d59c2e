import type { DeviceAdapter, DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { DeviceLinkError } from '../errors.js';

/** Wall or virtual clock, UTC epoch ms. Real adapters stamp telemetry with it. */
export type DeviceClock = () => number;

/**
 * A device adapter that talks to real hardware over a link that opens, drops and closes. A device
 * that stops answering yields telemetry with `online: false` (never a thrown read), so the DER
 * actor goes to `fault` and its offers carry no flexibility until the device answers again.
 */
export interface LinkedDeviceAdapter extends DeviceAdapter {
  /** Connect and learn the device (discovery, boot); rejects with the reason when it cannot. */
  open(): Promise<void>;
  /** Release sockets, servers and timers; safe to call twice. */
  close(): Promise<void>;
}

/** `promise`, or a `DeviceLinkError` naming `what` when it has not settled after `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeviceLinkError(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Telemetry of a device that does not answer at `timeMs`: no power, the last known state otherwise.
 * A battery never heard from is taken as empty (its minimum state of charge), so nothing reading
 * it can count on energy it may not have.
 */
export function offlineTelemetry(caps: DeviceCapabilities, last: DeviceTelemetry | undefined, timeMs: number): DeviceTelemetry {
  const st = caps.storage;
  const unknownStore = st && last?.energyKWh === undefined ? { energyKWh: st.minSocFrac * st.capacityKWh, socFrac: st.minSocFrac } : {};
  return { setpointKW: 0, meterNetKWh: 0, ...last, ...unknownStore, timeMs, online: false, powerKW: 0 };
}

/** The message of an unknown thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
