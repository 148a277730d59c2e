/**
 * Named errors of the settlement chain. Each carries a stable `code` that callers and logs can
 * match on without parsing the message.
 */
import { CodedError } from '../protocol/errors.js';

/** Base class of every error thrown from `chain/`; `code` is stable across releases. */
export class ChainError extends CodedError {}

/** A genesis (chain configuration) record is missing a field or holds an out-of-range value. */
export class GenesisError extends ChainError {
  constructor(message: string) {
    super('VPP_ERR_CHAIN_GENESIS', message);
  }
}

/** A stored record or block is damaged or inconsistent; `height` names the first bad block. */
export class ChainCorruptError extends ChainError {
  constructor(
    readonly height: number,
    /** What is wrong, without the height. */
    readonly reason: string,
  ) {
    super('VPP_ERR_CHAIN_CORRUPT', `height ${height}: ${reason}`);
  }
}

/** A caller handed the ledger something it must not append (bad certificate, interval out of order, unknown certificate). */
export class ChainInputError extends ChainError {
  constructor(message: string) {
    super('VPP_ERR_CHAIN_INPUT', message);
  }
}

/** The ledger directory is missing, already holds a chain, or cannot be written. */
export class LedgerStoreError extends ChainError {
  constructor(message: string) {
    super('VPP_ERR_CHAIN_STORE', message);
  }
}
