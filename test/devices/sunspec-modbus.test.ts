import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedBattery, SimulatedPv, stepProfileFromPoints, DeviceProtocolError, DerAgent } from '../../actors/index.js';
import { SunSpecModbusAdapter, type SunSpecConfig } from '../../actors/devices/sunspec-modbus.js';
import { GuardedAdapter } from '../../actors/devices/guarded-adapter.js';
import { DeviceWatchdog } from '../../actors/devices/device-watchdog.js';
import { batteryConfig, T0, HOUR_MS } from '../actors/fixtures.js';
import { SunSpecTestServer, type SunSpecServerOptions } from './sunspec-server.js';
import { VirtualClock, freePort, ownerBatteryCaps, planSlice, sessionAgent, waitUntil } from './helpers.js';

const STEP_MS = 15 * 60_000;
const servers: SunSpecTestServer[] = [];
const adapters: { close(): Promise<void> }[] = [];
const watchdogs: DeviceWatchdog[] = [];

after(async () => {
  await Promise.all(watchdogs.map((w) => w.stop()));
  await Promise.all(adapters.map((a) => a.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

async function startServer(options: Omit<SunSpecServerOptions, 'port'>): Promise<SunSpecTestServer> {
  const server = new SunSpecTestServer({ ...options, port: await freePort() });
  await server.start();
  servers.push(server);
  return server;
}

function adapterFor(server: SunSpecTestServer, now: () => number, overrides: Partial<SunSpecConfig> = {}): SunSpecModbusAdapter {
  const adapter = new SunSpecModbusAdapter({
    id: server.options.device.id,
    host: '127.0.0.1',
    port: server.options.port,
    unitId: 1,
    timeoutMs: 300,
    capabilities: server.caps.kind === 'pv' ? { ...server.caps } : ownerBatteryCaps(),
    revertS: 900,
    now,
    ...overrides,
  });
  adapters.push(adapter);
  return adapter;
}

describe('SunSpec over Modbus TCP', () => {
  for (const variant of [
    { socModel: 124 as const, baseAddress: 40000 },
    { socModel: 802 as const, baseAddress: 0 },
  ]) {
    it(`drives a battery through a day of plans (SoC in model ${variant.socModel}, map at ${variant.baseAddress})`, async () => {
      const clock = new VirtualClock(T0);
      const battery = new SimulatedBattery(batteryConfig({ initialSocFrac: 0.5 }));
      const server = await startServer({ device: battery, now: clock.now, ...variant });
      const guarded = new GuardedAdapter(adapterFor(server, clock.now), { holdMs: STEP_MS });
      await guarded.open();
      const agent = sessionAgent(guarded);
      // Discharge, then charge harder than the rating allows until full, then discharge to empty.
      const plan = [4, 4, 4, -20, ...Array(40).fill(-5), ...Array(40).fill(5)];
      const slice = planSlice(plan, T0, STEP_MS);
      let sawFullClamp = false;
      for (let i = 0; i < plan.length; i += 1) {
        const { setpointKW } = await agent.follow(slice, clock.nowMs, STEP_MS);
        assert.ok(Math.abs(server.setpointKW - setpointKW) <= 5 * 1e-4 + 1e-9, `step ${i}: device follows ${server.setpointKW} kW, plan allowed ${setpointKW} kW`);
        if (plan[i] === -5 && setpointKW > -5) sawFullClamp = true;
        clock.advance(STEP_MS);
        const telemetry = await guarded.readTelemetry();
        const physics = battery.telemetryNow();
        assert.equal(telemetry.online, true);
        // W in tens of watts (W_SF = 1), state of charge in hundredths of a percent.
        assert.ok(Math.abs(telemetry.powerKW - physics.powerKW) <= 0.005 + 1e-9, `step ${i}: W ${telemetry.powerKW} vs physics ${physics.powerKW}`);
        assert.ok(Math.abs(telemetry.socFrac! - physics.socFrac!) <= 5e-5 + 1e-12, `step ${i}: SoC ${telemetry.socFrac} vs ${physics.socFrac}`);
        assert.ok(Math.abs(telemetry.energyKWh! - physics.energyKWh!) <= 1e-3);
      }
      assert.equal(agent.clamps.power, 1, 'the -20 kW request is cut to the rating');
      assert.ok(sawFullClamp, 'charging slows as the battery reaches its maximum state of charge');
      const final = battery.telemetryNow();
      assert.ok(final.socFrac! <= 0.1 + 1e-3, `discharged to its minimum, SoC ${final.socFrac}`);
      assert.ok(server.applied.some((kW) => kW > 3.9) && server.applied.some((kW) => kW < -4.9), 'both directions reached the physics');
      assert.equal(server.outOfLimitWrites, 0);
      assert.equal(guarded.clampCounts.power, 0, 'the actor had clamped already');
      const map = (guarded as unknown as { inner: SunSpecModbusAdapter }).inner.discovered!;
      assert.equal(map.baseAddress, variant.baseAddress);
      assert.equal(map.manufacturer, 'VPP test devices');
      assert.deepEqual(map.models.map((m) => m.id), variant.socModel === 802 ? [1, 103, 124, 802] : [1, 103, 124]);
      agent.stop();
    });
  }

  it('curtails a PV inverter with WMaxLimPct and releases it', async () => {
    const clock = new VirtualClock(T0);
    const availability = stepProfileFromPoints([
      { startMs: T0, value: 0.2 },
      { startMs: T0 + HOUR_MS, value: 0.8 },
      { startMs: T0 + 2 * HOUR_MS, value: 0.5 },
    ]);
    const pv = new SimulatedPv({ id: 'pv-1', sizeKW: 4, availability, startMs: T0 });
    const server = await startServer({ device: pv, now: clock.now });
    const guarded = new GuardedAdapter(adapterFor(server, clock.now), { holdMs: STEP_MS });
    await guarded.open();
    const agent = sessionAgent(guarded);
    const plan = [4, 4, 4, 4, 2, 2, 2, 2, 9, 4, 1.5, 0];
    for (let i = 0; i < plan.length; i += 1) {
      const { setpointKW } = await agent.follow(planSlice(plan, T0, STEP_MS), clock.nowMs, STEP_MS);
      clock.advance(STEP_MS);
      const telemetry = await guarded.readTelemetry();
      const expectedKW = Math.min(setpointKW, 4 * availability.valueAt(clock.nowMs - 1));
      assert.ok(Math.abs(telemetry.powerKW - expectedKW) <= 0.005 + 1e-9, `step ${i}: PV makes ${telemetry.powerKW} kW, expected ${expectedKW}`);
      assert.ok(Math.abs(telemetry.setpointKW - setpointKW) <= 4e-4 + 1e-9, `step ${i}: cap ${telemetry.setpointKW} vs ${setpointKW}`);
      assert.ok(telemetry.powerKW >= 0, 'PV only exports (positive = into the grid)');
    }
    assert.equal(agent.clamps.power, 1, 'the 9 kW cap is cut to the 4 kW rating');
    assert.equal(server.outOfLimitWrites, 0);
    agent.stop();
  });

  it('marks a killed device offline, faults the DER, and resumes after a restart', async () => {
    const battery = new SimulatedBattery(batteryConfig({ startMs: Date.now() }));
    const server = await startServer({ device: battery, now: Date.now });
    const guarded = new GuardedAdapter(adapterFor(server, Date.now), { holdMs: 200 });
    await guarded.open();
    const agent = new DerAgent({ adapter: guarded, ownerId: 'o', planTimeoutMs: 60_000 });
    const watchdog = new DeviceWatchdog({ agent, tickMs: 50 });
    watchdogs.push(watchdog);
    await agent.refresh(); // plans follow offers, which read the device first
    agent.commit(planSlice(Array(1000).fill(3), Date.now(), 1000));
    watchdog.start();
    await waitUntil(() => Math.abs(server.setpointKW - 3) < 1e-3, 2000, 'the device to follow the plan');

    await server.stop();
    await waitUntil(() => agent.state === 'fault', 2000, 'the DER to fault');
    const offer = await agent.offer({ startMs: Date.now(), intervalMs: 300_000, horizonIntervals: 4 });
    assert.deepEqual([...offer.minPowerKW, ...offer.maxPowerKW], Array(8).fill(0), 'a faulted DER offers nothing');

    await server.start(); // power cycle: control registers back to idle
    const writesBefore = server.writes;
    // The old plan died with the fault: back online, the DER holds its safe default (idle) until a new plan.
    await waitUntil(() => agent.state === 'available' && server.writes > writesBefore, 3000, 'the DER to recover');
    assert.equal(server.setpointKW, 0);
    agent.commit(planSlice(Array(1000).fill(-2), Date.now(), 1000));
    await waitUntil(() => agent.state === 'dispatching' && Math.abs(server.setpointKW + 2) < 1e-3, 3000, 'the DER to dispatch a new plan');
    await watchdog.stop();
    agent.stop();
    assert.equal(server.outOfLimitWrites, 0);
  });

  it('times out a device that stops answering without closing', async () => {
    const battery = new SimulatedBattery(batteryConfig({ startMs: Date.now() }));
    const server = await startServer({ device: battery, now: Date.now });
    const adapter = adapterFor(server, Date.now, { timeoutMs: 150 });
    await adapter.open();
    assert.equal((await adapter.readTelemetry()).online, true);
    server.silent = true;
    const started = Date.now();
    const telemetry = await adapter.readTelemetry();
    assert.equal(telemetry.online, false);
    assert.ok(Date.now() - started < 1000, 'offline is decided by the timeout, not hung');
    assert.equal(telemetry.energyKWh, 5, 'the last known store is kept');
    await assert.rejects(adapter.applySetpoint(1), /not connected/);
    server.silent = false;
    assert.equal((await adapter.readTelemetry()).online, true);
  });

  for (const malformed of ['no-marker', 'endless-chain', 'bad-scale-factor'] as const) {
    it(`rejects a malformed register map (${malformed}) and keeps the node running`, async () => {
      const battery = new SimulatedBattery(batteryConfig({ startMs: Date.now() }));
      const server = await startServer({ device: battery, now: Date.now, malformed });
      const guarded = new GuardedAdapter(adapterFor(server, Date.now), { holdMs: 200 });
      if (malformed === 'bad-scale-factor') await guarded.open(); // the map itself is fine; the point is not
      else await assert.rejects(guarded.open(), (err: unknown) => err instanceof DeviceProtocolError && /SunS|chain/.test(err.message));
      const agent = new DerAgent({ adapter: guarded, ownerId: 'o', planTimeoutMs: 60_000 });
      const watchdog = new DeviceWatchdog({ agent, tickMs: 30 });
      watchdogs.push(watchdog);
      watchdog.start();
      await waitUntil(() => agent.state === 'fault', 2000, 'the DER to fault');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await watchdog.stop();
      agent.stop();
      assert.equal(server.writes, 0, 'nothing is written to a device whose map cannot be read');
      assert.equal(server.outOfLimitWrites, 0);
    });
  }
});
