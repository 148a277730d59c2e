/**
 * A transport decorator that injects seeded loss and delay on one endpoint's messages, on any
 * transport (NATS, libp2p, memory). Used for the `link` fault of a Byzantine validator; the memory
 * hub also has per-link faults of its own (`MemoryHub.setLink`).
 */
import { seededRandom, type Random } from '../../sim/random.js';
import { TransportError, type MessageHandler, type Transport, type TransportEvent, type TransportState, type TransportStats } from './transport.js';

/** Runs `fn` after `delayMs` ms; returns a function that cancels it. */
export type LinkScheduler = (fn: () => void, delayMs: number) => () => void;

/** Options of a {@link FaultyLinkTransport}. */
export interface FaultyLinkOptions {
  /** Delay of every payload that is not lost, ms (≥ 0). */
  delayMs: number;
  /** Probability in [0, 1] that a payload is lost. */
  lossFrac: number;
  /** Payloads this endpoint sends (`outgoing`) or receives (`incoming`); default `outgoing`. */
  direction?: 'outgoing' | 'incoming';
  /** Seed of the loss draws; default 1. */
  seed?: number;
  /** Timer source for delays; default `setTimeout`. */
  schedule?: LinkScheduler;
  /** Whether the faults apply right now (e.g. only on some heights); default always. */
  isActive?: () => boolean;
}

const timeoutScheduler: LinkScheduler = (fn, delayMs) => {
  const handle = setTimeout(fn, delayMs);
  return () => clearTimeout(handle);
};

/**
 * Wraps `inner`: lifecycle, state and events are the inner transport's; payloads in the faulty
 * direction are dropped with probability `lossFrac` (counted in `stats().dropped`) and delayed by
 * `delayMs`. A delayed publish resolves at once; a later refusal by the inner transport is lost
 * like any payload on a faulty link. `cancelPending()` (or `stop()`) discards delayed payloads.
 */
export class FaultyLinkTransport implements Transport {
  private readonly inner: Transport;
  private readonly delayMs: number;
  private readonly lossFrac: number;
  private readonly outgoing: boolean;
  private readonly random: Random;
  private readonly schedule: LinkScheduler;
  private readonly isActive: () => boolean;
  private readonly pending = new Set<() => void>();
  private lost = 0;

  constructor(inner: Transport, options: FaultyLinkOptions) {
    if (!Number.isFinite(options.delayMs) || options.delayMs < 0) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `faulty link on ${inner.name}: delayMs: expected a finite number ≥ 0, got ${options.delayMs}`);
    }
    if (!(options.lossFrac >= 0 && options.lossFrac <= 1)) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `faulty link on ${inner.name}: lossFrac: expected a probability in [0, 1], got ${options.lossFrac}`);
    }
    this.inner = inner;
    this.delayMs = options.delayMs;
    this.lossFrac = options.lossFrac;
    this.outgoing = (options.direction ?? 'outgoing') === 'outgoing';
    this.random = seededRandom(options.seed ?? 1);
    this.schedule = options.schedule ?? timeoutScheduler;
    this.isActive = options.isActive ?? (() => true);
  }

  get name(): string {
    return this.inner.name;
  }

  get state(): TransportState {
    return this.inner.state;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async stop(): Promise<void> {
    this.cancelPending();
    await this.inner.stop();
  }

  /** Discards every delayed payload not yet passed on. */
  cancelPending(): void {
    for (const cancel of this.pending) cancel();
    this.pending.clear();
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    if (!this.outgoing || !this.isActive()) return this.inner.publish(topic, data);
    this.pass(() => {
      this.inner.publish(topic, data).catch(() => {
        this.lost++;
      });
    });
  }

  subscribe(topic: string, handler: MessageHandler): () => void {
    if (this.outgoing) return this.inner.subscribe(topic, handler);
    return this.inner.subscribe(topic, (data, from) => {
      if (this.isActive()) this.pass(() => handler(data, from));
      else handler(data, from);
    });
  }

  onEvent(listener: (event: TransportEvent) => void): () => void {
    return this.inner.onEvent(listener);
  }

  /** The inner transport's counters, with payloads lost on this link added to `dropped`. */
  stats(): TransportStats {
    const stats = this.inner.stats();
    return { ...stats, dropped: stats.dropped + this.lost };
  }

  /** Loses `forward` with probability `lossFrac`, else runs it after `delayMs`. */
  private pass(forward: () => void): void {
    if (this.lossFrac > 0 && this.random.next() < this.lossFrac) {
      this.lost++;
      return;
    }
    if (this.delayMs === 0) return forward();
    const cancel = this.schedule(() => {
      this.pending.delete(cancel);
      forward();
    }, this.delayMs);
    this.pending.add(cancel);
  }
}
