/**
 * Commitments from the co-optimising planner (`services.commitments: co-optimise`): before a
 * service runs, each commitment period it spans is planned the way `vpp plan --commitments` plans
 * it at that period's start, and the real-time path delivers what the planner committed.
 */
import type { PreparedRun } from '../sim/run.js';
import { planningStrategyOf, planRequestAt, servicesRequestAt } from '../sim/plan-request.js';
import { createLpBackend, DEFAULT_SOLVER, type LpBackendName } from '../solver/backend.js';
import { planCommitments } from '../solver/commitments.js';
import type { FleetCommitment, ServiceCommitment } from './commitment.js';
import type { CommitmentSource, CommittedService } from './commitment-rule.js';
import { ServiceConfigError } from './errors.js';

/** How the planner is run for the services pass (as `vpp sim` / `vpp plan` options). */
export interface ServicePlanning {
  solver?: LpBackendName;
  forecast?: string;
}

/** The planner's commitments for the market periods a service spans. */
export interface PlannedCommitments {
  /** Market commitment periods, in time order, each the first period of the plan made at its start. */
  periods: FleetCommitment[];
  /** Where the market's commitment periods start counting (the window start), UTC epoch ms. */
  originMs: number;
  periodMs: number;
}

/** The DER's capacity for `service` under a commitment, kW (a regulation signal needs room both ways). */
export function serviceCapacityKW(c: ServiceCommitment, service: CommittedService): number {
  if (service === 'regulation') return Math.min(c.regulationUpKW, c.regulationDownKW);
  return service === 'frequency' ? c.frequencyKW : c.reserveKW;
}

/** Plans every market commitment period that [startMs, endMs) overlaps. */
export async function planServicePeriods(run: PreparedRun, startMs: number, endMs: number, planning: ServicePlanning = {}): Promise<PlannedCommitments> {
  const capacity = run.scenario.market.capacity;
  if (capacity === undefined) throw new ServiceConfigError('services.commitments: co-optimise needs a market.capacity block');
  const { grid } = run;
  const periodMs = capacity.periodMin * 60_000;
  const intervalsPerPeriod = periodMs / grid.intervalMs;
  const backend = await createLpBackend(planning.solver ?? DEFAULT_SOLVER);
  const planner = { backend, ...planningStrategyOf(run) };
  const periods: FleetCommitment[] = [];
  for (let p = Math.floor((startMs - grid.startMs) / periodMs); grid.startMs + p * periodMs < endMs; p++) {
    const nowIndex = p * intervalsPerPeriod;
    const { request } = await planRequestAt(run, nowIndex, planning.forecast);
    periods.push(planCommitments(servicesRequestAt(run, nowIndex, request, 'services.commitments'), planner).commitments[0]);
  }
  return { periods, originMs: grid.startMs, periodMs };
}

/**
 * The planner's commitments as the real-time path takes them: the DERs that carry the service,
 * with the planner's basepoints, and the fleet total the planner committed (the asked MW of the
 * services block does not apply: the planner decided what to sell).
 */
export function plannedSource(planned: PlannedCommitments): CommitmentSource {
  return (service, startMs) => {
    const fleet = planned.periods.find((p) => p.startMs <= startMs && startMs < p.endMs);
    if (fleet === undefined) throw new ServiceConfigError(`services.commitments: no planned commitment period holds ${new Date(startMs).toISOString()}`);
    const ders = fleet.ders.filter((c) => serviceCapacityKW(c, service) > 0);
    const committedKW = ders.reduce((sum, c) => sum + serviceCapacityKW(c, service), 0);
    return { fleet: { ...fleet, ders }, capacityKW: committedKW, committedKW };
  };
}
