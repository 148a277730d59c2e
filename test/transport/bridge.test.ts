import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { BridgeTransport } from '../../protocol/transport/bridge.js';
import { createTransport, MemoryHub, MemoryTransport, parseTransportConfig, TransportError, type Transport } from '../../protocol/transport/index.js';
import { Libp2pTransport } from '../../protocol/transport/libp2p.js';
import { NatsTransport } from '../../protocol/transport/nats.js';
import { assertAgreement } from '../round/assert-agreement.js';
import { startCluster } from '../round/round-helpers.js';
import { record, runTransportCompliance, waitFor, type ComplianceCluster } from './compliance.js';
import { freePort, killProcess, startNatsServer } from './net-helpers.js';

const NETWORK = 'bridge-test';

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function texts(received: { data: Uint8Array }[]): string[] {
  return received.map((r) => new TextDecoder().decode(r.data));
}

/** Lets in-flight deliveries land, so a count that should stay put has had the chance to grow. */
async function quiet(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A bridge named `name` over one member of each hub (named `<name>.<hub index>`). */
function memoryBridge(name: string, hubs: MemoryHub[], options: { maxSeenPayloads?: number } = {}): BridgeTransport {
  const transports = hubs.map((hub, i) => new MemoryTransport({ name: `${name}.${i}`, network: NETWORK, hub }));
  return new BridgeTransport({ name, network: NETWORK, transports, ...options });
}

describe('bridge transport: compliance, every member bridged over two memory hubs', () => {
  const hubs = [new MemoryHub({ seed: 1 }), new MemoryHub({ seed: 2 })];
  const bridges: BridgeTransport[] = [];
  let spawned = 0;
  const startOne = async (name: string): Promise<BridgeTransport> => {
    const bridge = memoryBridge(name, hubs);
    await bridge.start();
    bridges.push(bridge);
    return bridge;
  };
  let cluster: ComplianceCluster;

  before(async () => {
    for (const name of ['a', 'b', 'c']) await startOne(name);
    cluster = { transports: bridges.slice(0, 3), settle: async () => {}, spawn: () => startOne(`spawned-${spawned++}`) };
  });
  after(async () => {
    await Promise.all(bridges.map((b) => b.stop()));
  });

  runTransportCompliance(() => cluster);

  it('took every payload in on both hubs and suppressed every later copy', () => {
    const [, b] = bridges;
    const stats = b.bridgeStats();
    const received = Object.values(stats.inner).reduce((sum, s) => sum + s.delivered, 0);
    assert.ok(b.stats().delivered > 0);
    // Each payload came over both hubs (and again as other bridges' forwards): at least half are copies.
    assert.ok(2 * stats.duplicates >= received, `${stats.duplicates} duplicates of ${received} received`);
  });
});

describe('bridge transport: loops and memory bounds (memory hubs)', () => {
  const started: Transport[] = [];
  const start = async <T extends Transport>(transport: T): Promise<T> => {
    await transport.start();
    started.push(transport);
    return transport;
  };
  after(async () => {
    await Promise.all(started.map((t) => t.stop()));
  });

  it('two bridges between the same hubs never loop: one copy per bridge, none back to the publisher', async () => {
    const hubs = [new MemoryHub(), new MemoryHub()];
    const first = await start(memoryBridge('first', hubs));
    const second = await start(memoryBridge('second', hubs));
    const publisher = await start(new MemoryTransport({ name: 'publisher', network: NETWORK, hub: hubs[0] }));
    const listener = await start(new MemoryTransport({ name: 'listener', network: NETWORK, hub: hubs[1] }));
    const echo = record(publisher, 'loop.data');
    const atListener = record(listener, 'loop.data');
    const atFirst = record(first, 'loop.data');
    const atSecond = record(second, 'loop.data');
    for (let i = 0; i < 10; i++) await publisher.publish('loop.data', text(`m${i}`));
    await waitFor(() => atListener.received.length >= 20, 'one copy per bridge at the listener');
    await quiet(50);
    assert.equal(atListener.received.length, 20);
    assert.deepEqual(texts(atFirst.received), texts(atSecond.received));
    assert.equal(atFirst.received.length, 10);
    // Each bridge's forward reaches the other bridge on the far hub and stops there.
    assert.equal(echo.received.length, 0);
    for (const bridge of [first, second]) {
      const stats = bridge.bridgeStats();
      assert.equal(stats.forwarded, 10);
      assert.equal(stats.duplicates, 10);
      assert.equal(stats.forwardFailures, 0);
    }
  });

  it('remembers at most maxSeenPayloads hashes, least recently seen out first', async () => {
    const hubs = [new MemoryHub(), new MemoryHub()];
    const bridge = await start(memoryBridge('small', hubs, { maxSeenPayloads: 2 }));
    const sender = await start(new MemoryTransport({ name: 'sender', network: NETWORK, hub: hubs[0] }));
    const got = record(bridge, 'lru.data');
    const sendAll = async (words: string[]) => {
      for (const w of words) await sender.publish('lru.data', text(w));
      await quiet(10);
    };
    await sendAll(['x', 'y', 'x']);
    assert.deepEqual(texts(got.received), ['x', 'y']);
    // Seen order is now y, x; z evicts y, w evicts x.
    await sendAll(['z', 'w', 'x', 'w']);
    assert.deepEqual(texts(got.received), ['x', 'y', 'z', 'w', 'x']);
    assert.equal(bridge.bridgeStats().duplicates, 2);
  });

  it('relays forwardTopics without a local handler, and stops relaying a topic its last handler left', async () => {
    const hubs = [new MemoryHub(), new MemoryHub()];
    const transports = hubs.map((hub, i) => new MemoryTransport({ name: `relay.${i}`, network: NETWORK, hub }));
    const bridge = await start(new BridgeTransport({ name: 'relay', network: NETWORK, transports, forwardTopics: ['only.relayed'] }));
    const left = await start(new MemoryTransport({ name: 'left', network: NETWORK, hub: hubs[0] }));
    const right = await start(new MemoryTransport({ name: 'right', network: NETWORK, hub: hubs[1] }));
    const relayed = record(right, 'only.relayed');
    const consumed = record(right, 'consumed');
    const local = record(bridge, 'consumed');
    await left.publish('only.relayed', text('r1'));
    await left.publish('consumed', text('c1'));
    await waitFor(() => relayed.received.length === 1 && consumed.received.length === 1, 'both topics across');
    assert.deepEqual(texts(local.received), ['c1']);
    assert.equal(bridge.stats().delivered, 1);
    local.unsubscribe();
    await left.publish('consumed', text('c2'));
    await left.publish('only.relayed', text('r2'));
    await waitFor(() => relayed.received.length === 2, 'the forward topic still relayed');
    await quiet(10);
    assert.deepEqual(texts(consumed.received), ['c1']);
    assert.equal(bridge.bridgeStats().forwarded, 3);
  });

  it('builds from config with default inner names and rejects bad configs naming the field', async () => {
    const hub = new MemoryHub();
    const config = parseTransportConfig(
      { kind: 'bridge', name: 'cfg', network: NETWORK, forwardTopics: ['offers.all'], transports: [{ kind: 'memory' }, { kind: 'libp2p', listenPort: 0 }] },
      'bridge.test',
    );
    const bridge = await createTransport(config, { hub });
    assert.ok(bridge instanceof BridgeTransport);
    assert.deepEqual(
      bridge.transports.map((t) => t.name),
      ['cfg.0.memory', 'cfg.1.libp2p'],
    );
    assert.throws(
      () => parseTransportConfig({ kind: 'bridge', name: 'cfg', network: NETWORK, transports: [{ kind: 'memory' }] }, 'node.yaml'),
      (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_CONFIG' && /node\.yaml/.test(e.message) && /transports/.test(e.message),
    );
    assert.throws(
      () => parseTransportConfig({ kind: 'bridge', name: 'cfg', network: NETWORK, forwardTopics: ['a.>'], transports: [{ kind: 'memory' }, { kind: 'memory' }] }, 'node.yaml'),
      (e: unknown) => e instanceof TransportError && /forwardTopics\.0/.test(e.message),
    );
    const twice = new MemoryTransport({ name: 'twice', network: NETWORK, hub });
    assert.throws(
      () => new BridgeTransport({ name: 'dup', network: NETWORK, transports: [twice, twice] }),
      (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_CONFIG' && /transports\[1\]/.test(e.message),
    );
  });
});

describe('bridge transport: NATS and libp2p through one bridging node', { timeout: 90_000 }, () => {
  let server: ChildProcess | undefined;
  let url = '';
  const started: Transport[] = [];

  const nats = (name: string): NatsTransport => new NatsTransport({ name, network: NETWORK, servers: url, reconnectWaitMs: 100, connectTimeoutMs: 2000 });
  const start = async <T extends Transport>(transport: T): Promise<T> => {
    await transport.start();
    started.push(transport);
    return transport;
  };
  /** Waits until two directly connected libp2p nodes each know the other subscribed to `topic`. */
  const settleGossip = (a: Libp2pTransport, b: Libp2pTransport, topic: string): Promise<void> =>
    waitFor(() => a.topicPeers(topic).includes(b.peerId) && b.topicPeers(topic).includes(a.peerId), `gossipsub subscriptions to ${topic}`, 10_000);

  let bridge: BridgeTransport;
  let bridgeNats: NatsTransport;
  let bridgeGossip: Libp2pTransport;
  let natsOnly: NatsTransport;
  let natsOther: NatsTransport;
  let gossipOnly: Libp2pTransport;

  before(async () => {
    const port = await freePort();
    server = await startNatsServer(port);
    url = `nats://127.0.0.1:${port}`;
    bridgeNats = nats('bridge.nats');
    bridgeGossip = new Libp2pTransport({ name: 'bridge.p2p', network: NETWORK });
    bridge = await start(new BridgeTransport({ name: 'bridge', network: NETWORK, transports: [bridgeNats, bridgeGossip], forwardTopics: ['relay.only'] }));
    natsOnly = await start(nats('nats-only'));
    natsOther = await start(nats('nats-other'));
    gossipOnly = await start(new Libp2pTransport({ name: 'gossip-only', network: NETWORK, bootstrap: bridgeGossip.listenAddrs(), redialIntervalMs: 200 }));
    await waitFor(() => gossipOnly.state === 'connected' && bridgeGossip.state === 'connected', 'the libp2p client to reach the bridge', 10_000);
  });
  after(async () => {
    await Promise.all(started.map((t) => t.stop()));
    if (server !== undefined) await killProcess(server);
  });

  describe('compliance (the bridge publishes, NATS clients subscribe)', () => {
    runTransportCompliance(() => ({
      transports: [bridge, natsOnly, natsOther],
      settle: async (_topic, subscribers) => {
        await Promise.all(subscribers.map((s) => (s === bridge ? bridgeNats : (s as NatsTransport)).flush()));
      },
      spawn: () => start(nats(`spawned-${started.length}`)),
    }));
  });

  it('carries messages both ways between a NATS-only and a libp2p-only client, each exactly once, without echoes', async () => {
    const topic = 'relay.both';
    const atNats = record(natsOnly, topic);
    const atOtherNats = record(natsOther, topic);
    const atGossip = record(gossipOnly, topic);
    const atBridge = record(bridge, topic);
    await Promise.all([natsOnly.flush(), natsOther.flush(), bridgeNats.flush()]);
    await settleGossip(bridgeGossip, gossipOnly, topic);
    const before = bridge.bridgeStats();
    const count = 20;
    for (let i = 0; i < count; i++) {
      await natsOnly.publish(topic, text(`nats-${i}`));
      await gossipOnly.publish(topic, text(`gossip-${i}`));
    }
    const fromNats = Array.from({ length: count }, (_, i) => `nats-${i}`);
    const fromGossip = Array.from({ length: count }, (_, i) => `gossip-${i}`);
    await waitFor(
      () => atGossip.received.length >= count && atNats.received.length >= count && atOtherNats.received.length >= 2 * count && atBridge.received.length >= 2 * count,
      'every message at every client',
      10_000,
    );
    await quiet(500);
    const sorted = (r: { data: Uint8Array }[]) => texts(r).sort();
    assert.deepEqual(sorted(atGossip.received), [...fromNats].sort());
    assert.deepEqual(sorted(atNats.received), [...fromGossip].sort());
    assert.deepEqual(sorted(atOtherNats.received), [...fromNats, ...fromGossip].sort());
    assert.deepEqual(sorted(atBridge.received), [...fromNats, ...fromGossip].sort());
    const stats = bridge.bridgeStats();
    assert.equal(stats.forwarded - before.forwarded, 2 * count);
    assert.equal(stats.duplicates - before.duplicates, 0);
    assert.equal(stats.forwardFailures - before.forwardFailures, 0);
    for (const r of [atNats, atOtherNats, atGossip, atBridge]) r.unsubscribe();
  });

  it('relays a forwardTopics topic nobody consumes at the bridge, in both directions', async () => {
    const topic = 'relay.only';
    const atNats = record(natsOnly, topic);
    const atGossip = record(gossipOnly, topic);
    await natsOnly.flush();
    await settleGossip(bridgeGossip, gossipOnly, topic);
    const deliveredBefore = bridge.stats().delivered;
    await natsOnly.publish(topic, text('to gossip'));
    await gossipOnly.publish(topic, text('to nats'));
    await waitFor(() => atNats.received.length === 1 && atGossip.received.length === 1, 'both relayed messages', 10_000);
    await quiet(200);
    assert.deepEqual(texts(atGossip.received), ['to gossip']);
    assert.deepEqual(texts(atNats.received), ['to nats']);
    assert.equal(bridge.stats().delivered, deliveredBefore);
  });

  it('lets 4 validators decide 10 heights: 2 on NATS only, 1 on libp2p only, 1 bridged on both', async () => {
    const roundBridgeNats = nats('v3.nats');
    const roundBridgeGossip = new Libp2pTransport({ name: 'v3.p2p', network: NETWORK });
    const validatorBridge = await start(new BridgeTransport({ name: 'v3', network: NETWORK, transports: [roundBridgeNats, roundBridgeGossip] }));
    const validatorGossip = await start(new Libp2pTransport({ name: 'v2', network: NETWORK, bootstrap: roundBridgeGossip.listenAddrs(), redialIntervalMs: 200 }));
    const validatorNats = [await start(nats('v0')), await start(nats('v1'))];
    const transports: Transport[] = [...validatorNats, validatorGossip, validatorBridge];
    // Subscribed and propagated before the first proposal, so no node misses height 0's opening messages.
    const warmups = transports.map((t) => t.subscribe('consensus', () => {}));
    await Promise.all([...validatorNats, roundBridgeNats].map((t) => t.flush()));
    await settleGossip(roundBridgeGossip, validatorGossip, 'consensus');
    const cluster = startCluster(transports, 10, { timeoutMs: 40_000 });
    try {
      await cluster.done;
      assertAgreement(cluster.decided, 10, 4);
    } finally {
      cluster.stop();
      for (const unsubscribe of warmups) unsubscribe();
    }
    // Everything beyond v3's own publications crossed the bridge: both directions carried traffic.
    const stats = validatorBridge.bridgeStats();
    const own = validatorBridge.stats().published;
    assert.ok(stats.inner['v3.nats'].published > own, `libp2p → NATS forwards: ${stats.inner['v3.nats'].published - own}`);
    assert.ok(stats.inner['v3.p2p'].published > own, `NATS → libp2p forwards: ${stats.inner['v3.p2p'].published - own}`);
    assert.equal(stats.forwardFailures, 0);
  });

  it('stays connected while one side is up, and refuses to publish once neither is', async () => {
    const atGossip = record(gossipOnly, 'state.data');
    await waitFor(() => bridgeGossip.topicPeers('state.data').includes(gossipOnly.peerId), 'the bridge to learn the libp2p subscription', 10_000);
    assert.ok(server !== undefined);
    await killProcess(server, 'SIGKILL');
    await waitFor(() => bridgeNats.state === 'disconnected', 'the bridge to lose NATS');
    assert.equal(bridge.state, 'connected');
    await bridge.publish('state.data', text('over gossip only'));
    await waitFor(() => atGossip.received.length === 1, 'the message over libp2p');
    const events: string[] = [];
    bridge.onEvent((event) => events.push(event.type));
    const droppedBefore = bridge.stats().dropped;
    await gossipOnly.stop();
    await waitFor(() => bridge.state === 'disconnected', 'the bridge to lose its last inner connection');
    assert.deepEqual(events, ['disconnected']);
    await assert.rejects(bridge.publish('state.data', text('nowhere')), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_DISCONNECTED' && /bridge/.test(e.message));
    assert.equal(bridge.stats().dropped - droppedBefore, 1);
  });
});
