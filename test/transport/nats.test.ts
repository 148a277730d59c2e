import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createTransport, parseTransportConfig, TransportError, type Transport, type TransportEvent } from '../../protocol/transport/index.js';
import { NatsTransport } from '../../protocol/transport/nats.js';
import { runTransportCompliance, waitFor, type ComplianceCluster } from './compliance.js';
import { freePort, killProcess, startNatsServer } from './net-helpers.js';

describe('nats transport', { timeout: 40_000 }, () => {
  let port = 0;
  let server: ChildProcess | undefined;
  const transports: NatsTransport[] = [];
  let spawned = 0;
  let cluster: ComplianceCluster;

  const startOne = async (name: string): Promise<NatsTransport> => {
    const config = parseTransportConfig({ kind: 'nats', name, network: 'test', servers: `nats://127.0.0.1:${port}`, reconnectWaitMs: 100, connectTimeoutMs: 2000 }, 'nats.test');
    const transport = await createTransport(config);
    assert.ok(transport instanceof NatsTransport);
    await transport.start();
    transports.push(transport);
    return transport;
  };

  before(async () => {
    port = await freePort();
    server = await startNatsServer(port);
    for (const name of ['a', 'b', 'c']) await startOne(name);
    cluster = {
      transports: transports.slice(0, 3),
      settle: async (_topic, subscribers) => {
        await Promise.all(subscribers.map((s) => (s as NatsTransport).flush()));
      },
      spawn: () => startOne(`spawned-${spawned++}`),
    };
  });
  after(async () => {
    await Promise.all(transports.map((t) => t.stop()));
    if (server !== undefined) await killProcess(server);
  });

  describe('compliance', () => {
    runTransportCompliance(() => cluster);
  });

  it('fails to start with a typed error when no server answers', async () => {
    const transport = new NatsTransport({ name: 'nobody', network: 'test', servers: `nats://127.0.0.1:${await freePort()}`, connectTimeoutMs: 1000 });
    await assert.rejects(transport.start(), (e: unknown) => e instanceof TransportError && e.code === 'VPP_ERR_TRANSPORT_START_FAILED' && /nobody/.test(e.message));
    assert.equal(transport.state, 'idle');
  });

  it('reconnects after the server is killed mid-stream and restarted, and delivery resumes', async () => {
    const publisher = await startOne('stream-pub');
    const subscriber = await startOne('stream-sub');
    const events: Array<[string, TransportEvent['type']]> = [];
    for (const t of [publisher, subscriber] as Transport[]) t.onEvent((e) => events.push([t.name, e.type]));
    const received: number[] = [];
    subscriber.subscribe('stream.seq', (data) => received.push(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0)));
    await subscriber.flush();

    let seq = 0;
    let refused = 0;
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        const payload = new Uint8Array(4);
        new DataView(payload.buffer).setUint32(0, seq++);
        try {
          await publisher.publish('stream.seq', payload);
        } catch (error) {
          assert.ok(error instanceof TransportError && error.code === 'VPP_ERR_TRANSPORT_DISCONNECTED', `unexpected publish error ${String(error)}`);
          refused++;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    try {
      await waitFor(() => received.length >= 10, 'ten messages before the outage');
      assert.ok(server !== undefined);
      await killProcess(server, 'SIGKILL');
      await waitFor(() => publisher.state === 'disconnected' && subscriber.state === 'disconnected', 'both clients to notice the outage');
      await waitFor(() => refused >= 3, 'publishes refused during the outage');
      const beforeRestart = received.length;
      const lastBeforeRestart = received[received.length - 1];
      server = await startNatsServer(port);
      await waitFor(() => publisher.state === 'connected' && subscriber.state === 'connected', 'both clients to reconnect', 10_000);
      await waitFor(() => received.length >= beforeRestart + 10, 'ten messages after the restart', 10_000);
      assert.ok(received[received.length - 1] > lastBeforeRestart);
    } finally {
      streaming = false;
      await stream;
    }

    for (let i = 1; i < received.length; i++) assert.ok(received[i] > received[i - 1], `out of order or duplicate at ${i}`);
    for (const t of [publisher, subscriber]) {
      const stats = t.stats();
      assert.equal(stats.disconnects, 1, `${t.name} disconnects`);
      assert.equal(stats.reconnects, 1, `${t.name} reconnects`);
      assert.equal(stats.connects, 2, `${t.name} connects`);
    }
    assert.equal(publisher.stats().dropped, refused);
    assert.deepEqual(
      events.filter(([name]) => name === 'stream-sub').map(([, type]) => type),
      ['disconnected', 'reconnected'],
    );
  });
});
