import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { TransportError, type Transport, type TransportEvent } from '../../protocol/transport/index.js';

/** Started transports on one network, plus what the suite needs to know about their propagation. */
export interface ComplianceCluster {
  /** At least three started, connected transports; [0] publishes, the others subscribe. */
  transports: Transport[];
  /** Resolves once `subscribers`' subscriptions to `topic` are visible to every other cluster member. */
  settle(topic: string, subscribers: Transport[]): Promise<void>;
  /** Starts one more member of the cluster (the suite stops it). */
  spawn(): Promise<Transport>;
}

/** One received payload. */
export interface Received {
  data: Uint8Array;
  from: string | undefined;
}

/** Subscribes a recording handler; returns what it receives and its unsubscribe. */
export function record(transport: Transport, topic: string): { received: Received[]; unsubscribe: () => void } {
  const received: Received[] = [];
  const unsubscribe = transport.subscribe(topic, (data, from) => {
    received.push({ data, from });
  });
  return { received, unsubscribe };
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function texts(received: Received[]): string[] {
  return received.map((r) => new TextDecoder().decode(r.data));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof TransportError && error.code === code);
}

/**
 * Registers the shared transport contract as `it` cases in the current `describe`. `cluster` is
 * called when the first case runs, so it may be built in a `before` hook. Every case uses its own
 * topics, so cases never see each other's traffic.
 */
