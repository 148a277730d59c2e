/**
 * What the operator API reads from a node: a small view that coordinator and peer runtimes
 * implement (`nodes/api-source.ts`), so routes never reach into node internals. Values are
 * snapshots taken when called; powers follow the project's sign (positive = into the grid).
 */
import type { Ledger } from '../chain/index.js';

/** The node at a glance. */
export interface NodeStatus {
  role: 'coordinator' | 'peer';
  /** The node's public key, hex. */
  id: string;
  networkId: string;
  /** Scenario time now, UTC epoch ms. */
  nowMs: number;
  window: { startMs: number; endMs: number };
  intervalMs: number;
  currency: string;
  validators: number;
  /** DERs this node knows: a peer's own, a coordinator's offered ones. */
  ders: number;
  /** Newest decided (coordinator) or certified (peer) height, -1 before the first. */
  height: number;
  /** Height of the settlement chain's head, when the node keeps one. */
  chainHeight?: number;
}

/** One DER as the node sees it. */
export interface DerStatus {
  derId: string;
  kind: string;
  ownerId: string;
  /** Actor state (peer), or `offered` (a coordinator knows a DER from its offer only). */
  state: string;
  /** Stored energy as a fraction of capacity (batteries). */
  socFrac?: number;
  energyKWh?: number;
  /** Power at the grid connection, kW (peer: last reading). */
  powerKW?: number;
  /** Setpoint in force (peer) or planned for the current interval (coordinator), kW. */
  setpointKW?: number;
  online?: boolean;
}

/** An offer's first interval, as a coordinator holds it. */
export interface OfferStatus {
  derId: string;
  kind: string;
  ownerId: string;
  startMs: number;
  intervalMs: number;
  horizonIntervals: number;
  minPowerKW: number;
  maxPowerKW: number;
  energyKWh?: number;
}

/** A decided (coordinator) or certified (peer) plan. */
export interface PlanStatus {
  height: number;
  intervalStartMs: number;
  round: number;
  /** Hash the commit certificate signs, hex. */
  planHash: string;
  periods: { startMs: number; durationMs: number }[];
  pricePerMWh: number[];
  fleetPowerKW: number[];
  /** First-period setpoint per DER, kW. */
  setpointsKW: Record<string, number>;
  objectiveValue: number;
}

/** Where consensus stands, as this node sees it. */
export interface ConsensusStatus {
  role: 'coordinator' | 'peer';
  /** Current height (coordinator) or newest certified height (peer), -1 before the first. */
  height: number;
  /** Round within the current height (coordinators). */
  round?: number;
  /** Heights decided (coordinator) or plans certified (peer). */
  commits: number;
  /** Heights decided in a round above 0. */
  roundChanges?: number;
  validators: number;
  /** Precommits a certificate needs. */
  quorum: number;
  /** The node's own counters (offers, rejections, duplicates). */
  stats: Record<string, unknown>;
}

/** Counters the metrics endpoint exports, totals since start. */
export interface NodeCounters {
  offersAccepted: number;
  offersRejected: number;
  /** Setpoints the safety envelope changed, by reason. */
  clamps: Record<string, number>;
  /** DER readings that found the device unreachable (offline or fault). */
  adapterErrors: number;
}

/** The part of the settlement ledger the API uses. */
export type ApiLedger = Pick<Ledger, 'head' | 'genesis' | 'totals' | 'block' | 'balances' | 'certificates' | 'certificate' | 'transferCertificate' | 'retireCertificate'>;

/** A node as the API sees it. */
export interface ApiSource {
  status(): NodeStatus;
  fleet(): DerStatus[];
  offers(): OfferStatus[];
  /** Retained plans, newest first. */
  plans(): PlanStatus[];
  plan(height: number): PlanStatus | undefined;
  consensus(): ConsensusStatus;
  counters(): NodeCounters;
  /** The node's settlement chain, if it keeps one. */
  readonly ledger?: ApiLedger;
}
