import { connect, Events, headers, type NatsConnection, type Subscription } from 'nats';
import { BaseTransport, type BaseTransportOptions } from './base-transport.js';
import { TransportError } from './transport.js';

/** Header carrying the sender's transport name (informational only: not authenticated). */
const FROM_HEADER = 'vpp-from';

/** Options of a {@link NatsTransport}. */
export interface NatsTransportOptions extends BaseTransportOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Wait between reconnect attempts, ms; default 500. Reconnection is retried forever. */
  reconnectWaitMs?: number;
  /** Time allowed for the first connection, ms; default 5000. start() rejects after it. */
  connectTimeoutMs?: number;
  /** Client ping interval, ms; a silent server is declared lost after two missed pongs. Default 10000. */
  pingIntervalMs?: number;
}

/**
 * A transport over NATS core pub/sub: topic `t` of network `n` is subject `vpp.n.t`. Reconnects
 * forever, re-subscribing on its own; while disconnected, publish() refuses instead of buffering
 * (the client's own buffer is discarded on every reconnect attempt anyway).
 */
export class NatsTransport extends BaseTransport {
  private readonly servers: string[];
  private readonly reconnectWaitMs: number;
  private readonly connectTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private connection: NatsConnection | undefined;
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(options: NatsTransportOptions) {
    super(options);
    const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
    if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: servers: expected one or more server URLs`);
    }
    this.servers = servers;
    this.reconnectWaitMs = positive(options.reconnectWaitMs ?? 500, options.name, 'reconnectWaitMs');
    this.connectTimeoutMs = positive(options.connectTimeoutMs ?? 5000, options.name, 'connectTimeoutMs');
    this.pingIntervalMs = positive(options.pingIntervalMs ?? 10_000, options.name, 'pingIntervalMs');
  }

  /** Resolves once the server has processed everything sent so far (subscriptions included). */
  async flush(): Promise<void> {
    if (this.connection === undefined || this.state !== 'connected') {
      throw new TransportError('VPP_ERR_TRANSPORT_DISCONNECTED', `transport ${this.name}: flush while not connected`);
    }
    await this.connection.flush();
  }

  protected async open(): Promise<void> {
    const connection = await connect({
      servers: this.servers,
      name: this.name,
      noEcho: true,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.reconnectWaitMs,
      reconnectJitter: Math.min(100, this.reconnectWaitMs),
      timeout: this.connectTimeoutMs,
      pingInterval: this.pingIntervalMs,
      maxPingOut: 2,
    });
    this.connection = connection;
    this.markConnected();
    void this.watch(connection);
  }

  protected async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.subscriptions.clear();
    if (connection !== undefined && !connection.isClosed()) await connection.close();
  }

  protected async send(topic: string, data: Uint8Array): Promise<void> {
    const connection = this.requireConnection();
    const h = headers();
    h.set(FROM_HEADER, this.name);
    connection.publish(this.subject(topic), data, { headers: h });
  }

  protected openTopic(topic: string): void {
    const subscription = this.requireConnection().subscribe(this.subject(topic), {
      callback: (error, message) => {
        // The client reports permission and slow-consumer errors here; there is no payload to deliver.
        if (error !== null) return;
        this.deliver(topic, message.data, message.headers?.get(FROM_HEADER) || undefined);
      },
    });
    this.subscriptions.set(topic, subscription);
  }

  protected closeTopic(topic: string): void {
    this.subscriptions.get(topic)?.unsubscribe();
    this.subscriptions.delete(topic);
  }

  private subject(topic: string): string {
    return `vpp.${this.network}.${topic}`;
  }

  private requireConnection(): NatsConnection {
    if (this.connection === undefined) {
      throw new TransportError('VPP_ERR_TRANSPORT_NOT_STARTED', `transport ${this.name}: no NATS connection`);
    }
    return this.connection;
  }

  private async watch(connection: NatsConnection): Promise<void> {
    void connection.closed().then((error) => {
      this.markDisconnected(error ? `connection closed: ${error.message}` : 'connection closed');
    });
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) this.markDisconnected(`lost server ${String(status.data)}`);
      else if (status.type === Events.Reconnect) this.markConnected();
    }
  }
}

function positive(value: number, name: string, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${name}: ${field} must be a positive number of ms, got ${value}`);
  }
  return value;
}
