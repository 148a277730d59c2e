/**
 * Device configs of a site (the `devices:` list of a peer config) and the adapters they build.
 * Every adapter comes wrapped in a `GuardedAdapter`, so no setpoint leaves the node unclamped.
 */
import { z } from 'zod';
import type { DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { SimulatedBattery } from './simulated-battery.js';
import { MS_PER_HOUR, type SimulatedDevice } from './simulated-device.js';
import { SimulatedEvCharger } from './simulated-ev-charger.js';
import { SimulatedPv, stepProfileFromPoints } from './simulated-pv.js';
import type { DeviceClock, LinkedDeviceAdapter } from './device-link.js';
import { GuardedAdapter } from './guarded-adapter.js';
// Protocol adapters are loaded when a config names them: their client libraries take most of a
// node's start-up, and coordinators and simulated sites never use them.
import type { OcppCentralSystem } from './ocpp-charger.js';

const MS_PER_S = 1000;

const fraction = z.number().min(0).max(1);
const efficiency = z.number().gt(0).max(1);
const nonNegativeKW = z.number().nonnegative().finite();
const wearCostPerMWh = z.number().nonnegative().default(0);
const port = z.number().int().min(1).max(65535);
const deviceId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "letters, digits, '_', '.', ':' or '-'");

/** A home battery's limits as its owner states them. */
const batteryLimitsSchema = z
  .strictObject({
    kind: z.literal('battery'),
    capacityKWh: z.number().positive().finite(),
    maxChargeKW: nonNegativeKW,
    maxDischargeKW: nonNegativeKW,
    minSocFrac: fraction,
    maxSocFrac: fraction,
    chargeEfficiency: efficiency,
    dischargeEfficiency: efficiency,
    /** kW/s; no ramp limit when omitted. */
    rampKWPerS: z.number().positive().optional(),
    wearCostPerMWh,
  })
  .refine((l) => l.minSocFrac <= l.maxSocFrac, { message: 'minSocFrac must not exceed maxSocFrac', path: ['minSocFrac'] });

const pvLimitsSchema = z.strictObject({ kind: z.literal('pv'), sizeKW: z.number().positive().finite(), wearCostPerMWh });

const evLimitsSchema = z.strictObject({
  kind: z.literal('ev-charger'),
  maxChargeKW: z.number().positive().finite(),
  /** Charging power without a committed plan, kW (default: the allowed maximum). */
  safeDefaultChargeKW: nonNegativeKW.optional(),
  chargeEfficiency: efficiency.default(0.9),
  wearCostPerMWh,
});

const storageOrPvLimits = z.discriminatedUnion('kind', [batteryLimitsSchema, pvLimitsSchema]);
const anyLimits = z.discriminatedUnion('kind', [batteryLimitsSchema, pvLimitsSchema, evLimitsSchema]);
const jsonFieldSchema = z.strictObject({ path: z.string().min(1), scale: z.number().finite().refine((v) => v !== 0, 'must not be 0') });

/** A DER of a site: its protocol and connection, and its limits as the owner states them. */
export const deviceConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('simulated'),
    id: deviceId,
    limits: anyLimits,
    /** Battery: state of charge at start. */
    initialSocFrac: fraction.default(0.5),
    /** PV: available power per installed kW, held constant. */
    availabilityFrac: fraction.default(0.5),
  }),
  z.strictObject({
    type: z.literal('sunspec'),
    id: deviceId,
    limits: storageOrPvLimits,
    host: z.string().min(1),
    port: port.default(502),
    unitId: z.number().int().min(1).max(247).default(1),
    timeoutMs: z.number().int().positive().default(1000),
    /** Device-side revert time of a written setpoint (SunSpec RvrtTms), s; 0 = hold. */
    revertS: z.number().int().min(0).max(65535).default(900),
  }),
  z.strictObject({
    type: z.literal('ocpp'),
    id: deviceId,
    limits: evLimitsSchema,
    /** Where the site's central system listens for this charger; chargers on one port share it. */
    listen: z.strictObject({ host: z.string().default('0.0.0.0'), port }),
    chargePointId: z.string().min(1).max(48),
    connectorId: z.number().int().min(1).default(1),
    rateUnit: z.enum(['A', 'W']).default('A'),
    voltageV: z.number().positive().default(230),
    phases: z.number().int().min(1).max(3).default(1),
    /** The charger's own fallback rate when this node is gone, kW. */
    defaultChargeKW: nonNegativeKW,
    /** Visit assumed when the driver states none. */
    assumedStayH: z.number().positive().default(8),
    assumedRequestedKWh: z.number().nonnegative().default(10),
    heartbeatIntervalS: z.number().int().positive().default(300),
    callTimeoutMs: z.number().int().positive().default(10_000),
  }),
  z.strictObject({
    type: z.literal('mqtt'),
    id: deviceId,
    limits: storageOrPvLimits,
    url: z.string().regex(/^mqtts?:\/\/|^wss?:\/\//, 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
    clientId: z.string().min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    topics: z.strictObject({ telemetry: z.string().min(1), setpoint: z.string().min(1), status: z.string().min(1), controller: z.string().min(1).optional() }),
    mapping: z.strictObject({
      powerKW: jsonFieldSchema,
      setpointKW: jsonFieldSchema.optional(),
      socFrac: jsonFieldSchema.optional(),
      energyKWh: jsonFieldSchema.optional(),
      availableKW: jsonFieldSchema.optional(),
      meterNetKWh: jsonFieldSchema.optional(),
    }),
    setpointField: jsonFieldSchema,
    onlinePayload: z.string().default('online'),
    offlinePayload: z.string().default('offline'),
    staleAfterS: z.number().positive().default(120),
    timeoutMs: z.number().int().positive().default(5000),
    reconnectMs: z.number().int().positive().default(2000),
  }),
]);

