import nacl from 'tweetnacl';
import type { SignatureVerifier } from './keys.js';

/** `SignatureVerifier` on tweetnacl (pure JS, ~100× slower than node:crypto; kept as the reference). */
export const tweetnaclVerifier: SignatureVerifier = {
  name: 'tweetnacl',
  verify(message, signature, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return nacl.sign.detached.verify(message, signature, publicKey);
  },
};
