/**
 * Reserve and demand-response events: when an event starts the fleet raises its export (or cuts
 * its load) by the committed amount above its pre-event level, reaches it within the ramp time and
 * holds it to the event's end; batteries discharge, EV chargers curtail only as far as still lets
 * each car get its energy by departure. Between events batteries recharge toward a recovery state
 * of charge, so only the event windows run at the event step (a year of events runs in seconds).
 * Before each event the fleet's headroom says whether the commitment can be met at all, and why not.
 */
import { loadPjmSpinEvents } from '../sim/signals/pjm-spin.js';
import { loadCsvSeries } from '../sim/signals/csv-series.js';
import type { LoadReport } from '../sim/signals/series.js';
import { basepointsOf } from './commitment-rule.js';
import { follow, type FollowTrace, type IdleSettings, type ServiceFleet } from './real-time.js';
import type { EventServiceSpec } from './scenario.js';
import { ServiceConfigError } from './errors.js';

const MS_PER_MIN = 60_000;
// Response within this relative margin of the commitment counts as meeting it (float rounding).
const MET_TOLERANCE = 1e-6;

/** One event the operator calls. */
export interface ServiceEvent {
  startMs: number;
  endMs: number;
  zone?: string;
  /** This event's commitment, kW; the service's `committedMW` when absent. */
  targetKW?: number;
}

/** A service's events that lie inside [fromMs, toMs), sorted, with the load report. */
export function loadServiceEvents(spec: EventServiceSpec['events'], dataDir: () => string, scenarioDir: string, fromMs: number, toMs: number): { events: ServiceEvent[]; report: LoadReport } {
  let events: ServiceEvent[];
  let report: LoadReport;
  if (spec.source === 'pjm-spin') {
    const loaded = loadPjmSpinEvents(dataDir());
    report = loaded.report;
    events = loaded.data.filter((e) => !spec.zones || spec.zones.includes(e.zone)).map((e) => ({ startMs: e.startMs, endMs: e.endMs, zone: e.zone }));
  } else {
    const loaded = loadCsvSeries(spec.mapping, scenarioDir);
    report = loaded.report;
    const duration = loaded.data.find((s) => s.name === 'durationMin');
    if (!duration) throw new ServiceConfigError(`services events CSV ${spec.mapping.file}: mapping.values must name a series 'durationMin' (it has ${loaded.data.map((s) => s.name).join(', ')})`);
    const target = loaded.data.find((s) => s.name === 'targetMW');
    events = duration.timesMs.map((startMs, i) => ({ startMs, endMs: startMs + duration.values[i] * MS_PER_MIN, ...(target ? { targetKW: target.values[i] * 1000 } : {}) }));
  }
  return { events: events.filter((e) => e.startMs >= fromMs && e.endMs <= toMs && e.endMs > e.startMs).sort((a, b) => a.startMs - b.startMs), report };
}

/** How one event went. */
export interface EventOutcome {
  start: string;
  end: string;
  zone?: string;
  committedKW: number;
  /** Lowest response once the ramp time is over (the last step's for an event shorter than the ramp time), kW. */
  deliveredKW: number;
  /** Time from the start until the response first reached the commitment, s (null: never). */
  reachedAfterS: number | null;
  met: boolean;
  /** Whether the fleet's headroom at the start allowed the commitment. */
  feasible: boolean;
  reason?: string;
}

/** Summary of an event service. */
export interface EventServiceSummary {
  events: number;
  eventsServed: number;
  eventsInfeasible: number;
  /** Events the fleet could have met and did not (must be 0). */
  eventsFeasibleNotMet: number;
  /** Mean over events of delivered / committed, a met event counting 1, %. */
  deliveredPct: number;
  committedMW: number;
  rampMin: number;
  infeasible: { start: string; reason: string }[];
  perEvent: EventOutcome[];
}

