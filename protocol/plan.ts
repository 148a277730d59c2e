/**
 * A dispatch plan: setpoints per DER per planning period. Periods may grow longer towards the end
 * of the horizon (a fine first hour, coarse later hours); only the first period is executed before
 * the next re-plan. Powers follow the project's sign convention (positive = into the grid).
 */
export interface PlanPeriod {
  /** UTC epoch ms. */
  startMs: number;
  durationMs: number;
}

export interface DispatchPlan {
  /** UTC epoch ms when the plan was made. */
  createdAtMs: number;
  periods: PlanPeriod[];
  /** Forecast price the plan used per period, currency per MWh. */
  pricePerMWh: number[];
  /** Setpoint per DER id, kW per period. */
  setpointsKW: Record<string, number[]>;
  /** Sum over DERs, kW per period. */
  fleetPowerKW: number[];
  /** Market value minus wear cost of the plan under its forecast, in the scenario currency. */
  objectiveValue: number;
  /** Which LP backend solved it, and how the fleet was decomposed. */
  solver: { backend: string; strategy: string; lpSolves: number; solveMs: number };
  /**
   * `offerSetHash` of the signed offers the plan was built from (32 bytes), set by the coordinator
   * that proposes it, so the plan's hash (and every certificate over it) also names its offers.
   */
  offerSetHash?: Uint8Array;
}
