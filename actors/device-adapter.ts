/**
 * The seam between a DER actor and its device.
 *
 * Power sign convention, used everywhere in this project: a positive `powerKW` flows INTO the
 * grid (battery discharge, PV generation); a negative one flows out of the grid into the device
 * (battery or EV charging). Energy inside a device (`energyKWh`, `socFrac`) is what is stored,
 * after conversion losses.
 */

/** What kind of distributed energy resource a device is. */
export type DeviceKind = 'battery' | 'ev-charger' | 'pv';

/** Storage characteristics of a device that holds energy (a battery). */
export interface StorageLimits {
  /** Usable nameplate capacity, kWh. */
  capacityKWh: number;
  /** Lowest state of charge the owner allows, fraction of capacity in [0, 1]. */
  minSocFrac: number;
  /** Highest state of charge the owner allows, fraction of capacity in [0, 1]. */
  maxSocFrac: number;
  /** Stored kWh gained per kWh drawn from the grid, in (0, 1]. */
  chargeEfficiency: number;
  /** kWh delivered to the grid per stored kWh spent, in (0, 1]. */
  dischargeEfficiency: number;
}

/** Static capabilities of a device: what it can ever do, whatever its state. */
export interface DeviceCapabilities {
  kind: DeviceKind;
  /** Largest power the device may push into the grid, kW, >= 0. */
  maxExportKW: number;
  /** Largest power the device may draw from the grid, kW, >= 0. */
  maxImportKW: number;
  /** Largest change of power per second, kW/s; `Infinity` when the device has no ramp limit. */
  rampKWPerS: number;
  /** Present for devices that store energy. */
  storage?: StorageLimits;
  /** Cost of wear per MWh of throughput (charge plus discharge), in the scenario currency per MWh. */
  wearCostPerMWh: number;
  /** EV chargers: the charging power, kW >= 0, the owner wants when no plan holds (default: the allowed maximum). */
  safeDefaultImportKW?: number;
}

/** An EV plugged into a charger, as the charger knows it. */
export interface EvSessionState {
  sessionId: string;
  arrivalMs: number;
  /** The car leaves at this time whatever its charge. */
  departureMs: number;
  /** Energy the driver asked for, kWh delivered to the car. */
  requestedKWh: number;
  /** Energy delivered to the car so far in this session, kWh. */
  deliveredKWh: number;
  /** The car's own charging limit, kW, >= 0 (may be below the charger's). */
  maxChargeKW: number;
  /** kWh reaching the car per kWh drawn from the grid. */
  chargeEfficiency: number;
}

/** One reading of a device, taken at `timeMs`. */
export interface DeviceTelemetry {
  /** UTC epoch milliseconds of the reading. */
  timeMs: number;
  /** False when the device does not answer; the actor then goes to `fault`. */
  online: boolean;
  /** Power at the grid connection over the last step, kW (sign convention above). */
  powerKW: number;
  /** Setpoint the device is following, kW. */
  setpointKW: number;
  /** Stored energy, kWh (batteries). */
  energyKWh?: number;
  /** Stored energy as a fraction of capacity (batteries). */
  socFrac?: number;
  /** Generation available before curtailment, kW >= 0 (PV). */
  availableKW?: number;
  /** The session in progress (EV chargers); absent when no car is plugged in. */
  evSession?: EvSessionState;
  /** Cumulative energy exported minus imported since the device started, kWh (the meter). */
  meterNetKWh: number;
}

/**
 * A device the VPP can read and command. Simulated devices answer at once; real ones (Modbus,
 * OCPP, MQTT) answer over the network, hence the promises.
 */
export interface DeviceAdapter {
  readonly id: string;
  capabilities(): DeviceCapabilities;
  readTelemetry(): Promise<DeviceTelemetry>;
  /** Ask the device to hold `powerKW` until told otherwise. Callers clamp first (safety envelope). */
  applySetpoint(powerKW: number): Promise<void>;
}
