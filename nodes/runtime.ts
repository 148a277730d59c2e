/**
 * Coordinator and peer nodes as long-running processes. Time is scenario time: the window start at
 * `clock.wallStart` (default: when the node starts), running `clock.speedup` times faster than the
 * wall clock, so a network of processes can replay a recorded day in minutes. Each interval, peers
 * publish offers half an interval ahead, coordinators start the round a quarter interval ahead,
 * and at the interval's start each DER follows its certified setpoint or keeps its safe default.
 * Events are written as JSON lines (one object per line) for operators and tests.
 */
import { SimulatedClock } from 'xstate';
import { DerAgent } from '../actors/der-agent.js';
import { createAdapter, DeviceLinks } from '../actors/devices/registry.js';
import { loadKeyFile, toHex, type KeyPair } from '../protocol/keys.js';
import type { HeightGrid } from '../protocol/round/index.js';
import { createTransport, parseTransportConfig, type Transport } from '../protocol/transport/index.js';
import { loadScenario } from '../sim/scenario.js';
import { limitedFeedersOf, planTimeoutMsOf, prepareRun, pvForecast, runForecaster, runPlanMaker, scenarioDirOf, type PreparedRun } from '../sim/run.js';
import { validatorKeys, type CoordinatorConfig, type PeerConfig } from './config.js';
import { Coordinator } from './coordinator.js';
import { Ledger, loadGenesisFile } from '../chain/index.js';
import { PeerNode } from './peer.js';
import { NETWORK_TOPICS } from './topics.js';
import { EventFeed } from './event-feed.js';
import { coordinatorApiSource, peerApiSource, planStatus, telemetryEvent } from './api-source.js';
import type { ApiServer, ApiSource } from '../api/index.js';
import { commitPoints, openNodeTelemetry, siteIntervalPoints } from './node-telemetry.js';

/** Where a node writes its event lines. */
export type EventLog = (event: Record<string, unknown>) => void;

/** A running node: resolves `done` when the scenario window is over or `stop()` is called. */
export interface RunningNode {
  readonly id: string;
  done: Promise<void>;
  stop(): Promise<void>;
  /** The operator API, when the config has an `api:` block. */
  readonly api?: ApiServer & { url: string };
}

/** How often a node looks at its clock, wall ms. */
const TICK_MS = 10;

interface SharedSetup {
  run: PreparedRun;
  transport: Transport;
  /** What every node of the network is built with: its transport, identity, validator set, grid, horizon and clock. */
  node: {
    transport: Transport;
    networkId: string;
    keyPair: KeyPair;
    validators: Uint8Array[];
    grid: HeightGrid;
    horizonIntervals: number;
    clock: () => number;
  };
  /** Scenario time now, UTC epoch ms. */
  now: () => number;
  /** Replay window scaled to scenario time, ms. */
  replayWindowMs: number;
}

async function setUp(config: CoordinatorConfig | PeerConfig, role: string): Promise<SharedSetup> {
  const run = prepareRun(loadScenario(config.scenario), { scenarioDir: scenarioDirOf(config.scenario), seed: config.seed, dataDir: config.data });
  const wallStartMs = config.clock.wallStart ? Date.parse(config.clock.wallStart) : Date.now();
  const { speedup } = config.clock;
  const now = () => run.grid.startMs + (Date.now() - wallStartMs) * speedup;
  // Several transports make the node a bridge: what arrives on one is relayed on the others, so
  // DER owners on gossip and aggregators on NATS see one protocol.
  const transportConfig =
    config.transports.length === 1
      ? { name: role, network: config.networkId, ...config.transports[0] }
      : { kind: 'bridge', name: role, network: config.networkId, transports: config.transports, forwardTopics: Object.values(NETWORK_TOPICS) };
  const keyPair = loadKeyFile(config.key);
  const transport = await createTransport(parseTransportConfig(transportConfig, `${role} config transports`));
  await transport.start();
  const node = {
    transport,
    networkId: config.networkId,
    keyPair,
    validators: validatorKeys(config),
    grid: { originMs: run.grid.startMs, intervalMs: run.grid.intervalMs },
    horizonIntervals: run.horizonIntervals,
    clock: now,
  };
  return { run, transport, node, now, replayWindowMs: 30_000 * speedup };
}

/** The node's operator API when its config has an `api:` block (fastify is loaded only then). */
async function startNodeApi(config: CoordinatorConfig | PeerConfig, feed: EventFeed, source: ApiSource): Promise<(ApiServer & { url: string }) | undefined> {
  if (!config.api) return undefined;
  const { startApiServer } = await import('../api/index.js');
  return startApiServer({ config: config.api, source, feed });
}

