import { createHash } from 'node:crypto';
import { BaseTransport, type BaseTransportOptions } from './base-transport.js';
import { assertTopic, TransportError, type Transport, type TransportStats } from './transport.js';

/** Default number of payload hashes a {@link BridgeTransport} remembers (a few MB). */
export const DEFAULT_MAX_SEEN_PAYLOADS = 100_000;

/** Options of a {@link BridgeTransport}. */
export interface BridgeTransportOptions extends BaseTransportOptions {
  /** The transports bridged (at least two, unstarted or started); the bridge starts and stops them. */
  transports: Transport[];
  /** Topics relayed between the inner transports even when no local handler subscribes to them. */
  forwardTopics?: string[];
  /** Payload hashes remembered for duplicate suppression; default {@link DEFAULT_MAX_SEEN_PAYLOADS}. */
  maxSeenPayloads?: number;
}

/** What the bridge itself did, beside its {@link TransportStats}. */
export interface BridgeStats {
  /** Payloads received on one inner transport and published on another (one per target transport). */
  forwarded: number;
  /** Payloads not delivered or forwarded because their hash was already seen (a loop or a second path). */
  duplicates: number;
  /** Forwards an inner transport refused or could not take because it was not connected. */
  forwardFailures: number;
  /** Each inner transport's own counters, by its name. */
  inner: Record<string, TransportStats>;
}

/**
 * One transport over several (e.g. NATS and libp2p): publish() goes out on every connected inner
 * transport; a payload received on one inner transport is delivered to local handlers once and
 * forwarded to the others, so clients of either network see one protocol through this node.
 *
 * Loops and second copies are cut by content: the SHA-256 of topic and payload of everything seen
 * (received or published here) is remembered in a bounded LRU set, and a payload whose hash is in
 * it is neither delivered nor forwarded again. Identical bytes therefore cross the bridge once, so a
 * re-send of byte-identical payloads reaches only the sender's own network (the signed protocol
 * above recovers through fresh messages). Two bridges between the same two networks never loop,
 * but clients then receive each payload once per bridge.
 *
 * Inner transports subscribe to a topic while a local handler does, and to every `forwardTopics`
 * topic for the bridge's lifetime. The bridge is connected while any inner transport is; `from`
 * is the inner transport's sender id.
 */
export class BridgeTransport extends BaseTransport {
  private readonly inner: Transport[];
  private readonly forwardTopics: ReadonlySet<string>;
  private readonly maxSeenPayloads: number;
  /** SHA-256 of topic and payload (a 32-character binary string), least recently seen first. */
  private readonly seen = new Map<string, true>();
  /** Topic → the functions that unsubscribe it from each inner transport. */
  private readonly innerSubscriptions = new Map<string, (() => void)[]>();
  private readonly stopListening: (() => void)[] = [];
  private readonly relayCounters = { forwarded: 0, duplicates: 0, forwardFailures: 0 };

