/**
 * A node's event seam: every event a node logs (one JSON line each, see `EventLog`) also reaches
 * live subscribers (the operator API's WebSocket stream, its metrics); bulky or high-rate events
 * (per-DER telemetry, whole plans, solve times) go to subscribers only, so the log stays as it was.
 */
import type { EventLog } from './runtime.js';

/** One event: `event` names its kind (`commit`, `block`, `interval`, `plan`, `telemetry`, …). */
export type NodeEvent = Record<string, unknown>;

/** Called with each event; must not throw (a throwing subscriber is dropped from that event only). */
export type EventListener = (event: NodeEvent) => void;

/** Fan-out of a node's events to its log and to subscribers. */
export class EventFeed {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly sink: EventLog) {}

  /** Writes `event` to the node's log and hands it to every subscriber. */
  readonly log: EventLog = (event) => {
    this.sink(event);
    this.stream(event);
  };

  /** Whether anyone listens (callers skip building stream-only events otherwise). */
  get live(): boolean {
    return this.listeners.size > 0;
  }

  /** Hands `event` to subscribers only (not logged). */
  stream(event: NodeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure (a closed socket, a bad metric label) must never stop the node.
      }
    }
  }

  /** Adds a subscriber; returns its unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
