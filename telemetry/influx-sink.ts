/**
 * Telemetry into an InfluxDB 1.x through the `influx` client: batched writes (by size, or after
 * `flushIntervalMs`), a bounded buffer that outlives the database going down, retries with
 * exponential backoff, and counters of what was written, resent, refused and dropped.
 *
 * Nothing is lost within the buffer: a batch leaves it only once the database acknowledged it
 * (or refused it as invalid). A resent batch the database had in fact stored does no harm: a point
 * with the same measurement, tags and time overwrites itself in InfluxDB.
 */
import { InfluxDB } from 'influx';
import { influxTarget, type InfluxConfig } from './config.js';
import type { TelemetryPoint, TelemetrySink, TelemetryStats } from './sink.js';

/** What the sink reports when the database goes away or comes back (once per change, not per attempt). */
export interface InfluxStatus {
  up: boolean;
  error?: string;
}

/** Optional collaborators of an `InfluxSink`. */
export interface InfluxSinkDependencies {
  onStatus?(status: InfluxStatus): void;
}

type Attempt = { outcome: 'written'; refused: number } | { outcome: 'failed'; error: string };

/** A `TelemetrySink` into one database of an InfluxDB 1.x; never throws at its producer, whatever the database does. */
export class InfluxSink implements TelemetrySink {
  /** The database written to (created with its retention policy before the first write). */
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly config: InfluxConfig;
  private readonly extraTags: Readonly<Record<string, string>>;
  private readonly hasExtraTags: boolean;
  private queue: TelemetryPoint[] = [];
  private readonly counters = { pointsWritten: 0, pointsRetried: 0, droppedPoints: 0, rejectedPoints: 0, failedWrites: 0 };
  private lastError: string | undefined;
  private up = true;
  private schemaReady = false;
  /** The sender: one at a time, so batches go out in order. */
  private sending: Promise<void> | undefined;
  /** The oldest buffered point waited its flush interval: a partial batch may go out. */
  private intervalDue = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Ends the backoff wait early (when `close` gives up). */
  private wakeBackoff: (() => void) | undefined;
  /** Points ever buffered, and those that left the buffer (written, refused or abandoned): a flush waits for a mark. */
  private bufferedTotal = 0;
  private settledTotal = 0;
  private flushWaiters: { mark: number; resolve: () => void }[] = [];
  private closed = false;
  /** Set when `close` gave up: the sender stops after the request in flight. */
  private abandoned = false;

  constructor(config: InfluxConfig, private readonly dependencies: InfluxSinkDependencies = {}) {
    this.config = config;
    const { baseUrl, database } = influxTarget(config);
    this.database = database;
    this.extraTags = config.tags;
    this.hasExtraTags = Object.keys(config.tags).length > 0;
    const url = new URL(baseUrl);
    this.client = new InfluxDB({
      host: url.hostname,
      port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      database,
      ...(config.username !== undefined ? { username: config.username, password: config.password ?? '' } : {}),
      // Retries and backoff are this sink's: the client's own would also take the host out of its
      // pool for up to 10 s after a failure ("No host available"), hiding a database that is back.
      pool: { maxRetries: 0, requestTimeout: config.requestTimeoutMs, backoff: { getDelay: () => 0, next() { return this; }, reset() { return this; } } },
    });
  }

  write(points: readonly TelemetryPoint[]): void {
    for (const p of points) {
      if (this.closed || this.queue.length >= this.config.bufferPoints) this.counters.droppedPoints++;
      else if (Object.keys(p.fields).length === 0) this.counters.rejectedPoints++;
      else {
        this.queue.push(this.hasExtraTags ? { ...p, tags: { ...this.extraTags, ...p.tags } } : p);
        this.bufferedTotal++;
      }
    }
    this.kick();
  }

