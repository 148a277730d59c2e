/**
 * The signed offers a coordinator holds, per planning interval. Every envelope is verified
 * (signature, network, type, size, replay window) before it is kept; a DER id belongs to the first
 * peer key that offers it (or to the key a registry names), so no peer can offer another's device.
 * A peer that re-sends its offers for an interval replaces its earlier envelope.
 */
import type { DecodeMemo } from '../protocol/decode-memo.js';
import { decodeEnvelope, type WireLimits } from '../protocol/envelope.js';
import type { WireErrorCode } from '../protocol/errors.js';
import { toHex, type SignatureVerifier } from '../protocol/keys.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { ReplayGuard } from '../protocol/replay-guard.js';

/** Why an offer envelope was not kept: a wire error, or one of the pool's own checks. */
export type OfferRejectCode =
  | WireErrorCode
  /** Offers for an interval that is not the grid's, already planned, or too far ahead. */
  | 'VPP_ERR_OFFER_INTERVAL'
  /** An offer for a DER id another key owns. */
  | 'VPP_ERR_OFFER_DER_TAKEN'
  /** Offer bounds not of the network's horizon length or interval. */
  | 'VPP_ERR_OFFER_SHAPE';

/** One kept envelope: its id, its signer and the offers it carries. */
export interface HeldOffers {
  /** Envelope id, 32 bytes. */
  id: Uint8Array;
  senderHex: string;
  seq: number;
  offers: FlexibilityOffer[];
}

/** Settings of an `OfferPool`. */
export interface OfferPoolOptions {
  networkId: string;
  verifier: SignatureVerifier;
  /** Length of a planning interval, ms; offers start on the grid `originMs + k * intervalMs`. */
  intervalMs: number;
  originMs: number;
  /** Bounds per offer (native intervals in the horizon). */
  horizonIntervals: number;
  /** Peer keys allowed to offer (hex); undefined = any key (first come owns a DER id). */
  allowedSenders?: ReadonlySet<string>;
  /** Owner key (hex) of each registered DER id; ids not listed are first come, first owned. */
  derOwners?: ReadonlyMap<string, string>;
  clock: () => number;
  /** Replay window, ms (default 30,000). */
  replayWindowMs?: number;
  /** Intervals ahead of the clock an offer may be for (default 2). */
  maxIntervalsAhead?: number;
  limits?: WireLimits;
  /** Payloads decoded by other nodes of this process. */
  decodeMemo?: DecodeMemo;
}

/** Verified offers by interval; see the module comment. */
export class OfferPool {
  private readonly options: OfferPoolOptions;
  private readonly replayGuard: ReplayGuard;
  /** intervalStartMs → sender hex → newest envelope of that sender for the interval. */
  private readonly byInterval = new Map<number, Map<string, HeldOffers>>();
  /** intervalStartMs → envelope id hex → envelope. */
  private readonly byId = new Map<number, Map<string, HeldOffers>>();
  private readonly derOwner = new Map<string, string>();
  private readonly counters = { accepted: 0, rejected: {} as Partial<Record<OfferRejectCode, number>> };
  /** Intervals before this one are closed (planned): late offers for them are refused. */
  private closedBeforeMs = Number.NEGATIVE_INFINITY;

  constructor(options: OfferPoolOptions) {
    this.options = options;
    this.replayGuard = new ReplayGuard({ clock: options.clock, windowMs: options.replayWindowMs ?? 30_000 });
    for (const [derId, owner] of options.derOwners ?? []) this.derOwner.set(derId, owner);
  }

  /** Verifies and keeps one received envelope; returns the reject code, or undefined when kept. Never throws on remote input. */
  admit(bytes: Uint8Array): OfferRejectCode | undefined {
    const code = this.check(bytes);
    if (code === undefined) this.counters.accepted++;
    else this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    return code;
  }

  /** The newest envelope of each sender for the interval, in envelope-id order (what a proposer plans from). */
  current(intervalStartMs: number): HeldOffers[] {
    const held = [...(this.byInterval.get(intervalStartMs)?.values() ?? [])];
    return held.sort((a, b) => Buffer.compare(a.id, b.id));
  }

  /** The envelopes named by `ids` for the interval, or the hex id of the first one this pool does not hold. */
  lookup(intervalStartMs: number, ids: readonly Uint8Array[]): { held: HeldOffers[] } | { missing: string } {
    const known = this.byId.get(intervalStartMs);
    const held: HeldOffers[] = [];
    for (const id of ids) {
      const hex = toHex(id);
      const entry = known?.get(hex);
      if (entry === undefined) return { missing: hex };
      held.push(entry);
    }
    return { held };
  }

  /** Closes every interval before `intervalStartMs`: their offers are dropped and late ones refused. */
  closeBefore(intervalStartMs: number): void {
    this.closedBeforeMs = Math.max(this.closedBeforeMs, intervalStartMs);
    for (const start of this.byInterval.keys()) {
      if (start < intervalStartMs) {
        this.byInterval.delete(start);
        this.byId.delete(start);
      }
    }
  }

  /** Counters since construction. */
  stats(): { accepted: number; rejected: Partial<Record<OfferRejectCode, number>> } {
    return { accepted: this.counters.accepted, rejected: { ...this.counters.rejected } };
  }

  private check(bytes: Uint8Array): OfferRejectCode | undefined {
    const { allowedSenders } = this.options;
    const decoded = decodeEnvelope(bytes, {
      networkId: this.options.networkId,
      verifier: this.options.verifier,
      acceptTypes: ['offer'],
      isKnownSender: allowedSenders === undefined ? undefined : (key) => allowedSenders.has(toHex(key)),
      limits: this.options.limits,
      memo: this.options.decodeMemo,
    });
    if (!decoded.ok) return decoded.error.code;
    const { envelope, message } = decoded;
    const startMs = message.offers[0].startMs;
    const { intervalMs, originMs, horizonIntervals } = this.options;
    if (message.offers.some((o) => o.startMs !== startMs)) return 'VPP_ERR_OFFER_INTERVAL';
    const ahead = (startMs - this.options.clock()) / intervalMs;
    if ((startMs - originMs) % intervalMs !== 0 || startMs < this.closedBeforeMs || ahead < -1 || ahead > (this.options.maxIntervalsAhead ?? 2)) return 'VPP_ERR_OFFER_INTERVAL';
    if (message.offers.some((o) => o.intervalMs !== intervalMs || o.minPowerKW.length !== horizonIntervals)) return 'VPP_ERR_OFFER_SHAPE';
    const senderHex = toHex(envelope.senderPublicKey);
    if (message.offers.some((o) => (this.derOwner.get(o.derId) ?? senderHex) !== senderHex)) return 'VPP_ERR_OFFER_DER_TAKEN';
    // Admitted only now, so a rejected envelope does not use up its sequence number.
    const admitted = this.replayGuard.admit(envelope.senderPublicKey, envelope.seq, envelope.issuedAtMs);
    if (!admitted.ok) return admitted.error.code;
    for (const offer of message.offers) this.derOwner.set(offer.derId, senderHex);
    const held: HeldOffers = { id: envelope.id, senderHex, seq: envelope.seq, offers: message.offers };
    let bySender = this.byInterval.get(startMs);
    let byId = this.byId.get(startMs);
    if (bySender === undefined || byId === undefined) {
      bySender = new Map();
      byId = new Map();
      this.byInterval.set(startMs, bySender);
      this.byId.set(startMs, byId);
    }
    const previous = bySender.get(senderHex);
    if (previous === undefined || previous.seq < held.seq) bySender.set(senderHex, held);
    byId.set(toHex(held.id), held);
    return undefined;
  }
}
