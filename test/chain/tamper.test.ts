import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BLOCK_LOG_FILE, Ledger, decodeBlock, encodeBlock, type Block, type VerifyReport } from '../../chain/index.js';
import { createNodeCryptoVerifier } from '../../protocol/index.js';
import { memoizingVerifier } from '../../protocol/round/memo-verifier.js';
import { intervalStart, meterEnvelope, peerKey, planFor, reading, recordsOf, signedCommit, tempLedgerDir, testGenesis, verifyLog, writeRecords } from './chain-helpers.js';

// Thousands of re-verifications of the same intact blocks: remembering good signatures keeps this fast
// (a flipped signature is still checked afresh; only successes are remembered).
const verifier = memoizingVerifier(createNodeCryptoVerifier(), 1000);
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDir(): string {
  const dir = tempLedgerDir('tamper');
  dirs.push(dir);
  return dir;
}

/** Genesis, three intervals with meter readings, and a certificate transfer: five blocks. */
async function buildChain(dir: string): Promise<void> {
  const ledger = await Ledger.open(dir, { genesis: testGenesis(), clock: () => intervalStart(0) });
  await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(0), { 'bat-1': 3, 'pv-2': 2 }, 120)) });
  await ledger.appendInterval({
    commit: signedCommit(planFor(intervalStart(1), { 'bat-1': -2 }, 40)),
    meterEnvelopes: [meterEnvelope(peerKey(0), intervalStart(0), [reading('bat-1', 0.25)]), meterEnvelope(peerKey(1), intervalStart(0), [reading('pv-2', 0.15)])],
  });
  await ledger.transferCertificate('bat-1#0', 'owner-a', 'retailer');
  await ledger.appendInterval({ commit: signedCommit(planFor(intervalStart(2), {}, 55), [1, 2, 3]), meterEnvelopes: [meterEnvelope(peerKey(0), intervalStart(1), [reading('bat-1', -0.15)])] });
  await ledger.close();
}

/** Verifies the log in `dir` read-only. */
function verifyDir(dir: string): Promise<VerifyReport> {
  return verifyLog(dir, verifier);
}

/** Writes `records` as a fresh log in a new directory. */
function rewrite(records: Uint8Array[]): Promise<string> {
  return writeRecords(freshDir(), records);
}

describe('chain tamper evidence', () => {
  const dir = freshDir();
  before(() => buildChain(dir));

  it('the untouched chain verifies with every signature counted', async () => {
    const report = await verifyDir(dir);
    assert.equal(report.ok, true, report.error?.reason);
    assert.equal(report.blocks, 5);
    // Three precommits per commit, three meter envelopes.
    assert.equal(report.signatures, 3 * 3 + 3);
  });

  it('flipping any single byte of the log fails verification at the block holding that byte', async () => {
    const log = join(dir, BLOCK_LOG_FILE);
    const original = readFileSync(log);
    const recordEnds: number[] = [];
    for (let offset = 0; offset < original.length; ) {
      offset += 12 + original.readUInt32LE(offset);
      recordEnds.push(offset);
    }
    const flipDir = freshDir();
    const flipLog = join(flipDir, BLOCK_LOG_FILE);
    writeFileSync(flipLog, original);
    const fd = openSync(flipLog, 'r+');
    try {
      for (let i = 0; i < original.length; i++) {
        writeSync(fd, Uint8Array.of(original[i] ^ (1 << (i % 8))), 0, 1, i);
        const report = await verifyDir(flipDir);
        writeSync(fd, original, i, 1, i);
        const height = recordEnds.findIndex((end) => i < end);
        assert.equal(report.ok, false, `flipping byte ${i} went unnoticed`);
        assert.equal(report.error?.height, height, `byte ${i}: ${report.error?.reason}`);
      }
    } finally {
      closeSync(fd);
    }
  });

  it('a rewritten block with fresh checksums still fails at its height: settlement, certificate, meter and link checks', async () => {
    const records = await recordsOf(dir);
    const edit = (height: number, change: (block: Block) => void): Uint8Array[] => {
      const block = decodeBlock(records[height], height);
      change(block);
      return records.map((record, i) => (i === height ? encodeBlock(block) : record));
    };
    const cases: [string, number, Uint8Array[]][] = [
      ['owner paid one more cent', 2, edit(2, (b) => { if (b.kind === 'interval') { b.settlements[0].ownerMinor++; b.settlements[0].marketPaidMinor++; } })],
      ['a certificate dropped', 2, edit(2, (b) => { if (b.kind === 'interval') b.certificates.pop(); })],
      ['a meter envelope removed from the head block', 4, edit(4, (b) => { if (b.kind === 'interval') b.meterEnvelopes = []; })],
      ['the plan price raised', 1, edit(1, (b) => { if (b.kind === 'interval') b.commit.plan.pricePerMWh[0] = 1000; })],
      ['a transfer redirected', 3, edit(3, (b) => { if (b.kind === 'certificate-ops' && b.ops[0].op === 'transfer') b.ops[0].to = 'thief'; })],
      ['the fee in genesis raised', 0, edit(0, (b) => { if (b.kind === 'genesis') b.genesis.feeFrac = 0.5; })],
    ];
    for (const [what, height, tampered] of cases) {
      const report = await verifyDir(await rewrite(tampered));
      assert.equal(report.ok, false, `${what}: went unnoticed`);
      // Editing block h either fails its own re-derivation or breaks block h+1's link (for the genesis or ops blocks, whose content is not re-derived).
      assert.ok(report.error!.height === height || report.error!.height === height + 1, `${what}: failed at ${report.error!.height}: ${report.error!.reason}`);
    }
    const droppedBlock = await verifyDir(await rewrite(records.filter((_, i) => i !== 2)));
    assert.deepEqual([droppedBlock.ok, droppedBlock.error?.height], [false, 2]);
  });
});

describe('vpp chain', () => {
  const run = promisify(execFile);
  const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');
  const dir = freshDir();
  before(() => buildChain(dir));

  async function vpp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, 'chain', ...args]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('verify prints the height and head hash; show and balances read the chain', async () => {
    const verified = await vpp('verify', dir);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /verifies: height 4, head [0-9a-f]{64}/);
    const shown = JSON.parse((await vpp('show', dir)).stdout) as { height: number; totals: { settlements: number } };
    assert.deepEqual([shown.height, shown.totals.settlements], [4, 3]);
    const block = JSON.parse((await vpp('show', dir, '--height', '2')).stdout) as { kind: string; meterEnvelopes: { type: string }[] };
    assert.deepEqual([block.kind, block.meterEnvelopes.map((e) => e.type)], ['interval', ['meter', 'meter']]);
    const balances = JSON.parse((await vpp('balances', dir)).stdout) as { balances: { account: string; minor: number }[]; certificates: { holder: string }[] };
    assert.equal(balances.balances.reduce((sum, b) => sum + b.minor, 0), 0);
    assert.ok(balances.certificates.some((c) => c.holder === 'retailer'));
    assert.equal((await vpp('show', dir, '--height', '9')).code, 2);
  });

  it('verify fails with exit code 2 naming the height of a flipped byte', async () => {
    const log = join(dir, BLOCK_LOG_FILE);
    const bytes = readFileSync(log);
    const secondRecordAt = 12 + bytes.readUInt32LE(0);
    const at = secondRecordAt + 12 + bytes.readUInt32LE(secondRecordAt) + 40;
    bytes[at] ^= 0x10;
    writeFileSync(log, bytes);
    const failed = await vpp('verify', dir);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /height 2: /);
  });
});
