/**
 * The embedded `LedgerStore`: one append-only file, `blocks.log`, of length-prefixed records.
 *
 *   record = u32le length ‖ u32le crc32(length bytes) ‖ u32le crc32(payload) ‖ payload
 *
 * Each append is one positional write followed by fdatasync. A crash can only leave the last
 * record incomplete (or, after a power cut, zero-filled): a writer that opens the file truncates
 * such a torn tail, which was never acknowledged. A complete record whose checksum fails is damage,
 * not a torn write, and is never truncated away: the header's own checksum keeps a flipped length
 * byte from passing for a torn tail.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ChainCorruptError, LedgerStoreError } from './errors.js';
import type { LedgerStore, StoreDamage } from './store.js';

/** Name of the log file inside a ledger directory. */
export const BLOCK_LOG_FILE = 'blocks.log';

const HEADER_BYTES = 12;
/** Larger records are treated as damage rather than allocated. */
const MAX_RECORD_BYTES = 1 << 30;

/** How to open a ledger directory: make a new log, append to an existing one, or only read. */
export type FileStoreMode = 'create' | 'write' | 'read';

type TailState = { kind: 'ok'; length: number } | { kind: 'torn'; reason: string } | { kind: 'corrupt'; reason: string };

/** `LedgerStore` on an append-only file with checksums, fsync at every append, and torn-tail repair. */
export class FileLedgerStore implements LedgerStore {
  private readonly offsets: number[] = [];
  private sizeBytes = 0;
  private failed: Error | undefined;
  private damageFound: StoreDamage | undefined;
  /** Bytes of torn tail a writer cut off when it opened the log (0 when the log was clean). */
  truncatedBytes = 0;

  private constructor(
    private readonly path: string,
    private readonly fd: number,
    private readonly handle: FileHandle | undefined,
  ) {}

