import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_WIRE_LIMITS, EnvelopeSigner, decodeEnvelope, encodeEnvelope } from '../../protocol/envelope.js';
import { offerSetHash, planHash } from '../../protocol/hashes.js';
import { generateKeyPair, toHex } from '../../protocol/keys.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { MemoryHub, MemoryTransport } from '../../protocol/transport/index.js';
import { assertAgreement } from './assert-agreement.js';
import { GRID, NETWORK_ID, planFor, startCluster, validatorKey } from './round-helpers.js';

/** Every envelope signed by one validator for one (type, interval, round, plan) travels as identical bytes (relays forward, never re-sign); returns the number of copies seen. */
function assertRelaysUnchanged(wire: Uint8Array[]): number {
  const validators = Array.from({ length: 4 }, (_, i) => validatorKey(i).publicKey);
  const verifier = createNodeCryptoVerifier();
  const bytesByKey = new Map<string, string>();
  let copies = 0;
  for (const raw of wire) {
    const decoded = decodeEnvelope(raw, { networkId: NETWORK_ID, verifier, acceptTypes: ['proposal', 'prevote', 'precommit'], isKnownSender: (k) => validators.some((v) => toHex(v) === toHex(k)) });
    if (!decoded.ok) {
      assert.equal(decoded.error.code, 'VPP_ERR_WRONG_TYPE', decoded.error.reason);
      continue;
    }
    const m = decoded.message;
    const key = `${m.type}:${toHex(decoded.envelope.senderPublicKey)}:${m.intervalStartMs}:${m.round}:${m.planHash === null ? 'nil' : toHex(m.planHash)}`;
    const hex = toHex(raw);
    const first = bytesByKey.get(key);
    if (first === undefined) bytesByKey.set(key, hex);
    else {
      copies++;
      assert.equal(hex, first, `two different envelopes for ${key}`);
    }
  }
  assert.ok(bytesByKey.size > 0);
  return copies;
}

async function memoryTransports(hub: MemoryHub, count: number): Promise<MemoryTransport[]> {
  const transports = Array.from({ length: count }, (_, i) => new MemoryTransport({ name: `node-${i}`, network: NETWORK_ID, hub }));
  await Promise.all(transports.map((t) => t.start()));
  return transports;
}

describe('SignedRound over MemoryTransport', () => {
  it('4 validators decide 20 heights, agree, and every certificate verifies', async () => {
    const hub = new MemoryHub({ defaultLink: { delayMs: 1 } });
    const transports = await memoryTransports(hub, 5);
    // The fifth endpoint only listens: it records every envelope on the topic.
    const observer = transports.pop()!;
    const wire: Uint8Array[] = [];
    observer.subscribe('consensus', (data) => wire.push(data));
    const cluster = startCluster(transports, 20, { timeoutMs: 15_000 });
    try {
      await cluster.done;
      assertAgreement(cluster.decided, 20, 4);
      assertRelaysUnchanged(wire);
      // decision() keeps the last 16 decided heights.
      assert.equal(cluster.rounds[0].decision(19)?.height, 19);
      assert.equal(cluster.rounds[0].decision(3), undefined);
      for (const round of cluster.rounds) {
        const stats = round.stats();
        assert.ok(stats.accepted > 0);
        assert.deepEqual(stats.rejected, {});
      }
    } finally {
      cluster.stop();
      await Promise.all([...transports, observer].map((t) => t.stop()));
    }
  });

  it('rejects forged, replayed, unknown-key and oversized envelopes by code and still decides', async () => {
    const hub = new MemoryHub({ defaultLink: { delayMs: 1 } });
    const transports = await memoryTransports(hub, 5);
    const attacker = transports.pop()!;
    // A small proposal limit for the nodes, so an honest-looking but large proposal is oversized.
    const limits = { ...DEFAULT_WIRE_LIMITS, maxEnvelopeBytes: { ...DEFAULT_WIRE_LIMITS.maxEnvelopeBytes, proposal: 4096 } };
    const cluster = startCluster(transports, 5, { timeoutMs: 15_000, extra: { limits } });
    try {
      const victim = validatorKey(1);
      const startMs = GRID.originMs + 2 * GRID.intervalMs;
      const vote = { v: 1 as const, type: 'prevote' as const, intervalStartMs: startMs, round: 0, planHash: null };
      // Forged: a validator's envelope with one signature byte flipped.
      const forged = new EnvelopeSigner({ networkId: NETWORK_ID, keyPair: victim }).seal(vote);
      forged[forged.length - 20] ^= 0x01;
      // Replayed: a validator's genuine envelope captured ten minutes ago.
      const old = new EnvelopeSigner({ networkId: NETWORK_ID, keyPair: victim, clock: () => Date.now() - 600_000 }).seal(vote);
      // Unknown key: well signed, but not by a validator.
      const stranger = new EnvelopeSigner({ networkId: NETWORK_ID, keyPair: generateKeyPair() }).seal(vote);
      // Oversized: a validator-signed proposal carrying a plan far above the nodes' proposal limit.
      const big = planFor(2, startMs);
      for (let d = 0; d < 500; d++) big.setpointsKW[`battery-unit-${d}`] = [0];
      const proposer = validatorKey(2);
      const oversized = encodeEnvelope(
        { v: 1, type: 'proposal', intervalStartMs: startMs, round: 0, validRound: -1, proposer: proposer.publicKey, planHash: planHash(big), offerSetHash: offerSetHash([]), offerIds: [], plan: big },
        { networkId: NETWORK_ID, keyPair: proposer, seq: 1, issuedAtMs: Date.now() },
      );
      assert.ok(oversized.length > 4096);
      for (const bytes of [forged, old, stranger, oversized]) await attacker.publish('consensus', bytes);
      await cluster.done;
      assertAgreement(cluster.decided, 5, 4);
      for (const [i, round] of cluster.rounds.entries()) {
        const { rejected } = round.stats();
        const expected: Record<string, number> = { VPP_ERR_BAD_SIGNATURE: 1, VPP_ERR_STALE: 1, VPP_ERR_UNKNOWN_SENDER: 1, VPP_ERR_OVERSIZED: 1 };
        assert.deepEqual(rejected, expected, `node ${i}`);
      }
    } finally {
      cluster.stop();
    }
  });

  it('decides every height with one silent validator (n = 4, f = 1) on lossy links', async () => {
    // 15 % loss per link: heights only complete through re-sends and relays.
    const hub = new MemoryHub({ seed: 7, defaultLink: { delayMs: 1, lossProb: 0.15 } });
    const transports = await memoryTransports(hub, 5);
    const observer = transports.pop()!;
    const wire: Uint8Array[] = [];
    observer.subscribe('consensus', (data) => wire.push(data));
    // Validator 1 proposes heights 1 and 5 in round 0, so those heights need a round change.
    const cluster = startCluster(transports, 6, { silent: [1], timeoutMs: 20_000 });
    try {
      await cluster.done;
      assert.equal(cluster.decided.length, 3);
      assertAgreement(cluster.decided, 6, 4);
      assert.ok(cluster.rounds.every((r) => r.engine.stats().roundChanges >= 2));
      // Slow heights make nodes re-send and relay; those copies are duplicates, never rejections.
      assert.ok(cluster.rounds.some((r) => r.stats().duplicates > 0));
      assert.ok(assertRelaysUnchanged(wire) > 0, 'expected re-sent or relayed copies on the wire');
      assert.ok(cluster.rounds.every((r) => Object.keys(r.stats().rejected).length === 0));
    } finally {
      cluster.stop();
      await Promise.all([...transports, observer].map((t) => t.stop()));
    }
  });
});
