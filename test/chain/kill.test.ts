import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNodeCryptoVerifier } from '../../protocol/index.js';
import { memoizingVerifier } from '../../protocol/round/memo-verifier.js';
import { seededRandom } from '../../sim/random.js';
import { forEachLine } from '../transport/net-helpers.js';
import { assertChainSurvived, tempLedgerDir } from './chain-helpers.js';

const WRITER = fileURLToPath(new URL('./kill-writer.js', import.meta.url));
const KILLS = 50;
const dir = tempLedgerDir('kill');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, SIGKILLs it `delayMs` after start (or after its first acknowledged block), and returns the blocks it acknowledged. */
async function runAndKill(delayMs: number, afterFirstBlock: boolean): Promise<Map<number, string>> {
  const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const acknowledged = new Map<number, string>();
  let timer: NodeJS.Timeout | undefined;
  const kill = () => {
    timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  };
  forEachLine(child.stdout, (line) => {
    const [first, second] = line.split(' ');
    if (first === 'ready') return;
    if (afterFirstBlock && acknowledged.size === 0) kill();
    acknowledged.set(Number(first), second);
  });
  if (!afterFirstBlock) kill();
  // 'close', not 'exit': every acknowledgement the writer printed has been read by then.
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  assert.equal(exit.signal, 'SIGKILL', `the writer ended on its own (exit code ${exit.code}): ${stderr}`);
  return acknowledged;
}

describe('ledger under kill -9', () => {
  it(`after each of ${KILLS} kills at random moments the chain verifies and holds every acknowledged block`, async () => {
    const random = seededRandom(6);
    // Blocks verified once need not have their signatures checked again after the next kill.
    const verifier = memoizingVerifier(createNodeCryptoVerifier(), 200_000);
    const everAcknowledged = new Map<number, string>();
    let repairs = 0;
    let committingRuns = 0;
    let chainHeight = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Most kills land while blocks are being committed; every fourth lands anywhere from start-up (and torn-tail repair) on.
      const whileCommitting = kill % 4 !== 3;
      if (whileCommitting) committingRuns++;
      const acknowledged = await runAndKill(whileCommitting ? random.next() * 120 : random.next() * 700, whileCommitting);
      for (const [height, hash] of acknowledged) everAcknowledged.set(height, hash);
      const survived = await assertChainSurvived(dir, everAcknowledged, verifier, `after kill ${kill}`);
      if (survived.repaired) repairs++;
      chainHeight = survived.height;
    }
    // On a loaded machine a writer may be killed before its first acknowledgement; the runs must still have committed some blocks.
    assert.ok(everAcknowledged.size >= 10, `the writer acknowledged only ${everAcknowledged.size} blocks in ${committingRuns} runs killed while committing`);
    console.log(`# kill -9 test: ${KILLS} kills, ${everAcknowledged.size} blocks acknowledged, chain height ${chainHeight}, torn tails repaired on ${repairs} reopenings`);
  });
});
