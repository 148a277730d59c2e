import { resolve } from 'node:path';
import { generateKeyPair, saveKeyFile, toHex } from '../protocol/keys.js';

/**
 * `vpp keygen --out FILE [--force]`: writes a fresh ed25519 key file (JSON, mode 0600) and prints
 * its public key as hex on stdout. Refuses to replace an existing file unless `force`. Returns the
 * public key hex.
 */
export function keygenCommand(options: { out: string; force?: boolean }): string {
  const keyPair = generateKeyPair();
  const path = resolve(options.out);
  saveKeyFile(path, keyPair, { force: options.force });
  const publicKeyHex = toHex(keyPair.publicKey);
  process.stdout.write(`${publicKeyHex}\nwrote ${path}\n`);
  return publicKeyHex;
}
