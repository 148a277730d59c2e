/**
 * Settlement ledger throughput on a chain of 10,000 interval blocks: blocks appended per second
 * through `Ledger.appendInterval` (certificate check, meter signatures, settlement, fsync), then on
 * the finished chain a full `verify` (blocks/s and signatures/s) and the signature-trusting replay
 * a restarting coordinator runs on open. Each block carries a 3-of-4 commit certificate and two
 * sites' signed meter readings (`coordinatorInterval` in test/chain/chain-helpers.ts).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BLOCK_LOG_FILE, Ledger } from '../chain/index.js';
import { coordinatorInterval, tempLedgerDir, testGenesis } from '../test/chain/chain-helpers.js';
import { fmtInt, formatTable } from './table.js';

const CHAIN_BLOCKS = 10_000;
/** Appending stops here even short of {@link CHAIN_BLOCKS} (every append waits for fsync). */
const APPEND_BUDGET_MS = 90_000;

/** What the chain bench measured. */
export interface ChainBenchRow {
  blocks: number;
  bytesPerBlock: number;
  appendPerS: number;
  verifyBlocksPerS: number;
  verifySignaturesPerS: number;
  replayBlocksPerS: number;
}

/** Builds the chain, verifies and replays it; returns the table and the figures. */
export async function benchChain(): Promise<{ table: string; rows: ChainBenchRow[] }> {
  const dir = tempLedgerDir('bench');
  try {
    const ledger = await Ledger.open(dir, { genesis: testGenesis() });
    let appendMs = 0;
    let blocks = 0;
    while (blocks < CHAIN_BLOCKS && appendMs < APPEND_BUDGET_MS) {
      // Signing is the coordinator's work, not the ledger's: made outside the timing.
      const input = coordinatorInterval(blocks);
      const started = performance.now();
      await ledger.appendInterval(input);
      appendMs += performance.now() - started;
      blocks++;
    }
    const verifyStarted = performance.now();
    const report = ledger.verify();
    const verifyMs = performance.now() - verifyStarted;
    await ledger.close();
    if (!report.ok) throw new Error(`bench chain does not verify: height ${report.error?.height}: ${report.error?.reason}`);
    const replayStarted = performance.now();
    await (await Ledger.open(dir)).close();
    const replayMs = performance.now() - replayStarted;
    const row: ChainBenchRow = {
      blocks,
      bytesPerBlock: Math.round(statSync(join(dir, BLOCK_LOG_FILE)).size / (blocks + 1)),
      appendPerS: (blocks / appendMs) * 1000,
      verifyBlocksPerS: (report.blocks / verifyMs) * 1000,
      verifySignaturesPerS: (report.signatures / verifyMs) * 1000,
      replayBlocksPerS: (report.blocks / replayMs) * 1000,
    };
    const table = formatTable(
      ['blocks', 'bytes/block', 'appended/s (fsync each)', 'verify blocks/s', 'verify signatures/s', 'replay on open blocks/s'],
      [[fmtInt(row.blocks), fmtInt(row.bytesPerBlock), fmtInt(row.appendPerS), fmtInt(row.verifyBlocksPerS), fmtInt(row.verifySignaturesPerS), fmtInt(row.replayBlocksPerS)]],
    );
    const note = blocks < CHAIN_BLOCKS ? `\n(append budget of ${APPEND_BUDGET_MS / 1000} s reached at ${fmtInt(blocks)} of ${fmtInt(CHAIN_BLOCKS)} blocks)` : '';
    return { table: table + note, rows: [row] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
