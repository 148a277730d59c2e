/**
 * The operator API's view of a running coordinator or peer (`ApiSource`, api/source.ts): snapshots
 * of the node's state read on demand, without I/O to devices or the network.
 */
import type { DerAgent } from '../actors/der-agent.js';
import type { ApiLedger, ApiSource, ConsensusStatus, DerStatus, NodeStatus, PlanStatus } from '../api/index.js';
import { toHex } from '../protocol/keys.js';
import type { DispatchPlan } from '../protocol/plan.js';
import { commitQuorum } from '../protocol/consensus/index.js';
import type { PreparedRun } from '../sim/run.js';
import type { Coordinator } from './coordinator.js';
import type { PeerNode } from './peer.js';

/** Heights a node keeps plans for (its round and certificate checks keep 16). */
const RETAINED_HEIGHTS = 16;

/** A plan as the API shows it: first-period setpoints only (the rest is re-planned next interval). */
export function planStatus(height: number, intervalStartMs: number, round: number, planHash: Uint8Array, plan: DispatchPlan): PlanStatus {
  return {
    height,
    intervalStartMs,
    round,
    planHash: toHex(planHash),
    periods: plan.periods.map((p) => ({ startMs: p.startMs, durationMs: p.durationMs })),
    pricePerMWh: plan.pricePerMWh,
    fleetPowerKW: plan.fleetPowerKW,
    setpointsKW: Object.fromEntries(Object.entries(plan.setpointsKW).map(([derId, kw]) => [derId, kw[0]])),
    objectiveValue: plan.objectiveValue,
  };
}

/** What both kinds of node share: the run's grid and the clock. */
interface NodeBase {
  id: string;
  networkId: string;
  run: PreparedRun;
  validators: number;
  now: () => number;
}

function statusOf(base: NodeBase, role: NodeStatus['role'], ders: number, height: number, ledger?: ApiLedger): NodeStatus {
  const { grid } = base.run;
  return {
    role,
    id: base.id,
    networkId: base.networkId,
    nowMs: base.now(),
    window: { startMs: grid.startMs, endMs: grid.startMs + grid.count * grid.intervalMs },
    intervalMs: grid.intervalMs,
    currency: base.run.scenario.currency,
    validators: base.validators,
    ders,
    height,
    ...(ledger ? { chainHeight: ledger.head.height } : {}),
  };
}

/** Retained plans, newest first, from a lookup by height. */
function retainedPlans(newest: number, lookup: (height: number) => PlanStatus | undefined): PlanStatus[] {
  const plans: PlanStatus[] = [];
  for (let h = newest; h >= 0 && h > newest - RETAINED_HEIGHTS; h--) {
    const plan = lookup(h);
    if (plan) plans.push(plan);
  }
  return plans;
}

/** A coordinator's view: the offers it holds, its decisions, its round, its chain. */
export function coordinatorApiSource(base: NodeBase & { coordinator: Coordinator; ledger?: ApiLedger }): ApiSource {
  const { coordinator, run } = base;
  const startOf = (height: number) => run.grid.startMs + height * run.grid.intervalMs;
  const plan = (height: number): PlanStatus | undefined => {
    const decision = coordinator.decision(height);
    return decision && planStatus(height, decision.intervalStartMs, decision.commit.round, decision.commit.planHash, decision.plan);
  };
  const newestDecided = (): number => {
    const { height } = coordinator.position();
    for (let h = height; h >= 0 && h > height - RETAINED_HEIGHTS; h--) if (coordinator.decision(h)) return h;
    return -1;
  };
  // Offers arrive for the next interval before its round starts; until then the current one's are the newest.
  const latestOffers = () => {
    const { height } = coordinator.position();
    for (const h of [height + 1, height]) {
      const offers = coordinator.heldOffers(startOf(h));
      if (offers.length > 0) return offers;
    }
    return [];
  };
  const quorum = commitQuorum(base.validators);
  return {
    ledger: base.ledger,
    status: () => statusOf(base, 'coordinator', latestOffers().length, newestDecided(), base.ledger),
    offers: () =>
      latestOffers().map((o) => ({
        derId: o.derId,
        kind: o.kind,
        ownerId: o.ownerId,
        startMs: o.startMs,
        intervalMs: o.intervalMs,
        horizonIntervals: o.minPowerKW.length,
        minPowerKW: o.minPowerKW[0],
        maxPowerKW: o.maxPowerKW[0],
        ...(o.storage ? { energyKWh: o.storage.energyKWh } : {}),
      })),
    fleet: () => {
      const current = plan(newestDecided());
      return latestOffers().map((o): DerStatus => {
        const setpointKW = current?.setpointsKW[o.derId];
        // An offer carries stored energy and the owner's band, not the nameplate: no state of charge here.
        return {
          derId: o.derId,
          kind: o.kind,
          ownerId: o.ownerId,
          state: 'offered',
          ...(o.storage ? { energyKWh: o.storage.energyKWh } : {}),
          ...(setpointKW !== undefined ? { setpointKW } : {}),
        };
      });
    },
    plans: () => retainedPlans(newestDecided(), plan),
    plan,
    consensus: (): ConsensusStatus => {
      const stats = coordinator.stats();
      return { role: 'coordinator', ...coordinator.position(), commits: stats.heightsDecided, roundChanges: stats.roundChanges, validators: base.validators, quorum, stats: { ...stats } };
    },
    counters: () => {
      const { offers } = coordinator.stats();
      return { offersAccepted: offers.accepted, offersRejected: Object.values(offers.rejected).reduce((a: number, b) => a + (b ?? 0), 0), clamps: {}, adapterErrors: 0 };
    },
  };
}

