import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { verifyCommitCertificate } from '../../protocol/certificate.js';
import { SafetyChecker } from '../../protocol/consensus/index.js';
import { planHash } from '../../protocol/hashes.js';
import { toHex } from '../../protocol/keys.js';
import { roundFaultSchema } from '../../protocol/round/index.js';
import { NatsTransport } from '../../protocol/transport/nats.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';
import { assertAgreement } from './assert-agreement.js';
import { NETWORK_ID, planIsFeasible, startCluster, validatorKey } from './round-helpers.js';

/** The Byzantine validator of the fault test. */
const BYZANTINE = 1;

/** Four started NATS transports on `url`, one per validator. */
async function natsTransports(url: string): Promise<NatsTransport[]> {
  const transports = Array.from({ length: 4 }, (_, i) => new NatsTransport({ name: `node-${i}`, network: NETWORK_ID, servers: url, reconnectWaitMs: 100, connectTimeoutMs: 2000 }));
  await Promise.all(transports.map((t) => t.start()));
  return transports;
}

describe('SignedRound over NATS', () => {
  let server: ChildProcess | undefined;
  let url = '';

  before(async () => {
    const port = await freePort();
    server = await startNatsServer(port);
    url = `nats://127.0.0.1:${port}`;
  });

  after(async () => {
    if (server) await killProcess(server);
  });

  it('4 validators decide 10 heights, agree, and every certificate verifies', async () => {
    const transports = await natsTransports(url);
    const cluster = startCluster(transports, 10, { timeoutMs: 15_000 });
    try {
      await cluster.done;
      assertAgreement(cluster.decided, 10, 4);
    } finally {
      cluster.stop();
      await Promise.all(transports.map((t) => t.stop()));
    }
  });

  it('an equivocating validator on a slow, lossy link: the honest three decide 10 heights safely', async () => {
    const faults = [
      roundFaultSchema.parse({ kind: 'equivocate', validator: BYZANTINE }),
      roundFaultSchema.parse({ kind: 'link', validator: BYZANTINE, delayMs: 40, lossFrac: 0.2, seed: 5 }),
    ];
    const transports = await natsTransports(url);
    const cluster = startCluster(transports, 10, { timeoutMs: 30_000, extra: { faults } });
    try {
      await cluster.done;
      const safety = new SafetyChecker();
      const validators = Array.from({ length: 4 }, (_, i) => validatorKey(i).publicKey);
      const verifier = createNodeCryptoVerifier();
      for (const [i, decisions] of cluster.decided.entries()) {
        if (i === BYZANTINE) continue;
        assert.deepEqual(decisions.map((d) => d.height), Array.from({ length: 10 }, (_, h) => h), `validator ${i}`);
        for (const d of decisions) {
          safety.record(toHex(validators[i]), d.height, toHex(planHash(d.plan)));
          assert.ok(planIsFeasible(d.intervalStartMs, d.plan), `validator ${i} height ${d.height}: infeasible plan`);
          const check = verifyCommitCertificate(d.commit, { networkId: NETWORK_ID, verifier, validators });
          assert.ok(check.ok, `validator ${i} height ${d.height}: ${check.ok ? '' : check.error.reason}`);
        }
      }
      assert.equal(safety.safetyViolations, 0, `conflicting decisions at heights ${safety.violatingHeights().join(', ')}`);
      assert.equal(safety.decidedHeights, 10);
      // The validator proposes heights 1, 5 and 9 in round 0: its second plan reached the others as evidence.
      const honest = cluster.rounds.filter((_, i) => i !== BYZANTINE);
      assert.ok(honest.some((r) => r.engine.stats().evidence > 0), 'no honest validator saw the equivocation');
    } finally {
      cluster.stop();
      await Promise.all(transports.map((t) => t.stop()));
    }
  });
});
