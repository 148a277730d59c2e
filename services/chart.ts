/** What the HTML report charts for a service: what was asked against what the fleet metered. */
import type { FollowTrace } from './real-time.js';
import type { EventOutcome } from './reserve.js';

/** One chart of the report's grid-services section. */
export interface ServiceChart {
  title: string;
  /** Point times, UTC epoch ms. */
  timesMs: number[];
  series: { label: string; unit: string; values: number[] }[];
  /** Mark each point (one per event, say) rather than draw a dense line. */
  points?: boolean;
}

// A chart longer than this is thinned (every n-th step) so the report stays light.
const MAX_POINTS = 10_000;

/** The required and metered deviation of a trace, thinned to at most MAX_POINTS points. */
export function traceChart(title: string, trace: FollowTrace, requiredLabel: string): ServiceChart {
  const every = Math.max(1, Math.ceil(trace.timesMs.length / MAX_POINTS));
  const thin = (values: readonly number[]) => values.filter((_, i) => i % every === 0);
  return {
    title,
    timesMs: thin(trace.timesMs),
    series: [
      { label: requiredLabel, unit: 'kW', values: thin(trace.requiredKW) },
      { label: 'fleet response', unit: 'kW', values: thin(trace.responseKW) },
    ],
  };
}

/** Committed against delivered kW, one point per event at its start: events are minutes long in a window of months. */
export function eventChart(title: string, events: readonly EventOutcome[]): ServiceChart {
  return {
    title,
    timesMs: events.map((e) => Date.parse(e.start)),
    series: [
      { label: 'committed', unit: 'kW', values: events.map((e) => e.committedKW) },
      { label: 'delivered (lowest after the ramp time)', unit: 'kW', values: events.map((e) => e.deliveredKW) },
    ],
    points: true,
  };
}
