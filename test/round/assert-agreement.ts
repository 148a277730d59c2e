import assert from 'node:assert/strict';
import { verifyCommitCertificate } from '../../protocol/certificate.js';
import { planHash } from '../../protocol/hashes.js';
import { equalBytes } from '../../protocol/keys.js';
import type { RoundDecision } from '../../protocol/round/index.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { GRID, NETWORK_ID, planFor, validatorKey } from './round-helpers.js';

/** Every node decided the same plan per height, it is that height's plan, and every certificate verifies. */
export function assertAgreement(decided: RoundDecision[][], heights: number, validatorCount: number): void {
  const validators = Array.from({ length: validatorCount }, (_, i) => validatorKey(i).publicKey);
  const verifier = createNodeCryptoVerifier();
  for (let h = 0; h < heights; h++) {
    const intervalStartMs = GRID.originMs + h * GRID.intervalMs;
    const expectedHash = planHash(planFor(h, intervalStartMs));
    for (const [node, decisions] of decided.entries()) {
      const d = decisions.find((x) => x.height === h);
      assert.ok(d, `node ${node} has no decision for height ${h}`);
      assert.equal(d.intervalStartMs, intervalStartMs);
      assert.ok(equalBytes(planHash(d.plan), expectedHash), `node ${node} height ${h}: decided another plan`);
      assert.ok(equalBytes(d.commit.planHash, expectedHash));
      const check = verifyCommitCertificate(d.commit, { networkId: NETWORK_ID, verifier, validators });
      assert.ok(check.ok, `node ${node} height ${h}: certificate rejected: ${check.ok ? '' : check.error.reason}`);
      assert.ok(check.signers.length >= 3);
    }
  }
}