/** One device entry after validation (defaults filled in). */
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
/** The owner's limits of any device kind. */
export type DeviceLimits = z.infer<typeof anyLimits>;

/** The capabilities the safety envelope enforces, from the owner's stated limits. */
export function capabilitiesFromLimits(limits: DeviceLimits): DeviceCapabilities {
  switch (limits.kind) {
    case 'battery':
      return {
        kind: 'battery',
        maxExportKW: limits.maxDischargeKW,
        maxImportKW: limits.maxChargeKW,
        rampKWPerS: limits.rampKWPerS ?? Infinity,
        wearCostPerMWh: limits.wearCostPerMWh,
        storage: {
          capacityKWh: limits.capacityKWh,
          minSocFrac: limits.minSocFrac,
          maxSocFrac: limits.maxSocFrac,
          chargeEfficiency: limits.chargeEfficiency,
          dischargeEfficiency: limits.dischargeEfficiency,
        },
      };
    case 'pv':
      return { kind: 'pv', maxExportKW: limits.sizeKW, maxImportKW: 0, rampKWPerS: Infinity, wearCostPerMWh: limits.wearCostPerMWh };
    case 'ev-charger':
      return {
        kind: 'ev-charger',
        maxExportKW: 0,
        maxImportKW: limits.maxChargeKW,
        rampKWPerS: Infinity,
        wearCostPerMWh: limits.wearCostPerMWh,
        ...(limits.safeDefaultChargeKW !== undefined ? { safeDefaultImportKW: limits.safeDefaultChargeKW } : {}),
      };
  }
}

/**
 * Links devices of a site share: one OCPP central system per listening port. `close` stops them
 * after the adapters are closed.
 */
export class DeviceLinks {
  private readonly centrals = new Map<string, OcppCentralSystem>();

  /** The central system on `host:port`, created on first use with the first charger's timing settings. */
  async ocpp(host: string, listenPort: number, heartbeatIntervalS: number, callTimeoutMs: number): Promise<OcppCentralSystem> {
    const key = `${host}:${listenPort}`;
    let central = this.centrals.get(key);
    if (!central) {
      const { OcppCentralSystem } = await import('./ocpp-charger.js');
      central = new OcppCentralSystem({ host, port: listenPort, heartbeatIntervalS, callTimeoutMs });
      this.centrals.set(key, central);
    }
    return central;
  }

  async close(): Promise<void> {
    await Promise.all([...this.centrals.values()].map((c) => c.close()));
    this.centrals.clear();
  }
}

/** How `createAdapter` builds a device. */
export interface CreateAdapterOptions {
  /** Shared links of the site (OCPP servers). */
  links: DeviceLinks;
  /** The site's control period, ms: the guard spreads state-of-charge headroom over it. */
  holdMs: number;
  /** Clock stamping telemetry (and driving simulated physics); `Date.now` when omitted. */
  now?: DeviceClock;
}

/**
 * The adapter a config entry describes, wrapped in the safety guard; call `open()` before use and
 * `close()` (then `links.close()`) at the end.
 */
