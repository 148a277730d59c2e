import { ChainCorruptError, ChainInputError, FileLedgerStore, replayChain, verifyChain, decodeBlock } from '../chain/index.js';
import { balanceSheet, hexReplacer, readableBlock } from '../chain/readable.js';
import { createNodeCryptoVerifier } from '../protocol/verifier-node-crypto.js';

/** Runs `use` on the ledger in `dir` opened read-only (nothing is repaired or written). */
async function withStore<T>(dir: string, use: (store: FileLedgerStore) => T): Promise<T> {
  const store = await FileLedgerStore.open(dir, 'read');
  try {
    return use(store);
  } finally {
    await store.close();
  }
}

/** JSON with byte strings as hex. */
function json(value: unknown): string {
  return JSON.stringify(value, hexReplacer, 2);
}

/** `vpp chain verify <dir>`: re-checks every block; fails naming the first bad height. */
export async function chainVerifyCommand(dir: string): Promise<void> {
  const report = await withStore(dir, (store) => verifyChain(store, createNodeCryptoVerifier()));
  process.stdout.write(`${json(report)}\n`);
  if (report.error) throw new ChainCorruptError(report.error.height, `${dir}: ${report.error.reason}`);
  process.stdout.write(`chain ${dir} verifies: height ${report.blocks - 1}, head ${report.headHash}\n`);
}

/** `vpp chain show <dir> [--height N]`: the chain's head and totals, or one block in full. */
export async function chainShowCommand(dir: string, options: { height?: number }): Promise<void> {
  const text = await withStore(dir, (store) => {
    if (options.height !== undefined) {
      if (!(options.height >= 0 && options.height < store.count)) throw new ChainInputError(`--height ${options.height}: ${dir} has blocks 0..${store.count - 1}`);
      return json(readableBlock(decodeBlock(store.read(options.height), options.height)));
    }
    const state = replayChain(store);
    const genesis = state.genesis;
    return json({
      height: state.height,
      headHash: state.headHash,
      headTimeMs: state.headTimeMs,
      lastIntervalStartMs: state.lastIntervalStartMs ?? null,
      networkId: genesis.networkId,
      validators: genesis.validators.length,
      ders: genesis.ders.length,
      currency: genesis.currency,
      totals: state.totals,
    });
  });
  process.stdout.write(`${text}\n`);
}

/** `vpp chain balances <dir>`: balance per account and certificates per holder. */
export async function chainBalancesCommand(dir: string): Promise<void> {
  const text = await withStore(dir, (store) => {
    const state = replayChain(store);
    return json(balanceSheet(state.height, state));
  });
  process.stdout.write(`${text}\n`);
}
