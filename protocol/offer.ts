import type { DeviceKind } from '../actors/device-adapter.js';

/**
 * A DER's flexibility over a planning horizon, derived by its actor from the device's state.
 * The planner sees devices only through offers. Powers follow the project's sign convention
 * (positive = into the grid). Arrays are indexed by planning interval: interval `i` starts at
 * `startMs + i * intervalMs`.
 */
export interface FlexibilityOffer {
  derId: string;
  kind: DeviceKind;
  /** Owner of the device (for settlement and grouping). */
  ownerId: string;
  /** Feeder node the device hangs off, for feeder limits. */
  feederId?: string;
  /** UTC epoch ms of the first interval's start. */
  startMs: number;
  /** Length of one planning interval, ms. */
  intervalMs: number;
  /** Lowest power the device can hold in each interval, kW. */
  minPowerKW: number[];
  /** Highest power the device can hold in each interval, kW. */
  maxPowerKW: number[];
  /** Present for storage: energy now and its bounds, with conversion efficiencies. */
  storage?: {
    energyKWh: number;
    minEnergyKWh: number;
    maxEnergyKWh: number;
    chargeEfficiency: number;
    dischargeEfficiency: number;
  };
  /** Present for an EV charger with a car: energy still wanted before the car leaves. */
  evDemand?: {
    /** Energy still to deliver to the car, kWh (car side). */
    wantedKWh: number;
    /** Number of intervals the car is still present in, counting a last, partial one (the energy must arrive within them). */
    intervalsLeft: number;
    /** Fraction of the last of those intervals before the car leaves, in (0, 1]; 1 (or absent) when it leaves on an interval edge. */
    lastIntervalFrac?: number;
    chargeEfficiency: number;
  };
  /** Cost of wear per MWh of throughput, currency per MWh. */
  marginalCostPerMWh: number;
}
