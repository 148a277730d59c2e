/**
 * The seam between the protocol and the wire: a publish/subscribe transport carrying opaque byte
 * payloads on plain string topics. Signing, encoding and replay protection live above this layer;
 * a transport only moves bytes and reports its connection state.
 */

/** Stable codes carried by {@link TransportError}. */
export type TransportErrorCode =
  | 'VPP_ERR_TRANSPORT_CONFIG'
  | 'VPP_ERR_TRANSPORT_BAD_TOPIC'
  | 'VPP_ERR_TRANSPORT_NOT_STARTED'
  | 'VPP_ERR_TRANSPORT_STOPPED'
  | 'VPP_ERR_TRANSPORT_START_FAILED'
  | 'VPP_ERR_TRANSPORT_DISCONNECTED'
  | 'VPP_ERR_TRANSPORT_PAYLOAD_TOO_LARGE'
  | 'VPP_ERR_TRANSPORT_PUBLISH_FAILED';

/** Every error a transport throws or rejects with; `code` is stable, the message names the transport. */
export class TransportError extends Error {
  /** Stable machine-readable code, e.g. `VPP_ERR_TRANSPORT_DISCONNECTED`. */
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
  }
}

/** Lifecycle of a transport: `idle` before start, `stopped` after stop (terminal). */
export type TransportState = 'idle' | 'connected' | 'disconnected' | 'stopped';

/** Connection-state changes and handler failures, in the order they happen. */
export type TransportEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnected' }
  | { type: 'handler-error'; topic: string; error: unknown };

/** Monotonic counters since construction (message counts, not bytes). */
export interface TransportStats {
  /** Payloads accepted by publish(). */
  published: number;
  /** Payloads handed to local handlers (one per handler call). */
  delivered: number;
  /** Payloads refused by publish() (disconnected, too large) or lost on an injected faulty link. */
  dropped: number;
  /** Handler calls that threw; the transport carried on. */
  handlerErrors: number;
  /** Transitions into `connected` (the first connect included). */
  connects: number;
  /** Transitions from `connected` to `disconnected`. */
  disconnects: number;
  /** Transitions from `disconnected` back to `connected`. */
  reconnects: number;
}

/** Receives one payload; `from` is the transport-specific sender id (unauthenticated: verify the envelope). */
export type MessageHandler = (data: Uint8Array, from?: string) => void;

/**
 * A publish/subscribe transport. A transport never delivers its own publications to itself.
 * Delivery is at most once: nothing is retried or buffered while disconnected.
 */
export interface Transport {
  /** Human-readable name of this endpoint (unique on a memory hub; logged and used as `from` there). */
  readonly name: string;
  /** Current connection state. */
  readonly state: TransportState;
  /** Connects (or joins); resolves once publish() may be called. */
  start(): Promise<void>;
  /** Leaves and releases everything; afterwards the transport cannot be started again. */
  stop(): Promise<void>;
  /** Sends `data` to every other subscriber of `topic`; rejects with a {@link TransportError} when refused. */
  publish(topic: string, data: Uint8Array): Promise<void>;
  /** Registers `handler` for `topic`; returns the function that unregisters it. A throwing handler is counted, not fatal. */
  subscribe(topic: string, handler: MessageHandler): () => void;
  /** Listens for connection-state changes and handler errors; returns the function that stops listening. */
  onEvent(listener: (event: TransportEvent) => void): () => void;
  /** A snapshot of the counters. */
  stats(): TransportStats;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
/** What a topic looks like (see {@link assertTopic}). */
export const TOPIC_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Checks a network id (one token of letters, digits, `_`, `-`); throws VPP_ERR_TRANSPORT_CONFIG naming `field`. */
export function assertNetworkId(network: unknown, field: string): asserts network is string {
  if (typeof network !== 'string' || !TOKEN.test(network)) {
    throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `${field}: expected a network id of letters, digits, '_' or '-', got ${JSON.stringify(network)}`);
  }
}

/**
 * Checks a topic: dot-separated tokens of letters, digits, `_`, `-` (no NATS wildcards), so every
 * implementation can map it to its own naming without escaping. Throws VPP_ERR_TRANSPORT_BAD_TOPIC.
 */
export function assertTopic(topic: unknown, transportName: string): asserts topic is string {
  if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic)) {
    throw new TransportError(
      'VPP_ERR_TRANSPORT_BAD_TOPIC',
      `transport ${transportName}: topic ${JSON.stringify(topic)} must be dot-separated tokens of letters, digits, '_' or '-'`,
    );
  }
}
