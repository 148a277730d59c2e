/** Deterministic keys, a genesis record, and signed commits and meter envelopes for the chain tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { FileLedgerStore, Ledger, blockHash, encodeBlock, verifyChain, type GenesisInput, type IntervalInput, type VerifyReport } from '../../chain/index.js';
import { encodeEnvelope, keyPairFromSeed, planHash, toHex, type CommitMessage, type DispatchPlan, type KeyPair, type MeterReading, type SignatureVerifier } from '../../protocol/index.js';

/** Network the test chains settle on. */
export const NETWORK = 'chain-test';
/** First interval start: 2026-01-01T00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
/** 5-minute intervals. */
export const INTERVAL_MS = 300_000;

// Deriving a key pair costs milliseconds and signing caches per key object, so each is made once.
const keyPairs = new Map<number, KeyPair>();

function keyFromSeedByte(seedByte: number): KeyPair {
  let keyPair = keyPairs.get(seedByte);
  if (!keyPair) {
    keyPair = keyPairFromSeed(new Uint8Array(32).fill(seedByte));
    keyPairs.set(seedByte, keyPair);
  }
  return keyPair;
}

/** Validator key pair `i` (four validators: a quorum is three). */
export function validatorKey(i: number): KeyPair {
  return keyFromSeedByte(i + 1);
}

/** Peer node (site gateway) key pair `i`. */
export function peerKey(i: number): KeyPair {
  return keyFromSeedByte(100 + i);
}

/** The registered DERs: which peer signs each one's meter readings, and its rating. */
export const DERS = [
  { derId: 'bat-1', ownerId: 'owner-a', kind: 'battery', peer: 0, maxPowerKW: 5 },
  { derId: 'pv-1', ownerId: 'owner-a', kind: 'pv', peer: 0, maxPowerKW: 6 },
  { derId: 'bat-2', ownerId: 'owner-b', kind: 'battery', peer: 1, maxPowerKW: 5 },
  { derId: 'pv-2', ownerId: 'owner-b', kind: 'pv', peer: 1, maxPowerKW: 8 },
  { derId: 'ev-1', ownerId: 'owner-c', kind: 'ev-charger', peer: 1, maxPowerKW: 7.2 },
] as const;

/** A genesis record over four validators and {@link DERS}; certificates of 0.1 kWh so tests issue many. */
export function testGenesis(overrides: Partial<GenesisInput> = {}): GenesisInput {
  return {
    networkId: NETWORK,
    validators: [0, 1, 2, 3].map((i) => toHex(validatorKey(i).publicKey)),
    currency: 'AUD',
    minorUnitsPerUnit: 100,
    feeFrac: 0.1,
    deviationPenalty: { toleranceKWh: 0.01, toleranceFrac: 0.1, penaltyPerMWh: 50 },
    certificateUnitKWh: 0.1,
    maxMeterDelayMs: 12 * INTERVAL_MS,
    ders: DERS.map((d) => ({ derId: d.derId, ownerId: d.ownerId, kind: d.kind, meterPublicKey: toHex(peerKey(d.peer).publicKey), maxPowerKW: d.maxPowerKW })),
    ...overrides,
  };
}

/** Start of interval `n`. */
export function intervalStart(n: number): number {
  return T0 + n * INTERVAL_MS;
}

/** A one-period plan for the interval at `startMs`. */
export function planFor(startMs: number, setpointsKW: Record<string, number>, pricePerMWh: number): DispatchPlan {
  const entries = Object.entries(setpointsKW);
  return {
    createdAtMs: startMs - INTERVAL_MS,
    periods: [{ startMs, durationMs: INTERVAL_MS }],
    pricePerMWh: [pricePerMWh],
    setpointsKW: Object.fromEntries(entries.map(([derId, kw]) => [derId, [kw]])),
    fleetPowerKW: [entries.reduce((sum, [, kw]) => sum + kw, 0)],
    objectiveValue: 0,
    solver: { backend: 'test', strategy: 'fixed', lpSolves: 0, solveMs: 0 },
  };
}

let nextSeq = 1;

/** A commit certificate for `plan` signed by validators `signers` (default: a quorum of three). */
export function signedCommit(plan: DispatchPlan, signers: readonly number[] = [0, 1, 2], round = 0): CommitMessage {
  const intervalStartMs = plan.periods[0].startMs;
  const hash = planHash(plan);
  const precommits = signers.map((i) =>
    encodeEnvelope({ v: 1, type: 'precommit', intervalStartMs, round, planHash: hash }, { networkId: NETWORK, keyPair: validatorKey(i), seq: nextSeq++, issuedAtMs: intervalStartMs }),
  );
  return { v: 1, type: 'commit', intervalStartMs, round, planHash: hash, precommits, plan };
}

