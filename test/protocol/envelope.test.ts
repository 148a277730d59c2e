import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode, decode } from '@msgpack/msgpack';
import {
  DEFAULT_WIRE_LIMITS,
  EncodeError,
  EnvelopeSigner,
  MESSAGE_TYPES,
  ReplayGuard,
  SIGNING_CONTEXT,
  createNodeCryptoVerifier,
  decodeEnvelope,
  encodeEnvelope,
  envelopeId,
  equalBytes,
  offerSetHash,
  planHash,
  quorumSize,
  sign,
  tweetnaclVerifier,
  verifyCommitCertificate,
  type DecodeResult,
  type Message,
  type MeterReadingMessage,
  type WireErrorCode,
} from '../../protocol/index.js';
import { DecodeMemo } from '../../protocol/decode-memo.js';
import { NETWORK, T0, fill32, sampleMessages, samplePlan, testKey } from './fixtures.js';

const alice = testKey(1);
const mallory = testKey(2);
const verifier = createNodeCryptoVerifier();
const samples = sampleMessages(alice);
const meter = samples.meter as MeterReadingMessage;

/** The sample meter message with its first reading's fields replaced (possibly by invalid values). */
function meterWith(fields: Record<string, unknown>): Message {
  return { ...meter, readings: [{ ...meter.readings[0], ...fields }] } as Message;
}

function seal(message: Message, overrides: { networkId?: string; seq?: number; issuedAtMs?: number } = {}): Uint8Array {
  return encodeEnvelope(message, { networkId: NETWORK, keyPair: alice, seq: 1, issuedAtMs: T0, ...overrides });
}

function expectError(result: DecodeResult, code: WireErrorCode): string {
  assert.equal(result.ok, false, 'expected a rejection');
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.error.code, code, result.error.reason);
  return result.error.reason;
}

/** Builds an envelope by hand so tests can break one field at a time. */
function handmade(header: unknown[], secretKey = alice.secretKey, signature?: Uint8Array): Uint8Array {
  const signedBytes = encode(header);
  return encode([signedBytes, signature ?? sign(signedBytes, secretKey)]);
}

