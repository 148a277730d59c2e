import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { SignatureVerifier } from './keys.js';

/** DER prefix of an ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
export const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Wraps a raw 32-byte ed25519 public key as a node:crypto KeyObject (SPKI DER). */
export function nodePublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/**
 * `SignatureVerifier` on node:crypto (OpenSSL) with one cached KeyObject per public key: building
 * the KeyObject costs about as much as the verify itself. The cache keeps the `maxKeys` most
 * recently used keys.
 */
export function createNodeCryptoVerifier(maxKeys = 10_000): SignatureVerifier {
  const cache = new Map<string, KeyObject>();
  const keyObjectOf = (publicKey: Uint8Array): KeyObject => {
    const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
    let keyObject = cache.get(cacheKey);
    if (keyObject) {
      cache.delete(cacheKey);
    } else {
      keyObject = nodePublicKey(publicKey);
      if (cache.size >= maxKeys) cache.delete(cache.keys().next().value as string);
    }
    cache.set(cacheKey, keyObject);
    return keyObject;
  };
  return {
    name: 'node:crypto',
    verify(message, signature, publicKey) {
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      try {
        return verify(null, message, keyObjectOf(publicKey), signature);
      } catch {
        // OpenSSL refuses some malformed public keys outright; for us that is just "not valid".
        return false;
      }
    },
  };
}
