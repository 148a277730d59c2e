/**
 * The real protocol inside a simulation: n coordinator nodes and m peer nodes (the fleet's DER
 * actors split among them) on one transport. Every interval the peers sign and publish their
 * offers, the coordinators run the BFT round on them, and each peer hands its DERs only the plan of
 * a certificate it verified. On the in-memory hub everything runs in virtual time (deliveries and
 * timers from one discrete-event queue), so a seed fixes the run; on NATS or libp2p the round runs
 * in real time between real connections.
 */
import { performance } from 'node:perf_hooks';
import type { DerAgent } from '../actors/der-agent.js';
import type { PlanSlice } from '../actors/der-actor.js';
import { Coordinator } from '../nodes/coordinator.js';
import { PeerNode } from '../nodes/peer.js';
import type { PlanMaker, PlanValidation } from '../nodes/planning.js';
import { SafetyChecker } from '../protocol/consensus/index.js';
import { sha256 } from '../protocol/hashes.js';
import { keyPairFromSeed, toHex, type KeyPair, type SignatureVerifier } from '../protocol/keys.js';
import { rmSync } from 'node:fs';
import { Ledger, type GenesisInput, type IntervalAppended } from '../chain/index.js';
import { memoizingVerifier, type HeightGrid, type RoundFault } from '../protocol/round/index.js';
import { DecodeMemo } from '../protocol/decode-memo.js';
import { createNodeCryptoVerifier } from '../protocol/verifier-node-crypto.js';
import { createTransport, MemoryHub, type Transport, type TransportConfig } from '../protocol/transport/index.js';
import { percentile } from './percentile.js';
import { VirtualTime } from './virtual-time.js';

/** Transports a simulation can run the protocol over. */
export type SimTransportKind = 'memory' | 'nats' | 'libp2p';

/** How the simulated network is laid out. */
export interface SimConsensusSettings {
  transport: SimTransportKind;
  validators: number;
  peers: number;
  validation: PlanValidation;
  /** One-way delay on every in-memory link, ms. */
  linkDelayMs: number;
  /** NATS server URL(s) for `transport: nats`. */
  natsServers: string;
  /** Longest a round may take before the interval goes on without a plan, ms (wall time on real transports). */
  roundBudgetMs: number;
  /** Byzantine faults injected into validators (each applies those naming its index). */
  faults: readonly RoundFault[];
}

/** What the summary reports about consensus. */
export interface ConsensusSummary {
  transport: SimTransportKind;
  validators: number;
  peers: number;
  /** Heights started. */
  rounds: number;
  /** Heights every peer received a verified certificate for. */
  commits: number;
  /** Heights decided in a round above 0. */
  roundChanges: number;
  /** Wall time from a height's start to its decision at a coordinator, ms. */
  commitMsP50: number;
  commitMsP99: number;
  /** Heights with two different certified plans, counted from what the peers and coordinators saw. */
  safetyViolations: number;
  /** Envelopes the coordinators rejected (offers and consensus messages), by code. */
  rejected: Record<string, number>;
  /** Proposals the coordinators judged invalid. */
  proposalsRejected: number;
  /** DER-intervals without a certified plan: those DERs kept their safe default. */
  uncertifiedDerIntervals: number;
  /** Heights some peer got no certified plan for (the first 100). */
  missedHeights: number[];
}

/** What the summary reports about settlement (currency units; the chain holds minor units). */
export interface SettlementSummary {
  chainHeight: number;
  headHash: string;
  /** Everything the market paid, energy and services. */
  marketPaid: number;
  /** What the market paid for grid-service capacity and performance (part of marketPaid). */
  servicePaid: number;
  paidToOwners: number;
  fee: number;
  penalties: number;
  certificatesIssued: number;
  co2AvoidedKg: number;
  meterReadingsRejected: number;
}

/** What `summary.settlement` says about `ledger`, in currency units. */
export function settlementSummaryOf(ledger: Ledger, meterReadingsRejected: number): SettlementSummary {
  const totals = ledger.totals;
  const unit = ledger.genesis.minorUnitsPerUnit;
  return {
    chainHeight: ledger.head.height,
    headHash: ledger.head.hash,
    marketPaid: totals.marketPaidMinor / unit,
    servicePaid: totals.servicePaidMinor / unit,
    paidToOwners: totals.paidToOwnersMinor / unit,
    fee: totals.feeMinor / unit,
    penalties: totals.penaltyMinor / unit,
    certificatesIssued: totals.certificatesIssued,
    co2AvoidedKg: totals.co2AvoidedKg,
    meterReadingsRejected,
  };
}

