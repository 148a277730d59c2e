import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { AGGREGATOR_ACCOUNT, Ledger, MARKET_ACCOUNT } from '../../chain/index.js';
import type { MeterReading } from '../../protocol/index.js';
import { DERS, INTERVAL_MS, intervalStart, meterEnvelope, peerKey, planFor, reading, signedCommit, tempLedgerDir, testGenesis } from './chain-helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** How an envelope is spoiled: good ones must be paid once, every other kind never. */
const FAULTS = ['good', 'good', 'good', 'bad-signature', 'uncommitted-interval', 'wrong-length', 'current-interval', 'unknown-der', 'wrong-signer', 'resend'] as const;
type Fault = (typeof FAULTS)[number];

const UNIT_WH = 100;
const INTERVAL_H = INTERVAL_MS / 3_600_000;

const intervalArb = fc.record({
  pricePerMWh: fc.integer({ min: -200, max: 15_000 }).map((p) => p / 3),
  setpointFracs: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: DERS.length, maxLength: DERS.length }),
  meters: fc.array(
    fc.record({
      lag: fc.integer({ min: 1, max: 3 }),
      peer: fc.integer({ min: 0, max: 1 }),
      fault: fc.constantFrom(...FAULTS),
      netFracs: fc.array(fc.double({ min: -0.99, max: 0.99, noNaN: true }), { minLength: DERS.length, maxLength: DERS.length }),
    }),
    { maxLength: 4 },
  ),
});

describe('settlement properties', () => {
  it('money is conserved to the cent, certificates are never issued twice, and only good readings are ever paid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(intervalArb, { minLength: 2, maxLength: 7 }), fc.double({ min: 0, max: 0.3, noNaN: true }), async (intervals, feeFrac) => {
        const dir = tempLedgerDir('prop');
        dirs.push(dir);
        const ledger = await Ledger.open(dir, { genesis: testGenesis({ feeFrac }) });
        const expectedPaid = new Map<string, MeterReading>();
        const goodEnvelopes: Uint8Array[] = [];
        try {
          for (const [n, interval] of intervals.entries()) {
            const envelopes: Uint8Array[] = [];
            const innocent = new Set<number>();
            for (const meter of interval.meters) {
              const target = n - meter.lag;
              if (target < 0) continue;
              const readings = DERS.map((der, i) => ({ der, reading: reading(der.derId, meter.netFracs[i] * der.maxPowerKW * INTERVAL_H) })).filter(({ der }) => der.peer === meter.peer);
              const built = spoil(meter.fault, meter.peer, target, n, readings.map((r) => r.reading), goodEnvelopes);
              if (!built) continue;
              if (meter.fault === 'good') {
                innocent.add(envelopes.length);
                goodEnvelopes.push(built);
                for (const r of readings) {
                  const key = `${intervalStart(target)}/${r.der.derId}`;
                  if (!expectedPaid.has(key)) expectedPaid.set(key, r.reading);
                }
              }
              envelopes.push(built);
            }
            const setpoints = Object.fromEntries(DERS.map((der, i) => [der.derId, interval.setpointFracs[i] * der.maxPowerKW]));
            const appended = await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(n), setpoints, interval.pricePerMWh)), meterEnvelopes: envelopes });
            for (const rejection of appended.rejections) {
              if (innocent.has(rejection.envelopeIndex)) assert.equal(rejection.reason, 'already settled', `a good reading was rejected: ${rejection.reason}`);
            }
          }
          const settlements = Array.from({ length: ledger.head.height }, (_, i) => ledger.block(i + 1)).flatMap((b) => (b.kind === 'interval' ? b.settlements : []));
          // Exactly the good readings, each once, with the metered energy they carried.
          assert.deepEqual(new Set(settlements.map((s) => `${s.intervalStartMs}/${s.derId}`)), new Set(expectedPaid.keys()));
          assert.equal(settlements.length, expectedPaid.size);
          for (const s of settlements) {
            const metered = expectedPaid.get(`${s.intervalStartMs}/${s.derId}`)!;
            assert.deepEqual([s.exportedKWh, s.importedKWh], [metered.exportedKWh, metered.importedKWh]);
          }
          // Conservation per record and over the chain, in integer minor units.
          let market = 0;
          let owners = 0;
          let aggregator = 0;
          const perOwner = new Map<string, number>();
          for (const s of settlements) {
            assert.ok([s.marketPaidMinor, s.feeMinor, s.penaltyMinor, s.ownerMinor].every(Number.isSafeInteger));
            assert.ok(s.feeMinor >= 0 && s.penaltyMinor >= 0);
            assert.equal(s.marketPaidMinor, s.ownerMinor + s.feeMinor + s.penaltyMinor);
            market += s.marketPaidMinor;
            owners += s.ownerMinor;
            aggregator += s.feeMinor + s.penaltyMinor;
            perOwner.set(s.ownerId, (perOwner.get(s.ownerId) ?? 0) + s.ownerMinor);
          }
          const balances = ledger.balances();
          assert.equal(market, owners + aggregator);
          assert.equal((balances.get(MARKET_ACCOUNT) ?? 0) + market, 0);
          assert.equal(balances.get(AGGREGATOR_ACCOUNT) ?? 0, aggregator);
          for (const [owner, paid] of perOwner) assert.equal(balances.get(owner), paid);
          assert.equal([...balances.values()].reduce((a, b) => a + b, 0), 0);
          // Certificates: unique ids, and per DER exactly the whole units of its metered exports.
          const certificates = ledger.certificates().map((h) => h.certificate);
          assert.equal(new Set(certificates.map((c) => c.id)).size, certificates.length);
          for (const der of DERS) {
            const exportedWh = settlements.filter((s) => s.derId === der.derId).reduce((sum, s) => sum + Math.floor(s.exportedKWh * 1000), 0);
            const issued = certificates.filter((c) => c.derId === der.derId).length;
            assert.equal(issued, der.kind === 'ev-charger' ? 0 : Math.floor(exportedWh / UNIT_WH), der.derId);
          }
          const report = ledger.verify();
          assert.ok(report.ok, report.error?.reason);
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** The envelope a peer sends for interval `target` while interval `current` commits, spoiled as `fault` says. */
function spoil(fault: Fault, peer: number, target: number, current: number, readings: MeterReading[], goodSoFar: Uint8Array[]): Uint8Array | undefined {
  const signer = peerKey(peer);
  switch (fault) {
    case 'good':
      return meterEnvelope(signer, intervalStart(target), readings);
    case 'bad-signature': {
      const bytes = new Uint8Array(meterEnvelope(signer, intervalStart(target), readings));
      bytes[bytes.length - 20] ^= 0x08;
      return bytes;
    }
    case 'uncommitted-interval':
      return meterEnvelope(signer, intervalStart(target) + 60_000, readings);
    case 'wrong-length':
      return meterEnvelope(signer, intervalStart(target), readings, INTERVAL_MS / 5);
    case 'current-interval':
      return meterEnvelope(signer, intervalStart(current), readings);
    case 'unknown-der':
      return meterEnvelope(signer, intervalStart(target), readings.map((r, i) => ({ ...r, derId: `ghost-${i}` })));
    case 'wrong-signer':
      return meterEnvelope(peerKey(1 - peer), intervalStart(target), readings);
    case 'resend':
      return goodSoFar.length > 0 ? goodSoFar[goodSoFar.length - 1] : undefined;
  }
}
