import { SimulatedBattery, SimulatedEvCharger, type EvSessionSpec } from '../../actors/index.js';
import type { Fleet, FleetMember } from '../../sim/fleet.js';
import { batteryConfig } from '../actors/fixtures.js';
import { servicesSchema, type ServicesSpec } from '../../services/scenario.js';

/** A fleet of the given members, as `buildFleet` returns one. */
export function fleetOf(members: FleetMember[]): Fleet {
  return { members, pvProfiles: [], reports: [], evSessionsDropped: [] };
}

/** A battery member (10 kWh, 5 kW, SoC bounds 0.1–0.9, no ramp limit unless overridden). */
export function batteryMember(id: string, overrides: Parameters<typeof batteryConfig>[0] = {}, feederId?: string): FleetMember {
  return { device: new SimulatedBattery(batteryConfig({ id, ...overrides })), ownerId: `owner-${id}`, feederId };
}

/** An EV charger member with its sessions. */
export function evMember(id: string, maxChargeKW: number, sessions: EvSessionSpec[], startMs: number, chargeEfficiency = 0.92): FleetMember {
  return { device: new SimulatedEvCharger({ id, maxChargeKW, chargeEfficiency, sessions, startMs }), ownerId: `owner-${id}`, ev: { sessions, chargeEfficiency } };
}

/** A `services:` block with its defaults filled in, as a scenario would have it. */
export function servicesOf(block: unknown): ServicesSpec {
  return servicesSchema.parse(block);
}
