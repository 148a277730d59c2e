import { DateTime } from 'luxon';
import { SimulatedBattery } from '../actors/devices/simulated-battery.js';
import { SimulatedEvCharger, type EvSessionSpec } from '../actors/devices/simulated-ev-charger.js';
import { SimulatedPv, stepProfileFromPoints, type StepProfile } from '../actors/devices/simulated-pv.js';
import type { SimulatedDevice } from '../actors/devices/simulated-device.js';
import { loadAcnSessions } from './signals/acn.js';
import type { LoadReport } from './signals/series.js';
import type { Grid, SignalLoader } from './inputs.js';
import { type Random, draw } from './random.js';
import type { Scenario } from './scenario.js';

/** One simulated DER with what the planner and the accounting need to know about it. */
export interface FleetMember {
  device: SimulatedDevice;
  ownerId: string;
  feederId?: string;
  /** For PV: index into `Fleet.pvProfiles` of its per-kW availability, and its size. */
  pvProfileIndex?: number;
  pvSizeKW?: number;
  /** For an EV charger: the sessions it will see and its efficiency. */
  ev?: { sessions: EvSessionSpec[]; chargeEfficiency: number };
}

/** The devices of a scenario, built deterministically from its seed. */
export interface Fleet {
  members: FleetMember[];
  /** Per-kW PV availability on the grid, one array per distinct profile, kW/kW per interval. */
  pvProfiles: number[][];
  reports: LoadReport[];
  /** Sessions left out and why (outside the window, overlapping on one charger). */
  evSessionsDropped: { reason: string; count: number }[];
}

/** Builds the fleet; call it twice with the same seed and get identical devices. */
export function buildFleet(scenario: Scenario, grid: Grid, signals: SignalLoader, random: Random): Fleet {
  const members: FleetMember[] = [];
  const reports: LoadReport[] = [];
  const startMs = grid.startMs;

  for (const group of scenario.fleet.batteries) {
    for (let n = 0; n < group.count; n++) {
      const id = `${group.name}-${n + 1}`;
      const minSocFrac = group.minSocFrac;
      const maxSocFrac = group.maxSocFrac;
      const device = new SimulatedBattery({
        id,
        capacityKWh: draw(group.capacityKWh, random),
        maxChargeKW: draw(group.maxChargeKW, random),
        maxDischargeKW: draw(group.maxDischargeKW, random),
        chargeEfficiency: draw(group.chargeEfficiency, random),
        dischargeEfficiency: draw(group.dischargeEfficiency, random),
        minSocFrac,
        maxSocFrac,
        initialSocFrac: Math.min(maxSocFrac, Math.max(minSocFrac, draw(group.initialSocFrac, random))),
        rampKWPerS: group.rampKWPerS === undefined ? Infinity : draw(group.rampKWPerS, random),
        wearCostPerMWh: draw(group.wearCostPerMWh, random),
        startMs,
      });
      members.push({ device, ownerId: `owner-${id}`, feederId: group.feeder });
    }
  }

  const pvProfiles: number[][] = [];
  const profileIndex = new Map<string, number>();
  for (const group of scenario.fleet.pv) {
    for (let n = 0; n < group.count; n++) {
      const id = `${group.name}-${n + 1}`;
      // With `building: all`, homes take the 17 CityLearn profiles in turn, so neighbours differ.
      const building = group.profile.source === 'citylearn-pv' && group.profile.building === 'all' ? (n % 17) + 1 : 1;
      const key = `${JSON.stringify(group.profile)}#${building}`;
      let index = profileIndex.get(key);
      if (index === undefined) {
        const signal = signals.onGrid(group.profile, grid, building);
        reports.push(...signal.reports);
        index = pvProfiles.push(signal.values.map((v) => Math.max(0, v))) - 1;
        profileIndex.set(key, index);
      }
      const pvSizeKW = draw(group.sizeKW, random);
      const device = new SimulatedPv({ id, sizeKW: pvSizeKW, availability: gridProfile(grid, pvProfiles[index]), startMs });
      members.push({ device, ownerId: `owner-${id}`, feederId: group.feeder, pvProfileIndex: index, pvSizeKW });
    }
  }

  const evSessions = new Map<string, EvSessionSpec[]>();
  const evSessionsDropped: { reason: string; count: number }[] = [];
  const ev = scenario.fleet.ev;
  if (ev) {
    const endMs = grid.startMs + grid.count * grid.intervalMs;
    const sessions = ev.sessions.source === 'acn' ? acnSessions(ev.sessions.energy, signals, reports) : generatedSessions(ev.sessions, grid, random);
    let outside = 0;
    let overlapping = 0;
    for (const session of sessions) {
      if (session.arrivalMs < grid.startMs || session.departureMs > endMs) {
        outside++;
        continue;
      }
      const list = evSessions.get(session.chargerId) ?? [];
      if (list.length > 0 && list[list.length - 1].departureMs > session.arrivalMs) {
        overlapping++;
        continue;
      }
      list.push({ sessionId: session.sessionId, arrivalMs: session.arrivalMs, departureMs: session.departureMs, requestedKWh: session.requestedKWh, maxChargeKW: draw(ev.carMaxKW, random) });
      evSessions.set(session.chargerId, list);
    }
    if (outside > 0) evSessionsDropped.push({ reason: 'session not wholly inside the simulation window', count: outside });
    if (overlapping > 0) evSessionsDropped.push({ reason: 'session overlaps the previous one on the same charger', count: overlapping });
    for (const [chargerId, list] of [...evSessions].sort(([a], [b]) => a.localeCompare(b))) {
      const chargeEfficiency = draw(ev.chargeEfficiency, random);
      const id = `${ev.name}-${chargerId}`;
      const device = new SimulatedEvCharger({ id, maxChargeKW: draw(ev.chargerMaxKW, random), chargeEfficiency, sessions: list, startMs });
      members.push({ device, ownerId: `owner-${id}`, feederId: ev.feeder, ev: { sessions: list, chargeEfficiency } });
    }
  }
  return { members, pvProfiles, reports, evSessionsDropped };
}

