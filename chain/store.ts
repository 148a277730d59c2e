/**
 * Where blocks are kept: an ordered list of opaque records, record i being the block at height i.
 * A record is durable once `append` resolves; that is the moment a block counts as committed.
 */

/** Damage found at the end of a store opened read-only (a writer would have refused or repaired it). */
export interface StoreDamage {
  /** Height of the first record that could not be read. */
  height: number;
  reason: string;
}

/** An append-only record log. */
export interface LedgerStore {
  /** Number of intact records. */
  readonly count: number;
  /** Damage after the last intact record, when the store was opened read-only; writers never have any. */
  readonly damage: StoreDamage | undefined;
  /** The record at `index` (< count), checksum-verified; throws `ChainCorruptError` naming it otherwise. */
  read(index: number): Uint8Array;
  /** Appends one record; resolves once it is on stable storage. Appends must not overlap. */
  append(record: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
