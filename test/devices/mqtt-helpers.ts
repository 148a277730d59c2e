import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import type { SimulatedBattery } from '../../actors/index.js';
import { killProcess, waitForPort } from '../transport/net-helpers.js';

/** The mosquitto binary: `$VPP_MOSQUITTO`, else Debian's. */
export const MOSQUITTO_BINARY = process.env.VPP_MOSQUITTO ?? '/usr/sbin/mosquitto';

/** A mosquitto broker on 127.0.0.1:`port` with its own config in a temp folder; `restart` keeps the port. */
export class TestBroker {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'vpp-mosquitto-'));

  constructor(readonly port: number) {
    writeFileSync(path.join(this.dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(MOSQUITTO_BINARY, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start ${MOSQUITTO_BINARY}: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`${MOSQUITTO_BINARY} exited with code ${code} before listening on ${this.port}`)));
    });
    failed.catch(() => {});
    await Promise.race([waitForPort(this.port), failed]);
    this.child = child;
  }

  async stop(): Promise<void> {
    if (this.child) await killProcess(this.child);
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Topics of the test device `name`. */
export function topicsFor(name: string) {
  return { telemetry: `site/${name}/state`, setpoint: `site/${name}/set`, status: `site/${name}/status`, controller: `site/node-for-${name}/status` };
}

/**
 * A home battery gateway speaking MQTT the way many do: its own units and sign (W, charging
 * positive, SoC in %), JSON state published retained, 'online' retained on connect and a last
 * will of 'offline'. Setpoints beyond the rating, or pushing a full/empty battery further, are
 * counted in `outOfLimitWrites` and ignored.
 */
export class TestMqttBattery {
  outOfLimitWrites = 0;
  /** Setpoints received and applied. */
  setpoints = 0;
  private client: MqttClient | undefined;

  readonly topics: ReturnType<typeof topicsFor>;

  constructor(
    readonly name: string,
    readonly url: string,
    readonly physics: SimulatedBattery,
    readonly now: () => number,
  ) {
    this.topics = topicsFor(name);
  }

  async connect(): Promise<void> {
    const client = connect(this.url, {
      clientId: `gateway-${this.name}`,
      reconnectPeriod: 100,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    client.on('error', () => {});
    client.on('connect', () => {
      client.publish(this.topics.status, 'online', { qos: 1, retain: true });
      client.subscribe(this.topics.setpoint, { qos: 1 });
    });
    client.on('message', (_topic, payload) => this.onSetpoint(payload));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    this.client = client;
  }

  /** Die without a goodbye: the broker publishes the last will. */
  crash(): void {
    this.client?.stream.destroy();
    this.client?.end(true);
    this.client = undefined;
  }

  async disconnect(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  async publishState(): Promise<void> {
    this.physics.advanceTo(Math.max(this.now(), this.physics.telemetryNow().timeMs));
    const t = this.physics.telemetryNow();
    const body = { battery: { power_w: -t.powerKW * 1000, soc_pct: t.socFrac! * 100 }, setpoint_w: -t.setpointKW * 1000 };
    await this.client!.publishAsync(this.topics.telemetry, JSON.stringify(body), { qos: 1, retain: true });
  }

  async publishRaw(payload: string): Promise<void> {
    await this.client!.publishAsync(this.topics.telemetry, payload, { qos: 1, retain: true });
  }

  private onSetpoint(payload: Buffer): void {
    this.physics.advanceTo(Math.max(this.now(), this.physics.telemetryNow().timeMs));
    const chargeW = (JSON.parse(payload.toString()) as { target: { power_w: number } }).target.power_w;
    const kW = -chargeW / 1000;
    const caps = this.physics.capabilities();
    const st = caps.storage!;
    const t = this.physics.telemetryNow();
    const empty = t.energyKWh! <= st.minSocFrac * st.capacityKWh;
    const full = t.energyKWh! >= st.maxSocFrac * st.capacityKWh;
    if (!Number.isFinite(kW) || kW > caps.maxExportKW + 1e-9 || kW < -caps.maxImportKW - 1e-9 || (kW > 0 && empty) || (kW < 0 && full)) {
      this.outOfLimitWrites += 1;
      return;
    }
    this.setpoints += 1;
    this.physics.applySetpointNow(kW);
  }
}