/** Where and under which rules the network keeps its settlement chain. */
export interface SimChainSettings {
  dir: string;
  currency: string;
  genesis?: Partial<Pick<GenesisInput, 'feeFrac' | 'deviationPenalty' | 'certificateUnitKWh' | 'carbonIntensity'>>;
}

/** Over real transports, how long the simulation waits for the peers' offers before they send them again, wall ms. */
const OFFER_RESEND_MS = 1000;

/** One network for a simulation; see the module comment. */
export class SimConsensus {
  private readonly commitMs: number[] = [];
  private readonly safety = new SafetyChecker();
  private rounds = 0;
  private commits = 0;
  private uncertified = 0;
  private readonly missedHeights: number[] = [];
  private blockError: Error | undefined;
  private meterRejections = 0;
  /** Sim time of the current interval's start and the wall time it began (real transports). */
  private simNowMs: number;
  private wallAtNowMs = performance.now();

  private constructor(
    private readonly settings: SimConsensusSettings,
    private readonly grid: HeightGrid,
    private readonly coordinators: Coordinator[],
    private readonly peers: { node: PeerNode; agents: DerAgent[] }[],
    private readonly transports: Transport[],
    private readonly virtualTime: VirtualTime | undefined,
    private readonly ledger: Ledger | undefined,
  ) {
    this.simNowMs = grid.originMs;
  }

  /**
   * Builds and starts the nodes. Keys come from `seed`; agents are dealt to peers round-robin.
   */
  static async start(options: {
    settings: SimConsensusSettings;
    seed: number;
    networkId: string;
    grid: HeightGrid;
    horizonIntervals: number;
    planMaker: PlanMaker;
    agents: DerAgent[];
    planTimeoutMs: number;
    /** Feeders with limits: peers keep a PV's planned output there as its cap. */
    limitedFeeders?: ReadonlySet<string>;
    /** Keep a settlement chain (at the first coordinator) in this folder. */
    chain?: SimChainSettings;
  }): Promise<SimConsensus> {
    const { settings, grid, seed, networkId } = options;
    const virtualTime = settings.transport === 'memory' ? new VirtualTime(grid.originMs) : undefined;
    const hub = virtualTime ? new MemoryHub({ seed, schedule: virtualTime.schedule, defaultLink: { delayMs: settings.linkDelayMs } }) : undefined;
    const validatorKeys = Array.from({ length: settings.validators }, (_, k) => simKey(seed, 'validator', k));
    const validators = validatorKeys.map((k) => k.publicKey);
    const peerCount = Math.max(1, Math.min(settings.peers, options.agents.length));
    const peerKeys = Array.from({ length: peerCount }, (_, k) => simKey(seed, 'peer', k));
    const transports: Transport[] = [];
    let network: SimConsensus | undefined;
    const clock = (): number => network?.now() ?? grid.originMs;
    const { planMaker, horizonIntervals } = options;
    // All nodes share this process: a signature one node checked is not re-checked by the next
    // (separate machines would check it in parallel). Only valid signatures are remembered.
    const verifier = memoizingVerifier(createNodeCryptoVerifier(), 200_000);
    // Likewise a payload one node decoded and checked (offers, proposals, commits).
    const decodeMemo = new DecodeMemo(10_000);
    const libp2pAddrs: string[] = [];
    const newTransport = async (name: string, bootstrap: string[]): Promise<Transport> => {
      const config: TransportConfig =
        settings.transport === 'memory' ? { kind: 'memory', name, network: networkId }
          : settings.transport === 'nats' ? { kind: 'nats', name, network: networkId, servers: settings.natsServers }
            : { kind: 'libp2p', name, network: networkId, bootstrap, redialIntervalMs: 200 };
      const transport = await createTransport(config, { hub });
      await transport.start();
      transports.push(transport);
      if (settings.transport === 'libp2p') {
        const { Libp2pTransport } = await import('../protocol/transport/libp2p.js');
        if (transport instanceof Libp2pTransport && name.startsWith('coordinator')) libp2pAddrs.push(transport.listenAddrs()[0]);
      }
      return transport;
    };
    const dealt = Array.from({ length: peerCount }, (_, k) => options.agents.filter((_, index) => index % peerCount === k));
    const ledger = options.chain ? await openSimLedger(options.chain, networkId, validators, dealt, peerKeys, verifier, clock) : undefined;
    const coordinators: Coordinator[] = [];
    for (const [k, keyPair] of validatorKeys.entries()) {
      const coordinator = new Coordinator({
        transport: await newTransport(`coordinator-${k}`, [...libp2pAddrs]),
        networkId,
        keyPair,
        validators,
        grid,
        horizonIntervals,
        planMaker,
        validation: settings.validation,
        allowedPeers: new Set(peerKeys.map((p) => toHex(p.publicKey))),
        clock,
        verifier,
        decodeMemo,
        ...(k === 0 && ledger ? { ledger, onBlock: (result: { error: Error } | object) => network?.recordBlock(result) } : {}),
        round: { faults: settings.faults, ...(virtualTime ? { schedule: virtualTime.schedule } : {}) },
        onDecide: (decision, ms) => {
          network?.recordDecision(toHex(keyPair.publicKey), decision.height, toHex(decision.commit.planHash), ms);
        },
      });
      coordinators.push(coordinator);
    }
    const peers: { node: PeerNode; agents: DerAgent[] }[] = [];
    for (const [k, keyPair] of peerKeys.entries()) {
      const agents = dealt[k];
      const node = new PeerNode({
        transport: await newTransport(`peer-${k}`, [...libp2pAddrs]),
        networkId,
        keyPair,
        validators,
        grid,
        agents,
        horizonIntervals,
        planTimeoutMs: options.planTimeoutMs,
        limitedFeeders: options.limitedFeeders,
        clock,
        verifier,
        decodeMemo,
        onCertified: (plan) => network?.safety.record(`peer-${k}`, plan.height, toHex(plan.planHash)),
      });
      peers.push({ node, agents });
    }
    network = new SimConsensus(settings, grid, coordinators, peers, transports, virtualTime, ledger);
    for (const c of coordinators) c.start();
    for (const p of peers) p.node.start();
    if (settings.transport === 'libp2p') await network.waitForMesh();
    return network;
  }

