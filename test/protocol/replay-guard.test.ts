import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayGuard } from '../../protocol/index.js';
import { T0, fill32 } from './fixtures.js';

describe('ReplayGuard', () => {
  it('never admits one (sender, seq) twice, whatever the arrival order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }), fc.integer({ min: 1, max: 5 }), (arrivals, maxSenders) => {
        const guard = new ReplayGuard({ clock: () => T0, maxSenders, reorderSlots: 16 });
        const admitted = new Set<string>();
        for (const [sender, seq] of arrivals) {
          const result = guard.admit(fill32(sender), seq, T0);
          if (result.ok) {
            assert.ok(!admitted.has(`${sender}:${seq}`), `admitted ${sender}:${seq} twice`);
            admitted.add(`${sender}:${seq}`);
          } else {
            assert.equal(result.error.code, 'VPP_ERR_REPLAY');
          }
          assert.ok(guard.trackedSenders <= maxSenders);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('admits strictly increasing sequences from many senders', () => {
    const guard = new ReplayGuard({ clock: () => T0 });
    for (let seq = 0; seq < 5; seq++) for (let sender = 0; sender < 20; sender++) assert.ok(guard.admit(fill32(sender), seq * 7, T0).ok);
  });

  it('with reorderSlots 1 only strictly increasing sequences pass; far-behind ones are replays', () => {
    const strict = new ReplayGuard({ clock: () => T0, reorderSlots: 1 });
    assert.ok(strict.admit(fill32(1), 5, T0).ok);
    assert.equal(strict.admit(fill32(1), 4, T0).ok, false);
    const loose = new ReplayGuard({ clock: () => T0, reorderSlots: 4 });
    assert.ok(loose.admit(fill32(1), 10, T0).ok);
    assert.ok(loose.admit(fill32(1), 7, T0).ok);
    const tooOld = loose.admit(fill32(1), 6, T0);
    assert.ok(!tooOld.ok && /4 behind/.test(tooOld.error.reason));
  });

  it('bounds memory and still rejects a forgotten sender’s old messages', () => {
    let now = T0;
    const guard = new ReplayGuard({ clock: () => now, maxSenders: 2, windowMs: 60_000 });
    assert.ok(guard.admit(fill32(1), 1, T0).ok);
    now += 10;
    assert.ok(guard.admit(fill32(2), 1, T0 + 10).ok);
    now += 10;
    assert.ok(guard.admit(fill32(3), 1, T0 + 20).ok, 'sender 1 is forgotten');
    assert.equal(guard.trackedSenders, 2);
    const replay = guard.admit(fill32(1), 1, T0);
    assert.ok(!replay.ok && replay.error.code === 'VPP_ERR_REPLAY' && /forgotten/.test(replay.error.reason));
    assert.ok(guard.admit(fill32(1), 2, T0 + 30).ok, 'a fresh message from the forgotten sender passes');
  });

  it('window edges: exactly ±window passes, one ms beyond fails', () => {
    const guard = new ReplayGuard({ clock: () => T0, windowMs: 1000 });
    assert.ok(guard.admit(fill32(1), 1, T0 - 1000).ok);
    assert.ok(guard.admit(fill32(1), 2, T0 + 1000).ok);
    assert.equal((guard.admit(fill32(1), 3, T0 - 1001) as { error: { code: string } }).error.code, 'VPP_ERR_STALE');
    assert.equal((guard.admit(fill32(1), 4, T0 + 1001) as { error: { code: string } }).error.code, 'VPP_ERR_FUTURE');
  });

  it('rejects bad settings', () => {
    assert.throws(() => new ReplayGuard({ windowMs: 0 }), RangeError);
    assert.throws(() => new ReplayGuard({ maxSenders: 0 }), RangeError);
    assert.throws(() => new ReplayGuard({ reorderSlots: 2000 }), RangeError);
  });
});
