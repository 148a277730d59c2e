import { ChainCorruptError, ChainInputError, FileLedgerStore, replayChain, verifyChain, decodeBlock, type Block } from '../chain/index.js';
import { peekEnvelope } from '../protocol/envelope.js';
import { toHex } from '../protocol/keys.js';
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
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v), 2);
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
      return json(readable(decodeBlock(store.read(options.height), options.height)));
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
    const unit = state.genesis.minorUnitsPerUnit;
    const digits = Math.round(Math.log10(unit));
    const balances = [...state.balances()].sort(([a], [b]) => a.localeCompare(b)).map(([account, minor]) => ({ account, minor, amount: (minor / unit).toFixed(digits) }));
    const holders = new Map<string, { held: number; retired: number }>();
    for (const holding of state.certificates()) {
      const entry = holders.get(holding.holder) ?? { held: 0, retired: 0 };
      if (holding.retired) entry.retired++;
      else entry.held++;
      holders.set(holding.holder, entry);
    }
    return json({
      height: state.height,
      currency: state.genesis.currency,
      balances,
      certificates: [...holders].sort(([a], [b]) => a.localeCompare(b)).map(([holder, counts]) => ({ holder, ...counts })),
      totals: state.totals,
    });
  });
  process.stdout.write(`${text}\n`);
}

/** A block with its embedded envelopes named by id and sender instead of dumped as bytes. */
function readable(block: Block): unknown {
  if (block.kind !== 'interval') return block;
  const describe = (bytes: Uint8Array) => {
    const peek = peekEnvelope(bytes);
    return peek ? { id: toHex(peek.id), type: peek.type, sender: toHex(peek.sender), bytes: bytes.length, payload: peek.payload } : { bytes: bytes.length, unreadable: true };
  };
  return {
    ...block,
    commit: { ...block.commit, precommits: block.commit.precommits.map(describe) },
    meterEnvelopes: block.meterEnvelopes.map(describe),
  };
}