describe('envelope round trips', () => {
  for (const type of MESSAGE_TYPES) {
    it(`${type}: decodes to the same message under both verifiers, with the header fields`, () => {
      const bytes = seal(samples[type], { seq: 42, issuedAtMs: T0 + 5 });
      for (const v of [verifier, tweetnaclVerifier]) {
        const result = decodeEnvelope(bytes, { networkId: NETWORK, verifier: v });
        assert.ok(result.ok, result.ok ? '' : result.error.reason);
        assert.deepEqual(result.message, samples[type]);
        assert.equal(result.envelope.type, type);
        assert.equal(result.envelope.networkId, NETWORK);
        assert.equal(result.envelope.seq, 42);
        assert.equal(result.envelope.issuedAtMs, T0 + 5);
        assert.deepEqual(result.envelope.senderPublicKey, alice.publicKey);
        assert.deepEqual(result.envelope.id, envelopeId(result.envelope.signedBytes));
        assert.equal(result.envelope.raw, bytes);
      }
    });
  }

  it('the signed bytes are the documented 7-field array starting with the context string', () => {
    const bytes = seal(samples.heartbeat, { seq: 7, issuedAtMs: T0 });
    const [signedBytes, signature] = decode(bytes) as [Uint8Array, Uint8Array];
    const header = decode(signedBytes) as unknown[];
    assert.deepEqual(header.slice(0, 6), [SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 7, T0]);
    assert.deepEqual(decode(header[6] as Uint8Array), samples.heartbeat);
    assert.ok(tweetnaclVerifier.verify(signedBytes, signature, alice.publicKey));
  });

  it('accepts a compatible client that encodes the same fields differently (verifies bytes, never re-encodes)', () => {
    // Same header with the payload map's keys in another order and integers widened: other bytes, still valid.
    const payload = encode(Object.fromEntries(Object.entries(samples.meter).reverse()));
    const bytes = handmade([SIGNING_CONTEXT, NETWORK, 'meter', alice.publicKey, 3, T0, payload]);
    const result = decodeEnvelope(bytes, { networkId: NETWORK, verifier });
    assert.ok(result.ok);
    assert.deepEqual(result.message, samples.meter);
  });

  it('EnvelopeSigner numbers messages upward from clock × 1000 and stamps the clock', () => {
    let now = T0;
    const signer = new EnvelopeSigner({ networkId: NETWORK, keyPair: alice, clock: () => now });
    const seqs = [0, 1, 2].map(() => {
      now += 10;
      const result = decodeEnvelope(signer.seal(samples.heartbeat), { networkId: NETWORK, verifier });
      assert.ok(result.ok);
      assert.equal(result.envelope.issuedAtMs, now);
      return result.envelope.seq;
    });
    assert.deepEqual(seqs, [T0 * 1000, T0 * 1000 + 1, T0 * 1000 + 2]);
  });

  it('refuses to encode an invalid message or an oversized envelope', () => {
    assert.throws(() => seal(meterWith({ exportedKWh: -1 })), (e: unknown) => e instanceof EncodeError && /readings\.0\.exportedKWh/.test(e.message));
    assert.throws(() => seal({ ...samples.prevote, planHash: new Uint8Array(5) } as Message), EncodeError);
    assert.throws(() => seal(samples.heartbeat, { seq: -1 }), EncodeError);
    assert.throws(() => seal({ ...samples.proposal, planHash: fill32(0) } as Message), /'planHash' does not match 'plan'/);
    assert.throws(() => seal(samples.heartbeat, { networkId: 'x'.repeat(65) }), EncodeError);
    const limits = { ...DEFAULT_WIRE_LIMITS, maxEnvelopeBytes: { ...DEFAULT_WIRE_LIMITS.maxEnvelopeBytes, heartbeat: 50 } };
    assert.throws(() => encodeEnvelope(samples.heartbeat, { networkId: NETWORK, keyPair: alice, seq: 1, issuedAtMs: T0 }, limits), /over the 50-byte limit/);
  });
});

