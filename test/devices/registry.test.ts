import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedBattery } from '../../actors/index.js';
import { DeviceLinks, capabilitiesFromLimits, createAdapter, deviceConfigSchema } from '../../actors/devices/registry.js';
import { batteryConfig } from '../actors/fixtures.js';
import { SunSpecTestServer } from './sunspec-server.js';
import { freePort } from './helpers.js';

const battery = { kind: 'battery', capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, minSocFrac: 0.1, maxSocFrac: 0.9, chargeEfficiency: 0.95, dischargeEfficiency: 0.9 };
const links = new DeviceLinks();
after(() => links.close());

describe('device registry', () => {
  it('names the field and what was expected in a bad entry', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'modbus', id: 'x', limits: battery }, /type/],
      [{ type: 'sunspec', id: 'x', host: 'h', limits: { ...battery, maxSocFrac: 0.05 } }, /limits\.minSocFrac: minSocFrac must not exceed maxSocFrac/],
      [{ type: 'sunspec', id: 'x', host: 'h', limits: { kind: 'ev-charger', maxChargeKW: 7 } }, /limits\.kind/],
      [{ type: 'ocpp', id: 'x', listen: { port: 99999 }, chargePointId: 'CP', defaultChargeKW: 3, limits: { kind: 'ev-charger', maxChargeKW: 7 } }, /listen\.port/],
      [{ type: 'mqtt', id: 'x', url: 'http://broker', limits: battery, topics: { telemetry: 't', setpoint: 's', status: 'st' }, mapping: { powerKW: { path: 'p', scale: 1 } }, setpointField: { path: 'p', scale: 1 } }, /url: expected an mqtt/],
    ];
    for (const [raw, pattern] of cases) {
      const parsed = deviceConfigSchema.safeParse(raw);
      assert.equal(parsed.success, false);
      const text = parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
      assert.match(text, pattern);
    }
  });

  it("turns an EV charger's configured default rate into its safe default", () => {
    const ev = { kind: 'ev-charger', maxChargeKW: 11, safeDefaultChargeKW: 3.7 } as const;
    assert.equal(capabilitiesFromLimits(deviceConfigSchema.parse({ type: 'simulated', id: 'ev', limits: ev }).limits).safeDefaultImportKW, 3.7);
    assert.equal(capabilitiesFromLimits({ ...ev, safeDefaultChargeKW: undefined, chargeEfficiency: 0.9, wearCostPerMWh: 0 }).safeDefaultImportKW, undefined);
  });

  it('builds a guarded adapter for each type and drives a SunSpec device from its config', async () => {
    const device = new SimulatedBattery(batteryConfig({ startMs: Date.now() }));
    const server = new SunSpecTestServer({ device, now: Date.now, port: await freePort() });
    await server.start();
    try {
      const config = deviceConfigSchema.parse({ type: 'sunspec', id: 'bat-1', host: '127.0.0.1', port: server.options.port, limits: { ...battery, maxChargeKW: 3 } });
      const adapter = await createAdapter(config, { links, holdMs: 60_000 });
      await adapter.open();
      assert.equal(adapter.capabilities().maxImportKW, 3, "the owner's 3 kW stays below the device's 5 kW");
      await adapter.applySetpoint(-4.5);
      assert.ok(Math.abs(server.setpointKW + 3) < 1e-3, `device charges at ${server.setpointKW} kW`);
      assert.equal(adapter.clampCounts.power, 1);
      await adapter.close();
      const sim = await createAdapter(deviceConfigSchema.parse({ type: 'simulated', id: 'pv-1', limits: { kind: 'pv', sizeKW: 4 }, availabilityFrac: 0.25 }), { links, holdMs: 60_000 });
      assert.equal((await sim.readTelemetry()).availableKW, 1);
      await sim.applySetpoint(9);
      assert.equal((await sim.readTelemetry()).setpointKW, 4, 'PV cap cut to its size');
      const ocpp = await createAdapter(deviceConfigSchema.parse({ type: 'ocpp', id: 'ev-1', listen: { host: '127.0.0.1', port: await freePort() }, chargePointId: 'CP-9', defaultChargeKW: 3, limits: { kind: 'ev-charger', maxChargeKW: 7.4 } }), { links, holdMs: 60_000 });
      await ocpp.open();
      assert.equal((await ocpp.readTelemetry()).online, false, 'no charger has connected');
    } finally {
      await server.stop();
    }
    assert.equal(server.outOfLimitWrites, 0);
  });
});
