import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTransport, MemoryHub, MemoryTransport, parseTransportConfig, TransportError, type Transport } from '../../protocol/transport/index.js';
import { record, runTransportCompliance, waitFor, type ComplianceCluster } from './compliance.js';

describe('memory transport: compliance', () => {
  const hub = new MemoryHub({ seed: 7 });
  const transports: Transport[] = [];
  let spawned = 0;
  const startOne = async (name: string): Promise<Transport> => {
    const transport = await createTransport(parseTransportConfig({ kind: 'memory', name, network: 'test' }, 'memory.test'), { hub });
    await transport.start();
    return transport;
  };
  let cluster: ComplianceCluster;

  before(async () => {
    for (const name of ['a', 'b', 'c']) transports.push(await startOne(name));
    cluster = {
      transports: transports.slice(0, 3),
      settle: async () => {},
      spawn: async () => {
        const transport = await startOne(`spawned-${spawned++}`);
        transports.push(transport);
        return transport;
      },
    };
  });
  after(async () => {
    await Promise.all(transports.map((t) => t.stop()));
  });

  runTransportCompliance(() => cluster);
});

describe('memory transport: hub behaviour', () => {
  const started: Transport[] = [];
  const startOn = async (hub: MemoryHub, name: string, network = 'test'): Promise<MemoryTransport> => {
    const transport = new MemoryTransport({ name, network, hub });
    await transport.start();
    started.push(transport);
    return transport;
  };
  after(async () => {
    await Promise.all(started.map((t) => t.stop()));
  });

  it('reports the sender name as from, and keeps networks apart', async () => {
    const hub = new MemoryHub();
    const a = await startOn(hub, 'a', 'net1');
    const b = await startOn(hub, 'b', 'net1');
    const other = await startOn(hub, 'c', 'net2');
    const atB = record(b, 'x');
    const atOther = record(other, 'x');
    await a.publish('x', new Uint8Array([1]));
    await other.publish('x', new Uint8Array([2]));
    await waitFor(() => atB.received.length === 1, 'delivery');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(atB.received.map((r) => [r.from, [...r.data]]), [['a', [1]]]);
    assert.deepEqual(atOther.received, []);
  });

  it('refuses a second member with the same name, and publish before start', async () => {
    const hub = new MemoryHub();
    await startOn(hub, 'dup');
    const twin = new MemoryTransport({ name: 'dup', network: 'test', hub });
    await assert.rejects(twin.start(), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_CONFIG' && /dup/.test(e.message));
    const idle = new MemoryTransport({ name: 'idle', network: 'test', hub });
    await assert.rejects(idle.publish('x', new Uint8Array(1)), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_NOT_STARTED');
  });

  it('delivers in publish order to recipients in join order', async () => {
    const hub = new MemoryHub();
    const a = await startOn(hub, 'a');
    const order: string[] = [];
    for (const name of ['r1', 'r2', 'r3']) {
      const r = await startOn(hub, name);
      r.subscribe('x', (data) => order.push(`${name}:${data[0]}`));
    }
    for (let i = 0; i < 3; i++) await a.publish('x', new Uint8Array([i]));
    await waitFor(() => order.length === 9, 'nine deliveries');
    assert.deepEqual(order, ['r1:0', 'r2:0', 'r3:0', 'r1:1', 'r2:1', 'r3:1', 'r1:2', 'r2:2', 'r3:2']);
  });

  it('drops on a lossy link at about the configured rate, identically for the same seed', async () => {
    const runOnce = async (seed: number): Promise<number[]> => {
      const hub = new MemoryHub({ seed });
      const a = await startOn(hub, `a${seed}-${started.length}`);
      const bName = `b${seed}-${started.length}`;
      const b = await startOn(hub, bName);
      hub.setLink(a.name, bName, { lossProb: 0.3 });
      const got = record(b, 'x');
      for (let i = 0; i < 400; i++) await a.publish('x', new Uint8Array([i % 256, i >> 8]));
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(got.received.length + b.stats().dropped, 400);
      return got.received.map((r) => r.data[0] + 256 * r.data[1]);
    };
    const first = await runOnce(42);
    const again = await runOnce(42);
    const otherSeed = await runOnce(43);
    assert.deepEqual(first, again);
    assert.notDeepEqual(first, otherSeed);
    assert.ok(first.length > 400 * 0.6 && first.length < 400 * 0.8, `kept ${first.length} of 400 at lossProb 0.3`);
  });

  it('delays delivery on a slow link and lets an injected scheduler drive it', async () => {
    const pending: Array<{ fn: () => void; delayMs: number }> = [];
    const hub = new MemoryHub({ schedule: (fn, delayMs) => pending.push({ fn, delayMs }) });
    const a = await startOn(hub, 'a');
    const b = await startOn(hub, 'b');
    const c = await startOn(hub, 'c');
    hub.setLink('a', 'b', { delayMs: 250 });
    const atB = record(b, 'x');
    const atC = record(c, 'x');
    await a.publish('x', new Uint8Array([9]));
    assert.deepEqual(pending.map((p) => p.delayMs), [250, 0]);
    assert.equal(atB.received.length + atC.received.length, 0);
    for (const p of pending) p.fn();
    assert.equal(atB.received.length, 1);
    assert.equal(atC.received.length, 1);
    assert.throws(() => hub.setLink('a', 'b', { lossProb: 2 }), (e: unknown) => e instanceof TransportError && /lossProb/.test(e.message));
  });

  it('rejects a bad config naming the field', () => {
    assert.throws(
      () => parseTransportConfig({ kind: 'nats', name: 'n', network: 'bad net', servers: [] }, 'node.yaml'),
      (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_CONFIG' && /node\.yaml/.test(e.message) && /network/.test(e.message) && /servers/.test(e.message),
    );
  });
});
