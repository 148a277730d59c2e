/**
 * The seam between what produces telemetry (simulations, coordinator and peer nodes) and where it
 * is kept. A producer hands points over and goes on: a sink never blocks it and never throws at it,
 * whether its database is up or not.
 */

/** A field value of a point: numbers are stored as floats, strings and booleans as they are. */
export type TelemetryFieldValue = number | string | boolean;

/** One time-series point. */
export interface TelemetryPoint {
  /** Measurement name (`der`, `fleet`, `plan`, `signal`, `service_score`, `commit`, …). */
  measurement: string;
  /** Indexed string values that identify the series (der, owner, feeder, kind, …). */
  tags: Readonly<Record<string, string>>;
  /** At least one field; non-finite numbers are left out by the point builders. */
  fields: Readonly<Record<string, TelemetryFieldValue>>;
  /** UTC epoch ms, from the producer's clock (a simulation's virtual clock, a node's scenario time). */
  timeMs: number;
}

/** Counters of a sink since it was opened. */
export interface TelemetryStats {
  /** Points the database acknowledged. */
  pointsWritten: number;
  /** Points sent again after a failed attempt (each resend counts). */
  pointsRetried: number;
  /** Points lost on our side: written while the buffer was full, or still unsent when `close` gave up. */
  droppedPoints: number;
  /** Points the database refused as invalid (e.g. older than its retention policy); never resent. */
  rejectedPoints: number;
  /** Points waiting in the buffer (including a batch in flight). */
  bufferedPoints: number;
  /** Write requests that failed (the database down, a timeout, a 5xx answer). */
  failedWrites: number;
  /** The last failure, for operators; absent when none happened. */
  lastError?: string;
}

/** Where telemetry points go. */
export interface TelemetrySink {
  /** Queues points; returns at once, never throws (points beyond the sink's buffer are counted as dropped). */
  write(points: readonly TelemetryPoint[]): void;
  /** Resolves once every point queued so far was written, refused or dropped. */
  flush(): Promise<void>;
  /** Flushes (within the sink's close timeout) and releases the sink; later writes are dropped. */
  close(): Promise<void>;
  stats(): TelemetryStats;
}
