import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadAcnSessions } from '../../sim/signals/acn.js';
import { resolveDataDir } from '../../sim/signals/data-dir.js';
import { OcppCentralSystem, OcppChargerAdapter, type OcppChargerConfig } from '../../actors/devices/ocpp-charger.js';
import { GuardedAdapter } from '../../actors/devices/guarded-adapter.js';
import { TestChargePoint } from './charge-point.js';
import { VirtualClock, freePort, planSlice, sessionAgent, waitUntil } from './helpers.js';

const STEP_MS = 15 * 60_000;
const VOLTAGE_V = 240;
const RATING_KW = 7.2; // 30 A at 240 V
const CAR_KW = 6.6;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function site(clock: VirtualClock, overrides: Partial<OcppChargerConfig> = {}) {
  const port = await freePort();
  const central = new OcppCentralSystem({ host: '127.0.0.1', port, heartbeatIntervalS: 60, callTimeoutMs: 2000 });
  const adapter = new OcppChargerAdapter(
    {
      id: 'evse-1',
      chargePointId: 'CP-1',
      connectorId: 1,
      capabilities: { kind: 'ev-charger', maxExportKW: 0, maxImportKW: RATING_KW, rampKWPerS: Infinity, wearCostPerMWh: 0 },
      chargeEfficiency: 1,
      rateUnit: 'A',
      voltageV: VOLTAGE_V,
      phases: 1,
      defaultChargeKW: 3.6,
      assumedStayMs: 8 * 3_600_000,
      assumedRequestedKWh: 10,
      now: clock.now,
      ...overrides,
    },
    central,
  );
  const guarded = new GuardedAdapter(adapter, { holdMs: STEP_MS });
  await guarded.open();
  cleanups.push(() => central.close());
  return { port, central, adapter, guarded };
}

