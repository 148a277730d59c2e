import { DerAgent, type DeviceAdapter, type DeviceCapabilities, type PlanSlice } from '../../actors/index.js';

export { freePort, waitForPort } from '../transport/net-helpers.js';

/** A clock tests move by hand: device physics, adapters and plans all read it. */
export class VirtualClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

/** A plan slice of `setpointsKW` from `startMs`, one per `intervalMs`, valid to its end. */
export function planSlice(setpointsKW: number[], startMs: number, intervalMs: number): PlanSlice {
  return { setpointsKW, startMs, intervalMs, validUntilMs: startMs + setpointsKW.length * intervalMs };
}

/** A DerAgent on `adapter` with a plan timeout long enough not to fire in a replayed session. */
export function sessionAgent(adapter: DeviceAdapter, planTimeoutMs = 3_600_000): DerAgent {
  return new DerAgent({ adapter, ownerId: 'owner-1', planTimeoutMs });
}

/** Resolves once `check()` holds, polling every 10 ms; rejects with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

/** The capabilities of a 10 kWh / 5 kW home battery as its owner states them. */
export function ownerBatteryCaps(overrides: Partial<DeviceCapabilities> = {}): DeviceCapabilities {
  return {
    kind: 'battery',
    maxExportKW: 5,
    maxImportKW: 5,
    rampKWPerS: Infinity,
    wearCostPerMWh: 20,
    storage: { capacityKWh: 10, minSocFrac: 0.1, maxSocFrac: 0.9, chargeEfficiency: 0.95, dischargeEfficiency: 0.9 },
    ...overrides,
  };
}