  constructor(options: BridgeTransportOptions) {
    super(options);
    const transports = options.transports;
    if (!Array.isArray(transports) || transports.length < 2) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: transports: expected at least two inner transports to bridge`);
    }
    const names = new Set<string>();
    for (const [i, transport] of transports.entries()) {
      if (transports.indexOf(transport) !== i || names.has(transport.name)) {
        throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: transports[${i}] (${transport.name}) appears twice; inner transports need distinct names`);
      }
      names.add(transport.name);
    }
    const forwardTopics = options.forwardTopics ?? [];
    for (const topic of forwardTopics) assertTopic(topic, options.name);
    const maxSeenPayloads = options.maxSeenPayloads ?? DEFAULT_MAX_SEEN_PAYLOADS;
    if (!Number.isInteger(maxSeenPayloads) || maxSeenPayloads <= 0) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: maxSeenPayloads must be a positive integer, got ${maxSeenPayloads}`);
    }
    this.inner = [...transports];
    this.forwardTopics = new Set(forwardTopics);
    this.maxSeenPayloads = maxSeenPayloads;
  }

  /** The bridged transports, in construction order. */
  get transports(): readonly Transport[] {
    return this.inner;
  }

  /** A snapshot of the bridge's own counters and each inner transport's. */
  bridgeStats(): BridgeStats {
    return { ...this.relayCounters, inner: Object.fromEntries(this.inner.map((t) => [t.name, t.stats()])) };
  }

  protected async open(): Promise<void> {
    const started = await Promise.allSettled(this.inner.map((t) => t.start()));
    const failed = started.findIndex((result) => result.status === 'rejected');
    if (failed >= 0) {
      await this.releaseInner();
      const reason = (started[failed] as PromiseRejectedResult).reason;
      throw new TransportError('VPP_ERR_TRANSPORT_START_FAILED', `transport ${this.name}: inner transport ${this.inner[failed].name} failed to start: ${String(reason)}`, { cause: reason });
    }
    for (const transport of this.inner) {
      this.stopListening.push(
        transport.onEvent((event) => {
          if (event.type !== 'handler-error') this.updateState(`${transport.name}: ${event.type === 'disconnected' ? event.reason : event.type}`);
        }),
      );
    }
    for (const topic of this.forwardTopics) this.subscribeInner(topic);
    this.updateState('no inner transport connected');
  }

  protected async close(): Promise<void> {
    await this.releaseInner();
    this.seen.clear();
  }

  protected async send(topic: string, data: Uint8Array): Promise<void> {
    // Known before it leaves, so a copy coming back through another bridge is not taken for news.
    this.isNew(topic, data);
    const targets = this.inner.filter((t) => t.state === 'connected');
    const results = await Promise.allSettled(targets.map((t) => t.publish(topic, data)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    const reasons = results.map((r, i) => `${targets[i].name}: ${String((r as PromiseRejectedResult).reason)}`);
    throw new TransportError(
      targets.length === 0 ? 'VPP_ERR_TRANSPORT_DISCONNECTED' : 'VPP_ERR_TRANSPORT_PUBLISH_FAILED',
      `transport ${this.name}: no inner transport took the payload on ${topic}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ' (none connected)'}`,
    );
  }

  protected openTopic(topic: string): void {
    this.subscribeInner(topic);
  }

  protected closeTopic(topic: string): void {
    if (this.forwardTopics.has(topic)) return;
    for (const unsubscribe of this.innerSubscriptions.get(topic) ?? []) unsubscribe();
    this.innerSubscriptions.delete(topic);
  }

  private subscribeInner(topic: string): void {
    if (this.innerSubscriptions.has(topic)) return;
    this.innerSubscriptions.set(
      topic,
      this.inner.map((source) => source.subscribe(topic, (data, from) => this.relay(source, topic, data, from))),
    );
  }

  /** Delivers a payload received on `source` locally and forwards it to the other inner transports, once per content. */
  private relay(source: Transport, topic: string, data: Uint8Array, from: string | undefined): void {
    if (this.state === 'stopped') return;
    if (!this.isNew(topic, data)) {
      this.relayCounters.duplicates++;
      return;
    }
    this.deliver(topic, data, from);
    for (const target of this.inner) {
      if (target === source) continue;
      if (target.state !== 'connected') {
        this.forwardFailed();
        continue;
      }
      this.relayCounters.forwarded++;
      target.publish(topic, data).catch(() => this.forwardFailed());
    }
  }

  private forwardFailed(): void {
    this.relayCounters.forwardFailures++;
    this.countDropped();
  }

  /** Records the hash of `topic` and the payload; false when it was already known (then it becomes the most recent). */
  private isNew(topic: string, data: Uint8Array): boolean {
    // The topic is hashed too: the same bytes on another topic are another message.
    const hash = createHash('sha256').update(topic).update('\u0000').update(data).digest('binary');
    const known = this.seen.delete(hash);
    this.seen.set(hash, true);
    if (this.seen.size > this.maxSeenPayloads) this.seen.delete(this.seen.keys().next().value as string);
    return !known;
  }

  private updateState(reason: string): void {
    if (this.inner.some((t) => t.state === 'connected')) this.markConnected();
    else this.markDisconnected(reason);
  }

  private async releaseInner(): Promise<void> {
    for (const stop of this.stopListening.splice(0)) stop();
    for (const unsubscribes of this.innerSubscriptions.values()) for (const unsubscribe of unsubscribes) unsubscribe();
    this.innerSubscriptions.clear();
    await Promise.allSettled(this.inner.map((t) => t.stop()));
  }
}
