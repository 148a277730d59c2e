import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { MESSAGE_TYPES, SIGNING_CONTEXT, createNodeCryptoVerifier, decodeEnvelope, encodeEnvelope, sign, type DecodeResult, type WireErrorCode } from '../../protocol/index.js';
import { NETWORK, T0, sampleMessages, testKey } from './fixtures.js';

const alice = testKey(1);
const verifier = createNodeCryptoVerifier();
const samples = sampleMessages(alice);
const valid = MESSAGE_TYPES.map((type, i) => encodeEnvelope(samples[type], { networkId: NETWORK, keyPair: alice, seq: i, issuedAtMs: T0 }));
const CODES: ReadonlySet<WireErrorCode> = new Set([
  'VPP_ERR_MALFORMED', 'VPP_ERR_OVERSIZED', 'VPP_ERR_CONTEXT', 'VPP_ERR_WRONG_NETWORK', 'VPP_ERR_UNKNOWN_TYPE', 'VPP_ERR_WRONG_TYPE',
  'VPP_ERR_UNKNOWN_SENDER', 'VPP_ERR_BAD_SIGNATURE', 'VPP_ERR_SCHEMA', 'VPP_ERR_REPLAY', 'VPP_ERR_STALE', 'VPP_ERR_FUTURE',
]);

/** Decodes without a try/catch of our own: a throw fails the property. */
function decodeChecked(bytes: Uint8Array): DecodeResult {
  const result = decodeEnvelope(bytes, { networkId: NETWORK, verifier });
  if (result.ok) {
    assert.equal(result.envelope.networkId, NETWORK);
    assert.ok(MESSAGE_TYPES.includes(result.envelope.type));
    assert.equal(result.message.type, result.envelope.type);
  } else {
    // VPP_ERR_INTERNAL would mean something threw inside: not allowed either.
    assert.ok(CODES.has(result.error.code), `${result.error.code}: ${result.error.reason}`);
    assert.equal(typeof result.error.reason, 'string');
  }
  return result;
}

/** A valid envelope with a few bytes overwritten, inserted, deleted or truncated. */
const mutated = fc
  .tuple(
    fc.constantFrom(...valid),
    fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([base, edits]) => {
    const bytes = [...base];
    for (const [kind, at, value] of edits) {
      const i = at % Math.max(1, bytes.length);
      if (kind === 'set') bytes[i] = value;
      else if (kind === 'insert') bytes.splice(i, 0, value);
      else if (kind === 'delete') bytes.splice(i, 1);
      else bytes.length = i;
    }
    return new Uint8Array(bytes);
  });

/** A correctly signed envelope around an arbitrary msgpack value as payload: exercises the schema layer. */
const signedJunk = fc.tuple(fc.constantFrom(...MESSAGE_TYPES), fc.anything({ withTypedArray: true, withNullPrototype: false, maxDepth: 4 })).map(([type, value]) => {
  let payload: Uint8Array;
  try {
    payload = encode(value, { ignoreUndefined: true });
  } catch {
    payload = new Uint8Array([0xc0]);
  }
  const signedBytes = encode([SIGNING_CONTEXT, NETWORK, type, alice.publicKey, 1, T0, payload]);
  return encode([signedBytes, sign(signedBytes, alice.secretKey)]);
});

describe('decodeEnvelope on hostile bytes', () => {
  it('random bytes: never throws, always a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        assert.equal(decodeChecked(bytes).ok, false);
      }),
      { numRuns: 5000 },
    );
  });

  it('random msgpack values: never throws, always a typed error', () => {
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, maxDepth: 4 }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encode(value, { ignoreUndefined: true });
        } catch {
          return;
        }
        assert.equal(decodeChecked(bytes).ok, false);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid envelopes: never throws, a typed error or a valid message', () => {
    fc.assert(
      fc.property(mutated, (bytes) => {
        decodeChecked(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('signed envelopes around arbitrary payloads: never throws, a typed error or a schema-valid message', () => {
    fc.assert(
      fc.property(signedJunk, (bytes) => {
        decodeChecked(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
