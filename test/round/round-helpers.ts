import { keyPairFromSeed, type KeyPair } from '../../protocol/keys.js';
import type { DispatchPlan } from '../../protocol/plan.js';
import { SignedRound, type HeightGrid, type RoundDecision, type SignedRoundOptions } from '../../protocol/round/index.js';
import type { Transport } from '../../protocol/transport/index.js';

/** Network id of the round tests. */
export const NETWORK_ID = 'round-test';
/** 15-minute intervals from 2026-01-01T00:00Z. */
export const GRID: HeightGrid = { originMs: Date.UTC(2026, 0, 1), intervalMs: 15 * 60_000 };
/** Largest setpoint magnitude the feasibility rule allows, kW. */
export const MAX_SETPOINT_KW = 50;

/** Deterministic validator key pair number `i`. */
export function validatorKey(i: number): KeyPair {
  return keyPairFromSeed(new Uint8Array(32).fill(i + 1));
}

/** A small deterministic plan for one height: a battery and a PV unit, one period. */
export function planFor(height: number, intervalStartMs: number): DispatchPlan {
  const batteryKW = ((height * 7) % 21) - 10;
  const pvKW = (height * 3) % 11;
  return {
    createdAtMs: intervalStartMs - GRID.intervalMs,
    periods: [{ startMs: intervalStartMs, durationMs: GRID.intervalMs }],
    pricePerMWh: [40 + height],
    setpointsKW: { 'bat-1': [batteryKW], 'pv-1': [pvKW] },
    fleetPowerKW: [batteryKW + pvKW],
    objectiveValue: ((batteryKW + pvKW) * (40 + height)) / 4000,
    solver: { backend: 'test', strategy: 'fixed', lpSolves: 0, solveMs: 0 },
  };
}

/** Feasibility rule: one period at the interval start, setpoints within ±MAX_SETPOINT_KW, fleet power = their sum. */
export function planIsFeasible(intervalStartMs: number, plan: DispatchPlan): boolean {
  if (plan.periods.length !== 1 || plan.periods[0].startMs !== intervalStartMs || plan.periods[0].durationMs !== GRID.intervalMs) return false;
  const setpoints = Object.values(plan.setpointsKW);
  if (setpoints.some((s) => s.length !== 1 || !(Math.abs(s[0]) <= MAX_SETPOINT_KW))) return false;
  const sumKW = setpoints.reduce((acc, s) => acc + s[0], 0);
  return plan.fleetPowerKW.length === 1 && Math.abs(plan.fleetPowerKW[0] - sumKW) < 1e-9;
}

/** A cluster of signed rounds that advance height by height until `heights` are decided. */
export interface Cluster {
  rounds: SignedRound[];
  /** Decisions per node, by height. */
  decided: RoundDecision[][];
  /** Resolves once every live node decided heights 0..heights-1; rejects after `timeoutMs`. */
  done: Promise<void>;
  stop(): void;
}

/**
 * Starts one `SignedRound` per transport (validators 0..n-1, node i on transports[i]); nodes in
 * `silent` are never created (they stay quiet). Each node starts height h+1 once it decided h.
 */
export function startCluster(transports: Transport[], heights: number, options: { silent?: number[]; timeoutMs: number; extra?: Partial<SignedRoundOptions> }): Cluster {
  const validators = transports.map((_, i) => validatorKey(i).publicKey);
  const silent = new Set(options.silent ?? []);
  const rounds: SignedRound[] = [];
  const decided: RoundDecision[][] = [];
  let finish: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const check = (): void => {
    if (decided.every((d) => d.length >= heights)) finish();
  };
  transports.forEach((transport, i) => {
    if (silent.has(i)) return;
    const mine: RoundDecision[] = [];
    decided.push(mine);
    const round: SignedRound = new SignedRound({
      transport,
      networkId: NETWORK_ID,
      keyPair: validatorKey(i),
      validators,
      grid: GRID,
      timeouts: { proposeMs: 300, prevoteMs: 150, precommitMs: 150, roundIncrementMs: 100, resendMs: 250 },
      getPlan: (height, intervalStartMs) => ({ plan: planFor(height, intervalStartMs), offerIds: [] }),
      validatePlan: (_height, intervalStartMs, value) => planIsFeasible(intervalStartMs, value.plan),
      onDecide: (decision) => {
        mine.push(decision);
        check();
        if (decision.height + 1 < heights) setImmediate(() => round.startHeight(decision.height + 1));
      },
      ...options.extra,
    });
    rounds.push(round);
  });
  const timer = setTimeout(() => fail(new Error(`cluster did not decide ${heights} heights within ${options.timeoutMs} ms: ${decided.map((d) => d.length).join(', ')}`)), options.timeoutMs);
  done.then(() => clearTimeout(timer), () => {});
  for (const round of rounds) round.start();
  for (const round of rounds) round.startHeight(0);
  return {
    rounds,
    decided,
    done,
    stop: () => {
      clearTimeout(timer);
      for (const round of rounds) round.stop();
    },
  };
}
