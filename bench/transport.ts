/**
 * Messages per second and one-way latency through NATS (a nats-server started here on a free port)
 * and libp2p gossipsub (two nodes over loopback TCP), with the same payloads side by side in one
 * run: a signed offer envelope of a three-DER site and a signed prevote. Publisher and subscriber
 * share this process, so one-way latency is read off one clock.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { encodeEnvelope, keyPairFromSeed, type KeyPair, type OfferMessage } from '../protocol/index.js';
import type { Transport } from '../protocol/transport/index.js';
import { Libp2pTransport } from '../protocol/transport/libp2p.js';
import { NatsTransport } from '../protocol/transport/nats.js';
import { percentile } from '../sim/percentile.js';
import { freePort, killProcess, startNatsServer } from '../test/transport/net-helpers.js';
import { fmtInt, fmtMs, fmtRatio, formatTable } from './table.js';
import { typicalOffer } from './verify.js';

/** Each throughput case publishes for this long. */
const THROUGHPUT_MS = 3_000;
/** Most payloads published but not yet received; keeps both transports out of their drop paths. */
const IN_FLIGHT = 256;
/** A case without progress for this long stops: the transport lost payloads. */
const STALL_MS = 2_000;
/** The latency cases publish at this moderate rate, for this long. */
const LATENCY_RATE_HZ = 200;
const LATENCY_MS = 2_000;
const NETWORK = 'vpp-bench';
const SITE_DERS = 3;

/** The two wires compared. */
export type BenchWire = 'nats' | 'gossipsub';

/** One payload through one wire. */
export interface TransportBenchRow {
  wire: BenchWire;
  payload: string;
  bytes: number;
  /** Payloads published / received during the throughput case. */
  sent: number;
  received: number;
  /** Received per second, counted at the subscriber from the first publish to the last receipt. */
  msgPerS: number;
  /** One-way latency at {@link LATENCY_RATE_HZ}, ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencySamples: number;
}

/** What the section returns to bench/run.ts. */
export interface TransportBenchResult {
  rows: TransportBenchRow[];
  table: string;
}

interface Pair {
  publisher: Transport;
  subscriber: Transport;
  /** Resolves once a subscription to `topic` at the subscriber reaches the publisher. */
  settle(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Polls `condition` every 10 ms; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function natsPair(url: string): Promise<Pair> {
  const make = (name: string) => new NatsTransport({ name, network: NETWORK, servers: url });
  const publisher = make('bench-pub');
  const subscriber = make('bench-sub');
  await Promise.all([publisher.start(), subscriber.start()]);
  return {
    publisher,
    subscriber,
    settle: () => subscriber.flush(),
    close: async () => {
      await Promise.all([publisher.stop(), subscriber.stop()]);
    },
  };
}

async function gossipPair(): Promise<Pair> {
  const subscriber = new Libp2pTransport({ name: 'bench-sub', network: NETWORK });
  await subscriber.start();
  const publisher = new Libp2pTransport({ name: 'bench-pub', network: NETWORK, bootstrap: subscriber.listenAddrs(), redialIntervalMs: 200 });
  await publisher.start();
  await waitUntil(() => publisher.state === 'connected', 'the gossipsub publisher to connect');
  return {
    publisher,
    subscriber,
    settle: (topic) => waitUntil(() => publisher.topicPeers(topic).includes(subscriber.peerId), `the gossipsub subscription to ${topic}`),
    close: async () => {
      await Promise.all([publisher.stop(), subscriber.stop()]);
    },
  };
}

/** Publishes `payload` for {@link THROUGHPUT_MS} with at most {@link IN_FLIGHT} unreceived; counts at the subscriber. */
async function throughput(pair: Pair, topic: string, payload: Uint8Array): Promise<{ sent: number; received: number; msgPerS: number }> {
  let sent = 0;
  let refused = 0;
  let received = 0;
  let lastAt = 0;
  let wake: (() => void) | undefined;
  const unsubscribe = pair.subscriber.subscribe(topic, () => {
    received++;
    lastAt = performance.now();
    if (wake !== undefined && sent - received <= IN_FLIGHT / 2) wake();
  });
  await pair.settle(topic);
  /** Resolves true on progress, false after STALL_MS without any. */
  const progress = () =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STALL_MS);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(true);
      };
    });
  const startAt = performance.now();
  while (performance.now() - startAt < THROUGHPUT_MS) {
    if (sent - refused - received >= IN_FLIGHT) {
      if (!(await progress())) break;
      continue;
    }
    sent++;
    pair.publisher.publish(topic, payload).catch(() => refused++);
    // Lets the sockets and the subscriber run between bursts.
    if (sent % 32 === 0) await nextTurn();
  }
  while (received < sent - refused && (await progress()));
  unsubscribe();
  return { sent, received, msgPerS: (received * 1000) / Math.max(1, lastAt - startAt) };
}

