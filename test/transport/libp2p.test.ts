import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTransport, TransportError, type Transport } from '../../protocol/transport/index.js';
import { Libp2pTransport } from '../../protocol/transport/libp2p.js';
import { runTransportCompliance, waitFor, type ComplianceCluster } from './compliance.js';

describe('libp2p transport', { timeout: 45_000 }, () => {
  const transports: Libp2pTransport[] = [];
  let bootstrap: string[] = [];
  let spawned = 0;
  let cluster: ComplianceCluster;

  const startOne = async (name: string): Promise<Libp2pTransport> => {
    const transport = await createTransport({ kind: 'libp2p', name, network: 'test', listenPort: 0, bootstrap, redialIntervalMs: 200 });
    assert.ok(transport instanceof Libp2pTransport);
    await transport.start();
    transports.push(transport);
    return transport;
  };

  /**
   * Waits until each subscriber's neighbours know it subscribed to `topic` (gossipsub tells only
   * directly connected peers, asynchronously). The publisher, node 0, is every node's neighbour.
   */
  const settle = async (topic: string, subscribers: Transport[]): Promise<void> => {
    const live = transports.filter((t) => t.state !== 'stopped');
    await waitFor(
      () =>
        subscribers.every((s) => {
          const id = (s as Libp2pTransport).peerId;
          return live.every((t) => t === s || !t.connectedPeers().includes(id) || t.topicPeers(topic).includes(id));
        }),
      `subscriptions to ${topic} to propagate`,
      10_000,
    );
  };

  before(async () => {
    const first = await startOne('n0');
    bootstrap = first.listenAddrs();
    for (const name of ['n1', 'n2', 'n3']) await startOne(name);
    await waitFor(() => transports.every((t) => t.state === 'connected'), 'all four nodes connected', 10_000);
    cluster = { transports: transports.slice(0, 4), settle, spawn: () => startOne(`spawned-${spawned++}`) };
  });
  after(async () => {
    await Promise.all(transports.map((t) => t.stop()));
  });

  it('listens on a free loopback port and advertises a dialable address with its peer id', () => {
    for (const t of transports.slice(0, 4)) {
      const addresses = t.listenAddrs();
      assert.ok(addresses.length > 0);
      for (const address of addresses) assert.match(address, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/[1-9]\\d*/p2p/${t.peerId}$`));
    }
    assert.equal(new Set(transports.map((t) => t.peerId)).size, transports.length);
  });

  describe('compliance', () => {
    runTransportCompliance(() => cluster);
  });

  it('relays through a subscribed hub to a peer the publisher has no connection to', async () => {
    const [hub, publisher, receiver] = transports;
    assert.ok(!publisher.connectedPeers().includes(receiver.peerId), 'the bootstrap topology should be a star');
    const got: Array<string | undefined> = [];
    hub.subscribe('relay.data', () => {});
    receiver.subscribe('relay.data', (_data, from) => got.push(from));
    await waitFor(() => hub.meshPeers('relay.data').includes(receiver.peerId) && publisher.topicPeers('relay.data').includes(hub.peerId), 'the mesh to form', 10_000);
    await publisher.publish('relay.data', new Uint8Array([1, 2, 3]));
    await waitFor(() => got.length === 1, 'the relayed message');
    assert.deepEqual(got, [publisher.peerId]);
  });

  it('rejects a bootstrap address without a peer id, naming it', () => {
    assert.throws(
      () => new Libp2pTransport({ name: 'bad', network: 'test', bootstrap: ['/ip4/127.0.0.1/tcp/1'] }),
      (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_CONFIG' && /bootstrap\[0\]/.test(e.message),
    );
  });

  it('goes from disconnected to reconnected when its only peer leaves and a new one dials in', async () => {
    const lonely = new Libp2pTransport({ name: 'lonely', network: 'test' });
    await lonely.start();
    transports.push(lonely);
    assert.equal(lonely.state, 'disconnected');
    await assert.rejects(lonely.publish('x', new Uint8Array(1)), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_DISCONNECTED');
    const friendOptions = { network: 'test', bootstrap: lonely.listenAddrs(), redialIntervalMs: 200 };
    const friend = new Libp2pTransport({ name: 'friend', ...friendOptions });
    await friend.start();
    transports.push(friend);
    await waitFor(() => lonely.state === 'connected', 'the first peer');
    await friend.stop();
    await waitFor(() => lonely.state === 'disconnected', 'the peer to leave');
    const second = new Libp2pTransport({ name: 'second', ...friendOptions });
    await second.start();
    transports.push(second);
    await waitFor(() => lonely.state === 'connected', 'a new peer');
    assert.deepEqual(
      { connects: lonely.stats().connects, disconnects: lonely.stats().disconnects, reconnects: lonely.stats().reconnects },
      { connects: 2, disconnects: 1, reconnects: 1 },
    );
  });
});
