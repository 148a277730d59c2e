import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGGREGATOR_ACCOUNT, BLOCK_LOG_FILE, ChainCorruptError, ChainInputError, GenesisError, Ledger, MARKET_ACCOUNT } from '../../chain/index.js';
import { INTERVAL_MS, intervalStart, meterEnvelope, peerKey, planFor, reading, signedCommit, tempLedgerDir, testGenesis } from './chain-helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDir(): string {
  const dir = tempLedgerDir('ledger');
  dirs.push(dir);
  return dir;
}

/** A ledger with intervals 0 and 1 committed and interval 0 metered in block 2. */
async function twoIntervals(dir: string): Promise<Ledger> {
  const ledger = await Ledger.open(dir, { genesis: testGenesis(), clock: () => intervalStart(0) });
  await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'bat-1': 4, 'pv-1': 3 }, 100)) });
  await ledger.appendInterval({
    commit: signedCommit(planFor(intervalStart(1), { 'bat-1': 0 }, 80)),
    meterEnvelopes: [meterEnvelope(peerKey(0), intervalStart(0), [reading('bat-1', 4 / 12), reading('pv-1', 0.2)])],
  });
  return ledger;
}

describe('Ledger', () => {
  it('settles metered energy at the plan price with fee and penalty, conserving every cent', async () => {
    const ledger = await twoIntervals(freshDir());
    const block = ledger.block(2);
    assert.equal(block.kind, 'interval');
    if (block.kind !== 'interval') return;
    const [battery, pv] = block.settlements;
    // bat-1 delivered its plan (4 kW × 5 min = 1/3 kWh) at 100 AUD/MWh: 3.33 cents, 10% fee → 0.33, no penalty.
    assert.equal(battery.plannedKWh, 4 / 12);
    assert.equal(battery.marketPaidMinor, 3);
    assert.equal(battery.feeMinor, 0);
    assert.equal(battery.penaltyMinor, 0);
    // pv-1 planned 0.25 kWh, delivered 0.2: deviation 0.05 beyond a 0.025 tolerance at 50 AUD/MWh ≈ 0.125 cents → 0.
    assert.equal(pv.plannedKWh, 0.25);
    assert.equal(pv.marketPaidMinor, 2);
    for (const record of block.settlements) assert.equal(record.marketPaidMinor, record.ownerMinor + record.feeMinor + record.penaltyMinor);
    const balances = ledger.balances();
    assert.equal(balances.get('owner-a'), battery.ownerMinor + pv.ownerMinor);
    assert.equal(balances.get(MARKET_ACCOUNT), -(battery.marketPaidMinor + pv.marketPaidMinor));
    assert.equal([...balances.values()].reduce((a, b) => a + b, 0), 0);
    await ledger.close();
  });

  it('penalises a deviation beyond the tolerance and takes the fee from positive payments only', async () => {
    const ledger = await Ledger.open(freshDir(), { genesis: testGenesis({ deviationPenalty: { toleranceKWh: 0, toleranceFrac: 0, penaltyPerMWh: 600_000 } }) });
    await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'bat-2': 5, 'ev-1': -6 }, 300)) });
    const appended = await ledger.appendInterval({
      commit: signedCommit(planFor(intervalStart(1), {}, 300)),
      meterEnvelopes: [meterEnvelope(peerKey(1), intervalStart(0), [reading('bat-2', 0.3), reading('ev-1', -0.5)])],
    });
    const [battery, ev] = appended.settlements;
    // 0.3 kWh × 300 AUD/MWh = 9 cents, fee 0.9 → 1 cent; 5/12 − 0.3 kWh short of plan at 600,000 AUD/MWh = 6,000 cents/kWh.
    assert.equal(battery.marketPaidMinor, 9);
    assert.equal(battery.feeMinor, 1);
    assert.equal(battery.penaltyMinor, Math.round((5 / 12 - 0.3) * 60_000));
    assert.equal(ev.marketPaidMinor, -15);
    assert.equal(ev.feeMinor, 0);
    assert.equal(ev.ownerMinor, ev.marketPaidMinor - ev.penaltyMinor);
    assert.equal(ledger.balances().get(AGGREGATOR_ACCOUNT), battery.feeMinor + battery.penaltyMinor + ev.penaltyMinor);
    await ledger.close();
  });

  it('issues certificates per unit of PV and battery export, never for EV charging, and carries the remainder', async () => {
    const ledger = await Ledger.open(freshDir(), { genesis: testGenesis({ carbonIntensity: { startMs: intervalStart(0), intervalMs: INTERVAL_MS, kgPerKWh: [0.5, 0.25] } }) });
    await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'pv-2': 3 }, 50)) });
    await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(1), { 'pv-2': 3 }, 50)), meterEnvelopes: [meterEnvelope(peerKey(1), intervalStart(0), [reading('pv-2', 0.25), reading('ev-1', -0.4)])] });
    const second = await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(2), {}, 50)), meterEnvelopes: [meterEnvelope(peerKey(1), intervalStart(1), [reading('pv-2', 0.25)])] });
    // 0.25 + 0.25 kWh = 500 Wh → five 100-Wh certificates: two after the first reading (50 Wh left), three after the second.
    assert.deepEqual(ledger.certificates().map((c) => c.certificate.id), ['pv-2#0', 'pv-2#1', 'pv-2#2', 'pv-2#3', 'pv-2#4']);
    assert.deepEqual(second.certificates.map((c) => c.intervalStartMs), [intervalStart(1), intervalStart(1), intervalStart(1)]);
    assert.equal(ledger.certificate('pv-2#0')?.certificate.co2AvoidedKg, 0.1 * 0.5);
    assert.equal(ledger.certificate('pv-2#4')?.certificate.co2AvoidedKg, 0.1 * 0.25);
    assert.ok(ledger.certificates().every((c) => c.holder === 'owner-b' && !c.retired));
    assert.equal(ledger.totals.certificatesIssued, 5);
    await ledger.close();
  });

  it('transfers and retires certificates, refusing moves by a non-holder or of a retired one', async () => {
    const dir = freshDir();
    const ledger = await twoIntervals(dir);
    const id = ledger.certificates()[0].certificate.id;
    await assert.rejects(ledger.transferCertificate(id, 'owner-b', 'buyer'), (e: unknown) => e instanceof ChainInputError && /held by 'owner-a'/.test(e.message));
    await ledger.transferCertificate(id, 'owner-a', 'buyer');
    await ledger.retireCertificate(id, 'buyer');
    await assert.rejects(ledger.transferCertificate(id, 'buyer', 'other'), /retired/);
    await assert.rejects(ledger.retireCertificate('pv-1#999', 'owner-a'), /never issued/);
    assert.deepEqual({ holder: ledger.certificate(id)?.holder, retired: ledger.certificate(id)?.retired }, { holder: 'buyer', retired: true });
    const head = ledger.head;
    await ledger.close();
    const reopened = await Ledger.open(dir);
    assert.deepEqual(reopened.head, head);
    assert.equal(reopened.certificate(id)?.retired, true);
    assert.ok(reopened.verify().ok);
    await reopened.close();
  });

  it('refuses a commit without a quorum, with a bad signature, out of order, or whose plan does not start the interval', async () => {
    const ledger = await Ledger.open(freshDir(), { genesis: testGenesis() });
    const plan = planFor(intervalStart(3), { 'bat-1': 1 }, 60);
    await assert.rejects(ledger.appendInterval({ commit: signedCommit(plan, [0, 1]) }), (e: unknown) => e instanceof ChainInputError && /needs 3 of 4/.test(e.message));
    const forged = signedCommit(plan);
    forged.precommits[1] = new Uint8Array(forged.precommits[1]);
    forged.precommits[1][forged.precommits[1].length - 5] ^= 1;
    await assert.rejects(ledger.appendInterval({ commit: forged }), /signature does not verify/);
    const laterPlan = { ...plan, periods: [{ startMs: intervalStart(4), durationMs: INTERVAL_MS }] };
    await assert.rejects(ledger.appendInterval({ commit: { ...signedCommit(laterPlan), intervalStartMs: intervalStart(3) } }), /first period starts/);
    await assert.rejects(ledger.appendInterval({ commit: { ...signedCommit(plan), plan: undefined } }), /needs the committed plan/);
    await ledger.appendInterval({ commit: signedCommit(plan) });
    await assert.rejects(ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(2), {}, 60)) }), /not after the last committed interval/);
    assert.equal(ledger.head.height, 1);
    await ledger.close();
  });

  it('reopens with the same head and refuses another genesis record or a missing one', async () => {
    const dir = freshDir();
    const ledger = await twoIntervals(dir);
    const { head } = ledger;
    const balances = ledger.balances();
    await ledger.close();
    const reopened = await Ledger.open(dir, { genesis: testGenesis() });
    assert.deepEqual(reopened.head, head);
    assert.deepEqual(reopened.balances(), balances);
    await reopened.close();
    await assert.rejects(Ledger.open(dir, { genesis: testGenesis({ feeFrac: 0.2 }) }), (e: unknown) => e instanceof GenesisError && /another genesis/.test(e.message));
    await assert.rejects(Ledger.open(freshDir()), /no genesis record/);
    await assert.rejects(Ledger.open(freshDir(), { genesis: { ...testGenesis(), ders: [{ ...testGenesis().ders[0], ownerId: MARKET_ACCOUNT }] } }), /ders\.0\.ownerId: must not be 'market'/);
  });

  it('cuts a torn last record at every length, keeping every complete block', async () => {
    const dir = freshDir();
    await (await twoIntervals(dir)).close();
    const log = join(dir, BLOCK_LOG_FILE);
    const whole = readFileSync(log);
    const ledger = await Ledger.open(dir);
    const twoBlocksHead = ledger.head;
    await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(2), { 'pv-2': 1 }, 70)) });
    await ledger.close();
    const withThird = readFileSync(log);
    for (let cut = whole.length; cut < withThird.length; cut += cut - whole.length < 16 ? 1 : 97) {
      writeFileSync(log, withThird.subarray(0, cut));
      const reopened = await Ledger.open(dir);
      assert.deepEqual(reopened.head, twoBlocksHead, `cut at byte ${cut}`);
      assert.equal(reopened.repairedBytes, cut - whole.length);
      assert.equal(statSync(log).size, whole.length);
      await reopened.close();
    }
    appendFileSync(log, Buffer.alloc(4096));
    const zeroTail = await Ledger.open(dir);
    assert.deepEqual(zeroTail.head, twoBlocksHead, 'a zero-filled tail is torn, not damage');
    await zeroTail.close();
  });

  it('refuses to open for writing when a complete record is damaged, naming its height', async () => {
    const dir = freshDir();
    await (await twoIntervals(dir)).close();
    const log = join(dir, BLOCK_LOG_FILE);
    const bytes = readFileSync(log);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(log, bytes);
    await assert.rejects(Ledger.open(dir), (e: unknown) => e instanceof ChainCorruptError && e.height === 2);
    // A flipped length byte must not pass for a torn tail (which would be cut off).
    bytes[bytes.length - 3] ^= 0x40;
    bytes[recordOffset(bytes, 2) + 1] ^= 0x01;
    writeFileSync(log, bytes);
    await assert.rejects(Ledger.open(dir), (e: unknown) => e instanceof ChainCorruptError && e.height === 2 && /header/.test(e.message));
    assert.equal(statSync(log).size, bytes.length, 'nothing was cut off');
  });

  it('rejects meter readings for the current or an uncommitted interval and pays each (DER, interval) once', async () => {
    const ledger = await Ledger.open(freshDir(), { genesis: testGenesis() });
    await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'bat-1': 2 }, 90)) });
    const good = meterEnvelope(peerKey(0), intervalStart(0), [reading('bat-1', 0.1)]);
    const appended = await ledger.appendInterval({
      commit: signedCommit(planFor(intervalStart(2), {}, 90)),
      meterEnvelopes: [good, good, meterEnvelope(peerKey(0), intervalStart(1), [reading('bat-1', 0.1)]), meterEnvelope(peerKey(0), intervalStart(2), [reading('pv-1', 0.1)])],
    });
    assert.equal(appended.settlements.length, 1);
    assert.deepEqual(appended.rejections.map((r) => [r.envelopeIndex, r.reason]), [
      [1, 'already settled'],
      [2, `no committed interval starts at ${intervalStart(1)}`],
      [3, `interval ${intervalStart(2)} is not before this block's interval ${intervalStart(2)}`],
    ]);
    const block = ledger.block(appended.height);
    assert.ok(block.kind === 'interval' && block.meterEnvelopes.length === 1, 'only the envelope that settled something is stored');
    const again = await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(3), {}, 90)), meterEnvelopes: [good] });
    assert.deepEqual(again.rejections.map((r) => r.reason), ['already settled']);
    assert.equal(ledger.totals.settlements, 1);
    await ledger.close();
  });
});

/** Byte offset of record `index` in a log (walking the length prefixes). */
function recordOffset(log: Buffer, index: number): number {
  let offset = 0;
  for (let i = 0; i < index; i++) offset += 12 + log.readUInt32LE(offset);
  return offset;
}