/** A `meter` envelope signed by `signer` for the interval at `startMs`. */
export function meterEnvelope(signer: KeyPair, startMs: number, readings: MeterReading[], intervalMs = INTERVAL_MS): Uint8Array {
  return encodeEnvelope({ v: 1, type: 'meter', intervalStartMs: startMs, intervalMs, readings }, { networkId: NETWORK, keyPair: signer, seq: nextSeq++, issuedAtMs: startMs + intervalMs });
}

/** A reading of `netKWh` into the grid (negative: drawn from it) with plausible registers. */
export function reading(derId: string, netKWh: number): MeterReading {
  return { derId, exportedKWh: Math.max(0, netKWh), importedKWh: Math.max(0, -netKWh), meterExportTotalKWh: 1000 + Math.max(0, netKWh), meterImportTotalKWh: 500 + Math.max(0, -netKWh) };
}

/**
 * What a coordinator hands the ledger when interval `n` commits: a certificate for a plan over the
 * registered DERs (plus `extraPlanDers` unregistered ones, to make blocks bigger) and both sites'
 * signed readings for interval n − 1. Deterministic in `n`.
 */
export function coordinatorInterval(n: number, extraPlanDers = 0): IntervalInput {
  const setpoints: Record<string, number> = Object.fromEntries(DERS.map((der, i) => [der.derId, ((n + i) % 5) - 2]));
  for (let i = 0; i < extraPlanDers; i++) setpoints[`site-${i}`] = ((n * 7 + i) % 11) - 5;
  const meterEnvelopes = n === 0 ? [] : [0, 1].map((peer) => meterEnvelope(peerKey(peer), intervalStart(n - 1), DERS.filter((d) => d.peer === peer).map((d, i) => reading(d.derId, ((n + i) % 4) / 10))));
  return { commit: signedCommit(planFor(intervalStart(n), setpoints, 40 + (n % 60))), meterEnvelopes };
}

/** A fresh temporary directory. */
export function tempLedgerDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vpp-chain-${prefix}-`));
}

/**
 * After a kill: the chain in `dir` opens (cutting a torn tail), verifies, holds every block in
 * `committed` (height → hash) unchanged and conserves money. Returns whether the open repaired a tail.
 */
export async function assertChainSurvived(dir: string, committed: ReadonlyMap<number, string>, verifier: SignatureVerifier, what: string): Promise<{ repaired: boolean; height: number }> {
  const ledger = await Ledger.open(dir, { verifier });
  try {
    const report = ledger.verify();
    assert.ok(report.ok, `${what}: ${report.error?.reason}`);
    for (const [height, hash] of committed) {
      assert.ok(height <= ledger.head.height, `${what}: committed block ${height} is gone (head ${ledger.head.height})`);
      assert.equal(toHex(blockHash(encodeBlock(ledger.block(height)))), hash, `${what}: block ${height} changed`);
    }
    const totals = ledger.totals;
    assert.equal(totals.marketPaidMinor, totals.paidToOwnersMinor + totals.feeMinor + totals.penaltyMinor, `${what}: money is not conserved`);
    return { repaired: ledger.repairedBytes > 0, height: ledger.head.height };
  } finally {
    await ledger.close();
  }
}

/** The stored records of the log in `dir`. */
export async function recordsOf(dir: string): Promise<Uint8Array[]> {
  const store = await FileLedgerStore.open(dir, 'read');
  const records = Array.from({ length: store.count }, (_, i) => new Uint8Array(store.read(i)));
  await store.close();
  return records;
}

/** Writes `records` as a fresh log in the empty directory `dir` (checksums recomputed: a tamperer who knows the format). */
export async function writeRecords(dir: string, records: readonly Uint8Array[]): Promise<string> {
  const store = await FileLedgerStore.open(dir, 'create');
  for (const record of records) await store.append(record);
  await store.close();
  return dir;
}

/** Verifies the log in `dir` read-only. */
export async function verifyLog(dir: string, verifier: SignatureVerifier): Promise<VerifyReport> {
  const store = await FileLedgerStore.open(dir, 'read');
  try {
    return verifyChain(store, verifier);
  } finally {
    await store.close();
  }
}
