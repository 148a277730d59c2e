/**
 * Ed25519 verify throughput (tweetnacl, the project's node:crypto verifier with cached KeyObjects,
 * raw node:crypto rebuilding the KeyObject per call, and the full `decodeEnvelope` path), ed25519
 * signing (tweetnacl vs the project's node:crypto `sign`), and msgpack
 * encode/decode throughput of a typical signed offer envelope, all measured side by side in one run.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Decoder, Encoder } from '@msgpack/msgpack';
import nacl from 'tweetnacl';
import {
  SIGNING_CONTEXT,
  createNodeCryptoVerifier,
  decodeEnvelope,
  encodeEnvelope,
  keyPairFromSeed,
  nodePublicKey,
  sign,
  tweetnaclVerifier,
  type OfferMessage,
} from '../protocol/index.js';
import { fmtInt, fmtRatio, formatTable } from './table.js';

// Each case runs this long; tweetnacl manages only ~150 verifies/s, so it needs the time most.
const CASE_MS = 1_000;
const NETWORK = 'vpp-bench';
// 4 hours of 5-minute intervals: the offer a battery sends each planning round.
const OFFER_INTERVALS = 48;

/** Calls `op` for about `budgetMs` and returns operations per second. */
function opsPerSecond(op: () => unknown, budgetMs = CASE_MS): number {
  for (let i = 0; i < 20; i++) op();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 10; i++) op();
    count += 10;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

/** The offer message a battery sends each planning round: one DER, 4 hours of 5-minute intervals. */
export function typicalOffer(startMs: number): OfferMessage {
  return {
    v: 1,
    type: 'offer',
    offers: [{
      derId: 'battery-00042',
      kind: 'battery',
      ownerId: 'owner-00042',
      feederId: 'feeder-07',
      startMs,
      intervalMs: 300_000,
      minPowerKW: Array.from({ length: OFFER_INTERVALS }, (_, i) => -5 + (i % 3) * 0.125),
      maxPowerKW: Array.from({ length: OFFER_INTERVALS }, (_, i) => 5 - (i % 5) * 0.25),
      storage: { energyKWh: 6.73, minEnergyKWh: 1.35, maxEnergyKWh: 12.15, chargeEfficiency: 0.95, dischargeEfficiency: 0.95 },
      marginalCostPerMWh: 20,
    }],
  };
}

/** Runs every case and returns a printable table. */
export async function benchVerify(): Promise<string> {
  const keyPair = keyPairFromSeed(new Uint8Array(32).fill(42));
  const issuedAtMs = Date.now();
  const message = typicalOffer(issuedAtMs);
  const bytes = encodeEnvelope(message, { networkId: NETWORK, keyPair, seq: 1, issuedAtMs });
  const decodeOptions = { networkId: NETWORK, verifier: createNodeCryptoVerifier() };
  const first = decodeEnvelope(bytes, decodeOptions);
  if (!first.ok) throw new Error(`bench envelope does not decode: ${first.error.reason}`);
  const { signedBytes, signature } = first.envelope;
  const nodeVerifier = createNodeCryptoVerifier();
  const mustVerify = (ok: boolean) => {
    if (!ok) throw new Error('bench signature did not verify');
  };

  const verifyRows: [string, number][] = [
    ['tweetnacl (pure JS)', opsPerSecond(() => mustVerify(tweetnaclVerifier.verify(signedBytes, signature, keyPair.publicKey)))],
    ['node:crypto, KeyObject rebuilt per call', opsPerSecond(() => mustVerify(cryptoVerify(null, signedBytes, nodePublicKey(keyPair.publicKey), signature)))],
    ['node:crypto, cached KeyObject (project verifier)', opsPerSecond(() => mustVerify(nodeVerifier.verify(signedBytes, signature, keyPair.publicKey)))],
    ['decodeEnvelope (msgpack + verify + schema)', opsPerSecond(() => mustVerify(decodeEnvelope(bytes, decodeOptions).ok))],
  ];
  const baseline = verifyRows[0][1];

  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder({ maxStrLength: 1024, maxBinLength: 64 * 1024, maxArrayLength: 1_000, maxMapLength: 1_000, maxExtLength: 0 });
  const codecRows: [string, number][] = [
    ['msgpack encode (payload + header + envelope, no signing)', opsPerSecond(() => {
      const body = encoder.encode(message);
      const header = encoder.encode([SIGNING_CONTEXT, NETWORK, 'offer', keyPair.publicKey, 1, issuedAtMs, body]);
      return encoder.encode([header, signature]);
    })],
    ['msgpack decode (envelope + header + payload, no verify)', opsPerSecond(() => {
      const [header] = decoder.decode(bytes) as [Uint8Array];
      return decoder.decode((decoder.decode(header) as unknown[])[6] as Uint8Array);
    })],
    ['encodeEnvelope (schema + msgpack + sign)', opsPerSecond(() => encodeEnvelope(message, { networkId: NETWORK, keyPair, seq: 1, issuedAtMs }))],
  ];
  const signRows: [string, number][] = [
    ['tweetnacl sign', opsPerSecond(() => nacl.sign.detached(signedBytes, keyPair.secretKey))],
    ['node:crypto sign, cached KeyObject (project sign)', opsPerSecond(() => sign(signedBytes, keyPair.secretKey))],
  ];

  return [
    `Ed25519 verify of a signed offer envelope (${bytes.length} bytes, ${signedBytes.length} signed), same process, ~${CASE_MS / 1000} s per row`,
    formatTable(
      ['path', 'verifies/s', 'vs tweetnacl'],
      verifyRows.map(([name, rate]) => [name, fmtInt(rate), fmtRatio(rate / baseline)]),
    ),
    '',
    formatTable(['signing path', 'signs/s', 'vs tweetnacl'], signRows.map(([name, rate]) => [name, fmtInt(rate), fmtRatio(rate / signRows[0][1])])),
    '',
    `msgpack on the same offer envelope (${OFFER_INTERVALS} intervals)`,
    formatTable(['operation', 'ops/s'], codecRows.map(([name, rate]) => [name, fmtInt(rate)])),
  ].join('\n');
}
