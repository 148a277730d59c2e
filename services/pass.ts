/**
 * The service pass of `vpp sim`: for each service the scenario's `services:` block names, a fresh
 * fleet (same seed) idles from the window's start to the service's start and then delivers it on
 * the real-time path; every step is checked by the independent device and feeder checkers.
 */
import { createHash } from 'node:crypto';
import type { PreparedRun } from '../sim/run.js';
import { loadGermanFrequency } from '../sim/signals/frequency.js';
import { loadPjmRegulationSignal } from '../sim/signals/pjm-regulation.js';
import { resample, seriesEndMs, type TimeSeries } from '../sim/signals/series.js';
import { parseZonedIsoMs, type SignalSpec } from '../sim/scenario.js';
import { CLAMP_REASONS, type ClampReason } from '../actors/safety-envelope.js';
import { SimulatedEvCharger } from '../actors/devices/simulated-ev-charger.js';
import { eventChart, traceChart, type ServiceChart } from './chart.js';
import { runFrequency, type FrequencySummary } from './frequency.js';
import { ServiceFleet, type FollowTrace, type SocBand } from './real-time.js';
import { runRegulation, type RegulationSummary } from './regulation.js';
import { loadServiceEvents, runEvents, type EventServiceSummary } from './reserve.js';
import type { ServicesSpec } from './scenario.js';
import { ServiceConfigError } from './errors.js';
import type { FleetCommitment } from './commitment.js';
import { planServicePeriods, serviceCapacityKW, type ServicePlanning } from './planned.js';
import type { CommittedService } from './commitment-rule.js';

const MS_PER_MIN = 60_000;
const MS_PER_HOUR = 3_600_000;
/** PJM's regulation test signals last 40 minutes. */
const PJM_TEST_MIN = 40;

/** What `summary.json` gains under `services`. */
export interface ServicesSummary {
  regulation?: RegulationSummary & { soc?: { start: SocBand; end: SocBand } };
  frequency?: FrequencySummary & { soc?: { start: SocBand; end: SocBand } };
  reserve?: EventServiceSummary;
  demandResponse?: EventServiceSummary & { ev: EvOutcome };
  /** Where the commitments came from, and per service the fleet's committed MW in each commitment period the service ran. */
  commitments: { source: ServicesSpec['commitments']; committedMW: Partial<Record<ServiceKey, { start: string; mw: number }[]>> };
  feeder: { feeders: number; violations: number };
  device: { violations: number; clamps: number; clampsByReason: Record<ClampReason, number> };
  /** SHA-256 of every service's per-step trace: same scenario and seed, same hash. */
  traceHash: string;
  passS: number;
}

/** How the EV sessions fared in a demand-response run. */
interface EvOutcome {
  sessions: number;
  sessionsShort: number;
  /** Sessions short of their energy although full power over their stay (less one idle step) would have delivered it: must be 0. */
  sessionsShortFeasible: number;
}

/** The pass's summary and the report's charts. */
export interface ServicesOutcome {
  summary: ServicesSummary;
  charts: ServiceChart[];
  /** Per service, the commitments the real-time path was handed, one per period. */
  commitments: Partial<Record<ServiceKey, FleetCommitment[]>>;
  /** Every commitment period as delivered, with the score it earned: what the market pays for. */
  delivered: DeliveredPeriod[];
}

/** One commitment period of a service as the fleet delivered it. */
export interface DeliveredPeriod {
  /** Demand response is held and paid like reserve. */
  service: CommittedService;
  /** The part of the commitment period the service ran, [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** Each DER that carried the service, with its capacity, kW. */
  ders: { derId: string; committedKW: number }[];
  /** How well the fleet delivered over the period, in [0, 1]. */
  performanceScore: number;
}

/** A service of the `services:` block. */
type ServiceKey = 'regulation' | 'frequency' | 'reserve' | 'demandResponse';

/**
 * Runs every service of `run.scenario.services` (which must be present); the recordings' load
 * reports join `run.reports`. `planning` runs the co-optimising planner when the scenario takes
 * its commitments from it.
 */
