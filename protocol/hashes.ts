/**
 * Content hashes the protocol names things by: SHA-256 everywhere, 32 raw bytes.
 */
import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import type { DispatchPlan } from './plan.js';

/** SHA-256 of bytes, 32 bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/**
 * Id of a signed envelope: SHA-256 of its signed bytes (not of the signature, so a re-encoded
 * outer wrapper or a malleated signature cannot make a second id for one message).
 */
export function envelopeId(signedBytes: Uint8Array): Uint8Array {
  return sha256(signedBytes);
}

/**
 * Hash of a plan: SHA-256 of its canonical msgpack encoding (map keys sorted by UTF-16 code units,
 * absent optional fields omitted, integers in their shortest form, other numbers float64). This is
 * the only place the protocol re-encodes, and only to name a value, never to check a signature.
 */
export function planHash(plan: DispatchPlan): Uint8Array {
  return sha256(encode(plan, { sortKeys: true, ignoreUndefined: true }));
}

/** Hash of a set of offers: SHA-256 of their 32-byte envelope ids, de-duplicated, sorted bytewise, concatenated. */
export function offerSetHash(offerIds: readonly Uint8Array[]): Uint8Array {
  const unique = new Map(offerIds.map((offerId) => [Buffer.from(offerId).toString('hex'), offerId]));
  const sorted = [...unique.keys()].sort();
  return sha256(Buffer.concat(sorted.map((hex) => unique.get(hex)!)));
}
