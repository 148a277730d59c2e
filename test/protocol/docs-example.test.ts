import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeCryptoVerifier, decodeEnvelope, encodeEnvelope, keyPairFromSeed, toHex, tweetnaclVerifier } from '../../protocol/index.js';

// Tests run from the repository root (npm test); the doc is the source of the test vector.
const doc = readFileSync(join(process.cwd(), 'docs', 'protocol.md'), 'utf8');

function documentedEnvelope(): Uint8Array {
  const block = /```envelope-hex\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/protocol.md has an envelope-hex block');
  return new Uint8Array(Buffer.from(block[1].replace(/\s+/g, ''), 'hex'));
}

describe('docs/protocol.md worked example', () => {
  const keyPair = keyPairFromSeed(new Uint8Array(32).fill(1));
  const message = { v: 1, type: 'heartbeat', role: 'coordinator', lastCommittedIntervalStartMs: 1767225300000 } as const;

  it('the documented envelope decodes under both verifiers to the documented message and header', () => {
    for (const verifier of [createNodeCryptoVerifier(), tweetnaclVerifier]) {
      const result = decodeEnvelope(documentedEnvelope(), { networkId: 'vpp-demo', verifier });
      assert.ok(result.ok, result.ok ? '' : result.error.reason);
      assert.deepEqual(result.message, message);
      assert.equal(result.envelope.seq, 1);
      assert.equal(result.envelope.issuedAtMs, 1767225600000);
      assert.equal(toHex(result.envelope.senderPublicKey), toHex(keyPair.publicKey));
      assert.ok(doc.includes(toHex(keyPair.publicKey)), 'the documented public key matches the seed');
    }
  });

  it('the reference encoder produces exactly the documented bytes', () => {
    const bytes = encodeEnvelope(message, { networkId: 'vpp-demo', keyPair, seq: 1, issuedAtMs: 1767225600000 });
    assert.equal(toHex(bytes), toHex(documentedEnvelope()));
  });
});
