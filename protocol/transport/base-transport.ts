import {
  assertNetworkId,
  assertTopic,
  TransportError,
  type MessageHandler,
  type Transport,
  type TransportEvent,
  type TransportState,
  type TransportStats,
} from './transport.js';

/** Default largest payload publish() accepts, in bytes (NATS's default max_payload). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Options every implementation takes. */
export interface BaseTransportOptions {
  /** Endpoint name (see {@link Transport.name}). */
  name: string;
  /** Network id; topics of different networks never meet. */
  network: string;
  /** Largest payload publish() accepts, bytes; default {@link DEFAULT_MAX_PAYLOAD_BYTES}. */
  maxPayloadBytes?: number;
}

interface HandlerEntry {
  readonly handler: MessageHandler;
}

/**
 * The part every implementation shares: handler registry, safe dispatch, lifecycle, counters and
 * events. A subclass supplies the wire (`open`, `close`, `send`, `openTopic`, `closeTopic`), calls
 * `deliver` for each inbound payload and `markConnected`/`markDisconnected` on link changes.
 */
export abstract class BaseTransport implements Transport {
  /** See {@link Transport.name}. */
  readonly name: string;
  /** Network id given at construction. */
  readonly network: string;
  /** Largest payload publish() accepts, bytes. */
  readonly maxPayloadBytes: number;

  private currentState: TransportState = 'idle';
  private running = false;
  private everConnected = false;
  private readonly handlers = new Map<string, Set<HandlerEntry>>();
  private readonly listeners = new Set<(event: TransportEvent) => void>();
  private readonly counters: TransportStats = {
    published: 0,
    delivered: 0,
    dropped: 0,
    handlerErrors: 0,
    connects: 0,
    disconnects: 0,
    reconnects: 0,
  };

