/**
 * Operator API throughput on loopback: requests per second on `/api/status` of a live coordinator
 * (one validator and one peer over a nats-server started here, as in test/api), measured with
 * autocannon for a few seconds; and WebSocket fan-out of the live stream to 100 clients: each
 * node event (a real plan event of that coordinator) is serialised once and sent to every client,
 * at two offered rates, with delivered messages per second and send-to-receive latency.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { startApiServer } from '../api/server.js';
import { EventFeed } from '../nodes/event-feed.js';
import { percentile } from '../sim/percentile.js';
import { call, startApiNetwork, until } from '../test/api/api-helpers.js';
import { fmtInt, fmtMs, formatTable } from './table.js';

/** The part of autocannon's result read here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const STATUS_DURATION_S = 5;
const STATUS_CONNECTIONS = 10;
const STREAM_CLIENTS = 100;
/** Node events offered per second to the stream; each goes to every client. */
const STREAM_RATES = [100, 1_000];
const STREAM_DURATION_MS = 3_000;
/** Events are published in batches on this tick (timers are not finer). */
const TICK_MS = 10;

/** One measured case. */
export interface ApiBenchRow {
  case: string;
  /** Requests (status) or messages delivered to clients (stream) per second. */
  perS: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that were not 2xx, or messages a lagging client was not sent. */
  lost: number;
  /** Stream cases: clients, events offered per second, bytes per message. */
  clients?: number;
  offeredPerS?: number;
  messageBytes?: number;
}

async function fanOut(event: Record<string, unknown>, rate: number): Promise<ApiBenchRow> {
  const feed = new EventFeed(() => {});
  const server = await startApiServer({ config: { port: 0, anonymousRead: true, rateLimit: { max: 1_000_000 } }, feed });
  const latencies: number[] = [];
  let delivered = 0;
  let bytes = 0;
  const clients = await Promise.all(
    Array.from({ length: STREAM_CLIENTS }, async () => {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream`);
      socket.on('message', (data: Buffer) => {
        // The clients share this process with the server: they read only the send time (the event's last field) instead of parsing 3 kB each.
        const text = data.toString();
        const at = text.lastIndexOf('"sentMs":');
        if (at < 0) return;
        latencies.push(performance.now() - Number.parseFloat(text.slice(at + 9)));
        delivered++;
        bytes = data.length;
      });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      return socket;
    }),
  );
  try {
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < STREAM_DURATION_MS) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; sent < due; sent++) feed.stream({ ...event, sentMs: performance.now() });
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    const expected = sent * STREAM_CLIENTS;
    // Whatever is in flight at the end still counts once it arrives (bounded wait).
    await until('the last stream messages', () => (delivered + server.stream.dropped >= expected ? true : undefined), 5_000).catch(() => undefined);
    const elapsedS = (performance.now() - started) / 1000;
    return {
      case: `stream fan-out, ${STREAM_CLIENTS} clients, ${fmtInt(rate)} events/s`,
      perS: delivered / elapsedS,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      lost: expected - delivered,
      clients: STREAM_CLIENTS,
      offeredPerS: rate,
      messageBytes: bytes,
    };
  } finally {
    for (const socket of clients) socket.terminate();
    await server.close();
  }
}

/** Runs both cases; returns the table and the figures. */
export async function benchApi(): Promise<{ table: string; rows: ApiBenchRow[] }> {
  const net = await startApiNetwork({ rateLimitMax: 100_000_000 });
  const rows: ApiBenchRow[] = [];
  let plan: Record<string, unknown>;
  try {
    plan = await until('a decided plan', async () => {
      const res = await call(`${net.coordinator.url}/api/plans/current`, { token: net.readToken });
      return res.status === 200 ? (res.body as Record<string, unknown>) : undefined;
    });
    const result = await autocannon({
      url: `${net.coordinator.url}/api/status`,
      connections: STATUS_CONNECTIONS,
      duration: STATUS_DURATION_S,
      headers: { authorization: `Bearer ${net.readToken}` },
    });
    rows.push({ case: `GET /api/status, ${STATUS_CONNECTIONS} connections, ${STATUS_DURATION_S} s`, perS: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, lost: result.non2xx + result.errors });
  } finally {
    await net.stop();
  }
  for (const rate of STREAM_RATES) rows.push(await fanOut({ event: 'plan', ...plan }, rate));
  const table = formatTable(
    ['case', 'per s', 'p50 ms', 'p99 ms', 'lost', 'bytes/message'],
    rows.map((r) => [r.case, fmtInt(r.perS), fmtMs(r.p50Ms), fmtMs(r.p99Ms), fmtInt(r.lost), r.messageBytes === undefined ? '' : fmtInt(r.messageBytes)]),
  );
  return { table, rows };
}