/** Loops `tick` every TICK_MS until the window ends or `stop()`; then runs `finish`. */
function loop(id: string, setup: SharedSetup, tick: () => Promise<void>, finish: () => Promise<void>): RunningNode {
  const endMs = setup.run.grid.startMs + setup.run.grid.count * setup.run.grid.intervalMs;
  let stopping = false;
  const done = (async () => {
    while (!stopping && setup.now() < endMs) {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    // The window's last steps, due at its end.
    if (!stopping) await tick();
    await finish();
    await setup.transport.stop();
  })();
  return {
    id,
    done,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

/** Starts a coordinator node from its config. */
export async function startCoordinator(config: CoordinatorConfig, sink: EventLog): Promise<RunningNode> {
  const feed = new EventFeed(sink);
  const log = feed.log;
  const setup = await setUp(config, 'coordinator');
  const { run, now } = setup;
  const { planMaker } = await runPlanMaker(run, config, runForecaster(run, config), (solve) => feed.live && feed.stream({ event: 'solve', ...solve }));
  const { intervalMs, startMs } = run.grid;
  const ledger = config.chain ? await Ledger.open(config.chain.dir, { genesis: loadGenesisFile(config.chain.genesis), clock: now }) : undefined;
  const telemetry = openNodeTelemetry(config, log);
  if (ledger) log({ event: 'chain', dir: config.chain!.dir, height: ledger.head.height, head: ledger.head.hash });
  const coordinator = new Coordinator({
    ...setup.node,
    planMaker,
    validation: config.validation,
    allowedPeers: config.peers ? new Set(config.peers) : undefined,
    replayWindowMs: setup.replayWindowMs,
    ...(ledger ? { ledger } : {}),
    onBlock: (result) =>
      log(
        'error' in result
          ? { event: 'block-failed', reason: result.error.message }
          : { event: 'block', height: result.appended.height, hash: result.appended.hash, settlements: result.appended.settlements.length, certificates: result.appended.certificates.length, rejected: result.appended.rejections.length },
      ),
    onDecide: (decision, commitMs) => {
      log({ event: 'commit', height: decision.height, intervalStart: new Date(decision.intervalStartMs).toISOString(), round: decision.commit.round, planHash: toHex(decision.commit.planHash), offers: decision.offerIds.length, ders: Object.keys(decision.plan.setpointsKW).length, commitMs });
      if (feed.live) feed.stream({ event: 'plan', ...planStatus(decision.height, decision.intervalStartMs, decision.commit.round, decision.commit.planHash, decision.plan) });
      telemetry?.write(commitPoints(coordinator.id, decision, commitMs));
    },
  });
  coordinator.start();
  const api = await startNodeApi(config, feed, coordinatorApiSource({ id: coordinator.id, networkId: config.networkId, run, validators: config.validators.length, now, coordinator, ...(ledger ? { ledger } : {}) }));
  log({ event: 'started', role: 'coordinator', id: coordinator.id, transport: setup.transport.name, ...(api ? { api: api.url } : {}) });
  const node = loop(
    coordinator.id,
    setup,
    async () => {
      // The round for the next interval starts a quarter interval before it.
      const height = Math.floor((now() - startMs + intervalMs / 4) / intervalMs);
      if (height >= 1) coordinator.startHeight(height);
    },
    async () => {
      await api?.close();
      await coordinator.settled();
      coordinator.stop();
      await ledger?.close();
      await telemetry?.close();
      log({ event: 'stopped', role: 'coordinator', stats: coordinator.stats(), ...(telemetry ? { telemetry: telemetry.stats() } : {}) });
    },
  );
  return api ? { ...node, api } : node;
}

/** The DERs a peer runs: simulated members of the scenario's fleet, or devices behind their adapters. */
interface Site {
  agents: DerAgent[];
  /** Advances simulated physics to `ms` (real devices advance on their own). */
  advanceTo(ms: number): void;
  /** PV forecasts for the horizon from interval `height`, by DER id. */
  pvForecast(height: number): (derId: string) => number[] | undefined;
  close(): Promise<void>;
}

async function openSite(config: PeerConfig, run: PreparedRun, now: () => number, planTimeoutMs: number, clock: SimulatedClock): Promise<Site> {
  if (config.devices) {
    const links = new DeviceLinks();
    const adapters = await Promise.all(config.devices.map((device) => createAdapter(device, { links, holdMs: run.stepMs, now })));
    await Promise.all(adapters.map((a) => a.open()));
    return {
      agents: adapters.map((adapter) => new DerAgent({ adapter, ownerId: config.owner, planTimeoutMs, clock })),
      advanceTo: () => {},
      // A real PV's offer keeps its current available power over the horizon.
      pvForecast: () => () => undefined,
      async close() {
        await Promise.all(adapters.map((a) => a.close()));
        await links.close();
      },
    };
  }
  const fleet = run.newFleet();
  const forecaster = runForecaster(run, config);
  const share = config.fleet!;
  const members = fleet.members.filter((_, k) => k % share.of === share.index);
  return {
    agents: members.map((m) => new DerAgent({ adapter: m.device, ownerId: m.ownerId, feederId: m.feederId, planTimeoutMs, clock })),
    advanceTo: (ms) => {
      for (const m of members) m.device.advanceTo(ms);
    },
    pvForecast: (height) => pvForecast(run, fleet, forecaster, height),
    close: async () => {},
  };
}

/** Starts a peer node: its site's DER actors, their offers and the plans they follow. */
export async function startPeer(config: PeerConfig, sink: EventLog): Promise<RunningNode> {
  const feed = new EventFeed(sink);
  const log = feed.log;
  const setup = await setUp(config, 'peer');
  const { run, now } = setup;
  const { intervalMs, startMs } = run.grid;
  // The actors' plan timeouts run on scenario time.
  const clock = new SimulatedClock();
  clock.set(startMs);
  const planTimeoutMs = planTimeoutMsOf(run.scenario);
  const site = await openSite(config, run, now, planTimeoutMs, clock);
  const { agents } = site;
  const telemetry = openNodeTelemetry(config, log);
  const peer = new PeerNode({
    ...setup.node,
    agents,
    planTimeoutMs,
    limitedFeeders: limitedFeedersOf(run.scenario),
    onCertified: (plan) => feed.live && feed.stream({ event: 'plan', ...planStatus(plan.height, plan.intervalStartMs, plan.round, plan.planHash, plan.plan) }),
  });
  peer.start();
  let adapterErrors = 0;
  const source = peerApiSource({ id: peer.id, networkId: config.networkId, run, validators: config.validators.length, now, peer, agents, adapterErrors: () => adapterErrors });
  const api = await startNodeApi(config, feed, source);
  log({ event: 'started', role: 'peer', id: peer.id, ders: agents.length, transport: setup.transport.name, ...(api ? { api: api.url } : {}) });
  let offeredHeight = 0;
  // Steps run on the step grid from the first whole step after start (a live site joins mid-window).
  let stepMs = startMs + Math.max(0, Math.ceil((now() - startMs) / run.stepMs)) * run.stepMs;
  const node = loop(
    peer.id,
    setup,
    async () => {
      // Offers for the next interval go out half an interval before it.
      const offerHeight = Math.floor((now() - startMs + intervalMs / 2) / intervalMs);
      if (offerHeight > offeredHeight && offerHeight < run.grid.count) {
        offeredHeight = offerHeight;
        await peer.publishOffers(startMs + offerHeight * intervalMs, site.pvForecast(offerHeight));
      }
      // Every step acts whether or not a plan came: an actor without a valid plan falls back to its safe default.
      const untilMs = Math.min(now(), run.grid.startMs + run.grid.count * intervalMs);
      while (stepMs + run.stepMs <= untilMs) {
        const t = stepMs;
        clock.set(t);
        if ((t - startMs) % intervalMs === 0) {
          let followed = 0;
          for (const agent of agents) {
            const slice = peer.sliceFor(agent, t);
            if (slice === undefined) await agent.step(t, run.stepMs);
            else {
              await agent.follow(slice, t, run.stepMs);
              followed++;
            }
          }
          log({ event: 'interval', intervalStart: new Date(t).toISOString(), certified: peer.certified(t) !== undefined, followed, safeDefault: agents.length - followed });
          adapterErrors += agents.filter((a) => a.state === 'fault' || a.lastTelemetry?.online === false).length;
          if (feed.live) feed.stream(telemetryEvent(source, t, run.pricePerMWh[(t - startMs) / intervalMs]));
          if (telemetry) telemetry.write(await siteIntervalPoints(agents, t, (agent) => peer.sliceFor(agent, t)?.setpointsKW[0], peer.certified(t)));
          // The interval that just ended is metered and signed now (the first call sets the registers).
          await peer.publishMeter(t - intervalMs);
        } else {
          for (const agent of agents) await agent.step(t, run.stepMs);
        }
        site.advanceTo(t + run.stepMs);
        stepMs += run.stepMs;
      }
    },
    async () => {
      await api?.close();
      peer.stop();
      for (const agent of agents) agent.stop();
      await site.close();
      await telemetry?.close();
      log({ event: 'stopped', role: 'peer', stats: peer.stats(), ...(telemetry ? { telemetry: telemetry.stats() } : {}) });
    },
  );
  return api ? { ...node, api } : node;
}