describe('OCPP 1.6J central system', () => {
  it('smart-charges whole ACN sessions through SetChargingProfile (A)', async () => {
    const acn = loadAcnSessions(resolveDataDir()).data.filter((s) => s.stationId === '2-39-139-28').slice(0, 4);
    assert.equal(acn.length, 4);
    const clock = new VirtualClock(acn[0].arrivalMs - STEP_MS);
    // OCPP id tags hold at most 20 characters: the ACN user id is the tag.
    const tagOf = (s: (typeof acn)[number]) => s.userId ?? s.sessionId.slice(-20);
    const { port, adapter, guarded } = await site(clock, {
      sessionHint: (idTag, arrivalMs) => {
        const s = acn.find((r) => tagOf(r) === idTag && r.arrivalMs === arrivalMs);
        return s && { departureMs: s.departureMs, requestedKWh: s.deliveredKWh, maxChargeKW: CAR_KW };
      },
    });
    const sessions = acn.map((s) => ({ sessionId: s.sessionId, arrivalMs: s.arrivalMs, departureMs: s.departureMs, requestedKWh: s.deliveredKWh, maxChargeKW: CAR_KW }));
    const cp = new TestChargePoint('CP-1', port, { ratingKW: RATING_KW, sessions, startMs: clock.nowMs, voltageV: VOLTAGE_V });
    cleanups.push(() => cp.disconnect());
    await cp.connect();
    await cp.boot();
    await waitUntil(() => cp.defaultProfileKW !== undefined, 2000, 'the TxDefaultProfile installed at boot');
    assert.ok(Math.abs(cp.defaultProfileKW! - 3.6) < 0.03, `default profile ${cp.defaultProfileKW} kW`);
    const agent = sessionAgent(guarded);
    // Per session a different plan: modest, beyond the rating (clamped), slow, modest.
    const plans = [-3, -50, -1.5, -4];
    for (const [i, s] of acn.entries()) {
      clock.nowMs = s.arrivalMs;
      await cp.plugIn(tagOf(s), clock.nowMs);
      let deliveredSeen = 0;
      while (clock.nowMs < s.departureMs) {
        const { setpointKW } = await agent.follow(planSlice([plans[i]], clock.nowMs, STEP_MS), clock.nowMs, STEP_MS);
        const telemetry = guarded.readTelemetry();
        assert.ok(setpointKW <= 0 && setpointKW >= -RATING_KW);
        // The profile's 0.1 A steps round the drawn power down by at most 24 W.
        assert.ok(cp.effectiveLimitKW <= -setpointKW + 1e-9 && cp.effectiveLimitKW >= -setpointKW - 0.024 - 1e-9, `limit ${cp.effectiveLimitKW} for setpoint ${setpointKW}`);
        await telemetry;
        clock.nowMs = Math.min(s.departureMs, clock.nowMs + STEP_MS);
        await cp.meter(clock.nowMs);
        const t = await guarded.readTelemetry();
        assert.equal(t.online, true);
        assert.ok(t.powerKW <= 0, 'charging draws from the grid: negative power');
        const physicsKW = cp.physics.telemetryNow().powerKW;
        assert.ok(Math.abs(t.powerKW - physicsKW) < 1e-3, `power ${t.powerKW} vs physics ${physicsKW}`);
        deliveredSeen = t.evSession!.deliveredKWh;
      }
      await cp.unplug(clock.nowMs);
      const done = cp.physics.completedSessions().at(-1)!;
      assert.equal(done.sessionId, s.sessionId);
      assert.ok(Math.abs(deliveredSeen - done.deliveredKWh) <= 1e-3, `node saw ${deliveredSeen} kWh, car got ${done.deliveredKWh}`);
      assert.ok(done.deliveredKWh <= done.requestedKWh + 1e-9);
      const hoursPresent = (s.departureMs - s.arrivalMs) / 3_600_000;
      const reachable = Math.min(done.requestedKWh, Math.min(CAR_KW, -plans[i]) * hoursPresent);
      assert.ok(done.deliveredKWh >= reachable - 0.05, `session ${i}: car got ${done.deliveredKWh} of ${reachable} kWh reachable`);
      assert.equal((await guarded.readTelemetry()).evSession, undefined);
    }
    assert.ok(agent.clamps.power >= 1, 'the -50 kW plan is cut to the rating');
    assert.ok(cp.acceptedKW.some((kW) => kW > 6.5), 'the clamped plan still charges at the car limit');
    assert.equal(cp.outOfLimitWrites, 0);
    assert.deepEqual(adapter.anomalies, { malformedFrames: 0, outOfOrder: 0, badMeterValues: 0 });
    agent.stop();
  });

  it('survives malformed and out-of-order frames, a dropped connection, and keeps within limits (W)', async () => {
    const clock = new VirtualClock(Date.UTC(2021, 4, 3, 8));
    const { port, adapter, guarded } = await site(clock, { rateUnit: 'W' });
    const sessions = [{ sessionId: 's1', arrivalMs: clock.nowMs + 60_000, departureMs: clock.nowMs + 4 * 3_600_000, requestedKWh: 12, maxChargeKW: CAR_KW }];
    const cp = new TestChargePoint('CP-1', port, { ratingKW: RATING_KW, sessions, startMs: clock.nowMs, voltageV: VOLTAGE_V });
    cleanups.push(() => cp.disconnect());
    await cp.connect();
    // Before BootNotification: a transaction and meter values are answered but counted.
    await cp.call('StartTransaction', { connectorId: 1, idTag: 'early', meterStart: 0, timestamp: new Date(clock.nowMs).toISOString() });
    assert.equal((await guarded.readTelemetry()).online, false, 'not booted: not usable');
    cp.sendRaw('this is not json');
    cp.sendRaw(`[2,"${cp.nextMessageId()}","MeterValues",{"connectorId":"one"}]`);
    cp.sendRaw('[7,"x"]');
    await assert.rejects(cp.call('Heartbeat', { unexpected: true }), /./);
    await cp.boot();
    await waitUntil(() => adapter.anomalies.malformedFrames >= 2, 2000, 'bad frames to be counted');
    assert.equal(adapter.anomalies.outOfOrder, 1);
    await cp.call('StopTransaction', { transactionId: 999, meterStop: 5, timestamp: new Date(clock.nowMs).toISOString() });
    assert.equal(adapter.anomalies.outOfOrder, 2, 'a stop for an unknown transaction is ignored');

    clock.advance(60_000);
    const txId = await cp.plugIn('tag-1', clock.nowMs);
    await cp.call('MeterValues', { connectorId: 1, transactionId: txId, meterValue: [{ timestamp: new Date(clock.nowMs).toISOString(), sampledValue: [{ value: 'abc', measurand: 'Power.Active.Import', unit: 'W' }] }] });
    assert.equal(adapter.anomalies.badMeterValues, 1);
    const agent = sessionAgent(guarded);
    const { setpointKW } = await agent.follow(planSlice([-20], clock.nowMs, STEP_MS), clock.nowMs, STEP_MS);
    assert.equal(setpointKW, -RATING_KW, 'cut to the rating (no driver hint: the car limit is unknown)');
    assert.ok(Math.abs(cp.effectiveLimitKW - RATING_KW) < 1e-3);
    clock.advance(STEP_MS);
    await cp.meter(clock.nowMs);
    assert.ok((await guarded.readTelemetry()).powerKW < -6);

    await cp.disconnect();
    await waitUntil(() => !adapter.ready, 2000, 'the central system to see the charger gone');
    await agent.step(clock.nowMs, STEP_MS);
    assert.equal(agent.state, 'fault');
    await assert.rejects(guarded.applySetpoint(-1), /not answering/);

    await cp.connect();
    await cp.boot();
    await agent.step(clock.nowMs, STEP_MS);
    assert.equal(agent.state, 'available', 'back after the charger rebooted');
    await waitUntil(() => cp.defaultProfileKW !== undefined, 2000, 'the default profile again');
    assert.equal(cp.outOfLimitWrites, 0);
    agent.stop();
  });
});