/** Publishes copies of `payload` numbered in their first 4 bytes at {@link LATENCY_RATE_HZ}; one-way ms per receipt. */
async function latency(pair: Pair, topic: string, payload: Uint8Array): Promise<number[]> {
  const count = Math.round((LATENCY_RATE_HZ * LATENCY_MS) / 1000);
  const sentAt = new Float64Array(count);
  const samples: number[] = [];
  const unsubscribe = pair.subscriber.subscribe(topic, (data) => {
    const seq = new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
    if (seq < count) samples.push(performance.now() - sentAt[seq]);
  });
  await pair.settle(topic);
  const startAt = performance.now();
  for (let seq = 0; seq < count; seq++) {
    const dueMs = startAt + (seq * 1000) / LATENCY_RATE_HZ - performance.now();
    if (dueMs > 0) await new Promise((resolve) => setTimeout(resolve, dueMs));
    const numbered = payload.slice();
    new DataView(numbered.buffer).setUint32(0, seq);
    sentAt[seq] = performance.now();
    pair.publisher.publish(topic, numbered).catch(() => {});
  }
  await waitUntil(() => samples.length >= count, 'the last latency sample', STALL_MS).catch(() => {});
  unsubscribe();
  return samples;
}

/** A peer node's offer message for a site of {@link SITE_DERS} batteries, and a prevote, both signed. */
function benchPayloads(keyPair: KeyPair): { name: string; bytes: Uint8Array }[] {
  const nowMs = Date.now();
  const one = typicalOffer(nowMs).offers[0];
  const site: OfferMessage = { v: 1, type: 'offer', offers: Array.from({ length: SITE_DERS }, (_, i) => ({ ...one, derId: `battery-0004${i}` })) };
  const header = (seq: number) => ({ networkId: NETWORK, keyPair, seq, issuedAtMs: nowMs });
  const vote = encodeEnvelope({ v: 1, type: 'prevote', intervalStartMs: nowMs - (nowMs % 300_000), round: 0, planHash: new Uint8Array(32).fill(7) }, header(2));
  return [
    { name: `signed offer envelope (${SITE_DERS} DERs)`, bytes: encodeEnvelope(site, header(1)) },
    { name: 'signed prevote envelope', bytes: vote },
  ];
}

/** Runs every case and returns the rows and a printable table. */
export async function benchTransport(): Promise<TransportBenchResult> {
  const port = await freePort();
  const server = await startNatsServer(port);
  const pairs: Partial<Record<BenchWire, Pair>> = {};
  const rows: TransportBenchRow[] = [];
  try {
    pairs.nats = await natsPair(`nats://127.0.0.1:${port}`);
    pairs.gossipsub = await gossipPair();
    const payloads = benchPayloads(keyPairFromSeed(new Uint8Array(32).fill(9)));
    let caseNo = 0;
    for (const payload of payloads) {
      for (const wire of ['nats', 'gossipsub'] as const) {
        const pair = pairs[wire]!;
        const rate = await throughput(pair, `bench.rate${caseNo}`, payload.bytes);
        const samples = await latency(pair, `bench.latency${caseNo}`, payload.bytes);
        caseNo++;
        rows.push({
          wire,
          payload: payload.name,
          bytes: payload.bytes.byteLength,
          ...rate,
          latencyP50Ms: percentile(samples, 50),
          latencyP99Ms: percentile(samples, 99),
          latencySamples: samples.length,
        });
        console.error(`  [${wire}, ${payload.name}] ${fmtInt(rate.msgPerS)} msg/s`);
      }
    }
  } finally {
    await Promise.all(Object.values(pairs).map((p) => p.close()));
    await killProcess(server);
  }
  const lines = [...new Set(rows.map((r) => r.payload))].map((payload) => {
    const nats = rows.find((r) => r.payload === payload && r.wire === 'nats')!;
    const gossip = rows.find((r) => r.payload === payload && r.wire === 'gossipsub')!;
    const lat = (r: TransportBenchRow) => `${fmtMs(r.latencyP50Ms)} / ${fmtMs(r.latencyP99Ms)}`;
    const lost = (r: TransportBenchRow) => (r.received < r.sent ? ` (${fmtInt(r.sent - r.received)} lost)` : '');
    return [
      payload,
      fmtInt(nats.bytes),
      `${fmtInt(nats.msgPerS)}${lost(nats)}`,
      `${fmtInt(gossip.msgPerS)}${lost(gossip)}`,
      fmtRatio(nats.msgPerS / gossip.msgPerS),
      lat(nats),
      lat(gossip),
    ];
  });
  const table = [
    `publisher → subscriber in one process; throughput ${THROUGHPUT_MS / 1000} s per case with ≤ ${IN_FLIGHT} in flight; latency at ${LATENCY_RATE_HZ} msg/s for ${LATENCY_MS / 1000} s`,
    formatTable(['payload', 'bytes', 'NATS msg/s', 'gossipsub msg/s', 'NATS/gossipsub', 'NATS p50 / p99 ms', 'gossipsub p50 / p99 ms'], lines),
  ].join('\n');
  return { rows, table };
}
