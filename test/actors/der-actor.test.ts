import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock, createActor } from 'xstate';
import {
  DerAgent,
  SimulatedBattery,
  SimulatedEvCharger,
  derMachine,
  derStateName,
  type DeviceAdapter,
  type DeviceTelemetry,
  type SimulatedDevice,
} from '../../actors/index.js';
import { HOUR_MS, T0, batteryConfig } from './fixtures.js';

const MIN_MS = 60_000;

/** Wraps a simulated device so a test can make it stop answering. */
class FlakyAdapter implements DeviceAdapter {
  online = true;
  writes = 0;
  constructor(readonly device: SimulatedDevice) {}
  get id(): string {
    return this.device.id;
  }
  capabilities() {
    return this.device.capabilities();
  }
  async readTelemetry(): Promise<DeviceTelemetry> {
    return { ...this.device.telemetryNow(), online: this.online };
  }
  async applySetpoint(powerKW: number): Promise<void> {
    this.writes += 1;
    this.device.applySetpointNow(powerKW);
  }
}

function simClock(): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(T0);
  return clock;
}

test('actor: offline → available → committed → dispatching, clamps counted, plan end → available', async () => {
  const clock = simClock();
  const bat = new SimulatedBattery(batteryConfig());
  const agent = new DerAgent({ adapter: bat, ownerId: 'o1', planTimeoutMs: HOUR_MS, clock });
  assert.equal(agent.state, 'offline');
  await agent.refresh();
  assert.equal(agent.state, 'available');
  assert.deepEqual(await agent.step(T0, 5 * MIN_MS), { setpointKW: 0, clamped: false });

  agent.commit({ setpointsKW: [2, 9, Number.NaN], startMs: T0 + 5 * MIN_MS, intervalMs: 5 * MIN_MS, validUntilMs: T0 + HOUR_MS });
  assert.equal(agent.state, 'committed');
  // Before the plan starts the device keeps its safe default.
  assert.deepEqual(await agent.step(T0 + MIN_MS, 4 * MIN_MS), { setpointKW: 0, clamped: false });
  assert.equal(agent.state, 'committed');

  const expected = [
    { setpointKW: 2, clamped: false },
    { setpointKW: 5, clamped: true },
    { setpointKW: 0, clamped: true },
  ];
  for (let i = 0; i < 3; i++) {
    const now = T0 + (i + 1) * 5 * MIN_MS;
    bat.advanceTo(now);
    clock.set(now);
    assert.deepEqual(await agent.step(now, 5 * MIN_MS), expected[i]);
    assert.equal(agent.state, 'dispatching');
    assert.equal(bat.telemetryNow().setpointKW, expected[i].setpointKW, 'written to the device');
  }
  assert.equal(agent.clamps.power, 1);
  assert.equal(agent.clamps['not-finite'], 1);
  assert.equal(agent.clamps.soc, 0);

  bat.advanceTo(T0 + 20 * MIN_MS);
  clock.set(T0 + 20 * MIN_MS);
  assert.deepEqual(await agent.step(T0 + 20 * MIN_MS, 5 * MIN_MS), { setpointKW: 0, clamped: false });
  assert.equal(agent.state, 'available', 'the plan ran out');
  agent.stop();
});

test('actor: plan timeout on the simulated clock falls back to the safe default; a fresh plan restarts it', async () => {
  const clock = simClock();
  const ev = new SimulatedEvCharger({
    id: 'evse-1',
    maxChargeKW: 11,
    chargeEfficiency: 0.9,
    sessions: [{ sessionId: 's1', arrivalMs: T0, departureMs: T0 + 8 * HOUR_MS, requestedKWh: 40, maxChargeKW: 7 }],
    startMs: T0,
  });
  const timeoutMs = 10 * MIN_MS;
  const agent = new DerAgent({ adapter: ev, ownerId: 'o1', planTimeoutMs: timeoutMs, clock });
  await agent.refresh();
  const slice = (startMs: number) => ({ setpointsKW: new Array(96).fill(-1), startMs, intervalMs: 5 * MIN_MS, validUntilMs: startMs + 8 * HOUR_MS });
  agent.commit(slice(T0));
  assert.deepEqual(await agent.step(T0, 5 * MIN_MS), { setpointKW: -1, clamped: false });

  clock.increment(timeoutMs - 1);
  assert.equal(agent.state, 'dispatching');
  agent.commit(slice(T0 + timeoutMs - 1));
  clock.increment(timeoutMs - 1);
  assert.equal(agent.state, 'committed', 'the fresh plan restarted the timeout');
  clock.increment(1);
  assert.equal(agent.state, 'available');
  assert.equal(agent.setpointKW, -7, 'uncontrolled charging at the car maximum');

  ev.advanceTo(T0 + 30 * MIN_MS);
  assert.deepEqual(await agent.step(T0 + 30 * MIN_MS, 5 * MIN_MS), { setpointKW: -7, clamped: false });
  assert.equal(ev.telemetryNow().setpointKW, -7);
  agent.stop();
});

test('actor: lost telemetry and alarms go to fault; only matching recoveries leave it', async () => {
  const clock = simClock();
  const adapter = new FlakyAdapter(new SimulatedBattery(batteryConfig()));
  const agent = new DerAgent({ adapter, ownerId: 'o1', planTimeoutMs: HOUR_MS, clock });
  await agent.refresh();
  agent.commit({ setpointsKW: [3, 3], startMs: T0, intervalMs: 5 * MIN_MS, validUntilMs: T0 + HOUR_MS });
  await agent.step(T0, 5 * MIN_MS);
  assert.equal(agent.state, 'dispatching');
  const writes = adapter.writes;

  adapter.online = false;
  assert.deepEqual(await agent.step(T0 + MIN_MS, 5 * MIN_MS), { setpointKW: 0, clamped: false });
  assert.equal(agent.state, 'fault');
  assert.equal(adapter.writes, writes, 'nothing written to a device that does not answer');
  const offer = await agent.offer({ startMs: T0, intervalMs: 5 * MIN_MS, horizonIntervals: 3 });
  assert.deepEqual(offer.maxPowerKW, [0, 0, 0]);

  adapter.online = true;
  await agent.refresh();
  assert.equal(agent.state, 'available', 'comms back: fault clears itself, plan dropped');

  agent.fault('over-temperature');
  assert.equal(agent.state, 'fault');
  await agent.refresh();
  assert.equal(agent.state, 'fault', 'an alarm needs an explicit recovery');
  agent.recover();
  assert.equal(agent.state, 'available');
  agent.stop();
});

test('actor: the raw machine starts offline and goes to fault on offline telemetry', () => {
  const caps = new SimulatedBattery(batteryConfig()).capabilities();
  const actor = createActor(derMachine, { input: { derId: 'b', caps, planTimeoutMs: 1000 }, clock: simClock() });
  actor.start();
  assert.equal(derStateName(actor.getSnapshot().value), 'offline');
  actor.send({ type: 'TELEMETRY', telemetry: { timeMs: T0, online: false, powerKW: 0, setpointKW: 0, meterNetKWh: 0 } });
  assert.equal(derStateName(actor.getSnapshot().value), 'fault');
  actor.send({ type: 'RECOVERED' });
  assert.equal(derStateName(actor.getSnapshot().value), 'fault', 'cannot recover while telemetry is offline');
  actor.stop();
});