  /** The network's clock: virtual time on the memory hub, else sim time advancing with the wall clock within an interval. */
  now(): number {
    return this.virtualTime ? this.virtualTime.now() : this.simNowMs + Math.floor(performance.now() - this.wallAtNowMs);
  }

  /**
   * Runs the protocol for interval `height` starting at `intervalStartMs`: offers, the round, the
   * certificates. Returns what each DER should follow (undefined: no certified plan names it).
   */
  async plan(height: number, intervalStartMs: number, pvAvailableKW: (derId: string) => number[] | undefined): Promise<Map<string, PlanSlice | undefined>> {
    this.simNowMs = intervalStartMs;
    this.wallAtNowMs = performance.now();
    this.virtualTime?.advanceTo(intervalStartMs);
    // The interval that just ended is metered now; its readings settle in this interval's block.
    if (this.ledger) await Promise.all(this.peers.map((p) => p.node.publishMeter(intervalStartMs - this.grid.intervalMs)));
    await Promise.all(this.peers.map((p) => p.node.publishOffers(intervalStartMs, pvAvailableKW)));
    const allCertified = (): boolean => this.peers.every((p) => p.node.certified(intervalStartMs) !== undefined);
    this.rounds++;
    if (this.virtualTime) {
      // Offers travel one link delay; the round starts once they had time to arrive.
      this.virtualTime.advanceTo(intervalStartMs + 2 * this.settings.linkDelayMs + 1);
      for (const c of this.coordinators) c.startHeight(height);
      this.virtualTime.runUntil(allCertified, intervalStartMs + this.settings.roundBudgetMs);
    } else {
      // Waiting changes only wall time, never what is decided. A loaded machine can hold gossip back or
      // lose it, so peers send the same envelopes again until every coordinator holds them.
      const offersDeadline = performance.now() + this.settings.roundBudgetMs / 2;
      while (!(await waitFor(() => this.offersArrived(intervalStartMs), OFFER_RESEND_MS)) && performance.now() < offersDeadline) {
        await Promise.all(this.peers.map((p) => p.node.resendOffers(intervalStartMs)));
      }
      for (const c of this.coordinators) c.startHeight(height);
      await waitFor(allCertified, this.settings.roundBudgetMs);
    }
    if (allCertified()) this.commits++;
    else if (this.missedHeights.length < 100) this.missedHeights.push(height);
    const slices = new Map<string, PlanSlice | undefined>();
    for (const { node, agents } of this.peers) {
      for (const agent of agents) {
        const slice = node.sliceFor(agent, intervalStartMs);
        if (slice === undefined) this.uncertified++;
        slices.set(agent.id, slice);
      }
    }
    return slices;
  }