describe('envelope rejections', () => {
  const good = seal(samples.precommit);

  it('any single flipped byte is rejected with a typed error', () => {
    for (let i = 0; i < good.length; i++) {
      const bytes = new Uint8Array(good);
      bytes[i] ^= 0x01;
      const result = decodeEnvelope(bytes, { networkId: NETWORK, verifier });
      assert.equal(result.ok, false, `flipping byte ${i} was accepted`);
    }
  });

  it('a tampered signed field fails the signature check', () => {
    const [signedBytes, signature] = decode(good) as [Uint8Array, Uint8Array];
    const tampered = new Uint8Array(signedBytes);
    tampered[tampered.length - 1] ^= 0x01;
    expectError(decodeEnvelope(encode([tampered, signature]), { networkId: NETWORK, verifier }), 'VPP_ERR_BAD_SIGNATURE');
  });

  it('wrong network, wrong type, unknown type and unknown sender', () => {
    expectError(decodeEnvelope(good, { networkId: 'other-net', verifier }), 'VPP_ERR_WRONG_NETWORK');
    expectError(decodeEnvelope(good, { networkId: NETWORK, verifier, acceptTypes: ['prevote'] }), 'VPP_ERR_WRONG_TYPE');
    const payload = encode({ ...samples.precommit, type: 'vote' });
    expectError(decodeEnvelope(handmade([SIGNING_CONTEXT, NETWORK, 'vote', alice.publicKey, 1, T0, payload]), { networkId: NETWORK, verifier }), 'VPP_ERR_UNKNOWN_TYPE');
    expectError(decodeEnvelope(good, { networkId: NETWORK, verifier, isKnownSender: (key) => equalBytes(key, mallory.publicKey) }), 'VPP_ERR_UNKNOWN_SENDER');
  });

  it('a header naming one type over a payload of another is a schema error', () => {
    const payload = encode(samples.prevote);
    const bytes = handmade([SIGNING_CONTEXT, NETWORK, 'precommit', alice.publicKey, 1, T0, payload]);
    assert.match(expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA'), /field 'type'/);
  });

  it('a signature by another key than the named sender, or another context string, is rejected', () => {
    const header = [SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0, encode(samples.heartbeat)];
    expectError(decodeEnvelope(handmade(header, mallory.secretKey), { networkId: NETWORK, verifier }), 'VPP_ERR_BAD_SIGNATURE');
    expectError(decodeEnvelope(handmade(['vpp/v2', ...header.slice(1)]), { networkId: NETWORK, verifier }), 'VPP_ERR_CONTEXT');
  });

  it('a malleated signature (S + L) is rejected by the protocol even though tweetnacl alone accepts it', () => {
    const [signedBytes, signature] = decode(good) as [Uint8Array, Uint8Array];
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]);
    s += L;
    const malleated = new Uint8Array(signature);
    for (let i = 0; i < 32; i++) malleated[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
    assert.equal(tweetnaclVerifier.verify(signedBytes, malleated, alice.publicKey), true);
    expectError(decodeEnvelope(encode([signedBytes, malleated]), { networkId: NETWORK, verifier: tweetnaclVerifier }), 'VPP_ERR_BAD_SIGNATURE');
  });

  it('a proposal whose proposer is not the envelope sender is a schema error', () => {
    assert.throws(() => encodeEnvelope(samples.proposal, { networkId: NETWORK, keyPair: mallory, seq: 1, issuedAtMs: T0 }), /'proposer' must equal/);
    const bytes = handmade([SIGNING_CONTEXT, NETWORK, 'proposal', mallory.publicKey, 1, T0, encode(samples.proposal)], mallory.secretKey);
    assert.match(expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA'), /proposer/);
  });

  it('a proposal or commit whose hashes do not match its plan or offer ids, or with validRound >= round, is a schema error', () => {
    const proposal = samples.proposal as Extract<Message, { type: 'proposal' }>;
    const commit = samples.commit as Extract<Message, { type: 'commit' }>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...proposal, plan: { ...samplePlan, objectiveValue: 1 } }, /'planHash' does not match 'plan'/],
      [{ ...proposal, offerIds: [fill32(7)] }, /'offerSetHash' does not match 'offerIds'/],
      [{ ...proposal, validRound: 0 }, /validRound/],
      [{ ...commit, planHash: fill32(4) }, /'planHash' does not match 'plan'/],
    ];
    for (const [payload, pattern] of cases) {
      const bytes = handmade([SIGNING_CONTEXT, NETWORK, payload.type, alice.publicKey, 1, T0, encode(payload)]);
      assert.match(expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA'), pattern);
    }
    const { plan: _omitted, ...withoutPlan } = commit;
    const ok = decodeEnvelope(handmade([SIGNING_CONTEXT, NETWORK, 'commit', alice.publicKey, 1, T0, encode({ ...withoutPlan, planHash: fill32(4) })]), { networkId: NETWORK, verifier });
    assert.ok(ok.ok, 'a commit without a plan is not hash-checked');
  });

  it('msgpack extension types (e.g. timestamps) are malformed', () => {
    const bytes = handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0, encode({ ...samples.heartbeat, at: new Date(T0) })]);
    assert.match(expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_MALFORMED'), /ext length/);
  });

  it('well-formed msgpack with wrong fields is a schema error naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [meterWith({ importedKWh: 'lots' }), 'readings.0.importedKWh'],
      [{ ...samples.meter, readings: [meter.readings[0], meter.readings[0]] }, 'readings'],
      [{ ...samples.meter, extra: 1 }, '(root)'],
      [{ ...samples.setpoints, setpointsKW: [1] }, 'setpointsKW'],
      [{ ...samples.heartbeat, v: 2 }, 'v'],
      [{ ...samples.prevote, round: 1.5 }, 'round'],
    ];
    for (const [payload, field] of cases) {
      const bytes = handmade([SIGNING_CONTEXT, NETWORK, payload.type, alice.publicKey, 1, T0, encode(payload)]);
      assert.match(expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA'), new RegExp(`'${field.replace(/[()]/g, '\\$&')}`));
    }
  });

  it('malformed outer and header structures are malformed errors', () => {
    const signedBytes = encode([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0, encode(samples.heartbeat)]);
    const cases: unknown[] = [
      'not bytes',
      new Uint8Array(0),
      encode({ a: 1 }),
      encode([signedBytes]),
      encode([signedBytes, new Uint8Array(63)]),
      handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, -1, T0, encode(samples.heartbeat)]),
      handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey.subarray(1), 1, T0, encode(samples.heartbeat)]),
      handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, 1.5, encode(samples.heartbeat)]),
      handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0]),
      handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0, new Uint8Array([0xc1])]),
      new Uint8Array([...good, 0x00]),
    ];
    for (const bytes of cases) expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier }), 'VPP_ERR_MALFORMED');
  });

  it('oversized envelopes are rejected before decoding, per type and overall', () => {
    const overall = new Uint8Array(Math.max(...Object.values(DEFAULT_WIRE_LIMITS.maxEnvelopeBytes)) + 1);
    expectError(decodeEnvelope(overall, { networkId: NETWORK, verifier }), 'VPP_ERR_OVERSIZED');
    // A heartbeat padded past its 1 KiB limit with a long (signed) payload.
    const padded = encode({ ...samples.heartbeat, pad: new Uint8Array(2000) });
    expectError(decodeEnvelope(handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 1, T0, padded]), { networkId: NETWORK, verifier }), 'VPP_ERR_OVERSIZED');
    // Payload strings and arrays beyond the decoder limits.
    const limits = { ...DEFAULT_WIRE_LIMITS, maxArrayLength: 1 };
    expectError(decodeEnvelope(seal(samples.proposal), { networkId: NETWORK, verifier, limits }), 'VPP_ERR_MALFORMED');
    const offer = samples.offer as Extract<Message, { type: 'offer' }>;
    const longId = handmade([SIGNING_CONTEXT, NETWORK, 'offer', alice.publicKey, 1, T0, encode({ ...offer, offers: [{ ...offer.offers[0], derId: 'x'.repeat(2000) }] })]);
    assert.match(expectError(decodeEnvelope(longId, { networkId: NETWORK, verifier }), 'VPP_ERR_MALFORMED'), /offer payload/);
  });
});

describe('replay protection through decodeEnvelope', () => {
  it('rejects a replay, a stale and a future message, and accepts reordered fresh ones', () => {
    let now = T0;
    const guard = new ReplayGuard({ windowMs: 10_000, clock: () => now });
    const options = { networkId: NETWORK, verifier, replayGuard: guard };
    const first = seal(samples.heartbeat, { seq: 10 });
    assert.ok(decodeEnvelope(first, options).ok);
    expectError(decodeEnvelope(first, options), 'VPP_ERR_REPLAY');
    assert.ok(decodeEnvelope(seal(samples.heartbeat, { seq: 12 }), options).ok);
    assert.ok(decodeEnvelope(seal(samples.heartbeat, { seq: 11 }), options).ok, 'a reordered message within the window is accepted once');
    expectError(decodeEnvelope(seal(samples.heartbeat, { seq: 11 }), options), 'VPP_ERR_REPLAY');
    expectError(decodeEnvelope(seal(samples.heartbeat, { seq: 20, issuedAtMs: T0 - 10_001 }), options), 'VPP_ERR_STALE');
    expectError(decodeEnvelope(seal(samples.heartbeat, { seq: 21, issuedAtMs: T0 + 10_001 }), options), 'VPP_ERR_FUTURE');
    now += 20_000;
    expectError(decodeEnvelope(seal(samples.heartbeat, { seq: 30 }), options), 'VPP_ERR_STALE');
  });

  it('a forged message does not burn the sender’s sequence number', () => {
    const guard = new ReplayGuard({ clock: () => T0 });
    const options = { networkId: NETWORK, verifier, replayGuard: guard };
    const forged = handmade([SIGNING_CONTEXT, NETWORK, 'heartbeat', alice.publicKey, 5, T0, encode(samples.heartbeat)], mallory.secretKey);
    expectError(decodeEnvelope(forged, options), 'VPP_ERR_BAD_SIGNATURE');
    assert.ok(decodeEnvelope(seal(samples.heartbeat, { seq: 5 }), options).ok);
  });
});

describe('hashes and commit certificates', () => {
  it('offerSetHash ignores order and duplicates; planHash ignores key order', () => {
    assert.deepEqual(offerSetHash([fill32(1), fill32(2)]), offerSetHash([fill32(2), fill32(1), fill32(2)]));
    assert.notDeepEqual(offerSetHash([fill32(1)]), offerSetHash([fill32(2)]));
    const reordered = Object.fromEntries(Object.entries(samplePlan).reverse()) as typeof samplePlan;
    assert.deepEqual(planHash(reordered), planHash(samplePlan));
    assert.notDeepEqual(planHash({ ...samplePlan, objectiveValue: 0.43 }), planHash(samplePlan));
  });

  const validators = [1, 2, 3, 4].map((n) => testKey(10 + n));
  const hash = planHash(samplePlan);
  const precommitBy = (n: number, overrides: Partial<Message> = {}) =>
    encodeEnvelope({ ...samples.precommit, planHash: hash, ...overrides } as Message, { networkId: NETWORK, keyPair: validators[n], seq: 1, issuedAtMs: T0 });
  const check = (precommits: Uint8Array[]) =>
    verifyCommitCertificate({ v: 1, type: 'commit', intervalStartMs: T0, round: 0, planHash: hash, precommits }, { networkId: NETWORK, verifier, validators: validators.map((k) => k.publicKey) });

  it('quorum is 2f+1 of 3f+1', () => {
    assert.deepEqual([4, 7, 16].map(quorumSize), [3, 5, 11]);
  });

  it('accepts 3 of 4 distinct validators, rejects duplicates, outsiders, other plans and forgeries', () => {
    const ok = check([precommitBy(0), precommitBy(1), precommitBy(2)]);
    assert.ok(ok.ok);
    assert.equal(ok.signers.length, 3);
    const dup = check([precommitBy(0), precommitBy(1), precommitBy(1)]);
    assert.ok(!dup.ok && /2 distinct validators, needs 3/.test(dup.error.reason));
    const outsider = encodeEnvelope({ ...samples.precommit, planHash: hash } as Message, { networkId: NETWORK, keyPair: mallory, seq: 1, issuedAtMs: T0 });
    const withOutsider = check([precommitBy(0), precommitBy(1), outsider]);
    assert.ok(!withOutsider.ok && withOutsider.error.code === 'VPP_ERR_UNKNOWN_SENDER');
    const otherPlan = check([precommitBy(0), precommitBy(1), precommitBy(2, { planHash: fill32(1) } as Partial<Message>)]);
    assert.ok(!otherPlan.ok && /another interval, round or plan/.test(otherPlan.error.reason));
    const nilVote = check([precommitBy(0), precommitBy(1), precommitBy(2, { planHash: null } as Partial<Message>)]);
    assert.ok(!nilVote.ok);
    const forged = new Uint8Array(precommitBy(2));
    forged[forged.length - 1] ^= 1;
    const withForged = check([precommitBy(0), precommitBy(1), forged]);
    assert.ok(!withForged.ok && withForged.error.code === 'VPP_ERR_BAD_SIGNATURE');
  });
});

describe('offer profiles as runs on the wire', () => {
  const offerMessage = samples.offer as Message & { type: 'offer' };
  const flat = { ...offerMessage.offers[0], minPowerKW: new Array<number>(288).fill(-4.6), maxPowerKW: new Array<number>(288).fill(4.6) };
  const flatOffer = { ...offerMessage, offers: [flat] } as Message;

  it('a constant profile travels as one run and decodes to the plain array', () => {
    const bytes = seal(flatOffer);
    const plainPayload = encode(flatOffer);
    assert.ok(bytes.length < plainPayload.length / 10, `envelope ${bytes.length} bytes vs ${plainPayload.length} plain`);
    const result = decodeEnvelope(bytes, { networkId: NETWORK, verifier });
    assert.ok(result.ok, result.ok ? '' : result.error.reason);
    assert.deepEqual(result.message, flatOffer);
  });

  /** A signed offer envelope whose first offer's `minPowerKW` is `profile` as given, bypassing the encoder. */
  const withProfile = (profile: unknown): Uint8Array =>
    handmade([SIGNING_CONTEXT, NETWORK, 'offer', alice.publicKey, 1, T0, encode({ ...flatOffer, offers: [{ ...flat, minPowerKW: profile }] })]);

  it('hand-made runs decode like the plain array', () => {
    const result = decodeEnvelope(withProfile({ values: [-5, -3], counts: [200, 88] }), { networkId: NETWORK, verifier });
    assert.ok(result.ok, result.ok ? '' : result.error.reason);
    const offer = (result.message as typeof offerMessage).offers[0];
    assert.deepEqual(offer.minPowerKW, [...new Array<number>(200).fill(-5), ...new Array<number>(88).fill(-3)]);
  });

  it('runs that would expand beyond the limit, bad counts or odd shapes are schema errors naming the field', () => {
    const huge = expectError(decodeEnvelope(withProfile({ values: [1], counts: [1e12] }), { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA');
    assert.match(huge, /offers\.0\.minPowerKW\.counts/);
    for (const profile of [{ values: [1, 2], counts: [3] }, { values: [1], counts: [0] }, { values: [1], counts: [1.5] }, { values: [1], counts: [2], extra: 1 }, { values: 'x', counts: [] }]) {
      const reason = expectError(decodeEnvelope(withProfile(profile), { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA');
      assert.match(reason, /offers\.0\.minPowerKW/);
    }
    // Runs whose lengths add up differently from maxPowerKW are caught by the schema as before.
    assert.match(expectError(decodeEnvelope(withProfile({ values: [1], counts: [287] }), { networkId: NETWORK, verifier }), 'VPP_ERR_SCHEMA'), /same length/);
  });
});

describe('DecodeMemo', () => {
  it('a second receiver gets the same message from the memo, and a failing payload is never remembered', () => {
    const memo = new DecodeMemo(16);
    const bytes = seal(samples.offer);
    const first = decodeEnvelope(bytes, { networkId: NETWORK, verifier, memo });
    const second = decodeEnvelope(bytes, { networkId: NETWORK, verifier, memo });
    assert.ok(first.ok && second.ok);
    assert.equal(second.message, first.message, 'the memo hands out the decoded message');
    assert.deepEqual(second.message, samples.offer);
    // Other limits: decoded afresh, and the stricter limits still reject it.
    const strict = { ...DEFAULT_WIRE_LIMITS, maxStrLength: 2 };
    expectError(decodeEnvelope(bytes, { networkId: NETWORK, verifier, memo, limits: strict }), 'VPP_ERR_MALFORMED');
    const bad = handmade([SIGNING_CONTEXT, NETWORK, 'offer', alice.publicKey, 2, T0, encode({ v: 1, type: 'offer', offers: [] })]);
    expectError(decodeEnvelope(bad, { networkId: NETWORK, verifier, memo }), 'VPP_ERR_SCHEMA');
    expectError(decodeEnvelope(bad, { networkId: NETWORK, verifier, memo }), 'VPP_ERR_SCHEMA');
  });
});
