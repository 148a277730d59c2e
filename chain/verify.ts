/**
 * Reading a chain back: `replayChain` rebuilds the state from stored blocks trusting their
 * signatures (what a restarting writer does), `verifyChain` re-checks everything (hash links,
 * canonical encoding, commit certificates, meter signatures, every settlement and certificate
 * re-derived) and names the first bad height.
 */
import type { SignatureVerifier } from '../protocol/keys.js';
import { equalBytes, toHex } from '../protocol/keys.js';
import { NO_PREV_HASH, blockHash, canonicalBytes, decodeBlock, type Block, type GenesisBlock } from './block.js';
import { ChainCorruptError } from './errors.js';
import { LedgerState } from './state.js';
import type { LedgerStore } from './store.js';

/** Outcome of `verifyChain`. */
export interface VerifyReport {
  ok: boolean;
  /** Blocks that verified (the head height + 1 when ok). */
  blocks: number;
  /** Hash of the last block that verified, hex. */
  headHash: string;
  /** Hash of block 0, hex: what an auditor compares with the network's published genesis. */
  genesisHash: string;
  /** Ed25519 signatures checked (precommits and meter envelopes). */
  signatures: number;
  /** The first bad block. */
  error?: { height: number; reason: string };
}

/** How far a walk over the chain got. */
interface WalkProgress {
  state?: LedgerState;
  genesisHash?: Uint8Array;
  signatures: number;
}

/** Re-checks a stored block beyond what `LedgerState.apply` checks, before it is applied. */
type BlockCheck = (state: LedgerState, block: Block, height: number) => void;

/** Rebuilds the chain state from `store`, trusting stored signatures; throws `ChainCorruptError` at the first inconsistent block. */
export function replayChain(store: LedgerStore): LedgerState {
  const progress: WalkProgress = { signatures: 0 };
  walk(store, progress);
  if (store.damage) throw new ChainCorruptError(store.damage.height, store.damage.reason);
  return progress.state!;
}

/** Re-verifies every block of `store` under its own genesis record. Never throws for bad data. */
export function verifyChain(store: LedgerStore, verifier: SignatureVerifier): VerifyReport {
  const progress: WalkProgress = { signatures: 0 };
  let error: VerifyReport['error'];
  try {
    walk(store, progress, (state, block, height) => {
      progress.signatures += fullCheck(state, block, height, verifier);
    });
    error = store.damage;
  } catch (thrown) {
    if (!(thrown instanceof ChainCorruptError)) throw thrown;
    error = { height: thrown.height, reason: thrown.reason };
  }
  const state = progress.state;
  return {
    ok: error === undefined,
    blocks: state ? state.height + 1 : 0,
    headHash: state ? toHex(state.headHash) : '',
    genesisHash: progress.genesisHash ? toHex(progress.genesisHash) : '',
    signatures: progress.signatures,
    ...(error ? { error } : {}),
  };
}

function walk(store: LedgerStore, progress: WalkProgress, check?: BlockCheck): void {
  if (store.count === 0) throw new ChainCorruptError(0, store.damage ? store.damage.reason : 'the ledger holds no genesis block');
  const genesisBytes = store.read(0);
  const genesisBlock = decodeBlock(genesisBytes, 0);
  if (genesisBlock.kind !== 'genesis') throw new ChainCorruptError(0, `block 0 is a '${genesisBlock.kind}' block, expected 'genesis'`);
  if (!equalBytes(genesisBlock.prevHash, NO_PREV_HASH)) throw new ChainCorruptError(0, 'block 0 must have an all-zero prevHash');
  progress.genesisHash = blockHash(genesisBytes);
  const state = stateAfterGenesis(genesisBlock, progress.genesisHash);
  progress.state = state;
  for (let height = 1; height < store.count; height++) {
    const bytes = store.read(height);
    const block = decodeBlock(bytes, height);
    if (!equalBytes(block.prevHash, state.headHash)) throw new ChainCorruptError(height, `prevHash ${toHex(block.prevHash)} does not match block ${height - 1}'s hash ${toHex(state.headHash)}`);
    check?.(state, block, height);
    state.apply(block, blockHash(bytes));
  }
}

/** The state right after block 0. */
export function stateAfterGenesis(block: GenesisBlock, hash: Uint8Array): LedgerState {
  return new LedgerState(block.genesis, hash, block.timeMs);
}

function fullCheck(state: LedgerState, block: Block, height: number, verifier: SignatureVerifier): number {
  if (block.kind !== 'interval') return 0;
  const commitProblem = state.commitProblem(block.commit, verifier);
  if (commitProblem) throw new ChainCorruptError(height, commitProblem);
  const derived = state.deriveSettlement(block.commit.intervalStartMs, block.meterEnvelopes, verifier);
  if (derived.acceptedEnvelopes.length !== block.meterEnvelopes.length) {
    const unused = block.meterEnvelopes.findIndex((_, index) => !derived.acceptedEnvelopes.includes(index));
    const why = derived.rejections.find((r) => r.envelopeIndex === unused)?.reason ?? 'no reading settles';
    throw new ChainCorruptError(height, `meterEnvelopes[${unused}] settles nothing: ${why}`);
  }
  if (Buffer.compare(canonicalBytes(derived.settlements), canonicalBytes(block.settlements)) !== 0) {
    throw new ChainCorruptError(height, 'settlements differ from what the signed meter readings and the committed plans give');
  }
  return block.commit.precommits.length + block.meterEnvelopes.length;
}