export async function runServices(run: PreparedRun, scenarioDir: string, planning: ServicePlanning = {}): Promise<ServicesOutcome> {
  const started = performance.now();
  const spec = run.scenario.services as ServicesSpec;
  const windowStartMs = run.grid.startMs;
  const windowEndMs = windowStartMs + run.grid.count * run.grid.intervalMs;
  const dataDir = () => run.signals.dataDirectory();
  const charts: ServiceChart[] = [];
  const reports = run.reports;
  const traces: FollowTrace[] = [];
  const fleets: ServiceFleet[] = [];
  const summary: Omit<ServicesSummary, 'commitments' | 'feeder' | 'device' | 'traceHash' | 'passS'> = {};
  const handed: ServicesOutcome['commitments'] = {};
  const committedMW: ServicesSummary['commitments']['committedMW'] = {};
  const delivered: DeliveredPeriod[] = [];
  const record = (service: ServiceKey, followed: FollowTrace[], scoreOf: (startMs: number, endMs: number) => number) => {
    const periods = followed.flatMap((t) => t.periods);
    handed[service] = periods.map((p) => p.fleet);
    committedMW[service] = periods.map((p) => ({ start: new Date(p.startMs).toISOString(), mw: p.committedKW / 1000 }));
    const paidAs: CommittedService = service === 'demandResponse' ? 'reserve' : service;
    for (const trace of followed) {
      const last = trace.timesMs.length - 1;
      trace.periods.forEach((p, i) => {
        const endMs = trace.periods[i + 1]?.startMs ?? trace.timesMs[last] + trace.stepMs[last];
        const ders = p.fleet.ders.map((c) => ({ derId: c.derId, committedKW: serviceCapacityKW(c, paidAs) })).filter((d) => d.committedKW > 0);
        delivered.push({ service: paidAs, startMs: p.startMs, endMs, ders, performanceScore: clip01(scoreOf(p.startMs, endMs)) });
      });
    }
  };
  // Planned before the fleet starts, so the planner sees what `vpp plan --commitments` would at each period's start.
  const plannedFor = (startMs: number, stepMs: number, steps: number) =>
    spec.commitments === 'co-optimise' ? planServicePeriods(run, startMs, startMs + steps * stepMs, planning) : Promise.resolve(undefined);
  const startFleet = (untilMs: number, idleStepMs: number) => {
    const fleet = new ServiceFleet(run.newFleet(), spec.feeders, windowStartMs);
    fleet.idleUntil(untilMs, { stepMs: idleStepMs });
    fleets.push(fleet);
    return fleet;
  };
  const startOf = (start: string | undefined, field: string) => {
    const ms = start === undefined ? windowStartMs : parseZonedIsoMs(start);
    if (ms === undefined || ms < windowStartMs || ms >= windowEndMs) throw new ServiceConfigError(`${field}: ${start} is not inside the scenario window`);
    return ms;
  };

  if (spec.regulation) {
    const r = spec.regulation;
    const startMs = startOf(r.start, 'services.regulation.start');
    const stepMs = r.stepS * 1000;
    let series: TimeSeries;
    let name: string;
    if (r.signal.source === 'pjm-test') {
      const loaded = loadPjmRegulationSignal(dataDir(), r.signal.kind, startMs);
      reports.push(loaded.report);
      series = loaded.data.signal;
      name = `PJM ${r.signal.kind} 40-minute test`;
    } else {
      series = csvSeries(run, r.signal, startMs, stepMs);
      name = `CSV ${r.signal.series}`;
    }
    const durationMin = r.durationMin ?? (r.signal.source === 'pjm-test' ? PJM_TEST_MIN : (Math.min(windowEndMs, seriesEndMs(series)) - startMs) / MS_PER_MIN);
    const values = onSteps(series, startMs, durationMin, stepMs, windowEndMs, 'services.regulation');
    const planned = await plannedFor(startMs, stepMs, values.length);
    const fleet = startFleet(startMs, 5 * MS_PER_MIN);
    const socStart = fleet.batterySoc();
    const result = runRegulation(fleet, r, name, startMs, values, planned);
    summary.regulation = { ...result.summary, ...socSpan(socStart, fleet.batterySoc()) };
    traces.push(result.trace);
    // PJM scores (and pays) regulation per hour: a period takes the mean score of the clock hours it overlaps.
    record('regulation', [result.trace], (fromMs, toMs) => {
      const hours = result.summary.hourly.filter((h) => Date.parse(h.hourStart) < toMs && Date.parse(h.hourStart) + MS_PER_HOUR > fromMs);
      return hours.length > 0 ? hours.reduce((sum, h) => sum + h.score, 0) / hours.length : result.summary.score;
    });
    charts.push(traceChart(`Regulation: ${name}, signal × committed vs fleet response`, result.trace, 'signal × committed'));
  }

  if (spec.frequency) {
    const f = spec.frequency;
    const stepMs = f.stepS * 1000;
    let series: TimeSeries;
    if (f.trace.source === 'de-netztransparenz') {
      const loaded = loadGermanFrequency(dataDir());
      reports.push(loaded.report);
      series = loaded.data.frequencyHz;
    } else {
      series = csvSeries(run, f.trace, windowStartMs, stepMs);
    }
    const startMs = f.start === undefined ? Math.max(windowStartMs, series.timesMs[0]) : startOf(f.start, 'services.frequency.start');
    const durationMin = f.durationMin ?? (Math.min(windowEndMs, seriesEndMs(series)) - startMs) / MS_PER_MIN;
    const values = onSteps(series, startMs, durationMin, stepMs, windowEndMs, 'services.frequency');
    const planned = await plannedFor(startMs, stepMs, values.length);
    const fleet = startFleet(startMs, 15 * MS_PER_MIN);
    const socStart = fleet.batterySoc();
    const result = runFrequency(fleet, f, startMs, values, planned);
    summary.frequency = { ...result.summary, ...socSpan(socStart, fleet.batterySoc()) };
    traces.push(result.trace);
    // The error the whole run kept, as a share of the band: 1 − normalised RMS error.
    record('frequency', [result.trace], () => 1 - result.summary.rmsErrorPctOfBand / 100);
    charts.push(traceChart('Frequency response: droop × band vs fleet response', result.trace, 'droop × band'));
  }

  for (const key of ['reserve', 'demandResponse'] as const) {
    const e = spec[key];
    if (!e) continue;
    const { events, report } = loadServiceEvents(e.events, dataDir, scenarioDir, windowStartMs, windowEndMs);
    reports.push(report);
    const idleStepMs = e.idleStepMin * MS_PER_MIN;
    const fleet = startFleet(windowStartMs, idleStepMs);
    const idle = { stepMs: idleStepMs, recovery: { socFrac: e.recoverySocFrac, chargeFrac: e.recoveryChargeFrac } };
    const result = runEvents(fleet, e, events, idle);
    fleet.idleUntil(windowEndMs, idle);
    traces.push(...result.traces);
    const outcomeAt = new Map(result.summary.perEvent.map((e) => [Date.parse(e.start), e]));
    record(key, result.traces, (fromMs) => {
      const event = outcomeAt.get(fromMs);
      return event === undefined ? 0 : event.met ? 1 : event.deliveredKW / event.committedKW;
    });
    const title = key === 'reserve' ? 'Reserve events' : 'Demand-response events';
    charts.push(eventChart(`${title}: committed vs delivered per event`, result.summary.perEvent));
    if (result.traces.length > 0) charts.push(traceChart(`${title}: committed vs fleet response in the first event`, result.traces[0], 'committed'));
    if (key === 'reserve') summary.reserve = result.summary;
    else summary.demandResponse = { ...result.summary, ev: evOutcome(fleet, idleStepMs) };
  }

  const clampsByReason = Object.fromEntries(CLAMP_REASONS.map((r) => [r, fleets.reduce((s, f) => s + f.dispatcher.clamps[r], 0)])) as Record<ClampReason, number>;
  return {
    summary: {
      ...summary,
      commitments: { source: spec.commitments, committedMW },
      feeder: { feeders: spec.feeders.length, violations: fleets.reduce((s, f) => s + f.feederViolations, 0) },
      device: { violations: fleets.reduce((s, f) => s + f.deviceViolations, 0), clamps: Object.values(clampsByReason).reduce((a, b) => a + b, 0), clampsByReason },
      traceHash: traceHash(traces),
      passS: (performance.now() - started) / 1000,
    },
    charts,
    commitments: handed,
    delivered,
  };
}