export function runTransportCompliance(cluster: () => ComplianceCluster): void {
  it('delivers to the other subscribers of a topic only, never back to the publisher', async () => {
    const { transports, settle } = cluster();
    const [a, b, c] = transports;
    const self = record(a, 'c1.data');
    const atB = record(b, 'c1.data');
    const atC = record(c, 'c1.data');
    const otherTopic = record(c, 'c1.other');
    await settle('c1.data', [a, b, c]);
    await settle('c1.other', [c]);
    await a.publish('c1.data', text('hello'));
    await a.publish('c1.other', text('marker'));
    await waitFor(() => atB.received.length >= 1 && atC.received.length >= 1 && otherTopic.received.length >= 1, 'delivery on c1.*');
    assert.deepEqual(texts(atB.received), ['hello']);
    assert.deepEqual(texts(atC.received), ['hello']);
    assert.deepEqual(texts(otherTopic.received), ['marker']);
    assert.deepEqual(self.received, []);
    assert.equal(typeof atB.received[0].from, 'string');
    assert.equal(atB.received[0].from, atC.received[0].from);
  });

  it('calls every handler subscribed to a topic, in one transport and across transports', async () => {
    const { transports, settle } = cluster();
    const [a, b, c] = transports;
    const first = record(b, 'c2.data');
    const second = record(b, 'c2.data');
    const third = record(c, 'c2.data');
    await settle('c2.data', [b, c]);
    for (let i = 0; i < 5; i++) await a.publish('c2.data', text(`m${i}`));
    const expected = ['m0', 'm1', 'm2', 'm3', 'm4'];
    await waitFor(() => [first, second, third].every((r) => r.received.length >= expected.length), 'five messages at three handlers');
    for (const r of [first, second, third]) assert.deepEqual(texts(r.received), expected);
  });

  it('stops delivering to a handler once it unsubscribes, and keeps delivering to the rest', async () => {
    const { transports, settle } = cluster();
    const [a, b, c] = transports;
    const leaving = record(b, 'c3.data');
    const staying = record(b, 'c3.data');
    const lastOfTopic = record(c, 'c3.data');
    const marker = record(c, 'c3.marker');
    await settle('c3.data', [b, c]);
    await settle('c3.marker', [c]);
    await a.publish('c3.data', text('before'));
    await waitFor(() => leaving.received.length === 1 && staying.received.length === 1 && lastOfTopic.received.length === 1, 'first message');
    leaving.unsubscribe();
    leaving.unsubscribe(); // idempotent
    lastOfTopic.unsubscribe();
    await a.publish('c3.data', text('after'));
    await a.publish('c3.marker', text('done'));
    await waitFor(() => staying.received.length === 2 && marker.received.length === 1, 'second message and marker');
    assert.deepEqual(texts(leaving.received), ['before']);
    assert.deepEqual(texts(staying.received), ['before', 'after']);
    assert.deepEqual(texts(lastOfTopic.received), ['before']);
  });

  it('delivers a 256 KiB payload intact', async () => {
    const { transports, settle } = cluster();
    const [a, b] = transports;
    const atB = record(b, 'c4.large');
    await settle('c4.large', [b]);
    const payload = new Uint8Array(randomBytes(256 * 1024));
    await a.publish('c4.large', payload);
    await waitFor(() => atB.received.length === 1, 'the large payload', 10_000);
    assert.equal(atB.received[0].data.byteLength, payload.byteLength);
    assert.ok(Buffer.from(atB.received[0].data).equals(Buffer.from(payload)), 'payload bytes differ');
  });

  it('keeps delivering when a handler throws, and counts and reports the failure', async () => {
    const { transports, settle } = cluster();
    const [a, b] = transports;
    const events: TransportEvent[] = [];
    const stopListening = b.onEvent((event) => events.push(event));
    const errorsBefore = b.stats().handlerErrors;
    b.subscribe('c5.data', () => {
      throw new Error('handler bug');
    });
    const healthy = record(b, 'c5.data');
    await settle('c5.data', [b]);
    await a.publish('c5.data', text('one'));
    await a.publish('c5.data', text('two'));
    await waitFor(() => healthy.received.length === 2, 'both messages at the healthy handler');
    stopListening();
    assert.deepEqual(texts(healthy.received), ['one', 'two']);
    assert.equal(b.stats().handlerErrors - errorsBefore, 2);
    const failures = events.filter((e) => e.type === 'handler-error');
    assert.equal(failures.length, 2);
    assert.ok(failures.every((e) => e.type === 'handler-error' && e.topic === 'c5.data' && (e.error as Error).message === 'handler bug'));
  });

  it('refuses malformed topics and oversized payloads with typed errors', async () => {
    const { transports } = cluster();
    const [a] = transports;
    for (const topic of ['', 'a..b', 'vpp.*', 'a.>', 'with space', '.lead']) {
      await rejectsWith(a.publish(topic, text('x')), 'VPP_ERR_TRANSPORT_BAD_TOPIC');
      assert.throws(() => a.subscribe(topic, () => {}), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_BAD_TOPIC');
    }
    const droppedBefore = a.stats().dropped;
    await rejectsWith(a.publish('c6.data', new Uint8Array(2 * 1024 * 1024)), 'VPP_ERR_TRANSPORT_PAYLOAD_TOO_LARGE');
    assert.equal(a.stats().dropped - droppedBefore, 1);
  });

  it('stops cleanly: the stopped member refuses work, the others carry on', async () => {
    const { transports, settle, spawn } = cluster();
    const [a, b] = transports;
    const d = await spawn();
    const atD = record(d, 'c7.data');
    const atB = record(b, 'c7.data');
    await settle('c7.data', [b, d]);
    await a.publish('c7.data', text('before'));
    await waitFor(() => atD.received.length === 1 && atB.received.length === 1, 'delivery before stop');
    await d.stop();
    await d.stop(); // idempotent
    assert.equal(d.state, 'stopped');
    await rejectsWith(d.publish('c7.data', text('x')), 'VPP_ERR_TRANSPORT_STOPPED');
    await rejectsWith(d.start(), 'VPP_ERR_TRANSPORT_STOPPED');
    assert.throws(() => d.subscribe('c7.data', () => {}), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_STOPPED');
    await a.publish('c7.data', text('after'));
    await waitFor(() => atB.received.length === 2, 'delivery after a member stopped');
    assert.deepEqual(texts(atD.received), ['before']);
    assert.deepEqual(texts(atB.received), ['before', 'after']);
  });
}
