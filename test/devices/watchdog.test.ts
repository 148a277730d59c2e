import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DerAgent, SimulatedBattery, SimulatedPv, stepProfileFromPoints } from '../../actors/index.js';
import { SunSpecModbusAdapter } from '../../actors/devices/sunspec-modbus.js';
import { GuardedAdapter } from '../../actors/devices/guarded-adapter.js';
import { DeviceWatchdog } from '../../actors/devices/device-watchdog.js';
import { batteryConfig } from '../actors/fixtures.js';
import { SunSpecTestServer } from './sunspec-server.js';
import { freePort, ownerBatteryCaps, planSlice, waitUntil } from './helpers.js';

const PLAN_TIMEOUT_MS = 400;
const TICK_MS = 50;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function siteFor(device: SimulatedBattery | SimulatedPv) {
  const server = new SunSpecTestServer({ device, now: Date.now, port: await freePort() });
  await server.start();
  cleanups.push(() => server.stop());
  const caps = device.capabilities().kind === 'pv' ? device.capabilities() : ownerBatteryCaps();
  const adapter = new GuardedAdapter(
    new SunSpecModbusAdapter({ id: device.id, host: '127.0.0.1', port: server.options.port, unitId: 1, timeoutMs: 300, capabilities: caps, revertS: 60 }),
    { holdMs: TICK_MS },
  );
  await adapter.open();
  cleanups.push(() => adapter.close());
  const agent = new DerAgent({ adapter, ownerId: 'o', planTimeoutMs: PLAN_TIMEOUT_MS });
  const watchdog = new DeviceWatchdog({ agent, tickMs: TICK_MS });
  cleanups.push(async () => {
    await watchdog.stop();
    agent.stop();
  });
  await agent.refresh();
  return { server, agent, watchdog };
}

describe('watchdog: the coordinator goes silent', () => {
  for (const kind of ['battery', 'pv'] as const) {
    it(`returns a ${kind} to its safe default within the plan timeout`, async () => {
      const device =
        kind === 'battery'
          ? new SimulatedBattery(batteryConfig({ startMs: Date.now() }))
          : new SimulatedPv({ id: 'pv-1', sizeKW: 4, availability: stepProfileFromPoints([{ startMs: 0, value: 0.7 }]), startMs: Date.now() });
      const { server, agent, watchdog } = await siteFor(device);
      const plannedKW = kind === 'battery' ? 3 : 1; // discharge / curtail to 1 kW
      const safeKW = kind === 'battery' ? 0 : 4; // idle / uncurtailed
      // A plan valid for an hour; the coordinator sends it once and falls silent.
      agent.commit(planSlice(Array(3600).fill(plannedKW), Date.now(), 1000));
      const committedAt = Date.now();
      watchdog.start();
      await waitUntil(() => Math.abs(server.setpointKW - plannedKW) < 0.01, 1000, 'the plan to reach the device');
      await waitUntil(() => Math.abs(server.setpointKW - safeKW) < 0.01, 3000, 'the safe default');
      const revertedAfterMs = Date.now() - committedAt;
      assert.ok(revertedAfterMs >= PLAN_TIMEOUT_MS, `not before the timeout (${revertedAfterMs} ms)`);
      // Bound: the timeout plus two ticks plus one Modbus round trip on a loaded machine.
      assert.ok(revertedAfterMs <= PLAN_TIMEOUT_MS + 2 * TICK_MS + 400, `safe default after ${revertedAfterMs} ms`);
      assert.equal(agent.state, 'available');
      assert.equal(watchdog.failureCount, 0);
      assert.equal(server.outOfLimitWrites, 0);
    });
  }
});
