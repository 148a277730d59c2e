/**
 * Config files of `vpp coordinator --config FILE` and `vpp peer --config FILE` (YAML or JSON).
 * Paths in a config resolve against the config file's folder. Errors name the file and the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { deviceConfigSchema } from '../actors/devices/registry.js';
import { fromHex } from '../protocol/keys.js';
import { apiConfigSchema } from '../api/config.js';
import { telemetryConfigSchema } from '../telemetry/config.js';
import { forecastNames, type ForecastName } from '../sim/forecast.js';

const forecastSchema = z.enum(forecastNames as [ForecastName, ...ForecastName[]]);

const publicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (an ed25519 public key)');
const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO 8601 time with offset');

/**
 * A transport entry as `transportConfigSchema` describes it, except that `name` and `network`
 * default to the node's role and the network id (checked in full when the node starts).
 */
const nodeTransportSchema = z.record(z.string(), z.unknown());

const commonShape = {
  /** Network id signed into every envelope (letters, digits, `_`, `-`). */
  networkId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' or '-'"),
  /** Key file written by `vpp keygen`. */
  key: z.string().min(1),
  /** The validator set's public keys, in proposer order. */
  validators: z.array(publicKeyHex).min(1),
  /** One transport, or several that the node bridges. */
  transports: z.array(nodeTransportSchema).min(1),
  /** Scenario file: market prices, planning settings, the interval grid (and for peers, the fleet). */
  scenario: z.string().min(1),
  /** Seed of the scenario's fleet (default: the scenario's). */
  seed: z.number().int().optional(),
  clock: z
    .strictObject({
      /** Scenario seconds per wall second: 1 = live; 60 replays a 5-minute interval in 5 s. */
      speedup: z.number().positive().default(1),
      /** Wall time at which scenario time is the window start; every node of a network uses the same. Default: now at start. */
      wallStart: isoTime.optional(),
    })
    .prefault({}),
  /** Folder of recorded grid data (default: $VPP_DATA, else ../shared/data). */
  data: z.string().optional(),
  /** Operator API and dashboard (absent: the node serves nothing). */
  api: apiConfigSchema.optional(),
  /** Where the node's telemetry goes (`influx`: an InfluxDB 1.x); none written without it. */
  telemetry: telemetryConfigSchema.optional(),
};

/** `vpp coordinator` config. */
export const coordinatorConfigSchema = z.strictObject({
  ...commonShape,
  /** Peer public keys allowed to offer; absent = any key (first to offer a DER id owns it). */
  peers: z.array(publicKeyHex).optional(),
  validation: z.enum(['re-solve', 'verify']).default('re-solve'),
  /** Keep the settlement chain: a block per committed interval in `dir`, under the genesis record in `genesis` (JSON). */
  chain: z.strictObject({ dir: z.string().min(1), genesis: z.string().min(1) }).optional(),
  solver: z.enum(['glpk', 'highs']).optional(),
  forecast: forecastSchema.optional(),
});
export type CoordinatorConfig = z.infer<typeof coordinatorConfigSchema>;

/** `vpp peer` config: a site runs either simulated DERs of the scenario's fleet or its own devices. */
export const peerConfigSchema = z
  .strictObject({
    ...commonShape,
    /** Simulated DERs of the scenario's fleet: every `of`-th one starting at `index`. */
    fleet: z.strictObject({ index: z.number().int().nonnegative(), of: z.number().int().positive() }).refine((f) => f.index < f.of, { message: 'index must be below of', path: ['index'] }).optional(),
    /** Real (or simulated) devices through their adapters: SunSpec/Modbus TCP, OCPP 1.6J, MQTT. */
    devices: z.array(deviceConfigSchema).min(1).optional(),
    /** Owner of the site's devices (settlement). */
    owner: z.string().min(1).max(128).default('owner'),
    forecast: forecastSchema.optional(),
  })
  .refine((c) => (c.fleet === undefined) !== (c.devices === undefined), { message: 'give exactly one of fleet (simulated DERs of the scenario) or devices', path: ['devices'] })
  .refine((c) => c.devices === undefined || c.clock.speedup === 1, { message: 'devices run in real time: clock.speedup must be 1', path: ['clock', 'speedup'] });
export type PeerConfig = z.infer<typeof peerConfigSchema>;

/** A config file that cannot be read or does not match its schema. */
export class NodeConfigError extends Error {
  readonly code = 'VPP_ERR_NODE_CONFIG';
}

/** Reads and validates a config file; relative paths in it become absolute (against the file's folder). */
export function loadNodeConfig<S extends typeof coordinatorConfigSchema | typeof peerConfigSchema>(path: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new NodeConfigError(`${path}: cannot read config: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new NodeConfigError(`${path}: invalid config:\n${lines.join('\n')}`);
  }
  const config = parsed.data as z.infer<S>;
  const base = dirname(resolve(path));
  const chain = 'chain' in config && config.chain ? { chain: { dir: resolve(base, config.chain.dir), genesis: resolve(base, config.chain.genesis) } } : {};
  const runs = config.api?.runs ? { api: { ...config.api, runs: { dir: resolve(base, config.api.runs.dir), scenarios: resolve(base, config.api.runs.scenarios) } } } : {};
  return { ...config, key: resolve(base, config.key), scenario: resolve(base, config.scenario), ...(config.data ? { data: resolve(base, config.data) } : {}), ...chain, ...runs };
}

/** The validator keys of a config as bytes. */
export function validatorKeys(config: { validators: string[] }): Uint8Array[] {
  return config.validators.map((hex) => fromHex(hex, 32)!);
}