  protected constructor(options: BaseTransportOptions) {
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport name: expected a non-empty string, got ${JSON.stringify(options.name)}`);
    }
    assertNetworkId(options.network, `transport ${options.name}: network`);
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: maxPayloadBytes must be a positive integer, got ${maxPayloadBytes}`);
    }
    this.name = options.name;
    this.network = options.network;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** Connects the wire; must call markConnected() or markDisconnected() before resolving. */
  protected abstract open(): Promise<void>;
  /** Releases the wire; called once, after the state is already `stopped`. */
  protected abstract close(): Promise<void>;
  /** Puts one already-checked payload on the wire. */
  protected abstract send(topic: string, data: Uint8Array): Promise<void>;
  /** Starts receiving `topic` (its first local handler arrived, or start() with handlers registered). */
  protected abstract openTopic(topic: string): void;
  /** Stops receiving `topic` (its last local handler left). */
  protected abstract closeTopic(topic: string): void;

  /** See {@link Transport.state}. */
  get state(): TransportState {
    return this.currentState;
  }

  /** See {@link Transport.start}. Starting twice is a no-op; starting after stop() rejects. */
  async start(): Promise<void> {
    if (this.currentState === 'stopped') throw this.stoppedError();
    if (this.running) return;
    try {
      await this.open();
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError('VPP_ERR_TRANSPORT_START_FAILED', `transport ${this.name}: start failed: ${String(error)}`, { cause: error });
    }
    this.running = true;
    for (const topic of this.handlers.keys()) this.openTopic(topic);
  }

  /** See {@link Transport.stop}. Idempotent. */
  async stop(): Promise<void> {
    if (this.currentState === 'stopped') return;
    const wasRunning = this.running;
    this.currentState = 'stopped';
    this.running = false;
    this.handlers.clear();
    this.listeners.clear();
    if (wasRunning) await this.close();
  }

  /** See {@link Transport.publish}. */
  async publish(topic: string, data: Uint8Array): Promise<void> {
    assertTopic(topic, this.name);
    if (this.currentState === 'stopped') throw this.stoppedError();
    if (!this.running) {
      throw new TransportError('VPP_ERR_TRANSPORT_NOT_STARTED', `transport ${this.name}: publish on ${topic} before start()`);
    }
    if (data.byteLength > this.maxPayloadBytes) {
      this.counters.dropped++;
      throw new TransportError(
        'VPP_ERR_TRANSPORT_PAYLOAD_TOO_LARGE',
        `transport ${this.name}: payload of ${data.byteLength} bytes on ${topic} exceeds maxPayloadBytes ${this.maxPayloadBytes}`,
      );
    }
    if (this.currentState === 'disconnected') {
      // Refused rather than queued: the protocol above tolerates loss, and a queue would grow without bound.
      this.counters.dropped++;
      throw new TransportError('VPP_ERR_TRANSPORT_DISCONNECTED', `transport ${this.name}: disconnected, payload on ${topic} not sent`);
    }
    try {
      await this.send(topic, data);
    } catch (error) {
      this.counters.dropped++;
      if (error instanceof TransportError) throw error;
      throw new TransportError('VPP_ERR_TRANSPORT_PUBLISH_FAILED', `transport ${this.name}: publish on ${topic} failed: ${String(error)}`, { cause: error });
    }
    this.counters.published++;
  }

  /** See {@link Transport.subscribe}. Subscribing the same function twice registers it twice. */
  subscribe(topic: string, handler: MessageHandler): () => void {
    assertTopic(topic, this.name);
    if (this.currentState === 'stopped') throw this.stoppedError();
    let entries = this.handlers.get(topic);
    if (entries === undefined) {
      entries = new Set();
      this.handlers.set(topic, entries);
      if (this.running) this.openTopic(topic);
    }
    const entry: HandlerEntry = { handler };
    entries.add(entry);
    const set = entries;
    return () => {
      if (!set.delete(entry) || set.size > 0 || this.handlers.get(topic) !== set) return;
      this.handlers.delete(topic);
      if (this.running) this.closeTopic(topic);
    };
  }

  /** See {@link Transport.onEvent}. */
  onEvent(listener: (event: TransportEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** See {@link Transport.stats}. */
  stats(): TransportStats {
    return { ...this.counters };
  }

  /** True while at least one local handler is registered for `topic`. */
  protected isSubscribed(topic: string): boolean {
    return this.handlers.has(topic);
  }

  /** Hands an inbound payload to every handler of `topic`; a throwing handler is counted and reported. */
  protected deliver(topic: string, data: Uint8Array, from?: string): void {
    const entries = this.handlers.get(topic);
    if (entries === undefined) return;
    for (const entry of [...entries]) {
      // A handler may unsubscribe another one of the same topic while we iterate.
      if (!entries.has(entry)) continue;
      try {
        entry.handler(data, from);
        this.counters.delivered++;
      } catch (error) {
        this.counters.handlerErrors++;
        this.emit({ type: 'handler-error', topic, error });
      }
    }
  }

  /** Counts a payload lost on the way in (e.g. an injected link loss). */
  protected countDropped(): void {
    this.counters.dropped++;
  }

  /** Records that the wire is up; emits `connected` the first time and `reconnected` after a disconnect. */
  protected markConnected(): void {
    if (this.currentState === 'stopped' || this.currentState === 'connected') return;
    const isReconnect = this.everConnected && this.currentState === 'disconnected';
    this.currentState = 'connected';
    this.everConnected = true;
    this.counters.connects++;
    if (isReconnect) {
      this.counters.reconnects++;
      this.emit({ type: 'reconnected' });
    } else {
      this.emit({ type: 'connected' });
    }
  }

  /** Records that the wire is down; emits `disconnected` when it was up. */
  protected markDisconnected(reason: string): void {
    if (this.currentState === 'stopped' || this.currentState === 'disconnected') return;
    const wasConnected = this.currentState === 'connected';
    this.currentState = 'disconnected';
    if (wasConnected) {
      this.counters.disconnects++;
      this.emit({ type: 'disconnected', reason });
    }
  }

  private emit(event: TransportEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop the transport; it is counted like a faulty handler.
        this.counters.handlerErrors++;
      }
    }
  }

  private stoppedError(): TransportError {
    return new TransportError('VPP_ERR_TRANSPORT_STOPPED', `transport ${this.name}: already stopped`);
  }
}
