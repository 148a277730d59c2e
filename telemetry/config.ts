/**
 * The `telemetry` block of scenarios and node configs, and the `--influx URL` flag. Influx is
 * optional: without the block nothing is written and nothing connects.
 */
import { z } from 'zod';

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Database named by a URL's path (`http://host:8086/vpp` → `vpp`); undefined for `/`, no path or no http URL. */
function databaseOfUrl(text: string): string | undefined {
  const url = httpUrl(text);
  const path = url && decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
  return path === '' ? undefined : path;
}

const DATABASE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const DEFAULT_DATABASE = 'vpp';

const influxShape = z.strictObject({
  /** InfluxDB 1.x HTTP API, e.g. http://127.0.0.1:8086; a path names the database (http://host:8086/vpp). */
  url: z.string().refine((text) => httpUrl(text) !== undefined, 'expected an http:// or https:// URL, e.g. http://127.0.0.1:8086/vpp'),
  /** Database (created when missing); default: the URL's path, else `vpp`. */
  database: z.string().regex(DATABASE_NAME, "letters, digits, '_', '.' or '-' (at most 64)").optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  /** Retention policy (created, or altered to this duration, and made the database's default). */
  retentionPolicy: z
    .strictObject({
      name: z.string().regex(DATABASE_NAME, "letters, digits, '_', '.' or '-' (at most 64)").default('vpp'),
      /** InfluxQL duration (≥ 1h) or INF. A simulation stamps points with recorded (past) times: it needs one that reaches back to them. */
      duration: z.string().regex(/^(INF|([0-9]+[hdw])+)$/, 'expected INF or an InfluxQL duration of hours, days or weeks, e.g. 52w').default('INF'),
    })
    .prefault({}),
  /** Points per write request; a partial batch goes out after `flushIntervalMs`. */
  batchSize: z.number().int().positive().default(5000),
  /** Longest a point waits for its batch to fill, wall ms. */
  flushIntervalMs: z.number().positive().default(1000),
  /** Points held in memory while the database is slow or down (including a batch in flight); beyond it new points are dropped and counted. */
  bufferPoints: z.number().int().positive().default(100_000),
  /** First and longest wait between attempts while the database is down, wall ms (doubling in between). */
  retryInitialMs: z.number().positive().default(100),
  retryMaxMs: z.number().positive().default(5000),
  /** One write request may take this long before it counts as failed, wall ms. */
  requestTimeoutMs: z.number().positive().default(5000),
  /** `close` keeps trying this long to write what is buffered; whatever is left then counts as dropped, wall ms. */
  closeTimeoutMs: z.number().nonnegative().default(10_000),
  /** Tags added to every point (e.g. a run or site name). */
  tags: z.record(z.string().min(1), z.string().min(1)).default({}),
});

/** `telemetry.influx`: where and how points go to an InfluxDB 1.x. */
export const influxConfigSchema = influxShape
  .refine((c) => c.bufferPoints >= c.batchSize, { message: 'must be at least batchSize', path: ['bufferPoints'] })
  .refine((c) => c.retryMaxMs >= c.retryInitialMs, { message: 'must be at least retryInitialMs', path: ['retryMaxMs'] })
  .refine(
    (c) => {
      const fromUrl = databaseOfUrl(c.url);
      return c.database === undefined || fromUrl === undefined || fromUrl === c.database;
    },
    { message: "names another database than url's path: give one of them", path: ['database'] },
  )
  // Refinements run even when `url` failed its own check: they pass on a bad URL, reported there once.
  .refine((c) => c.database !== undefined || DATABASE_NAME.test(databaseOfUrl(c.url) ?? DEFAULT_DATABASE), {
    message: "the path (database name) must be letters, digits, '_', '.' or '-' (at most 64)",
    path: ['url'],
  });
export type InfluxConfig = z.output<typeof influxConfigSchema>;
export type InfluxConfigInput = z.input<typeof influxConfigSchema>;

/** The `telemetry` block. */
export const telemetryConfigSchema = z.strictObject({ influx: influxConfigSchema.optional() });
export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;

/** Telemetry settings that do not validate. */
export class TelemetryConfigError extends Error {
  readonly code = 'VPP_ERR_TELEMETRY_CONFIG';
  override readonly name = 'TelemetryConfigError';
}

/** Validates an influx block; errors name `origin` and each bad field (`origin.batchSize: …`). */
export function parseInfluxConfig(raw: unknown, origin: string): InfluxConfig {
  const parsed = influxConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${[origin, ...issue.path].join('.')}: ${issue.message}`);
    throw new TelemetryConfigError(`invalid InfluxDB telemetry settings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * The influx settings with `url` from a flag (`--influx http://host:8086/db`) in place of the
 * configured one; the flag's path, when it has one, names the database. `origin` names the flag.
 */
export function withInfluxUrl(config: InfluxConfig | undefined, url: string, origin: string): InfluxConfig {
  const parsedUrl = httpUrl(url);
  if (parsedUrl === undefined) throw new TelemetryConfigError(`${origin} '${url}': expected an http:// or https:// URL, e.g. http://127.0.0.1:8086/vpp`);
  const { database, ...rest } = config ?? {};
  const keepDatabase = databaseOfUrl(url) === undefined && database !== undefined ? { database } : {};
  return parseInfluxConfig({ ...rest, ...keepDatabase, url }, origin);
}

/** Where the settings point: the server's base URL (no path) and the database. */
export function influxTarget(config: InfluxConfig): { baseUrl: string; database: string } {
  const url = httpUrl(config.url)!;
  return { baseUrl: `${url.protocol}//${url.host}`, database: config.database ?? databaseOfUrl(config.url) ?? DEFAULT_DATABASE };
}
