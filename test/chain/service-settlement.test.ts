import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { AGGREGATOR_ACCOUNT, ChainInputError, GRID_SERVICES, Ledger, MARKET_ACCOUNT, decodeBlock, encodeBlock, type Block, type ServicePaymentInput } from '../../chain/index.js';
import { createNodeCryptoVerifier } from '../../protocol/index.js';
import { DERS, T0, intervalStart, meterEnvelope, peerKey, planFor, reading, recordsOf, signedCommit, tempLedgerDir, testGenesis, verifyLog, writeRecords } from './chain-helpers.js';

const HOUR_MS = 3_600_000;
const verifier = createNodeCryptoVerifier();
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDir(prefix: string): string {
  const dir = tempLedgerDir(prefix);
  dirs.push(dir);
  return dir;
}

/** Block times a day after T0: every test period is over by then. */
const afterPeriods = () => T0 + 24 * HOUR_MS;

function payment(derId: string, service: ServicePaymentInput['service'], hour: number, committedKW: number, capacityPricePerMWh: number, performanceScore: number): ServicePaymentInput {
  return { derId, service, startMs: T0 + hour * HOUR_MS, endMs: T0 + (hour + 1) * HOUR_MS, committedKW, capacityPricePerMWh, performanceScore };
}

const paymentArb = fc.record({
  // One past the registered DERs: an unregistered one.
  der: fc.integer({ min: 0, max: DERS.length }),
  service: fc.constantFrom(...GRID_SERVICES),
  hour: fc.integer({ min: 0, max: 3 }),
  minutes: fc.integer({ min: 1, max: 120 }),
  ratingFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  price: fc.integer({ min: -300, max: 30_000 }).map((p) => p / 3),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('service settlement', () => {
  it('conserves money to the cent per record and in every balance; pays each (DER, service, period) once, registered DERs only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(paymentArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.double({ min: 0, max: 0.3, noNaN: true }), async (batches, feeFrac) => {
        const ledger = await Ledger.open(freshDir('svc-prop'), { genesis: testGenesis({ feeFrac }), clock: afterPeriods });
        const paidKeys = new Set<string>();
        const ownerExpectedMinor = new Map<string, number>();
        let marketPaidMinor = 0;
        let feeMinor = 0;
        try {
          for (const batch of batches) {
            const inputs = batch.map((p): ServicePaymentInput => {
              const der = DERS[p.der] as (typeof DERS)[number] | undefined;
              const startMs = T0 + p.hour * HOUR_MS;
              return { derId: der ? der.derId : 'not-registered', service: p.service, startMs, endMs: startMs + p.minutes * 60_000, committedKW: (der?.maxPowerKW ?? 1) * p.ratingFrac, capacityPricePerMWh: p.price, performanceScore: p.score };
            });
            const keys = inputs.map((i) => `${i.service}|${i.derId}|${i.startMs}`);
            const payable = inputs.every((i, k) => i.derId !== 'not-registered' && !paidKeys.has(keys[k]) && keys.indexOf(keys[k]) === k);
            const heightBefore = ledger.head.height;
            if (!payable) {
              await assert.rejects(ledger.appendServiceSettlement(inputs), ChainInputError);
              assert.equal(ledger.head.height, heightBefore, 'a refused settlement appends nothing');
              continue;
            }
            const { services } = await ledger.appendServiceSettlement(inputs);
            keys.forEach((key) => paidKeys.add(key));
            for (const [k, record] of services.entries()) {
              const input = inputs[k];
              const exactMinor = (input.committedKW / 1000) * ((input.endMs - input.startMs) / HOUR_MS) * input.capacityPricePerMWh * input.performanceScore * 100;
              assert.ok(Math.abs(record.marketPaidMinor - exactMinor) <= 0.5 + 1e-6, `paid ${record.marketPaidMinor}, capability credit ${exactMinor}`);
              assert.equal(record.marketPaidMinor, record.ownerMinor + record.feeMinor);
              assert.ok(record.feeMinor >= 0 && (record.marketPaidMinor > 0 || record.feeMinor === 0), 'a fee only on what the market pays out');
              assert.equal(record.ownerId, DERS.find((d) => d.derId === input.derId)!.ownerId);
              ownerExpectedMinor.set(record.ownerId, (ownerExpectedMinor.get(record.ownerId) ?? 0) + record.ownerMinor);
              marketPaidMinor += record.marketPaidMinor;
              feeMinor += record.feeMinor;
            }
          }
          const totals = ledger.totals;
          assert.equal(totals.servicePaidMinor, marketPaidMinor);
          assert.equal(totals.marketPaidMinor, totals.paidToOwnersMinor + totals.feeMinor + totals.penaltyMinor);
          assert.equal(totals.serviceSettlements, paidKeys.size);
          const balances = ledger.balances();
          for (const [owner, minor] of ownerExpectedMinor) assert.equal(balances.get(owner) ?? 0, minor, owner);
          assert.equal(balances.get(AGGREGATOR_ACCOUNT) ?? 0, feeMinor);
          assert.equal(balances.get(MARKET_ACCOUNT) ?? 0, 0 - marketPaidMinor);
          assert.equal([...balances.values()].reduce((a, b) => a + b, 0), 0);
          const report = ledger.verify();
          assert.ok(report.ok, report.error?.reason);
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses an unregistered DER, a second payment, a period not yet over and capacity above the rating, appending nothing', async () => {
    let nowMs = T0 + 2 * HOUR_MS;
    const ledger = await Ledger.open(freshDir('svc-refuse'), { genesis: testGenesis(), clock: () => nowMs });
    try {
      await ledger.appendServiceSettlement([payment('bat-1', 'regulation', 0, 4, 60, 0.9)]);
      const head = ledger.head;
      const refusals: [string, ServicePaymentInput[], RegExp][] = [
        ['unregistered DER', [payment('bat-9', 'regulation', 1, 4, 60, 0.9)], /unknown DER 'bat-9'/],
        ['paid again in a later block', [payment('bat-1', 'regulation', 0, 4, 60, 0.9)], /already paid/],
        ['paid twice in one block', [payment('bat-2', 'reserve', 1, 2, 6, 1), payment('bat-2', 'reserve', 1, 3, 6, 1)], /services\[1\].*already paid/],
        ['a period not yet over', [payment('pv-1', 'frequency', 2, 1, 10, 1)], /after the block's time/],
        ['capacity above the rating', [payment('bat-1', 'reserve', 0, 5.5, 6, 1)], /committedKW 5\.5 is outside 0\.\.5/],
        ['a score above 1', [payment('bat-2', 'frequency', 0, 1, 10, 1.2)], /performanceScore/],
      ];
      for (const [what, inputs, reason] of refusals) {
        await assert.rejects(ledger.appendServiceSettlement(inputs), (e: Error) => e instanceof ChainInputError && reason.test(e.message), what);
        assert.deepEqual(ledger.head, head, `${what}: nothing appended`);
      }
      // The same DER and period for another service, and the same service in the next period, are separate commitments.
      nowMs = T0 + 3 * HOUR_MS;
      await ledger.appendServiceSettlement([payment('bat-1', 'reserve', 0, 4, 6, 1), payment('bat-1', 'regulation', 1, 4, 60, 0.5), payment('pv-1', 'frequency', 2, 1, 10, 1)]);
      assert.equal(ledger.totals.serviceSettlements, 4);
      assert.ok(ledger.verify().ok);
    } finally {
      await ledger.close();
    }
  });

  describe('stored service blocks', () => {
    const dir = freshDir('svc-tamper');
    const SERVICE_HEIGHT = 2;
    before(async () => {
      // Genesis, an interval, the service payments, an interval settling readings after them.
      const ledger = await Ledger.open(dir, { genesis: testGenesis(), clock: () => intervalStart(0) + 2 * HOUR_MS });
      await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'bat-1': 3 }, 120)) });
      await ledger.appendServiceSettlement([payment('bat-1', 'regulation', 0, 4.2, 60, 0.957), payment('bat-2', 'regulation', 0, 3.7, 60, 0.957), payment('ev-1', 'reserve', 1, 7, 6, 0.5)]);
      await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(1), {}, 40)), meterEnvelopes: [meterEnvelope(peerKey(0), intervalStart(0), [reading('bat-1', 0.25)])] });
      await ledger.close();
    });

    it('verify re-derives every amount and names the height of a rewritten record', async () => {
      const intact = await verifyLog(dir, verifier);
      assert.ok(intact.ok, intact.error?.reason);
      const records = await recordsOf(dir);
      const edit = (change: (block: Extract<Block, { kind: 'service-settlement' }>) => void): Uint8Array[] => {
        const block = decodeBlock(records[SERVICE_HEIGHT], SERVICE_HEIGHT);
        assert.equal(block.kind, 'service-settlement');
        change(block as Extract<Block, { kind: 'service-settlement' }>);
        return records.map((record, i) => (i === SERVICE_HEIGHT ? encodeBlock(block) : record));
      };
      const cases: [string, Uint8Array[], RegExp][] = [
        ['owner and market paid one more cent (still adds up)', edit((b) => { b.services[0].ownerMinor++; b.services[0].marketPaidMinor++; }), /services\[0\] differs/],
        ['the fee moved to the owner', edit((b) => { b.services[1].ownerMinor += b.services[1].feeMinor; b.services[1].feeMinor = 0; }), /services\[1\] differs/],
        ['a better performance score', edit((b) => { b.services[2].performanceScore = 1; }), /services\[2\] differs/],
        ['more committed capacity', edit((b) => { b.services[0].committedKW = 5; }), /services\[0\] differs/],
        ['a record paid twice', edit((b) => { b.services.push({ ...b.services[0] }); }), /services\[3\].*already paid/],
        ['paid to another owner', edit((b) => { b.services[0].ownerId = 'owner-c'; }), /services\[0\] differs/],
      ];
      for (const [what, tampered, reason] of cases) {
        const report = await verifyLog(await writeRecords(freshDir('svc-rewrite'), tampered), verifier);
        assert.equal(report.ok, false, `${what}: went unnoticed`);
        assert.equal(report.error!.height, SERVICE_HEIGHT, `${what}: ${report.error!.reason}`);
        assert.match(report.error!.reason, reason, what);
      }
    });

    it('vpp chain verify, show and balances include the service payments', async () => {
      const run = promisify(execFile);
      const cli = (...args: string[]) => run(process.execPath, [join(process.cwd(), 'dist', 'cli', 'main.js'), 'chain', ...args]);
      assert.match((await cli('verify', dir)).stdout, /verifies: height 3/);
      const shown = JSON.parse((await cli('show', dir)).stdout) as { totals: { serviceSettlements: number; servicePaidMinor: number; marketPaidMinor: number; paidToOwnersMinor: number; feeMinor: number; penaltyMinor: number } };
      const block = JSON.parse((await cli('show', dir, '--height', String(SERVICE_HEIGHT))).stdout) as { kind: string; services: { ownerId: string; marketPaidMinor: number; ownerMinor: number }[] };
      assert.equal(block.kind, 'service-settlement');
      assert.equal(shown.totals.serviceSettlements, block.services.length);
      assert.equal(shown.totals.servicePaidMinor, block.services.reduce((s, r) => s + r.marketPaidMinor, 0));
      assert.ok(shown.totals.servicePaidMinor > 0);
      const t = shown.totals;
      assert.equal(t.marketPaidMinor, t.paidToOwnersMinor + t.feeMinor + t.penaltyMinor);
      const sheet = JSON.parse((await cli('balances', dir)).stdout) as { balances: { account: string; minor: number }[] };
      // owner-c only earns from the reserve payment of ev-1.
      const ownerC = sheet.balances.find((b) => b.account === 'owner-c')?.minor;
      assert.equal(ownerC, block.services.filter((r) => r.ownerId === 'owner-c').reduce((s, r) => s + r.ownerMinor, 0));
      assert.equal(sheet.balances.reduce((s, b) => s + b.minor, 0), 0);
    });
  });
});
