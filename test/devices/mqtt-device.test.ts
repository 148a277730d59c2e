import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedBattery } from '../../actors/index.js';
import { MqttDeviceAdapter, type MqttDeviceConfig } from '../../actors/devices/mqtt-device.js';
import { GuardedAdapter } from '../../actors/devices/guarded-adapter.js';
import { batteryConfig, T0 } from '../actors/fixtures.js';
import { TestBroker, TestMqttBattery, topicsFor } from './mqtt-helpers.js';
import { VirtualClock, freePort, ownerBatteryCaps, planSlice, sessionAgent, waitUntil } from './helpers.js';

const STEP_MS = 15 * 60_000;
let broker: TestBroker;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  broker = new TestBroker(await freePort());
  await broker.start();
});
after(async () => {
  for (const close of closers.reverse()) await close();
  await broker.dispose();
});

function adapterConfig(clock: VirtualClock, name: string, clientId: string): MqttDeviceConfig {
  return {
    id: 'bat-1',
    url: broker.url,
    clientId,
    capabilities: ownerBatteryCaps(),
    topics: topicsFor(name),
    // The gateway counts charging positive, in W and %.
    mapping: {
      powerKW: { path: 'battery.power_w', scale: -0.001 },
      socFrac: { path: 'battery.soc_pct', scale: 0.01 },
      setpointKW: { path: 'setpoint_w', scale: -0.001 },
    },
    setpointField: { path: 'target.power_w', scale: -1000 },
    onlinePayload: 'online',
    offlinePayload: 'offline',
    staleAfterMs: 2 * STEP_MS,
    timeoutMs: 2000,
    reconnectMs: 100,
    now: clock.now,
  };
}

async function setup(clock: VirtualClock, name: string) {
  const battery = new SimulatedBattery(batteryConfig({ initialSocFrac: 0.6, startMs: clock.nowMs }));
  const device = new TestMqttBattery(name, broker.url, battery, clock.now);
  await device.connect();
  closers.push(() => device.disconnect());
  const adapter = new MqttDeviceAdapter(adapterConfig(clock, name, `node-${name}`));
  const guarded = new GuardedAdapter(adapter, { holdMs: STEP_MS });
  await guarded.open();
  closers.push(() => guarded.close());
  return { battery, device, adapter, guarded };
}

/** Publish the device state and wait for the node to take it. */
async function publishAndSee(device: TestMqttBattery, adapter: MqttDeviceAdapter): Promise<void> {
  const seen = adapter.counters.telemetry;
  await device.publishState();
  await waitUntil(() => adapter.counters.telemetry > seen, 2000, 'the node to receive telemetry');
}

describe('MQTT devices', () => {
  it('runs a battery session over a real mosquitto with mapped units and sign', async () => {
    const clock = new VirtualClock(T0);
    const { battery, device, adapter, guarded } = await setup(clock, 'bat-1');
    await publishAndSee(device, adapter);
    const agent = sessionAgent(guarded);
    const plan = [-30, -4, -4, ...Array(12).fill(-5), 3, 3, ...Array(16).fill(5)];
    for (let i = 0; i < plan.length; i += 1) {
      const applied = device.setpoints;
      const { setpointKW } = await agent.follow(planSlice(plan, T0, STEP_MS), clock.nowMs, STEP_MS);
      await waitUntil(() => device.setpoints > applied, 2000, `setpoint ${i} at the device`);
      assert.ok(Math.abs(battery.telemetryNow().setpointKW - setpointKW) < 1e-9, `step ${i}: physics follows ${battery.telemetryNow().setpointKW}, node sent ${setpointKW}`);
      clock.advance(STEP_MS);
      await publishAndSee(device, adapter);
      const t = await guarded.readTelemetry();
      const physics = battery.telemetryNow();
      assert.equal(t.online, true);
      assert.ok(Math.abs(t.powerKW - physics.powerKW) < 1e-9, `step ${i}: ${t.powerKW} vs ${physics.powerKW} (charging is negative here, positive at the gateway)`);
      assert.ok(Math.abs(t.socFrac! - physics.socFrac!) < 1e-9);
      assert.ok(Math.abs(t.setpointKW - setpointKW) < 1e-9);
    }
    assert.ok(agent.clamps.power >= 1 && agent.clamps.soc >= 1, `clamped by rating and state of charge: ${JSON.stringify(agent.clamps)}`);
    assert.ok(battery.telemetryNow().socFrac! < 0.2);
    assert.equal(device.outOfLimitWrites, 0);
    agent.stop();

    // A node that starts later reads the retained state and status at once.
    const late = new MqttDeviceAdapter(adapterConfig(clock, 'bat-1', 'node-late'));
    await late.open();
    closers.push(() => late.close());
    await waitUntil(() => late.counters.telemetry > 0, 2000, 'retained telemetry');
    const t = await late.readTelemetry();
    assert.equal(t.online, true);
    assert.ok(Math.abs(t.socFrac! - battery.telemetryNow().socFrac!) < 1e-9);
  });

  it('detects a dead device by its last will, stale telemetry, bad payloads, and a broker restart', async () => {
    const clock = new VirtualClock(T0);
    const { device, adapter, guarded } = await setup(clock, 'bat-2');
    await publishAndSee(device, adapter);
    const agent = sessionAgent(guarded);
    await agent.step(clock.nowMs, STEP_MS);
    assert.equal(agent.state, 'available');

    device.crash();
    await waitUntil(() => {
      void agent.step(clock.nowMs, STEP_MS).catch(() => undefined);
      return agent.state === 'fault';
    }, 3000, 'the last will to fault the DER');
    await assert.rejects(guarded.applySetpoint(-1), /not answering/);

    await device.connect();
    await publishAndSee(device, adapter);
    await agent.step(clock.nowMs, STEP_MS);
    assert.equal(agent.state, 'available');

    await device.publishRaw('{"battery": {"power_w": "lots"}}');
    await device.publishRaw('not json at all');
    await waitUntil(() => adapter.counters.badPayloads === 2, 2000, 'bad payloads to be counted');
    assert.equal((await guarded.readTelemetry()).online, true, 'the last good reading still holds');

    clock.advance(3 * STEP_MS);
    assert.equal((await guarded.readTelemetry()).online, false, 'telemetry older than staleAfterMs');
    await publishAndSee(device, adapter);

    await broker.stop();
    await waitUntil(() => {
      void agent.step(clock.nowMs, STEP_MS).catch(() => undefined);
      return agent.state === 'fault';
    }, 3000, 'the broker loss to fault the DER');
    await broker.start();
    await waitUntil(() => adapter.counters.telemetry > 0 && !!(adapter as unknown as { client?: { connected: boolean } }).client?.connected, 5000, 'the node to reconnect');
    await waitUntil(() => !!(device as unknown as { client?: { connected: boolean } }).client?.connected, 5000, 'the device to reconnect');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publishAndSee(device, adapter);
    await waitUntil(() => {
      void agent.step(clock.nowMs, STEP_MS).catch(() => undefined);
      return agent.state === 'available';
    }, 3000, 'the DER back after the broker restart');
    assert.equal(device.outOfLimitWrites, 0);
    agent.stop();
  });
});
