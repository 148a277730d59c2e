import { z } from 'zod';
import { MemoryTransport, type MemoryHub } from './memory.js';
import { TransportError, type Transport } from './transport.js';

export {
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
// Type-only, so importing this index does not load the nats or libp2p packages.
export type { NatsTransport, NatsTransportOptions } from './nats.js';
export type { Libp2pTransport, Libp2pTransportOptions } from './libp2p.js';
export { MemoryHub, MemoryTransport, type DeliveryScheduler, type LinkFaults, type MemoryHubOptions } from './memory.js';

const common = {
  name: z.string().min(1),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_' or '-'"),
  maxPayloadBytes: z.number().int().positive().optional(),
};

/** Schema of a transport's configuration as it appears in a node's config file (memory needs a hub too). */
export const transportConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory'), ...common }),
  z.strictObject({
    kind: z.literal('nats'),
    ...common,
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    reconnectWaitMs: z.number().positive().optional(),
    connectTimeoutMs: z.number().positive().optional(),
    pingIntervalMs: z.number().positive().optional(),
  }),
  z.strictObject({
    kind: z.literal('libp2p'),
    ...common,
    host: z.string().min(1).optional(),
    listenPort: z.number().int().min(0).max(65535).optional(),
    bootstrap: z.array(z.string().min(1)).optional(),
    redialIntervalMs: z.number().positive().optional(),
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
 * Builds an unstarted transport for `config`. The NATS and libp2p modules are loaded only when
 * asked for, so simulations on the memory hub do not pay for them. `memory` needs `deps.hub`.
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
  }
}
