/**
 * The live stream: a WebSocket that gets a `hello` with the node's status, then every event of the
 * node's feed as one JSON message (`commit`, `block`, `plan`, `telemetry`, `interval`, …). Each
 * event is serialised once for all clients; a client that falls behind loses messages instead of
 * growing the node's memory.
 */
import type { WebSocket } from 'ws';
import type { EventFeed } from '../../nodes/event-feed.js';
import type { NodeMetrics } from '../metrics.js';
import { errorResponses, StreamQuery } from '../schemas.js';
import type { ApiApp } from '../server.js';
import type { ApiSource } from '../source.js';

/** Bytes queued for one client beyond which its messages are dropped. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Clients at once; more are refused (close code 1013, try again later). */
const MAX_CLIENTS = 1_000;

/** The stream's clients. */
export interface StreamHub {
  readonly clients: number;
  /** Messages not sent to a client that was too far behind. */
  readonly dropped: number;
  close(): void;
}

/** Registers `/api/stream`, fed by `deps.feed`; returns its client set. */
export function registerStreamRoute(app: ApiApp, deps: { feed?: EventFeed; source?: ApiSource; metrics: NodeMetrics }): StreamHub {
  const sockets = new Set<WebSocket>();
  let dropped = 0;
  const unsubscribe =
    deps.feed?.subscribe((event) => {
      if (sockets.size === 0) return;
      const text = JSON.stringify({ t: new Date().toISOString(), ...event });
      for (const socket of sockets) {
        if (socket.readyState !== socket.OPEN) continue;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) dropped++;
        else socket.send(text);
      }
    }) ?? (() => {});
  app.get(
    '/api/stream',
    {
      websocket: true,
      // @fastify/websocket hides its routes from the OpenAPI document; this one is part of the API.
      config: { tokenInQuery: true, swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, hide: false }, url }) },
      schema: { tags: ['stream'], summary: 'WebSocket: live telemetry, plans, commits and blocks as JSON messages', querystring: StreamQuery, response: { ...errorResponses } },
    },
    (socket) => {
      if (sockets.size >= MAX_CLIENTS) {
        socket.close(1013, 'too many stream clients');
        return;
      }
      sockets.add(socket);
      deps.metrics.streamClients.set(sockets.size);
      socket.send(JSON.stringify({ t: new Date().toISOString(), event: 'hello', ...(deps.source ? { status: deps.source.status() } : {}) }));
      // Clients only listen; anything they send is ignored.
      socket.on('message', () => {});
      socket.on('error', () => socket.terminate());
      socket.on('close', () => {
        sockets.delete(socket);
        deps.metrics.streamClients.set(sockets.size);
      });
    },
  );
  return {
    get clients() {
      return sockets.size;
    },
    get dropped() {
      return dropped;
    },
    close() {
      unsubscribe();
      for (const socket of sockets) socket.terminate();
    },
  };
}
