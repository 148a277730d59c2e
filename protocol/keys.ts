/**
 * Ed25519 key pairs in tweetnacl's layout: a 32-byte public key and a 64-byte secret key
 * (32-byte seed followed by the public key). Signing uses node:crypto (ed25519 signatures are
 * deterministic, so byte-identical to tweetnacl's, ~50× faster); verification sits behind
 * `SignatureVerifier` (implementations: verifier-tweetnacl.ts, verifier-node-crypto.ts).
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { KeyFileError } from './errors.js';

/** An ed25519 key pair: `publicKey` 32 bytes, `secretKey` 64 bytes (seed ‖ public key). */
export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Checks an ed25519 signature over exact bytes; never throws (bad lengths or keys verify false). */
export interface SignatureVerifier {
  /** Short name for reports, e.g. `tweetnacl`. */
  readonly name: string;
  /** True when `signature` (64 bytes) is `publicKey`'s (32 bytes) signature over `message`. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

/** Key file `type` tag; the file is JSON `{ type, publicKey, secretKey }` with lowercase hex keys. */
export const KEY_FILE_TYPE = 'vpp-ed25519';

/** A fresh random key pair. */
export function generateKeyPair(): KeyPair {
  return nacl.sign.keyPair();
}

/** The key pair of a 32-byte seed (deterministic; for tests and fixtures). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  return nacl.sign.keyPair.fromSeed(seed);
}

/** DER prefix of an ed25519 PKCS#8 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Keyed by the secret key array itself, so no copy of secret material outlives its owner.
const privateKeyObjects = new WeakMap<Uint8Array, KeyObject>();

/**
 * Ed25519 signature (64 bytes) over exactly `message` with a 64-byte tweetnacl secret key; the same
 * bytes `nacl.sign.detached` returns.
 */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 64) throw new RangeError(`ed25519 secret key must be 64 bytes, got ${secretKey.length}`);
  let keyObject = privateKeyObjects.get(secretKey);
  if (!keyObject) {
    keyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    privateKeyObjects.set(secretKey, keyObject);
  }
  return new Uint8Array(cryptoSign(null, message, keyObject));
}

/** Lowercase hex of bytes (public keys in logs and configs). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a hex string, or `undefined` unless it is exactly `byteLength` bytes of hex. */
export function fromHex(hex: string, byteLength: number): Uint8Array | undefined {
  if (hex.length !== byteLength * 2 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Writes `keyPair` to `path` as JSON with file mode 0600. Refuses to replace an existing file
 * unless `force`.
 */
export function saveKeyFile(path: string, keyPair: KeyPair, options: { force?: boolean } = {}): void {
  const text = `${JSON.stringify({ type: KEY_FILE_TYPE, publicKey: toHex(keyPair.publicKey), secretKey: toHex(keyPair.secretKey) }, null, 2)}\n`;
  try {
    writeFileSync(path, text, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
    // `mode` only applies when the file is created; a forced overwrite must tighten it too.
    chmodSync(path, 0o600);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') throw new KeyFileError(`key file ${path}: already exists (use --force to overwrite)`);
    throw new KeyFileError(`key file ${path}: cannot write: ${e.message}`);
  }
}

/**
 * Reads a key file written by `saveKeyFile`. Rejects files readable by group or others, and key
 * pairs whose public key does not belong to the secret key's seed.
 */
export function loadKeyFile(path: string): KeyPair {
  let text: string;
  try {
    // Like ssh: a secret key others can read is a leaked key; refuse rather than use it.
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
      throw new KeyFileError(`key file ${path}: permissions ${(statSync(path).mode & 0o777).toString(8)} are too open; expected 600 (chmod 600 ${path})`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(`key file ${path}: cannot read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new KeyFileError(`key file ${path}: not valid JSON`);
  }
  const fields = (data ?? {}) as Record<string, unknown>;
  if (fields.type !== KEY_FILE_TYPE) throw new KeyFileError(`key file ${path}: field 'type' must be '${KEY_FILE_TYPE}'`);
  const publicKey = typeof fields.publicKey === 'string' ? fromHex(fields.publicKey, 32) : undefined;
  if (!publicKey) throw new KeyFileError(`key file ${path}: field 'publicKey' must be 64 hex characters (32 bytes)`);
  const secretKey = typeof fields.secretKey === 'string' ? fromHex(fields.secretKey, 64) : undefined;
  if (!secretKey) throw new KeyFileError(`key file ${path}: field 'secretKey' must be 128 hex characters (64 bytes)`);
  const derived = keyPairFromSeed(secretKey.subarray(0, 32));
  if (!equalBytes(derived.publicKey, publicKey) || !equalBytes(derived.secretKey, secretKey)) {
    throw new KeyFileError(`key file ${path}: 'publicKey' does not match 'secretKey'`);
  }
  return derived;
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