/** Runs every event with the fleet, idling (and recovering) between them. */
export function runEvents(fleet: ServiceFleet, spec: EventServiceSpec, events: readonly ServiceEvent[], idle: IdleSettings): { summary: EventServiceSummary; traces: FollowTrace[] } {
  const rampMs = spec.rampMin * MS_PER_MIN;
  const stepMs = spec.stepS * 1000;
  const perEvent: EventOutcome[] = [];
  const traces: FollowTrace[] = [];
  for (const event of events) {
    const committedKW = event.targetKW ?? spec.committedMW * 1000;
    const base = { start: new Date(event.startMs).toISOString(), end: new Date(event.endMs).toISOString(), ...(event.zone ? { zone: event.zone } : {}), committedKW };
    if (event.startMs < fleet.nowMs) {
      perEvent.push({ ...base, deliveredKW: 0, reachedAfterS: null, met: false, feasible: false, reason: 'starts before the previous event ended' });
      continue;
    }
    fleet.idleUntil(event.startMs, idle);
    const durationMs = event.endMs - event.startMs;
    const reason = infeasibility(fleet, event, committedKW, stepMs, rampMs);
    const trace = follow(fleet, {
      service: 'reserve',
      startMs: event.startMs,
      endMs: event.endMs,
      stepMs,
      periodMs: durationMs,
      askedKW: committedKW,
      headroomMs: (t) => event.endMs - t,
      requiredFrac: () => 1,
    });
    traces.push(trace);
    const threshold = committedKW * (1 - MET_TOLERANCE);
    let deliveredKW = Infinity;
    let reachedAfterS: number | null = null;
    trace.responseKW.forEach((kW, i) => {
      const endMs = trace.timesMs[i] + trace.stepMs[i];
      if (reachedAfterS === null && kW >= threshold) reachedAfterS = (endMs - event.startMs) / 1000;
      if (trace.timesMs[i] >= event.startMs + rampMs) deliveredKW = Math.min(deliveredKW, kW);
    });
    if (deliveredKW === Infinity) deliveredKW = trace.responseKW[trace.responseKW.length - 1];
    perEvent.push({ ...base, deliveredKW, reachedAfterS, met: deliveredKW >= threshold, feasible: reason === undefined, ...(reason ? { reason } : {}) });
  }
  const served = perEvent.filter((e) => e.met).length;
  const infeasible = perEvent.filter((e) => !e.feasible);
  return {
    summary: {
      events: perEvent.length,
      eventsServed: served,
      eventsInfeasible: infeasible.length,
      eventsFeasibleNotMet: perEvent.filter((e) => e.feasible && !e.met).length,
      deliveredPct: perEvent.length === 0 ? 100 : (100 * perEvent.reduce((s, e) => s + (e.met ? 1 : Math.max(0, e.deliveredKW) / e.committedKW), 0)) / perEvent.length,
      committedMW: spec.committedMW,
      rampMin: spec.rampMin,
      infeasible: infeasible.map((e) => ({ start: e.start, reason: e.reason! })),
      perEvent,
    },
    traces,
  };
}

/**
 * Why the fleet cannot meet `committedKW` over the event from its state at the start, or
 * undefined when it can: power (ratings and feeder limits), then ramp, then energy (state of
 * charge, and the charging EVs still need by departure) over the event's duration.
 */
function infeasibility(fleet: ServiceFleet, event: ServiceEvent, committedKW: number, stepMs: number, rampMs: number): string | undefined {
  const durationMs = event.endMs - event.startMs;
  const { fleet: commitment } = fleet.commitments('reserve', event.startMs, event.endMs, committedKW, durationMs);
  const basepointKW = basepointsOf(fleet.dispatcher, commitment);
  const need = committedKW * (1 - MET_TOLERANCE);
  const kW = (x: number) => `${x.toFixed(1)} kW`;
  const powerKW = fleet.dispatcher.upHeadroomKW(basepointKW, stepMs, Infinity);
  if (powerKW < need) return `power: device ratings, feeder limits and the EV charging there is to cut allow ${kW(powerKW)} above the pre-event level, ${kW(committedKW)} committed`;
  const rampedKW = fleet.dispatcher.upHeadroomKW(basepointKW, stepMs, Math.min(rampMs, durationMs));
  if (rampedKW < need) return `ramp: the fleet reaches ${kW(rampedKW)} within ${Math.min(rampMs, durationMs) / MS_PER_MIN} min, ${kW(committedKW)} committed`;
  const heldKW = fleet.dispatcher.upHeadroomKW(basepointKW, durationMs, Math.min(rampMs, durationMs));
  if (heldKW < need) return `energy: stored energy and the EVs' departure needs hold ${kW(heldKW)} for the event's ${(durationMs / MS_PER_MIN).toFixed(0)} min, ${kW(committedKW)} committed`;
  return undefined;
}
