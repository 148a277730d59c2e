// The polyfill must be evaluated before any libp2p module (Node 20 lacks Promise.withResolvers).
import './promise-with-resolvers.js';
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import type { Message, PubSub } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { BaseTransport, type BaseTransportOptions } from './base-transport.js';
import { TransportError } from './transport.js';

/** Options of a {@link Libp2pTransport}. */
export interface Libp2pTransportOptions extends BaseTransportOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** TCP port to listen on; 0 (default) picks a free one. */
  listenPort?: number;
  /** Multiaddrs (with `/p2p/<peer id>`) dialled at start and redialled while not connected. */
  bootstrap?: string[];
  /** Wait between redials of unconnected bootstrap peers, ms; default 1000. */
  redialIntervalMs?: number;
}

type Node = Libp2p<{ identify: Identify; pubsub: PubSub<GossipsubEvents> }>;

/**
 * A transport over libp2p (TCP + noise + yamux) and gossipsub: topic `t` of network `n` is
 * gossipsub topic `/vpp/n/t`. Connected while at least one peer is; `from` is the sender's peer id.
 * Gossipsub is tuned for a small private network: flood publish, publishing to zero peers allowed.
 */
export class Libp2pTransport extends BaseTransport {
  private readonly host: string;
  private readonly listenPort: number;
  private readonly bootstrap: Multiaddr[];
  private readonly redialIntervalMs: number;
  private node: Node | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private readonly peers = new Set<string>();

  constructor(options: Libp2pTransportOptions) {
    super(options);
    this.host = options.host ?? '127.0.0.1';
    this.listenPort = options.listenPort ?? 0;
    if (!Number.isInteger(this.listenPort) || this.listenPort < 0 || this.listenPort > 65535) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: listenPort must be an integer in 0..65535, got ${options.listenPort}`);
    }
    this.bootstrap = (options.bootstrap ?? []).map((address, i) => {
      try {
        const parsed = multiaddr(address);
        if (parsed.getPeerId() === null) throw new Error('no /p2p/<peer id> component');
        return parsed;
      } catch (error) {
        throw new TransportError(
          'VPP_ERR_TRANSPORT_CONFIG',
          `transport ${options.name}: bootstrap[${i}] ${JSON.stringify(address)} is not a multiaddr with a peer id (${String(error)})`,
        );
      }
    });
    this.redialIntervalMs = options.redialIntervalMs ?? 1000;
    if (!Number.isFinite(this.redialIntervalMs) || this.redialIntervalMs <= 0) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: redialIntervalMs must be a positive number of ms`);
    }
  }

  /** This node's peer id (after start). */
  get peerId(): string {
    return this.requireNode().peerId.toString();
  }

  /** Addresses others can bootstrap from, each ending in `/p2p/<peer id>` (after start). */
  listenAddrs(): string[] {
    return this.requireNode()
      .getMultiaddrs()
      .map((address) => address.toString());
  }

  /** Peer ids of the peers this node has a connection to. */
  connectedPeers(): string[] {
    return [...this.peers];
  }

  /** Peer ids of directly connected peers this node knows to be subscribed to `topic`. */
  topicPeers(topic: string): string[] {
    return this.requireNode()
      .services.pubsub.getSubscribers(this.gossipTopic(topic))
      .map((peer) => peer.toString());
  }

  /** Peer ids in this node's gossipsub mesh for `topic` (the peers it forwards `topic` to). */
  meshPeers(topic: string): string[] {
    const pubsub = this.requireNode().services.pubsub as PubSub<GossipsubEvents> & { getMeshPeers(topic: string): string[] };
    return pubsub.getMeshPeers(this.gossipTopic(topic));
  }

  protected async open(): Promise<void> {
    const node: Node = await createLibp2p({
      addresses: { listen: [`/ip4/${this.host}/tcp/${this.listenPort}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          floodPublish: true,
          // Nodes of one private network often share an address (one host, a NAT, loopback in
          // tests); gossipsub's default penalty for that graylists every peer beyond the tenth.
          scoreParams: { IPColocationFactorWeight: 0 },
          // Room for the largest payload plus gossipsub's own framing and signature.
          maxInboundDataLength: this.maxPayloadBytes + 64 * 1024,
        }),
      },
    });
    this.node = node;
    node.addEventListener('peer:connect', (event) => {
      this.peers.add(event.detail.toString());
      this.markConnected();
    });
    node.addEventListener('peer:disconnect', (event) => {
      this.peers.delete(event.detail.toString());
      if (this.peers.size === 0) this.markDisconnected('no connected peers');
    });
    node.services.pubsub.addEventListener('message', (event) => this.onMessage(event.detail));
    this.markDisconnected('no connected peers');
    await this.dialBootstrap();
    this.redialTimer = setInterval(() => void this.dialBootstrap(), this.redialIntervalMs);
    this.redialTimer.unref();
  }

  protected async close(): Promise<void> {
    clearInterval(this.redialTimer);
    this.redialTimer = undefined;
    const node = this.node;
    this.node = undefined;
    this.peers.clear();
    await node?.stop();
  }

  protected async send(topic: string, data: Uint8Array): Promise<void> {
    await this.requireNode().services.pubsub.publish(this.gossipTopic(topic), data);
  }

  protected openTopic(topic: string): void {
    this.requireNode().services.pubsub.subscribe(this.gossipTopic(topic));
  }

  protected closeTopic(topic: string): void {
    this.requireNode().services.pubsub.unsubscribe(this.gossipTopic(topic));
  }

  private onMessage(message: Message): void {
    const prefix = `/vpp/${this.network}/`;
    if (!message.topic.startsWith(prefix)) return;
    this.deliver(message.topic.slice(prefix.length), message.data, message.type === 'signed' ? message.from.toString() : undefined);
  }

  private async dialBootstrap(): Promise<void> {
    const node = this.node;
    if (node === undefined) return;
    const self = node.peerId.toString();
    await Promise.all(
      this.bootstrap.map(async (address) => {
        const peer = address.getPeerId();
        if (peer === null || peer === self || this.peers.has(peer)) return;
        try {
          await node.dial(address, { signal: AbortSignal.timeout(this.redialIntervalMs * 5) });
        } catch {
          // An unreachable bootstrap peer is retried on the next tick; the state already says disconnected.
        }
      }),
    );
  }

  private gossipTopic(topic: string): string {
    return `/vpp/${this.network}/${topic}`;
  }

  private requireNode(): Node {
    if (this.node === undefined) {
      throw new TransportError('VPP_ERR_TRANSPORT_NOT_STARTED', `transport ${this.name}: libp2p node not started`);
    }
    return this.node;
  }
}
