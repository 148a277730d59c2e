import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { NatsTransport } from '../../protocol/transport/nats.js';
import { freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';
import { assertAgreement } from './assert-agreement.js';
import { NETWORK_ID, startCluster } from './round-helpers.js';

describe('SignedRound over NATS', () => {
  let server: ChildProcess | undefined;
  let url = '';

  before(async () => {
    const port = await freePort();
    server = await startNatsServer(port);
    url = `nats://127.0.0.1:${port}`;
  });

  after(async () => {
    if (server) await killProcess(server);
  });

  it('4 validators decide 10 heights, agree, and every certificate verifies', async () => {
    const transports = Array.from({ length: 4 }, (_, i) => new NatsTransport({ name: `node-${i}`, network: NETWORK_ID, servers: url, reconnectWaitMs: 100, connectTimeoutMs: 2000 }));
    await Promise.all(transports.map((t) => t.start()));
    const cluster = startCluster(transports, 10, { timeoutMs: 15_000 });
    try {
      await cluster.done;
      assertAgreement(cluster.decided, 10, 4);
    } finally {
      cluster.stop();
      await Promise.all(transports.map((t) => t.stop()));
    }
  });
});
