import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import {
  KeyFileError,
  createNodeCryptoVerifier,
  generateKeyPair,
  keyPairFromSeed,
  loadKeyFile,
  saveKeyFile,
  sign,
  toHex,
  tweetnaclVerifier,
} from '../../protocol/index.js';
import { keygenCommand } from '../../cli/keygen.js';

const dir = mkdtempSync(join(tmpdir(), 'vpp-keys-'));
const nodeVerifier = createNodeCryptoVerifier();
const verifiers = [tweetnaclVerifier, nodeVerifier];

describe('ed25519 signatures across tweetnacl and node:crypto', () => {
  it('sign (node:crypto) equals tweetnacl byte for byte, and both verifiers accept it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, message) => {
        const keys = keyPairFromSeed(seed);
        const signature = sign(message, keys.secretKey);
        assert.deepEqual(signature, nacl.sign.detached(message, keys.secretKey));
        for (const verifier of verifiers) assert.equal(verifier.verify(message, signature, keys.publicKey), true, verifier.name);
      }),
      { numRuns: 40 },
    );
  });

  it('a tweetnacl signature verifies under the node:crypto verifier', () => {
    const keys = generateKeyPair();
    const message = new TextEncoder().encode('nacl signs, node checks');
    assert.equal(nodeVerifier.verify(message, nacl.sign.detached(message, keys.secretKey), keys.publicKey), true);
  });

  it('both verifiers reject a random tampering of message, signature or key', () => {
    const keys = keyPairFromSeed(new Uint8Array(32).fill(5));
    const message = new TextEncoder().encode('setpoint -3.5 kW for bat-1');
    const signature = sign(message, keys.secretKey);
    fc.assert(
      fc.property(fc.constantFrom('message', 'signature', 'key'), fc.nat(), fc.integer({ min: 1, max: 255 }), (part, position, xor) => {
        const target = { message, signature, key: keys.publicKey }[part];
        const tampered = new Uint8Array(target);
        tampered[position % tampered.length] ^= xor;
        const args = { message, signature, key: keys.publicKey, [part]: tampered };
        for (const verifier of verifiers) assert.equal(verifier.verify(args.message, args.signature, args.key), false, `${verifier.name} accepted tampered ${part}`);
      }),
      { numRuns: 120 },
    );
  });

  it('both verifiers reject a signature by another key and wrong lengths', () => {
    const message = new Uint8Array([1, 2, 3]);
    const signature = sign(message, keyPairFromSeed(new Uint8Array(32).fill(1)).secretKey);
    const other = keyPairFromSeed(new Uint8Array(32).fill(2)).publicKey;
    for (const verifier of verifiers) {
      assert.equal(verifier.verify(message, signature, other), false);
      assert.equal(verifier.verify(message, signature.subarray(0, 63), other), false);
      assert.equal(verifier.verify(message, signature, other.subarray(0, 31)), false);
    }
  });
});

describe('key files', () => {
  it('round-trips a key pair with mode 0600', () => {
    const keys = generateKeyPair();
    const path = join(dir, 'round-trip.json');
    saveKeyFile(path, keys);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const loaded = loadKeyFile(path);
    assert.deepEqual(loaded.publicKey, keys.publicKey);
    assert.deepEqual(loaded.secretKey, keys.secretKey);
  });

  it('refuses to overwrite without force, and overwrites with it', () => {
    const path = join(dir, 'twice.json');
    saveKeyFile(path, generateKeyPair());
    const second = generateKeyPair();
    assert.throws(() => saveKeyFile(path, second), (e: unknown) => e instanceof KeyFileError && e.code === 'VPP_ERR_KEY_FILE' && e.message.includes(path));
    saveKeyFile(path, second, { force: true });
    assert.deepEqual(loadKeyFile(path).publicKey, second.publicKey);
  });

  it('rejects bad files with errors naming the file and field', () => {
    const cases: [string, string, RegExp][] = [
      ['not-json.json', '{', /not valid JSON/],
      ['wrong-type.json', JSON.stringify({ type: 'rsa', publicKey: '', secretKey: '' }), /field 'type'/],
      ['short-pub.json', JSON.stringify({ type: 'vpp-ed25519', publicKey: 'abcd', secretKey: '00'.repeat(64) }), /field 'publicKey'/],
      ['bad-secret.json', JSON.stringify({ type: 'vpp-ed25519', publicKey: '00'.repeat(32), secretKey: 'zz'.repeat(64) }), /field 'secretKey'/],
      ['mismatch.json', JSON.stringify({ type: 'vpp-ed25519', publicKey: toHex(generateKeyPair().publicKey), secretKey: toHex(generateKeyPair().secretKey) }), /does not match/],
    ];
    for (const [name, text, pattern] of cases) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      assert.throws(() => loadKeyFile(path), (e: unknown) => e instanceof KeyFileError && pattern.test(e.message) && e.message.includes(path), name);
    }
    assert.throws(() => loadKeyFile(join(dir, 'missing.json')), /missing\.json: cannot read/);
  });

  it('rejects a key file readable by others', () => {
    const path = join(dir, 'open.json');
    saveKeyFile(path, generateKeyPair());
    chmodSync(path, 0o644);
    assert.throws(() => loadKeyFile(path), /permissions 644 are too open/);
  });

  it('keygenCommand writes a loadable key and returns its public key; refuses to overwrite without force', () => {
    const path = join(dir, 'keygen.json');
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    try {
      const publicKeyHex = keygenCommand({ out: path });
      assert.equal(toHex(loadKeyFile(path).publicKey), publicKeyHex);
      assert.ok(printed.startsWith(publicKeyHex));
      assert.throws(() => keygenCommand({ out: path }), KeyFileError);
      assert.notEqual(keygenCommand({ out: path, force: true }), publicKeyHex);
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).type, 'vpp-ed25519');
    } finally {
      process.stdout.write = write;
    }
  });
});
