/**
 * Feeder nodes: DERs grouped by the feeder their fleet group names, each with import/export
 * limits. The dispatch LP bounds every period's summed power per feeder (solver/dispatch-lp.ts);
 * the real-time dispatcher bounds every step's (services/dispatcher.ts); the independent checker
 * counts any breach (sim/limit-check.ts `checkFeederLimits`).
 */
import type { PlanRequest } from '../solver/planner.js';
import type { FeederSpec } from './scenario.js';

/** The scenario's feeders as the planner's `feederLimits`, or undefined when it declares none. */
export function plannerFeederLimits(feeders: readonly FeederSpec[] | undefined): PlanRequest['feederLimits'] {
  if (!feeders || feeders.length === 0) return undefined;
  return Object.fromEntries(feeders.map((f) => [f.id, { maxImportKW: f.importLimitKW, maxExportKW: f.exportLimitKW }]));
}
