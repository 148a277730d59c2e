/**
 * Child process of the kill -9 test: commits one block per interval to the ledger in argv[2]
 * exactly as a coordinator would (commit certificate with a 200-DER plan, the sites' signed meter
 * readings for the interval before), and prints `<height> <hash>` once each block is durable.
 * Runs until killed. Without an argument (as the test runner loads every file) it does nothing.
 */
import { writeSync } from 'node:fs';
import { Ledger } from '../../chain/index.js';
import { INTERVAL_MS, T0, coordinatorInterval, testGenesis } from './chain-helpers.js';

/** DERs in every plan beyond the registered ones: they make blocks large enough for kills to land mid-write. */
const EXTRA_PLAN_DERS = 200;

async function commitForever(dir: string): Promise<void> {
  const ledger = await Ledger.open(dir, { genesis: testGenesis() });
  const last = ledger.head.lastIntervalStartMs;
  let n = last === undefined ? 0 : (last - T0) / INTERVAL_MS + 1;
  writeSync(1, `ready ${ledger.head.height} ${ledger.repairedBytes}\n`);
  for (;; n++) {
    const { height, hash } = await ledger.appendInterval(coordinatorInterval(n, EXTRA_PLAN_DERS));
    writeSync(1, `${height} ${hash}\n`);
  }
}

const dir = process.argv[2];
if (dir) await commitForever(dir);
