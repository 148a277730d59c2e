import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parseScenario } from '../../sim/scenario.js';
import { prepareRun, runPass, type PassOutcome, type RunOptions } from '../../sim/run.js';
import { aemoScenario, sydneyPvProfile } from '../sim/helpers.js';
import { freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';

/** 25 DERs (20 batteries, 5 PV) on AEMO prices; `hours` 5-minute intervals × 12. */
function scenario(hours: number, consensus: Record<string, unknown> = {}, startHour = 0) {
  const at = (hour: number) => `2022-09-05T${String(hour).padStart(2, '0')}:00:00+10:00`;
  return parseScenario(
    aemoScenario(1, {
      window: { start: at(startHour), end: at(startHour + hours) },
      fleet: {
        batteries: [{ name: 'b', count: 20, capacityKWh: { choice: [10, 13.5] }, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: { uniform: [0.3, 0.7] }, wearCostPerMWh: 20 }],
        pv: [{ name: 'pv', count: 5, sizeKW: { uniform: [3, 8] }, profile: sydneyPvProfile }],
      },
      consensus: { validators: 4, peers: 20, ...consensus },
    }),
    'sim-network test scenario',
  );
}

async function vppPass(hours: number, options: Partial<RunOptions>, consensus: Record<string, unknown> = {}, onInterval?: (done: number) => void, startHour = 0): Promise<PassOutcome> {
  const run = prepareRun(scenario(hours, consensus, startHour), { scenarioDir: '.' });
  return runPass(run, 'vpp', { scenarioDir: '.', ...options }, onInterval);
}

describe('the VPP pass through the real protocol (4 coordinators, 20 peers)', () => {
  let direct: PassOutcome;
  let nats: ChildProcess | undefined;
  let natsUrl = '';

  before(async () => {
    direct = await vppPass(1, { transport: 'direct' });
    const port = await freePort();
    nats = await startNatsServer(port);
    natsUrl = `nats://127.0.0.1:${port}`;
  });
  after(async () => {
    if (nats) await killProcess(nats);
  });

  for (const transport of ['memory', 'nats', 'libp2p'] as const) {
    it(`commits a plan every interval over ${transport} and the DERs follow exactly the plans made in-process`, async () => {
      const outcome = await vppPass(1, { transport, natsServers: natsUrl });
      const c = outcome.consensus!;
      assert.equal(c.transport, transport);
      assert.equal(c.validators, 4);
      assert.equal(c.peers, 20);
      assert.equal(c.rounds, 12);
      assert.equal(c.commits, 12, `missed heights ${c.missedHeights.join(', ')}`);
      assert.equal(c.uncertifiedDerIntervals, 0);
      assert.equal(c.safetyViolations, 0);
      assert.ok(c.commitMsP50 > 0 && c.commitMsP99 >= c.commitMsP50);
      // Same offers, same plan maker, same certified plans: the devices did exactly what the direct path did.
      assert.deepEqual(outcome.pass.fleetPowerKW, direct.pass.fleetPowerKW);
      assert.deepEqual(outcome.pass.soc, direct.pass.soc);
      assert.equal(outcome.pass.limitViolations, 0);
    });
  }

  it('keeps every DER on its safe default while NATS is down and commits again after it restarts', async () => {
    const port = await freePort();
    let server: ChildProcess | undefined = await startNatsServer(port);
    let restarted: Promise<ChildProcess> | undefined;
    const outcome = await vppPass(2, { transport: 'nats', natsServers: `nats://127.0.0.1:${port}` }, { roundBudgetMs: 1500 }, (done) => {
      if (done === 6 && server) {
        server.kill('SIGKILL');
        server = undefined;
      }
      if (done === 9) restarted = startNatsServer(port);
    });
    server = await restarted;
    if (server) await killProcess(server);
    const c = outcome.consensus!;
    assert.ok(c.missedHeights.length > 0, 'some intervals went without a certified plan');
    assert.ok(c.missedHeights.every((h) => h >= 6), `missed ${c.missedHeights.join(', ')}`);
    // Commits resume: the last hour's intervals are all certified.
    assert.ok(c.missedHeights.every((h) => h < 12), `missed ${c.missedHeights.join(', ')}`);
    assert.equal(c.commits, 24 - c.missedHeights.length);
    assert.equal(c.safetyViolations, 0);
    assert.ok(c.uncertifiedDerIntervals > 0);
    // Batteries without a certified plan idle (their safe default): no uncommitted plan was dispatched.
    for (const h of c.missedHeights) assert.equal(outcome.pass.batteryPowerKW[h], 0, `interval ${h}`);
    assert.equal(outcome.pass.limitViolations, 0);
  });
});

describe('faults injected from the scenario', () => {
  it('a silent and an infeasible proposer cost round changes, never safety, and every interval still commits', async () => {
    const silent = await vppPass(1, { transport: 'memory' }, { peers: 5, faults: [{ kind: 'silent', validator: 1 }] });
    assert.equal(silent.consensus!.commits, 12);
    assert.ok(silent.consensus!.roundChanges > 0, 'the silent proposer\'s heights needed another round');
    assert.equal(silent.consensus!.safetyViolations, 0);
    // In daylight, so the plans dispatch PV and batteries (a ×1000 plan of zeros would still be zeros).
    const infeasible = await vppPass(1, { transport: 'memory' }, { peers: 5, faults: [{ kind: 'infeasible-plan', validator: 2 }] }, undefined, 11);
    assert.equal(infeasible.consensus!.commits, 12);
    assert.ok(infeasible.consensus!.proposalsRejected > 0, 'validators refused the infeasible plans');
    assert.ok(infeasible.consensus!.roundChanges > 0);
    assert.equal(infeasible.consensus!.safetyViolations, 0);
    // The DERs only ever followed feasible certified plans.
    assert.equal(infeasible.pass.limitViolations, 0);
    assert.equal(infeasible.pass.clamps.power, 0);
  });
});
