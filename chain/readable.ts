/** Blocks as people and JSON clients read them: byte strings as hex, embedded envelopes named by id and sender. */
import { peekEnvelope } from '../protocol/envelope.js';
import { toHex } from '../protocol/keys.js';
import type { Block } from './block.js';
import type { CertificateHolding } from './certificates.js';
import type { ChainGenesis } from './genesis.js';
import type { SettlementTotals } from './state.js';

/** `JSON.stringify` replacer writing byte strings as hex. */
export function hexReplacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? toHex(value) : value;
}

/** A block with its embedded envelopes named by id and sender instead of dumped as bytes. */
export function readableBlock(block: Block): unknown {
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

/** Balances and certificate holdings of a chain at `height`, as `vpp chain balances` and the API show them. */
export interface BalanceSheet {
  height: number;
  currency: string;
  /** Per account, sorted by name: minor units and the amount in currency units (as text, exact). */
  balances: { account: string; minor: number; amount: string }[];
  /** Certificates held (and retired) per holder, sorted by name. */
  certificates: { holder: string; held: number; retired: number }[];
  totals: SettlementTotals;
}

/** The balance sheet of a ledger or a replayed chain state. */
export function balanceSheet(height: number, chain: { genesis: ChainGenesis; totals: SettlementTotals; balances(): Map<string, number>; certificates(): CertificateHolding[] }): BalanceSheet {
  const unit = chain.genesis.minorUnitsPerUnit;
  const digits = Math.round(Math.log10(unit));
  const balances = [...chain.balances()].sort(([a], [b]) => a.localeCompare(b)).map(([account, minor]) => ({ account, minor, amount: (minor / unit).toFixed(digits) }));
  const holders = new Map<string, { held: number; retired: number }>();
  for (const holding of chain.certificates()) {
    const entry = holders.get(holding.holder) ?? { held: 0, retired: 0 };
    if (holding.retired) entry.retired++;
    else entry.held++;
    holders.set(holding.holder, entry);
  }
  return {
    height,
    currency: chain.genesis.currency,
    balances,
    certificates: [...holders].sort(([a], [b]) => a.localeCompare(b)).map(([holder, counts]) => ({ holder, ...counts })),
    totals: { ...chain.totals },
  };
}
