/**
 * Setpoints per second and read latency of each real-device adapter against its protocol peer on
 * loopback (the test peers of test/devices: a SunSpec Modbus TCP server, an OCPP 1.6J charge
 * point, a mosquitto broker with an MQTT gateway), measured one after the other in one run.
 */
import { performance } from 'node:perf_hooks';
import { SimulatedBattery } from '../actors/index.js';
import { SunSpecModbusAdapter } from '../actors/devices/sunspec-modbus.js';
import { OcppCentralSystem, OcppChargerAdapter } from '../actors/devices/ocpp-charger.js';
import { MqttDeviceAdapter } from '../actors/devices/mqtt-device.js';
import { batteryConfig } from '../test/actors/fixtures.js';
import { SunSpecTestServer } from '../test/devices/sunspec-server.js';
import { TestChargePoint } from '../test/devices/charge-point.js';
import { TestBroker, TestMqttBattery, topicsFor } from '../test/devices/mqtt-helpers.js';
import { freePort, ownerBatteryCaps } from '../test/devices/helpers.js';
import { fmtInt, fmtMs, formatTable, median } from './table.js';

/** One adapter's figures. */
export interface DeviceBenchRow {
  adapter: string;
  reads: number;
  medianReadMs: number;
  p95ReadMs: number;
  setpoints: number;
  setpointsPerS: number;
  /** What a "read" is for this adapter. */
  readIs: string;
}

// Each adapter gets at most this long for reads and as long again for setpoints (3 adapters ≤ ~50 s in all).
const PHASE_BUDGET_MS = 8_000;
const MAX_OPS = 2_000;

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? NaN;
}

/** Time `op` up to MAX_OPS times within the phase budget; per-call ms. */
async function timed(op: (i: number) => Promise<void>): Promise<{ ms: number[]; elapsedMs: number }> {
  const ms: number[] = [];
  const start = performance.now();
  for (let i = 0; i < MAX_OPS && performance.now() - start < PHASE_BUDGET_MS; i += 1) {
    const t0 = performance.now();
    await op(i);
    ms.push(performance.now() - t0);
  }
  return { ms, elapsedMs: performance.now() - start };
}

function row(adapter: string, readIs: string, reads: number[], writes: { ms: number[]; elapsedMs: number }): DeviceBenchRow {
  return {
    adapter,
    readIs,
    reads: reads.length,
    medianReadMs: median(reads),
    p95ReadMs: p95(reads),
    setpoints: writes.ms.length,
    setpointsPerS: (writes.ms.length * 1000) / writes.elapsedMs,
  };
}

async function benchSunSpec(): Promise<DeviceBenchRow> {
  const device = new SimulatedBattery(batteryConfig({ startMs: Date.now(), initialSocFrac: 0.5 }));
  const server = new SunSpecTestServer({ device, now: Date.now, port: await freePort() });
  await server.start();
  const adapter = new SunSpecModbusAdapter({ id: 'bat', host: '127.0.0.1', port: server.options.port, unitId: 1, timeoutMs: 2000, capabilities: ownerBatteryCaps(), revertS: 60 });
  try {
    await adapter.open();
    const reads = await timed(async () => {
      await adapter.readTelemetry();
    });
    const writes = await timed((i) => adapter.applySetpoint(i % 2 ? 1 : -1));
    return row('SunSpec / Modbus TCP', 'telemetry read (inverter + storage models)', reads.ms, writes);
  } finally {
    await adapter.close();
    await server.stop();
  }
}

async function benchOcpp(): Promise<DeviceBenchRow> {
  const port = await freePort();
  const central = new OcppCentralSystem({ host: '127.0.0.1', port, heartbeatIntervalS: 60, callTimeoutMs: 5000 });
  const startMs = Date.now();
  const adapter = new OcppChargerAdapter(
    {
      id: 'ev',
      chargePointId: 'CP-B',
      connectorId: 1,
      capabilities: { kind: 'ev-charger', maxExportKW: 0, maxImportKW: 7.2, rampKWPerS: Infinity, wearCostPerMWh: 0 },
      chargeEfficiency: 1,
      rateUnit: 'W',
      voltageV: 240,
      phases: 1,
      defaultChargeKW: 3.6,
      assumedStayMs: 8 * 3_600_000,
      assumedRequestedKWh: 50,
    },
    central,
  );
  const sessions = [{ sessionId: 's', arrivalMs: startMs, departureMs: startMs + 8 * 3_600_000, requestedKWh: 50, maxChargeKW: 7.2 }];
  const cp = new TestChargePoint('CP-B', port, { ratingKW: 7.2, sessions, startMs, voltageV: 240 });
  try {
    await adapter.open();
    await cp.connect();
    await cp.boot();
    await cp.plugIn('bench', Date.now());
    // A read is a MeterValues frame from the charger answered by the central system.
    const reads = await timed(async () => {
      await cp.meter(Date.now());
    });
    const writes = await timed((i) => adapter.applySetpoint(i % 2 ? -3 : -4));
    return row('OCPP 1.6J', 'MeterValues round trip (charger → node)', reads.ms, writes);
  } finally {
    await cp.disconnect();
    await central.close();
  }
}

async function benchMqtt(): Promise<DeviceBenchRow> {
  const broker = new TestBroker(await freePort());
  await broker.start();
  const device = new TestMqttBattery('bench', broker.url, new SimulatedBattery(batteryConfig({ startMs: Date.now() })), Date.now);
  const adapter = new MqttDeviceAdapter({
    id: 'bench',
    url: broker.url,
    clientId: 'node-bench',
    capabilities: ownerBatteryCaps(),
    topics: topicsFor('bench'),
    mapping: { powerKW: { path: 'battery.power_w', scale: -0.001 }, socFrac: { path: 'battery.soc_pct', scale: 0.01 } },
    setpointField: { path: 'target.power_w', scale: -1000 },
    onlinePayload: 'online',
    offlinePayload: 'offline',
    staleAfterMs: 60_000,
    timeoutMs: 5000,
    reconnectMs: 1000,
  });
  try {
    await device.connect();
    await adapter.open();
    // A read is one telemetry message from the gateway's publish to the node's handler.
    const reads = await timed(async () => {
      const seen = adapter.counters.telemetry;
      await device.publishState();
      while (adapter.counters.telemetry === seen) await new Promise((resolve) => setImmediate(resolve));
    });
    const writes = await timed((i) => adapter.applySetpoint(i % 2 ? 1 : -1));
    return row('MQTT (mosquitto)', 'telemetry publish → node (QoS 1)', reads.ms, writes);
  } finally {
    await adapter.close();
    await device.disconnect();
    await broker.dispose();
  }
}

/** Runs the three adapters in turn; returns the rows and a printable table. */
export async function benchDevices(): Promise<{ rows: DeviceBenchRow[]; table: string }> {
  const rows = [await benchSunSpec(), await benchOcpp(), await benchMqtt()];
  const table = formatTable(
    ['adapter', 'read', 'reads', 'median read ms', 'p95 read ms', 'setpoints', 'setpoints/s'],
    rows.map((r) => [r.adapter, r.readIs, fmtInt(r.reads), fmtMs(r.medianReadMs), fmtMs(r.p95ReadMs), fmtInt(r.setpoints), fmtInt(r.setpointsPerS)]),
  );
  return { rows, table };
}
