/**
 * A small live network for the API tests: one validator (coordinator with a settlement chain) and
 * one peer, started in this process through the node runtime over a real nats-server, each with
 * an `api:` block on a free port, and a read and an operator token.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newToken } from '../../api/auth.js';
import { coordinatorConfigSchema, peerConfigSchema } from '../../nodes/config.js';
import { startCoordinator, startPeer, type RunningNode } from '../../nodes/runtime.js';
import { generateKeyPair, saveKeyFile, toHex } from '../../protocol/keys.js';
import { registeredDers } from '../nodes/genesis-helpers.js';
import { aemoScenario, tempDir, writeScenario } from '../sim/helpers.js';
import { freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';

/** A node of the network with the events it logged. */
export interface ApiNode {
  node: RunningNode & { api: NonNullable<RunningNode['api']> };
  url: string;
  events: Record<string, unknown>[];
}

export interface ApiNetwork {
  dir: string;
  coordinator: ApiNode;
  peer: ApiNode;
  /** Tokens in clear (the configs hold their hashes). */
  readToken: string;
  operatorToken: string;
  /** A scenario file name in the coordinator's api.runs.scenarios folder (6 h, 4 batteries, no network: a few seconds). */
  smallScenario: string;
  stop(): Promise<void>;
}

/** A scenario `vpp sim` runs in a few seconds. */
export function smallScenario(): Record<string, unknown> {
  return aemoScenario(1, {
    name: 'api test run',
    window: { start: '2022-09-05T00:00:00+10:00', end: '2022-09-05T06:00:00+10:00' },
    planning: { horizonH: 4, blocks: [{ untilH: 1, periodMin: 5 }, { untilH: 4, periodMin: 30 }] },
    fleet: { batteries: [{ name: 'b', count: 4, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: 0.5 }] },
    consensus: { transport: 'direct' },
  });
}

/**
 * Starts the network; scenario time runs `speedup` times faster than the wall clock from now
 * (150: a 5-minute interval every 2 s), over `intervals` intervals of a sunny AEMO morning.
 */
export async function startApiNetwork(options: { speedup?: number; intervals?: number; rateLimitMax?: number } = {}): Promise<ApiNetwork> {
  const dir = tempDir('api');
  const natsPort = await freePort();
  const nats: ChildProcess = await startNatsServer(natsPort);
  const intervals = options.intervals ?? 40;
  const startMs = Date.parse('2022-09-05T10:00:00+10:00');
  const scenarioObject = aemoScenario(1, { window: { start: new Date(startMs).toISOString(), end: new Date(startMs + intervals * 300_000).toISOString() } });
  const scenario = writeScenario(dir, 'scenario.json', scenarioObject);
  mkdirSync(join(dir, 'scenarios'));
  const small = 'small.json';
  writeScenario(join(dir, 'scenarios'), small, smallScenario());
  const validator = generateKeyPair();
  saveKeyFile(join(dir, 'coordinator.json'), validator);
  const peerKey = generateKeyPair();
  saveKeyFile(join(dir, 'peer.json'), peerKey);
  const share = { index: 0, of: 1 };
  const networkId = 'api-test';
  writeFileSync(
    join(dir, 'genesis.json'),
    JSON.stringify({ networkId, validators: [toHex(validator.publicKey)], currency: 'AUD', feeFrac: 0.1, certificateUnitKWh: 0.05, ders: registeredDers(scenarioObject, dir, share, toHex(peerKey.publicKey)) }),
  );
  const read = newToken();
  const operator = newToken();
  const api = {
    port: 0,
    tokens: [
      { name: 'reader', role: 'read', sha256: read.sha256 },
      { name: 'ops', role: 'operator', sha256: operator.sha256 },
    ],
    rateLimit: { max: options.rateLimitMax ?? 100_000 },
  };
  const common = {
    networkId,
    validators: [toHex(validator.publicKey)],
    transports: [{ kind: 'nats', servers: `nats://127.0.0.1:${natsPort}` }],
    scenario,
    clock: { speedup: options.speedup ?? 150, wallStart: new Date(Date.now() + 1_000).toISOString() },
  };
  const write = (name: string, config: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(config));
    return path;
  };
  const { loadNodeConfig } = await import('../../nodes/config.js');
  const coordinatorConfig = loadNodeConfig(
    write('coordinator.yaml', { ...common, key: 'coordinator.json', chain: { dir: 'chain', genesis: 'genesis.json' }, api: { ...api, runs: { dir: 'runs', scenarios: 'scenarios' } } }),
    coordinatorConfigSchema,
  );
  const peerConfig = loadNodeConfig(write('peer.yaml', { ...common, key: 'peer.json', fleet: share, api }), peerConfigSchema);
  const started: ApiNode[] = [];
  const start = async (run: (log: (e: Record<string, unknown>) => void) => Promise<RunningNode>): Promise<ApiNode> => {
    const events: Record<string, unknown>[] = [];
    const node = await run((e) => events.push(e));
    if (!node.api) throw new Error('node started without its API');
    const handle = { node: node as ApiNode['node'], url: node.api.url, events };
    started.push(handle);
    return handle;
  };
  const coordinator = await start((log) => startCoordinator(coordinatorConfig, log));
  const peer = await start((log) => startPeer(peerConfig, log));
  return {
    dir,
    coordinator,
    peer,
    readToken: read.token,
    operatorToken: operator.token,
    smallScenario: small,
    async stop() {
      await Promise.all(started.map((n) => n.node.stop()));
      await killProcess(nats);
    },
  };
}

/** Polls `condition` every 50 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function until<T>(what: string, condition: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET/POST JSON with an optional bearer token; returns status and parsed body. */
export async function call(url: string, options: { token?: string; method?: string; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(url, { method: options.method ?? (payload === undefined ? 'GET' : 'POST'), headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (HTML, CSV, metrics): kept as text.
  }
  return { status: res.status, body };
}
