/** Deterministic keys and one sample message of every type for the protocol tests. */
import { keyPairFromSeed, offerSetHash, planHash, type DispatchPlan, type KeyPair, type Message, type MessageType } from '../../protocol/index.js';

/** Network id the tests run on. */
export const NETWORK = 'vpp-test';

/** UTC epoch ms all samples are issued around: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** A key pair from a one-byte seed pattern. */
export function testKey(n: number): KeyPair {
  return keyPairFromSeed(new Uint8Array(32).fill(n));
}

/** 32 bytes filled with `n`. */
export function fill32(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

/** A small dispatch plan over two 5-minute periods. */
export const samplePlan: DispatchPlan = {
  createdAtMs: T0,
  periods: [
    { startMs: T0, durationMs: 300_000 },
    { startMs: T0 + 300_000, durationMs: 300_000 },
  ],
  pricePerMWh: [85.5, 120.25],
  setpointsKW: { 'bat-1': [-3.5, 5], 'pv-1': [2.25, 0] },
  fleetPowerKW: [-1.25, 5],
  objectiveValue: 0.42,
  solver: { backend: 'highs', strategy: 'full', lpSolves: 1, solveMs: 3.2 },
};

/** One valid message of every type; `proposer` is the proposal's sender key. */
export function sampleMessages(proposer: KeyPair): Record<MessageType, Message> {
  const offerIds = [fill32(7), fill32(3)];
  return {
    offer: {
      v: 1,
      type: 'offer',
      offers: [{
        derId: 'bat-1',
        kind: 'battery',
        ownerId: 'owner-1',
        feederId: 'f-1',
        startMs: T0,
        intervalMs: 300_000,
        minPowerKW: [-5, -5],
        maxPowerKW: [5, 5],
        storage: { energyKWh: 6.5, minEnergyKWh: 1, maxEnergyKWh: 13.5, chargeEfficiency: 0.95, dischargeEfficiency: 0.95 },
        marginalCostPerMWh: 20,
      }],
    },
    proposal: {
      v: 1,
      type: 'proposal',
      intervalStartMs: T0,
      round: 0,
      validRound: -1,
      proposer: proposer.publicKey,
      planHash: planHash(samplePlan),
      offerSetHash: offerSetHash(offerIds),
      offerIds,
      plan: samplePlan,
    },
    prevote: { v: 1, type: 'prevote', intervalStartMs: T0, round: 1, planHash: null },
    precommit: { v: 1, type: 'precommit', intervalStartMs: T0, round: 0, planHash: planHash(samplePlan) },
    commit: { v: 1, type: 'commit', intervalStartMs: T0, round: 0, planHash: planHash(samplePlan), precommits: [new Uint8Array([1, 2, 3])], plan: samplePlan },
    setpoints: {
      v: 1,
      type: 'setpoints',
      derId: 'bat-1',
      intervalStartMs: T0,
      periods: samplePlan.periods,
      setpointsKW: [-3.5, 5],
      certificate: { round: 0, planHash: planHash(samplePlan), certificateId: fill32(9) },
    },
    meter: {
      v: 1,
      type: 'meter',
      intervalStartMs: T0,
      intervalMs: 300_000,
      readings: [
        { derId: 'bat-1', exportedKWh: 0.4, importedKWh: 0, meterExportTotalKWh: 1234.5, meterImportTotalKWh: 987.25 },
        { derId: 'pv-1', exportedKWh: 0.1875, importedKWh: 0, meterExportTotalKWh: 5012.5, meterImportTotalKWh: 0 },
      ],
    },
    heartbeat: { v: 1, type: 'heartbeat', role: 'coordinator', lastCommittedIntervalStartMs: T0 - 300_000 },
  };
}