  /** Opens (or with `create`, makes) the log in `dir`. Writers repair a torn tail; readers report it as `damage`. */
  static async open(dir: string, mode: FileStoreMode): Promise<FileLedgerStore> {
    const path = join(dir, BLOCK_LOG_FILE);
    if (mode === 'create') {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        throw new LedgerStoreError(`ledger directory ${dir}: cannot create: ${(error as Error).message}`);
      }
    }
    let handle: FileHandle | undefined;
    let fd: number;
    try {
      if (mode === 'read') {
        fd = openSync(path, 'r');
      } else {
        handle = await open(path, mode === 'create' ? 'wx+' : 'r+');
        fd = handle.fd;
      }
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw new LedgerStoreError(`ledger ${path}: already exists`);
      if (e.code === 'ENOENT') throw new LedgerStoreError(`ledger ${path}: no such file (is ${dir} a ledger directory?)`);
      throw new LedgerStoreError(`ledger ${path}: cannot open: ${e.message}`);
    }
    if (mode === 'create') syncDirectory(dir);
    const store = new FileLedgerStore(path, fd, handle);
    try {
      await store.scan(mode);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  get count(): number {
    return this.offsets.length;
  }

  get damage(): StoreDamage | undefined {
    return this.damageFound;
  }

  read(index: number): Uint8Array {
    if (!(index >= 0 && index < this.offsets.length)) throw new RangeError(`no record ${index}; the log holds ${this.offsets.length}`);
    const offset = this.offsets[index];
    const end = index + 1 < this.offsets.length ? this.offsets[index + 1] : this.sizeBytes;
    const bytes = this.readAt(offset, end - offset, index);
    const length = bytes.readUInt32LE(0);
    const payload = bytes.subarray(HEADER_BYTES);
    if (bytes.readUInt32LE(4) !== crc32(bytes.subarray(0, 4)) || length !== payload.length) throw new ChainCorruptError(index, 'record header damaged');
    if (bytes.readUInt32LE(8) !== crc32(payload)) throw new ChainCorruptError(index, 'record checksum mismatch (stored bytes damaged)');
    return new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
  }

  async append(record: Uint8Array): Promise<void> {
    if (!this.handle) throw new LedgerStoreError(`ledger ${this.path}: opened read-only`);
    if (this.failed) throw new LedgerStoreError(`ledger ${this.path}: an earlier write failed (${this.failed.message}); reopen to repair`);
    if (record.length === 0 || record.length > MAX_RECORD_BYTES) throw new LedgerStoreError(`ledger ${this.path}: record of ${record.length} bytes (expected 1..${MAX_RECORD_BYTES})`);
    const bytes = Buffer.allocUnsafe(HEADER_BYTES + record.length);
    bytes.writeUInt32LE(record.length, 0);
    bytes.writeUInt32LE(crc32(bytes.subarray(0, 4)), 4);
    bytes.writeUInt32LE(crc32(record), 8);
    bytes.set(record, HEADER_BYTES);
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written, this.sizeBytes + written);
        written += bytesWritten;
      }
      await this.handle.datasync();
    } catch (error) {
      // The tail may now hold part of this record; a reopen finds it torn and cuts it off.
      this.failed = error as Error;
      throw new LedgerStoreError(`ledger ${this.path}: write failed: ${(error as Error).message}`);
    }
    this.offsets.push(this.sizeBytes);
    this.sizeBytes += bytes.length;
  }

  async close(): Promise<void> {
    if (this.handle) await this.handle.close();
    else closeSync(this.fd);
  }

  /** Walks the record headers; a torn tail is cut off (writers) or reported (readers), damage stops the walk. */
  private async scan(mode: FileStoreMode): Promise<void> {
    const fileBytes = fstatSync(this.fd).size;
    let offset = 0;
    while (offset < fileBytes) {
      const tail = this.recordAt(offset, fileBytes);
      if (tail.kind === 'ok') {
        this.offsets.push(offset);
        offset += HEADER_BYTES + tail.length;
        continue;
      }
      const height = this.offsets.length;
      if (tail.kind === 'corrupt' && mode !== 'read') throw new ChainCorruptError(height, `${tail.reason}; refusing to open for writing`);
      if (mode === 'read') {
        this.damageFound = { height, reason: tail.kind === 'torn' ? `torn tail: ${tail.reason}` : tail.reason };
      } else {
        await this.handle!.truncate(offset);
        await this.handle!.sync();
        this.truncatedBytes = fileBytes - offset;
      }
      break;
    }
    this.sizeBytes = offset;
  }

  private recordAt(offset: number, fileBytes: number): TailState {
    if (fileBytes - offset < HEADER_BYTES) return { kind: 'torn', reason: `${fileBytes - offset} bytes where a record header needs ${HEADER_BYTES}` };
    const header = this.readAt(offset, HEADER_BYTES, this.offsets.length);
    const length = header.readUInt32LE(0);
    if (header.readUInt32LE(4) !== crc32(header.subarray(0, 4))) {
      return this.isZeroFrom(offset, fileBytes) ? { kind: 'torn', reason: 'zero-filled tail' } : { kind: 'corrupt', reason: 'record header checksum mismatch (stored bytes damaged)' };
    }
    if (length === 0 || length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} out of range` };
    if (offset + HEADER_BYTES + length > fileBytes) return { kind: 'torn', reason: `record of ${length} bytes ends ${offset + HEADER_BYTES + length - fileBytes} bytes past the end of the file` };
    return { kind: 'ok', length };
  }

  private isZeroFrom(offset: number, fileBytes: number): boolean {
    const chunk = Buffer.alloc(64 * 1024);
    for (let at = offset; at < fileBytes; at += chunk.length) {
      const n = readSync(this.fd, chunk, 0, Math.min(chunk.length, fileBytes - at), at);
      for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
    }
    return true;
  }

  private readAt(offset: number, length: number, height: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, bytes, read, length - read, offset + read);
      if (n === 0) throw new ChainCorruptError(height, `log ends inside the record at byte ${offset + read}`);
      read += n;
    }
    return bytes;
  }
}

/** Makes a new file's directory entry durable. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
