import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RealTimeDispatcher } from '../../services/dispatcher.js';
import { ruleCommitments } from '../../services/commitment-rule.js';
import { HOUR_MS, T0 } from '../actors/fixtures.js';
import { batteryMember, evMember } from './fixtures.js';

describe('commitment rule', () => {
  it('steers batteries toward mid-SoC with their basepoints, within the correction limit, and commits what is left symmetric', () => {
    // Bounds 0.1–0.9 of 10 kWh: mid is 5 kWh. 5 kW ratings, a 10 % correction is at most 0.5 kW.
    const members = [0.8, 0.5, 0.2, 0.52].map((soc, i) => batteryMember(`b${i}`, { initialSocFrac: soc }));
    const dispatcher = new RealTimeDispatcher(members);
    const period = ruleCommitments(dispatcher, { socCorrectionFrac: 0.1 })('regulation', T0, T0 + HOUR_MS, 1000, 15 * 60_000);
    // 0.2 kWh over mid in an hour at 90 % discharge efficiency is 0.18 kW, under the limit.
    assert.deepEqual(period.fleet.ders.map((c) => Math.round(c.basepointKW * 1e9) / 1e9), [0.5, 0, -0.5, 0.18]);
    // The low one can only discharge what it holds above its floor for the 15-min headroom: 1 kWh × 0.9 / 0.25 h = 3.6 kW, plus its 0.5 kW basepoint.
    assert.deepEqual(period.fleet.ders.map((c) => Math.round(c.regulationUpKW * 1e6) / 1e6), [4.5, 5, 4.1, 4.82]);
    assert.ok(period.fleet.ders.every((c) => c.regulationUpKW === c.regulationDownKW && c.reserveKW === 0 && c.frequencyKW === 0));
    assert.ok(Math.abs(period.committedKW - (4.5 + 5 + 4.1 + 4.82)) < 1e-6, 'asked more than the fleet has: it commits its capacity');
    const idle = ruleCommitments(dispatcher)('regulation', T0, T0 + HOUR_MS, 1000, 15 * 60_000);
    assert.ok(idle.fleet.ders.every((c) => c.basepointKW === 0));
  });

  it('splits a smaller commitment by capacity, takes EVs that stay and still want energy, and fits each feeder', () => {
    const stays = [{ sessionId: 's', arrivalMs: T0, departureMs: T0 + 4 * HOUR_MS, requestedKWh: 20, maxChargeKW: 7 }];
    const leaves = [{ sessionId: 's', arrivalMs: T0, departureMs: T0 + HOUR_MS / 2, requestedKWh: 20, maxChargeKW: 7 }];
    const members = [batteryMember('b1', {}, 'f'), batteryMember('b2', {}, 'f'), evMember('ev-stays', 7, stays, T0), evMember('ev-leaves', 7, leaves, T0)];
    const dispatcher = new RealTimeDispatcher(members, [{ id: 'f', importLimitKW: 6, exportLimitKW: 100 }]);
    const period = ruleCommitments(dispatcher)('regulation', T0, T0 + HOUR_MS, 4, 15 * 60_000);
    assert.deepEqual(period.fleet.ders.map((c) => c.derId), ['b1', 'b2', 'ev-stays']);
    const ev = period.fleet.ders[2];
    assert.equal(ev.basepointKW, -3.5);
    // Feeder f imports at most 6 kW: the two batteries' 10 kW symmetric shrink to 6; the EV adds 3.5.
    assert.ok(Math.abs(period.capacityKW - 9.5) < 1e-9);
    const share = 4 / 9.5;
    assert.ok(Math.abs(period.fleet.ders[0].regulationUpKW - 3 * share) < 1e-9);
    assert.ok(Math.abs(ev.regulationUpKW - 3.5 * share) < 1e-9);
    assert.ok(Math.abs(period.committedKW - 4) < 1e-9);
  });
});
