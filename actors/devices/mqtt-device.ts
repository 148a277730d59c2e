import { connect, type MqttClient } from 'mqtt';
import type { DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { DeviceConfigError, DeviceLinkError } from '../errors.js';
import { errorMessage, offlineTelemetry, withTimeout, type DeviceClock, type LinkedDeviceAdapter } from './device-link.js';

/** One number inside a JSON payload: dotted `path`, multiplied by `scale` to reach the node's unit (kW, kWh, fraction). */
export interface JsonField {
  path: string;
  /** Device unit → node unit factor, e.g. 0.001 for W → kW, -0.001 for a device that counts charging positive. */
  scale: number;
}

/** Where a device's JSON fields sit; `powerKW` is required, the rest as the device kind needs. */
export interface MqttTelemetryMapping {
  powerKW: JsonField;
  setpointKW?: JsonField;
  socFrac?: JsonField;
  energyKWh?: JsonField;
  availableKW?: JsonField;
  meterNetKWh?: JsonField;
}

/** How to reach and read an MQTT device. */
export interface MqttDeviceConfig {
  id: string;
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  capabilities: DeviceCapabilities;
  topics: {
    /** JSON telemetry the device publishes (retained, so a reconnecting node reads the last state at once). */
    telemetry: string;
    /** Where the node publishes setpoints (JSON, retained, QoS 1). */
    setpoint: string;
    /** The device's availability: its retained online payload, and its last will with the offline payload. */
    status: string;
    /** The node's own availability (retained; its last will says offline): a device reverts on its own when the node dies. */
    controller?: string;
  };
  mapping: MqttTelemetryMapping;
  /** Setpoint payload: the node's kW × `scale` written at `path`. */
  setpointField: JsonField;
  onlinePayload: string;
  offlinePayload: string;
  /** Telemetry older than this marks the device offline, ms. */
  staleAfterMs: number;
  /** Publish and connect timeout, ms. */
  timeoutMs: number;
  /** Wait between reconnect attempts after the broker went away, ms. */
  reconnectMs: number;
  now?: DeviceClock;
}

/** Counters of telemetry messages taken and ignored. */
export interface MqttCounters {
  telemetry: number;
  /** Telemetry that was not JSON or lacked a mapped number. */
  badPayloads: number;
}

/** The number at dotted `path` in `value` × `scale`, or undefined when there is none. */
function readField(value: unknown, field: JsonField): number | undefined {
  let at: unknown = value;
  for (const key of field.path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' && Number.isFinite(at) ? at * field.scale + 0 : undefined;
}

/** `{ a: { b: value } }` for path 'a.b'. */
function writeField(path: string, value: number): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/**
 * A device behind an MQTT broker with JSON payloads and a configurable field mapping. The device
 * is online while the broker link is up, its status topic says online (its last will flips it)
 * and its telemetry is fresher than `staleAfterMs`. Setpoints go out retained at QoS 1, so a
 * device that reconnects gets the latest one; the node's own status topic carries a last will so
 * the device can tell when the node is gone.
 */
export class MqttDeviceAdapter implements LinkedDeviceAdapter {
  readonly id: string;
  readonly counters: MqttCounters = { telemetry: 0, badPayloads: 0 };
  private readonly config: MqttDeviceConfig;
  private readonly now: DeviceClock;
  private client: MqttClient | undefined;
  private deviceOnline = false;
  private latest: { telemetry: Omit<DeviceTelemetry, 'timeMs' | 'online'>; receivedMs: number } | undefined;
  private last: DeviceTelemetry | undefined;

  constructor(config: MqttDeviceConfig) {
    const kind = config.capabilities.kind;
    const needs: (keyof MqttTelemetryMapping)[] = kind === 'battery' ? ['socFrac'] : kind === 'pv' ? ['availableKW'] : [];
    for (const field of needs) {
      if (!config.mapping[field]) throw new DeviceConfigError(`device ${config.id}: an MQTT ${kind} needs mapping.${field}`);
    }
    if (kind === 'ev-charger') throw new DeviceConfigError(`device ${config.id}: EV chargers are driven over OCPP, not MQTT`);
    this.id = config.id;
    this.config = config;
    this.now = config.now ?? Date.now;
  }

  capabilities(): DeviceCapabilities {
    const { storage } = this.config.capabilities;
    return storage ? { ...this.config.capabilities, storage: { ...storage } } : { ...this.config.capabilities };
  }

  async open(): Promise<void> {
    const { topics, onlinePayload, offlinePayload } = this.config;
    const client = connect(this.config.url, {
      clientId: this.config.clientId,
      ...(this.config.username !== undefined ? { username: this.config.username, password: this.config.password } : {}),
      reconnectPeriod: this.config.reconnectMs,
      connectTimeout: this.config.timeoutMs,
      ...(topics.controller ? { will: { topic: topics.controller, payload: Buffer.from(offlinePayload), qos: 1 as const, retain: true } } : {}),
    });
    this.client = client;
    client.on('error', () => {}); // surfaced as offline telemetry; mqtt.js keeps reconnecting
    client.on('message', (topic, payload) => this.receive(topic, payload));
    client.on('connect', () => {
      client.subscribe([topics.telemetry, topics.status], { qos: 1 });
      if (topics.controller) client.publish(topics.controller, onlinePayload, { qos: 1, retain: true });
    });
    client.on('close', () => {
      // What the device said before the link dropped cannot be trusted afterwards.
      this.deviceOnline = false;
    });
    await withTimeout(new Promise<void>((resolve) => client.once('connect', () => resolve())), this.config.timeoutMs, `device ${this.id} connect to ${this.config.url}`).catch(async (err) => {
      await this.close();
      throw err;
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected && this.config.topics.controller) {
      await client.publishAsync(this.config.topics.controller, this.config.offlinePayload, { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync(true);
  }

  async readTelemetry(): Promise<DeviceTelemetry> {
    const timeMs = this.now();
    const latest = this.latest;
    const fresh = latest !== undefined && timeMs - latest.receivedMs <= this.config.staleAfterMs;
    if (!this.client?.connected || !this.deviceOnline || !fresh) {
      this.last = offlineTelemetry(this.config.capabilities, this.last, timeMs);
      return this.last;
    }
    this.last = { ...latest.telemetry, timeMs, online: true };
    return this.last;
  }

  async applySetpoint(powerKW: number): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new DeviceLinkError(`device ${this.id}: broker ${this.config.url} not connected`);
    const { setpointField } = this.config;
    const payload = JSON.stringify(writeField(setpointField.path, powerKW * setpointField.scale));
    try {
      await withTimeout(client.publishAsync(this.config.topics.setpoint, payload, { qos: 1, retain: true }), this.config.timeoutMs, `device ${this.id} publish setpoint`);
    } catch (err) {
      throw err instanceof DeviceLinkError ? err : new DeviceLinkError(`device ${this.id}: setpoint not published: ${errorMessage(err)}`);
    }
  }

  private receive(topic: string, payload: Buffer): void {
    const { topics, mapping } = this.config;
    if (topic === topics.status) {
      this.deviceOnline = payload.toString() === this.config.onlinePayload;
      return;
    }
    if (topic !== topics.telemetry) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      this.counters.badPayloads += 1;
      return;
    }
    const powerKW = readField(body, mapping.powerKW);
    const optional = (field: keyof MqttTelemetryMapping) => {
      const spec = mapping[field];
      return spec ? readField(body, spec) : undefined;
    };
    const socFrac = optional('socFrac');
    const availableKW = optional('availableKW');
    if (powerKW === undefined || (mapping.socFrac && socFrac === undefined) || (mapping.availableKW && availableKW === undefined)) {
      this.counters.badPayloads += 1;
      return;
    }
    const capacityKWh = this.config.capabilities.storage?.capacityKWh;
    const energyKWh = optional('energyKWh') ?? (socFrac !== undefined && capacityKWh !== undefined ? socFrac * capacityKWh : undefined);
    this.counters.telemetry += 1;
    this.latest = {
      receivedMs: this.now(),
      telemetry: {
        powerKW,
        setpointKW: optional('setpointKW') ?? 0,
        meterNetKWh: optional('meterNetKWh') ?? 0,
        ...(socFrac !== undefined ? { socFrac } : {}),
        ...(energyKWh !== undefined ? { energyKWh } : {}),
        ...(availableKW !== undefined ? { availableKW } : {}),
      },
    };
  }
}
