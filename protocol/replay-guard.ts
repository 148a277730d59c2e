/**
 * Replay protection for verified envelopes: a validity window on `issuedAtMs` against the
 * receiver's clock, and per-sender sequence numbers that must not repeat. Sequences are expected to
 * rise; a message may arrive up to `reorderSlots - 1` sequence numbers behind the sender's newest
 * (gossip reorders), as long as that exact number was not seen yet (an IPsec-style sliding bitmap).
 * Memory is bounded: only the `maxSenders` most recently heard senders are tracked.
 */
import type { WireError } from './errors.js';

/** Settings of a `ReplayGuard`. */
export interface ReplayGuardOptions {
  /** Largest accepted |issuedAtMs − now|, ms. */
  windowMs: number;
  /** Senders tracked at once; the least recently heard is forgotten beyond this. */
  maxSenders: number;
  /** How far behind the newest sequence number a message may arrive, 1..1024 (1 = strictly increasing). */
  reorderSlots: number;
  /** Receiver's clock, UTC epoch ms. */
  clock: () => number;
}

/** Defaults: ±30 s window, 100,000 senders, 64 reorder slots, `Date.now`. */
export const DEFAULT_REPLAY_GUARD_OPTIONS: ReplayGuardOptions = { windowMs: 30_000, maxSenders: 100_000, reorderSlots: 64, clock: Date.now };

/** Outcome of `ReplayGuard.admit`. */
export type AdmitResult = { ok: true } | { ok: false; error: WireError };

interface SenderState {
  /** Newest sequence number accepted. */
  maxSeq: number;
  /** Bit `d` set = sequence `maxSeq − d` was accepted. */
  seen: bigint;
  /** Newest `issuedAtMs` accepted, ms. */
  maxIssuedAtMs: number;
}

/** Rejects replayed, stale and future messages; see the module comment for the rules. */
export class ReplayGuard {
  private readonly options: ReplayGuardOptions;
  private readonly senders = new Map<string, SenderState>();
  private readonly mask: bigint;
  /**
   * Newest `issuedAtMs` of any forgotten sender, ms. A sender we do not track may be one we forgot,
   * so its messages are only admitted when issued after everything we forgot: no replay slips
   * through an eviction.
   */
  private forgottenFloorMs = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<ReplayGuardOptions> = {}) {
    this.options = { ...DEFAULT_REPLAY_GUARD_OPTIONS, ...options };
    const { windowMs, maxSenders, reorderSlots } = this.options;
    if (!(windowMs > 0)) throw new RangeError(`ReplayGuard windowMs must be > 0, got ${windowMs}`);
    if (!Number.isInteger(maxSenders) || maxSenders < 1) throw new RangeError(`ReplayGuard maxSenders must be an integer >= 1, got ${maxSenders}`);
    if (!Number.isInteger(reorderSlots) || reorderSlots < 1 || reorderSlots > 1024) {
      throw new RangeError(`ReplayGuard reorderSlots must be an integer in 1..1024, got ${reorderSlots}`);
    }
    this.mask = (1n << BigInt(reorderSlots)) - 1n;
  }

  /** Number of senders currently tracked. */
  get trackedSenders(): number {
    return this.senders.size;
  }

  /**
   * Checks one message whose signature has already been verified and, when it passes, records it.
   * `sender` is the 32-byte public key; `seq` and `issuedAtMs` come from the envelope header.
   */
  admit(sender: Uint8Array, seq: number, issuedAtMs: number): AdmitResult {
    const nowMs = this.options.clock();
    const { windowMs, maxSenders, reorderSlots } = this.options;
    if (issuedAtMs < nowMs - windowMs) return reject('VPP_ERR_STALE', `issued at ${issuedAtMs}, ${nowMs - issuedAtMs} ms before the receiver's clock (window ±${windowMs} ms)`);
    if (issuedAtMs > nowMs + windowMs) return reject('VPP_ERR_FUTURE', `issued at ${issuedAtMs}, ${issuedAtMs - nowMs} ms after the receiver's clock (window ±${windowMs} ms)`);
    const key = Buffer.from(sender.buffer, sender.byteOffset, sender.byteLength).toString('latin1');
    const state = this.senders.get(key);
    if (!state) {
      if (issuedAtMs <= this.forgottenFloorMs) {
        return reject('VPP_ERR_REPLAY', `sender not tracked (forgotten to bound memory) and message issued at ${issuedAtMs}, not after the forgotten senders' newest ${this.forgottenFloorMs}`);
      }
      if (this.senders.size >= maxSenders) this.forgetOldest();
      this.senders.set(key, { maxSeq: seq, seen: 1n, maxIssuedAtMs: issuedAtMs });
      return { ok: true };
    }
    if (seq > state.maxSeq) {
      const shift = seq - state.maxSeq;
      state.seen = shift >= reorderSlots ? 1n : ((state.seen << BigInt(shift)) | 1n) & this.mask;
      state.maxSeq = seq;
    } else {
      const behind = state.maxSeq - seq;
      if (behind >= reorderSlots) return reject('VPP_ERR_REPLAY', `sequence ${seq} is ${behind} behind the sender's newest ${state.maxSeq} (at most ${reorderSlots - 1} allowed)`);
      const bit = 1n << BigInt(behind);
      if (state.seen & bit) return reject('VPP_ERR_REPLAY', `sequence ${seq} already seen from this sender`);
      state.seen |= bit;
    }
    state.maxIssuedAtMs = Math.max(state.maxIssuedAtMs, issuedAtMs);
    // Re-insert so Map order is least-recently-heard first.
    this.senders.delete(key);
    this.senders.set(key, state);
    return { ok: true };
  }

  private forgetOldest(): void {
    const [oldestKey, oldest] = this.senders.entries().next().value as [string, SenderState];
    this.senders.delete(oldestKey);
    this.forgottenFloorMs = Math.max(this.forgottenFloorMs, oldest.maxIssuedAtMs);
  }
}

function reject(code: WireError['code'], reason: string): AdmitResult {
  return { ok: false, error: { code, reason } };
}
