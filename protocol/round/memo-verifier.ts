/**
 * A `SignatureVerifier` that remembers signatures it found valid. A validator sees the same
 * envelope many times (relays, re-sends, the precommits embedded in every commit certificate);
 * verifying each copy again is most of a round's CPU. Only successes are kept, keyed by the
 * signature and the SHA-256 of the signed bytes (which hold the sender's key), so a cached answer
 * is exactly the one the inner verifier gave.
 */
import { createHash } from 'node:crypto';
import type { SignatureVerifier } from '../keys.js';

/** Wraps `inner`; keeps the `maxEntries` most recently verified signatures. */
export function memoizingVerifier(inner: SignatureVerifier, maxEntries: number): SignatureVerifier {
  const valid = new Map<string, true>();
  const keyOf = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): string =>
    createHash('sha256').update(publicKey).update(message).update(signature).digest('base64');
  return {
    name: `${inner.name} (memoized)`,
    verify(message, signature, publicKey) {
      const key = keyOf(message, signature, publicKey);
      if (valid.has(key)) {
        valid.delete(key);
        valid.set(key, true);
        return true;
      }
      if (!inner.verify(message, signature, publicKey)) return false;
      valid.set(key, true);
      if (valid.size > maxEntries) valid.delete(valid.keys().next().value as string);
      return true;
    },
  };
}