  /** Hex hash of the plan certified for the interval starting at `intervalStartMs`, as the first peer holding one verified it. */
  certifiedPlanHash(intervalStartMs: number): string | undefined {
    for (const { node } of this.peers) {
      const certified = node.certified(intervalStartMs);
      if (certified) return toHex(certified.planHash);
    }
    return undefined;
  }

  summary(): ConsensusSummary {
    const rejected: Record<string, number> = {};
    const add = (counts: Partial<Record<string, number>>) => {
      for (const [code, n] of Object.entries(counts)) rejected[code] = (rejected[code] ?? 0) + (n ?? 0);
    };
    let roundChanges = 0;
    let proposalsRejected = 0;
    for (const c of this.coordinators) {
      const stats = c.stats();
      add(stats.offers.rejected);
      add(stats.round.rejected);
      roundChanges = Math.max(roundChanges, stats.roundChanges);
      proposalsRejected += stats.proposalsRejected;
    }
    let conflicting = 0;
    for (const p of this.peers) {
      const stats = p.node.stats();
      add(stats.rejectedCommits);
      conflicting += stats.conflictingCommits;
    }
    return {
      transport: this.settings.transport,
      validators: this.coordinators.length,
      peers: this.peers.length,
      rounds: this.rounds,
      commits: this.commits,
      roundChanges,
      commitMsP50: percentile(this.commitMs, 50),
      commitMsP99: percentile(this.commitMs, 99),
      safetyViolations: Math.max(this.safety.safetyViolations, conflicting > 0 ? 1 : 0),
      rejected,
      proposalsRejected,
      uncertifiedDerIntervals: this.uncertified,
      missedHeights: [...this.missedHeights],
    };
  }

  /** The settlement chain's totals once every block is stored, or undefined without a chain. */
  async settlement(): Promise<SettlementSummary | undefined> {
    if (!this.ledger) return undefined;
    await this.coordinators[0].settled();
    if (this.blockError) throw this.blockError;
    return settlementSummaryOf(this.ledger, this.meterRejections);
  }

  async stop(): Promise<void> {
    await this.coordinators[0].settled();
    await this.ledger?.close();
    for (const c of this.coordinators) c.stop();
    for (const p of this.peers) p.node.stop();
    await Promise.all(this.transports.map((t) => t.stop()));
  }

  private recordBlock(result: { error: Error } | object): void {
    if ('error' in result) this.blockError ??= result.error;
    else if ('appended' in result) this.meterRejections += (result as { appended: IntervalAppended }).appended.rejections.length;
  }

  private recordDecision(validator: string, height: number, planHashHex: string, commitMs: number): void {
    this.safety.record(validator, height, planHashHex);
    if (Number.isFinite(commitMs)) this.commitMs.push(commitMs);
  }

  private offersArrived(intervalStartMs: number): boolean {
    return this.coordinators.every((c) => c.offerSenders(intervalStartMs) >= this.peers.length);
  }

  /** Waits until every peer's libp2p node sees a coordinator subscribed to offers (gossipsub needs the subscription exchange). */
  private async waitForMesh(): Promise<void> {
    const { Libp2pTransport } = await import('../protocol/transport/libp2p.js');
    const ready = () =>
      this.transports.every((t) => !(t instanceof Libp2pTransport) || t.name.startsWith('coordinator') ? true : t.topicPeers('offers').length >= this.coordinators.length);
    await waitFor(ready, 15_000);
  }
}

/** Opens (afresh) the network's chain: genesis from the validator set and every DER with its site's meter key. */
async function openSimLedger(
  chain: SimChainSettings,
  networkId: string,
  validators: Uint8Array[],
  dealt: DerAgent[][],
  peerKeys: KeyPair[],
  verifier: SignatureVerifier,
  clock: () => number,
): Promise<Ledger> {
  rmSync(chain.dir, { recursive: true, force: true });
  const ders = dealt.flatMap((agents, k) =>
    agents.map((agent) => {
      const caps = agent.capabilities();
      return { derId: agent.id, ownerId: agent.ownerId, kind: caps.kind, meterPublicKey: toHex(peerKeys[k].publicKey), maxPowerKW: Math.max(caps.maxExportKW, caps.maxImportKW, 1e-3) };
    }),
  );
  const genesis: GenesisInput = { networkId, validators: validators.map(toHex), currency: chain.currency, ders, ...chain.genesis };
  return Ledger.open(chain.dir, { genesis, verifier, clock });
}

function simKey(seed: number, role: string, index: number): KeyPair {
  return keyPairFromSeed(sha256(new TextEncoder().encode(`vpp-sim:${seed}:${role}:${index}`)));
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

