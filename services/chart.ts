/** What the HTML report charts for a service: what was asked against what the fleet metered. */
import type { FollowTrace } from './real-time.js';

/** One chart of the report's grid-services section; `null` breaks a line (time between events). */
export interface ServiceChart {
  title: string;
  /** Step start times, UTC epoch ms. */
  timesMs: number[];
  series: { label: string; unit: string; values: (number | null)[] }[];
}

// A chart longer than this is thinned (every n-th step) so the report stays light.
const MAX_POINTS = 10_000;

/** The required and metered deviation of one or more traces, thinned to at most MAX_POINTS points, gaps between traces broken. */
export function traceChart(title: string, traces: readonly FollowTrace[], requiredLabel: string): ServiceChart {
  const steps = traces.reduce((n, t) => n + t.timesMs.length, 0);
  const every = Math.max(1, Math.ceil(steps / MAX_POINTS));
  const chart: ServiceChart = { title, timesMs: [], series: [{ label: requiredLabel, unit: 'kW', values: [] }, { label: 'fleet response', unit: 'kW', values: [] }] };
  for (const trace of traces) {
    if (chart.timesMs.length > 0) {
      chart.timesMs.push(trace.timesMs[0] - 1);
      for (const s of chart.series) s.values.push(null);
    }
    for (let i = 0; i < trace.timesMs.length; i += every) {
      chart.timesMs.push(trace.timesMs[i]);
      chart.series[0].values.push(trace.requiredKW[i]);
      chart.series[1].values.push(trace.responseKW[i]);
    }
  }
  return chart;
}