/** A per-interval array as a step profile on the grid (exact for the physics between interval edges). */
export function gridProfile(grid: Grid, values: readonly number[]): StepProfile {
  return stepProfileFromPoints(values.map((value, i) => ({ startMs: grid.startMs + i * grid.intervalMs, value })));
}

interface SessionDraft {
  chargerId: string;
  sessionId: string;
  arrivalMs: number;
  departureMs: number;
  requestedKWh: number;
}

function acnSessions(energy: 'delivered' | 'requested', signals: SignalLoader, reports: LoadReport[]): SessionDraft[] {
  const loaded = loadAcnSessions(signals.dataDirectory());
  reports.push(loaded.report);
  return loaded.data
    .map((s) => ({
      chargerId: s.stationId,
      sessionId: s.sessionId,
      arrivalMs: s.arrivalMs,
      departureMs: s.departureMs,
      requestedKWh: energy === 'requested' ? (s.requestedKWh ?? s.deliveredKWh) : s.deliveredKWh,
    }))
    .sort((a, b) => a.arrivalMs - b.arrivalMs || a.sessionId.localeCompare(b.sessionId));
}

function generatedSessions(
  spec: Extract<NonNullable<Scenario['fleet']['ev']>['sessions'], { source: 'generated' }>,
  grid: Grid,
  random: Random,
): SessionDraft[] {
  const sessions: SessionDraft[] = [];
  const endMs = grid.startMs + grid.count * grid.intervalMs;
  for (let charger = 1; charger <= spec.chargers; charger++) {
    let freeFromMs = grid.startMs;
    for (let day = DateTime.fromMillis(grid.startMs, { zone: spec.timeZone }).startOf('day'); day.toMillis() < endMs; day = day.plus({ days: 1 })) {
      if (random.next() >= spec.sessionsPerChargerPerDay) continue;
      const arrivalMs = Math.round(day.toMillis() + draw(spec.arrivalHourLocal, random) * 3_600_000);
      const departureMs = Math.round(arrivalMs + Math.max(0.25, draw(spec.stayH, random)) * 3_600_000);
      const requestedKWh = Math.max(0, draw(spec.energyKWh, random));
      if (arrivalMs < freeFromMs) continue;
      freeFromMs = departureMs;
      sessions.push({ chargerId: `c${charger}`, sessionId: `c${charger}-${sessions.length + 1}`, arrivalMs, departureMs, requestedKWh });
    }
  }
  return sessions.sort((a, b) => a.arrivalMs - b.arrivalMs || a.sessionId.localeCompare(b.sessionId));
}