export async function createAdapter(config: DeviceConfig, options: CreateAdapterOptions): Promise<GuardedAdapter> {
  const now = options.now ?? Date.now;
  const capabilities = capabilitiesFromLimits(config.limits);
  let inner: LinkedDeviceAdapter;
  switch (config.type) {
    case 'simulated':
      inner = new SimulatedLink(simulatedDevice(config, now()), now);
      break;
    case 'sunspec': {
      const { SunSpecModbusAdapter } = await import('./sunspec-modbus.js');
      inner = new SunSpecModbusAdapter({ id: config.id, host: config.host, port: config.port, unitId: config.unitId, timeoutMs: config.timeoutMs, capabilities, revertS: config.revertS, now });
      break;
    }
    case 'ocpp': {
      const { OcppChargerAdapter } = await import('./ocpp-charger.js');
      const central = await options.links.ocpp(config.listen.host, config.listen.port, config.heartbeatIntervalS, config.callTimeoutMs);
      inner = new OcppChargerAdapter(
        {
          id: config.id,
          chargePointId: config.chargePointId,
          connectorId: config.connectorId,
          capabilities,
          chargeEfficiency: config.limits.chargeEfficiency,
          rateUnit: config.rateUnit,
          voltageV: config.voltageV,
          phases: config.phases,
          defaultChargeKW: Math.min(config.defaultChargeKW, config.limits.maxChargeKW),
          assumedStayMs: config.assumedStayH * MS_PER_HOUR,
          assumedRequestedKWh: config.assumedRequestedKWh,
          now,
        },
        central,
      );
      break;
    }
    case 'mqtt': {
      const { MqttDeviceAdapter } = await import('./mqtt-device.js');
      inner = new MqttDeviceAdapter({
        id: config.id,
        url: config.url,
        clientId: config.clientId ?? `vpp-${config.id}`,
        ...(config.username !== undefined ? { username: config.username, password: config.password } : {}),
        capabilities,
        topics: config.topics,
        mapping: config.mapping,
        setpointField: config.setpointField,
        onlinePayload: config.onlinePayload,
        offlinePayload: config.offlinePayload,
        staleAfterMs: config.staleAfterS * MS_PER_S,
        timeoutMs: config.timeoutMs,
        reconnectMs: config.reconnectMs,
        now,
      });
      break;
    }
  }
  return new GuardedAdapter(inner, { holdMs: options.holdMs });
}

function simulatedDevice(config: Extract<DeviceConfig, { type: 'simulated' }>, startMs: number): SimulatedDevice {
  const { limits, id } = config;
  switch (limits.kind) {
    case 'battery':
      return new SimulatedBattery({
        id,
        capacityKWh: limits.capacityKWh,
        maxChargeKW: limits.maxChargeKW,
        maxDischargeKW: limits.maxDischargeKW,
        chargeEfficiency: limits.chargeEfficiency,
        dischargeEfficiency: limits.dischargeEfficiency,
        minSocFrac: limits.minSocFrac,
        maxSocFrac: limits.maxSocFrac,
        rampKWPerS: limits.rampKWPerS ?? Infinity,
        wearCostPerMWh: limits.wearCostPerMWh,
        initialSocFrac: Math.min(limits.maxSocFrac, Math.max(limits.minSocFrac, config.initialSocFrac)),
        startMs,
      });
    case 'pv':
      return new SimulatedPv({ id, sizeKW: limits.sizeKW, availability: stepProfileFromPoints([{ startMs, value: config.availabilityFrac }], `device ${id} availability`), startMs, wearCostPerMWh: limits.wearCostPerMWh });
    case 'ev-charger':
      return new SimulatedEvCharger({ id, maxChargeKW: limits.maxChargeKW, chargeEfficiency: limits.chargeEfficiency, sessions: [], startMs, wearCostPerMWh: limits.wearCostPerMWh });
  }
}

/** A simulated device as a site device: its physics run on the site clock, advanced at every read. */
class SimulatedLink implements LinkedDeviceAdapter {
  readonly id: string;

  constructor(
    private readonly device: SimulatedDevice,
    private readonly now: DeviceClock,
  ) {
    this.id = device.id;
  }

  capabilities(): DeviceCapabilities {
    return this.device.capabilities();
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async readTelemetry(): Promise<DeviceTelemetry> {
    this.device.advanceTo(Math.max(this.now(), this.device.telemetryNow().timeMs));
    return this.device.telemetryNow();
  }

  applySetpoint(powerKW: number): Promise<void> {
    return this.device.applySetpoint(powerKW);
  }
}