/** A peer's view: its DER actors, the plans it certified, its certificate checks. */
export function peerApiSource(base: NodeBase & { peer: PeerNode; agents: readonly DerAgent[]; adapterErrors: () => number }): ApiSource {
  const { peer, agents, run } = base;
  const plan = (height: number): PlanStatus | undefined => {
    const certified = peer.certified(run.grid.startMs + height * run.grid.intervalMs);
    return certified && planStatus(certified.height, certified.intervalStartMs, certified.round, certified.planHash, certified.plan);
  };
  const newestCertified = (): number => {
    const height = Math.floor((base.now() - run.grid.startMs) / run.grid.intervalMs) + 1;
    for (let h = height; h >= 0 && h > height - RETAINED_HEIGHTS; h--) if (plan(h)) return h;
    return -1;
  };
  return {
    status: () => statusOf(base, 'peer', agents.length, newestCertified()),
    offers: () => [],
    fleet: () =>
      agents.map((agent): DerStatus => {
        const t = agent.lastTelemetry;
        return {
          derId: agent.id,
          kind: agent.capabilities().kind,
          ownerId: agent.ownerId,
          state: agent.state,
          setpointKW: agent.setpointKW,
          ...(t ? { powerKW: t.powerKW, online: t.online } : {}),
          ...(t?.socFrac !== undefined ? { socFrac: t.socFrac } : {}),
          ...(t?.energyKWh !== undefined ? { energyKWh: t.energyKWh } : {}),
        };
      }),
    plans: () => retainedPlans(newestCertified(), plan),
    plan,
    consensus: (): ConsensusStatus => {
      const stats = peer.stats();
      return { role: 'peer', height: newestCertified(), commits: stats.certified, validators: base.validators, quorum: commitQuorum(base.validators), stats: { ...stats } };
    },
    counters: () => {
      const clamps: Record<string, number> = {};
      for (const agent of agents) for (const [reason, n] of Object.entries(agent.clamps)) clamps[reason] = (clamps[reason] ?? 0) + n;
      return { offersAccepted: peer.stats().offersPublished, offersRejected: peer.stats().publishFailures, clamps, adapterErrors: base.adapterErrors() };
    },
  };
}

/** A peer's live telemetry for the interval starting at `intervalStartMs`: every DER and the fleet's net power against the price. */
export function telemetryEvent(source: ApiSource, intervalStartMs: number, pricePerMWh: number | undefined): Record<string, unknown> {
  const ders = source.fleet();
  return {
    event: 'telemetry',
    intervalStart: new Date(intervalStartMs).toISOString(),
    fleetPowerKW: ders.reduce((sum, d) => sum + (d.powerKW ?? 0), 0),
    ...(pricePerMWh !== undefined && Number.isFinite(pricePerMWh) ? { pricePerMWh } : {}),
    ders,
  };
}