function clip01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** A CSV series through the run's signal loader (its reports join the run's), on the service's step grid from `startMs` to the window's end. */
function csvSeries(run: PreparedRun, spec: SignalSpec, startMs: number, stepMs: number): TimeSeries {
  const endMs = run.grid.startMs + run.grid.count * run.grid.intervalMs;
  const grid = { startMs, intervalMs: stepMs, count: Math.floor((endMs - startMs) / stepMs) };
  const signal = run.signals.onGrid(spec, grid);
  run.reports.push(...signal.reports);
  return { name: signal.name, unit: signal.unit, timesMs: signal.values.map((_, i) => startMs + i * stepMs), values: signal.values, intervalMs: stepMs };
}

/** The series' step means over [startMs, startMs + durationMin), which must lie inside the window and the recording. */
function onSteps(series: TimeSeries, startMs: number, durationMin: number, stepMs: number, windowEndMs: number, field: string): number[] {
  const count = Math.floor((durationMin * MS_PER_MIN) / stepMs);
  const endMs = startMs + count * stepMs;
  if (count < 1 || endMs > windowEndMs) throw new ServiceConfigError(`${field}: ${durationMin} min from ${new Date(startMs).toISOString()} must fit inside the scenario window (ends ${new Date(windowEndMs).toISOString()})`);
  if (startMs < series.timesMs[0] || endMs > seriesEndMs(series)) {
    throw new ServiceConfigError(`${field}: the recording "${series.name}" covers ${new Date(series.timesMs[0]).toISOString()} … ${new Date(seriesEndMs(series)).toISOString()}, the service needs ${new Date(startMs).toISOString()} … ${new Date(endMs).toISOString()}`);
  }
  return resample(series, startMs, stepMs, count);
}

