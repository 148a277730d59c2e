import { z } from 'zod';
import { MemoryTransport, type MemoryHub } from './memory.js';
import { TOPIC_PATTERN, TransportError, type Transport } from './transport.js';

export {
  TOPIC_PATTERN,
  TransportError,
  assertNetworkId,
  assertTopic,
  type MessageHandler,
  type Transport,
  type TransportErrorCode,
  type TransportEvent,
  type TransportState,
  type TransportStats,
} from './transport.js';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './base-transport.js';
// Type-only, so importing this index does not load the nats or libp2p packages (nor the bridge).
export type { NatsTransport, NatsTransportOptions } from './nats.js';
export type { Libp2pTransport, Libp2pTransportOptions } from './libp2p.js';
export type { BridgeStats, BridgeTransport, BridgeTransportOptions } from './bridge.js';
export { MemoryHub, MemoryTransport, type DeliveryScheduler, type LinkFaults, type MemoryHubOptions } from './memory.js';
export { FaultyLinkTransport, type FaultyLinkOptions, type LinkScheduler } from './faulty-link.js';

const common = {
  name: z.string().min(1),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_' or '-'"),
  maxPayloadBytes: z.number().int().positive().optional(),
};

const memoryConfigSchema = z.strictObject({ kind: z.literal('memory'), ...common });
const natsConfigSchema = z.strictObject({
  kind: z.literal('nats'),
  ...common,
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  reconnectWaitMs: z.number().positive().optional(),
  connectTimeoutMs: z.number().positive().optional(),
  pingIntervalMs: z.number().positive().optional(),
});
const libp2pConfigSchema = z.strictObject({
  kind: z.literal('libp2p'),
  ...common,
  host: z.string().min(1).optional(),
  listenPort: z.number().int().min(0).max(65535).optional(),
  bootstrap: z.array(z.string().min(1)).optional(),
  redialIntervalMs: z.number().positive().optional(),
});
/** Inside a bridge, `name` and `network` default to the bridge's (see {@link createTransport}). */
const inheritsIdentity = { name: common.name.optional(), network: common.network.optional() };
const bridgedConfigSchema = z.discriminatedUnion('kind', [
  memoryConfigSchema.extend(inheritsIdentity),
  natsConfigSchema.extend(inheritsIdentity),
  libp2pConfigSchema.extend(inheritsIdentity),
]);

/** Schema of a transport's configuration as it appears in a node's config file (memory needs a hub too). */
export const transportConfigSchema = z.discriminatedUnion('kind', [
  memoryConfigSchema,
  natsConfigSchema,
  libp2pConfigSchema,
  z.strictObject({
    kind: z.literal('bridge'),
    ...common,
    transports: z.array(bridgedConfigSchema).min(2),
    forwardTopics: z.array(z.string().regex(TOPIC_PATTERN, "dot-separated tokens of letters, digits, '_' or '-'")).optional(),
    maxSeenPayloads: z.number().int().positive().optional(),
  }),
]);

/** A transport's configuration: `kind` picks the implementation; the other fields are its options. */
export type TransportConfig = z.infer<typeof transportConfigSchema>;

/** Validates `input` (e.g. parsed YAML); throws VPP_ERR_TRANSPORT_CONFIG naming `source` and each bad field. */
export function parseTransportConfig(input: unknown, source: string): TransportConfig {
  const result = transportConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `invalid transport config in ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

/**
 * Builds an unstarted transport for `config`. The NATS, libp2p and bridge modules are loaded only
 * when asked for, so simulations on the memory hub do not pay for them. `memory` needs `deps.hub`
 * (inside a bridge too). A bridged transport without a name is called `<bridge name>.<index>.<kind>`.
 */
export async function createTransport(config: TransportConfig, deps: { hub?: MemoryHub } = {}): Promise<Transport> {
  switch (config.kind) {
    case 'memory': {
      if (deps.hub === undefined) {
        throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${config.name}: kind 'memory' needs a MemoryHub (deps.hub)`);
      }
      return new MemoryTransport({ ...config, hub: deps.hub });
    }
    case 'nats': {
      const { NatsTransport } = await import('./nats.js');
      return new NatsTransport(config);
    }
    case 'libp2p': {
      const { Libp2pTransport } = await import('./libp2p.js');
      return new Libp2pTransport(config);
    }
    case 'bridge': {
      const { BridgeTransport } = await import('./bridge.js');
      const { transports, ...options } = config;
      const inner = await Promise.all(
        transports.map((t, i) => createTransport({ ...t, name: t.name ?? `${config.name}.${i}.${t.kind}`, network: t.network ?? config.network }, deps)),
      );
      return new BridgeTransport({ ...options, transports: inner });
    }
  }
}