  flush(): Promise<void> {
    if (this.settledTotal >= this.bufferedTotal) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.flushWaiters.push({ mark: this.bufferedTotal, resolve }));
    this.kick();
    return flushed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.closeTimeoutMs)));
    const result = await Promise.race([this.flush().then(() => 'flushed' as const), gaveUp]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.abandoned = true;
      this.wakeBackoff?.();
      await this.sending;
      this.counters.droppedPoints += this.queue.length;
      this.settle(this.queue.length);
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  stats(): TelemetryStats {
    return { ...this.counters, bufferedPoints: this.queue.length, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}) };
  }

  /** Sends now (a full batch, a due interval, a waiting flush), else makes the oldest point wait at most its flush interval. */
  private kick(): void {
    if (this.abandoned || this.queue.length === 0 || this.sending !== undefined) return;
    if (this.queue.length >= this.config.batchSize || this.intervalDue || this.flushWaiters.length > 0) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      // The sender runs until nothing is due; what came in after it stopped is looked at again here.
      this.sending = this.send().finally(() => {
        this.sending = undefined;
        this.kick();
      });
    } else {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.intervalDue = true;
        this.kick();
      }, this.config.flushIntervalMs);
    }
  }

  private async send(): Promise<void> {
    let delayMs = this.config.retryInitialMs;
    let retrying = false;
    while (!this.abandoned && this.queue.length > 0 && (this.queue.length >= this.config.batchSize || this.intervalDue || this.flushWaiters.length > 0)) {
      const batch = this.queue.slice(0, this.config.batchSize);
      if (retrying) this.counters.pointsRetried += batch.length;
      const attempt = await this.attempt(batch);
      if (attempt.outcome === 'failed') {
        this.counters.failedWrites++;
        this.lastError = attempt.error;
        this.setUp(false, attempt.error);
        if (this.abandoned) break;
        retrying = true;
        await this.sleep(delayMs);
        delayMs = Math.min(this.config.retryMaxMs, delayMs * 2);
        continue;
      }
      this.setUp(true);
      retrying = false;
      delayMs = this.config.retryInitialMs;
      // Whatever came in meanwhile starts its own flush interval (unless a flush waits for it).
      this.intervalDue = false;
      this.counters.pointsWritten += batch.length - attempt.refused;
      this.counters.rejectedPoints += attempt.refused;
      this.settle(batch.length);
    }
  }

  /** The first `count` buffered points left the buffer: flushes waiting for them are done. */
  private settle(count: number): void {
    this.queue.splice(0, count);
    this.settledTotal += count;
    const waiting = this.flushWaiters;
    this.flushWaiters = waiting.filter((w) => w.mark > this.settledTotal);
    for (const w of waiting) if (w.mark <= this.settledTotal) w.resolve();
  }

  private async attempt(batch: TelemetryPoint[]): Promise<Attempt> {
    if (!this.schemaReady) {
      try {
        await this.ensureSchema();
      } catch (error) {
        // Whatever the reason (down, or no right to create the database), the batch stays and waits.
        return { outcome: 'failed', error: `cannot set up database ${this.database}: ${(error as Error).message}` };
      }
    }
    try {
      await this.client.writePoints(
        batch.map((p) => ({ measurement: p.measurement, tags: p.tags as Record<string, string>, fields: p.fields, timestamp: p.timeMs })),
        { precision: 'ms', retentionPolicy: this.config.retentionPolicy.name },
      );
      return { outcome: 'written', refused: 0 };
    } catch (error) {
      const status = (error as { res?: { statusCode?: number } }).res?.statusCode;
      const message = (error as Error).message;
      if (status === 404 || /database not found/.test(message)) {
        // The database was dropped (or its server replaced by an empty one): create it again.
        this.schemaReady = false;
        return { outcome: 'failed', error: message };
      }
      if (status !== undefined && status >= 400 && status < 500) {
        // Refused as invalid (a partial write names how many points it dropped): resending cannot help.
        this.lastError = message;
        const dropped = /dropped=(\d+)/.exec(message);
        return { outcome: 'written', refused: dropped ? Math.min(batch.length, Number(dropped[1])) : batch.length };
      }
      return { outcome: 'failed', error: message };
    }
  }

  private async ensureSchema(): Promise<void> {
    const { name, duration } = this.config.retentionPolicy;
    await this.client.createDatabase(this.database);
    const policies = await this.client.showRetentionPolicies(this.database);
    const options = { database: this.database, duration, replication: 1, isDefault: true };
    if (policies.some((p) => p.name === name)) await this.client.alterRetentionPolicy(name, options);
    else await this.client.createRetentionPolicy(name, options);
    this.schemaReady = true;
  }

  private setUp(up: boolean, error?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.dependencies.onStatus?.(up ? { up } : { up, error });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeBackoff = wake;
    });
  }
}