function evOutcome(fleet: ServiceFleet, idleStepMs: number): EvOutcome {
  const outcome: EvOutcome = { sessions: 0, sessionsShort: 0, sessionsShortFeasible: 0 };
  for (const member of fleet.fleet.members) {
    if (!(member.device instanceof SimulatedEvCharger) || !member.ev) continue;
    const carMaxKW = new Map(member.ev.sessions.map((s) => [s.sessionId, s.maxChargeKW]));
    const chargerMaxKW = member.device.capabilities().maxImportKW;
    for (const s of member.device.completedSessions()) {
      outcome.sessions++;
      if (s.deliveredKWh >= s.requestedKWh - 1e-6) continue;
      outcome.sessionsShort++;
      const maxKW = Math.min(chargerMaxKW, carMaxKW.get(s.sessionId) ?? Infinity);
      const reachableKWh = (member.ev.chargeEfficiency * maxKW * Math.max(0, s.departureMs - s.arrivalMs - idleStepMs)) / MS_PER_HOUR;
      if (s.requestedKWh <= reachableKWh) outcome.sessionsShortFeasible++;
    }
  }
  return outcome;
}

/** The batteries' SoC before and after a service, when the fleet has batteries. */
function socSpan(start: SocBand | undefined, end: SocBand | undefined): { soc?: { start: SocBand; end: SocBand } } {
  return start && end ? { soc: { start, end } } : {};
}

function traceHash(traces: readonly FollowTrace[]): string {
  const hash = createHash('sha256');
  for (const t of traces) hash.update(JSON.stringify([t.timesMs, t.requiredKW, t.responseKW]));
  return hash.digest('hex');
}
