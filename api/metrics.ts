/**
 * Prometheus metrics of one node, in its own registry (several nodes can share a process, as in
 * tests and simulations). Round latency, commits and solve times are observed from the node's
 * event feed as they happen; offers, clamps and adapter errors are read from the node's counters
 * at each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventFeed, NodeEvent } from '../nodes/event-feed.js';
import type { ApiSource, NodeCounters } from './source.js';

/** A node's metrics; `close()` detaches them from the feed. */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly unsubscribe: () => void;
  /** Totals already passed to the counters read at scrape time (prom-client counters only go up by increments). */
  private readonly seen = new Map<string, number>();
  readonly streamClients: Gauge;
  private counters: NodeCounters | undefined;

  constructor(feed: EventFeed | undefined, source: ApiSource | undefined) {
    const registers = [this.registry];
    const roundLatency = new Histogram({
      name: 'vpp_round_latency_seconds',
      help: 'Time from the start of a height to its decision at this coordinator',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const commits = new Counter({ name: 'vpp_commits_total', help: 'Heights decided (coordinator) or plans certified (peer)', registers });
    const blocks = new Counter({ name: 'vpp_chain_blocks_total', help: 'Blocks appended to the settlement chain', registers });
    const solve = new Histogram({ name: 'vpp_solve_seconds', help: 'LP solve time of one plan', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.streamClients = new Gauge({ name: 'vpp_api_stream_clients', help: 'WebSocket clients of the live stream', registers });
    this.unsubscribe =
      feed?.subscribe((event: NodeEvent) => {
        // One `plan` per decided (coordinator) or certified (peer) height.
        if (event.event === 'plan') commits.inc();
        else if (event.event === 'commit' && typeof event.commitMs === 'number' && Number.isFinite(event.commitMs)) roundLatency.observe(event.commitMs / 1000);
        else if (event.event === 'block') blocks.inc();
        else if (event.event === 'solve' && typeof event.solveMs === 'number') solve.observe(event.solveMs / 1000);
      }) ?? (() => {});
    if (source === undefined) return;
    const sync = (counter: Counter, key: string, total: number, labels?: Record<string, string>) => {
      const delta = total - (this.seen.get(key) ?? 0);
      if (delta > 0) {
        if (labels) counter.inc(labels, delta);
        else counter.inc(delta);
        this.seen.set(key, total);
      }
    };
    // One read of the node's counters per scrape, shared by the three metrics below.
    const read = () => (this.counters ??= source.counters());
    new Counter({
      name: 'vpp_offers_total',
      help: 'Offers accepted or rejected (coordinator), offer envelopes published or refused (peer)',
      labelNames: ['result'],
      registers,
      collect() {
        const c = read();
        sync(this, 'offers:accepted', c.offersAccepted, { result: 'accepted' });
        sync(this, 'offers:rejected', c.offersRejected, { result: 'rejected' });
      },
    });
    new Counter({
      name: 'vpp_clamps_total',
      help: 'Setpoints the safety envelope changed, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        for (const [reason, n] of Object.entries(read().clamps)) sync(this, `clamps:${reason}`, n, { reason });
      },
    });
    new Counter({
      name: 'vpp_adapter_errors_total',
      help: 'DER readings that found the device unreachable (offline or fault)',
      registers,
      collect() {
        sync(this, 'adapter-errors', read().adapterErrors);
      },
    });
  }

  /** The exposition text. */
  async text(): Promise<string> {
    this.counters = undefined;
    return this.registry.metrics();
  }

  close(): void {
    this.unsubscribe();
  }
}
