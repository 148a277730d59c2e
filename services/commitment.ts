/**
 * What each DER carries for the grid services over one commitment period: the seam between the
 * planner that decides the commitments (co-optimisation, or fixed rules from a scenario) and the
 * real-time path that delivers them. Power sign as everywhere (actors/device-adapter.ts): positive =
 * into the grid.
 */

/** One DER's commitment over [startMs, endMs). All capacities are kW >= 0. */
export interface ServiceCommitment {
  derId: string;
  startMs: number;
  endMs: number;
  /** The energy schedule the services deviate around, kW (signed). */
  basepointKW: number;
  /** Export above the basepoint the DER delivers on a regulation signal of +1. */
  regulationUpKW: number;
  /** Import below the basepoint the DER delivers on a regulation signal of −1. */
  regulationDownKW: number;
  /** Export increase the DER delivers within the ramp time when a reserve event is called. */
  reserveKW: number;
  /** Symmetric frequency-containment band: full up at the low activation frequency, full down at the high one. */
  frequencyKW: number;
}

/** Commitments of a whole fleet for one period, with the totals an operator sees. */
export interface FleetCommitment {
  startMs: number;
  endMs: number;
  ders: ServiceCommitment[];
}
