/**
 * The fleet as the real-time services drive it: the dispatcher, the physics advanced step by step
 * with every device and feeder checked by the independent limit checker, the quiet time between
 * services, and the loop every service shares (`follow`): per period, commitments from the
 * commitment source; per step, the required deviation dispatched and the metered response read.
 */
import { MS_PER_HOUR } from '../actors/devices/simulated-device.js';
import { clampSetpoint, safeDefaultKW } from '../actors/safety-envelope.js';
import { checkFeederLimits, checkLimits } from '../sim/limit-check.js';
import type { Fleet } from '../sim/fleet.js';
import type { FleetCommitment } from './commitment.js';
import { basepointsOf, ruleCommitments, type CommitmentSource, type CommittedService } from './commitment-rule.js';
import { RealTimeDispatcher } from './dispatcher.js';
import { plannedSource, type PlannedCommitments } from './planned.js';
import type { FeederSpec } from './scenario.js';

const MS_PER_MIN = 60_000;

/** How DERs behave between services: batteries drift back toward a state of charge, the rest hold their safe defaults. */
export interface IdleSettings {
  /** Dispatch step while idle, ms. */
  stepMs: number;
  /** Batteries move toward this state of charge; when absent they stay idle. */
  recovery?: {
    socFrac: number;
    /** Recharge (or discharge) power as a fraction of the battery's rating. */
    chargeFrac: number;
  };
}

/** The spread of the batteries' state of charge at one time. */
export interface SocBand {
  meanFrac: number;
  minFrac: number;
  maxFrac: number;
}

/** A fleet under real-time control, with its violation counters. */
export class ServiceFleet {
  readonly dispatcher: RealTimeDispatcher;
  readonly feeders: readonly FeederSpec[];
  /** Device limits broken after a step (independent checker), summed over devices and steps. */
  deviceViolations = 0;
  /** Feeder limits broken after a step (independent checker), summed over feeders and steps. */
  feederViolations = 0;
  /** Where the commitments come from (the rule unless the planner's are handed over). */
  commitments: CommitmentSource;
  private timeMs: number;

  constructor(
    readonly fleet: Fleet,
    feeders: readonly FeederSpec[],
    startMs: number,
  ) {
    this.dispatcher = new RealTimeDispatcher(fleet.members, feeders);
    this.feeders = feeders;
    this.commitments = ruleCommitments(this.dispatcher);
    this.timeMs = startMs;
  }

  /** Fleet time, UTC epoch ms. */
  get nowMs(): number {
    return this.timeMs;
  }

  /** Advances every device to `toMs` and checks every device and feeder. */
  advance(toMs: number): void {
    const { members, caps } = this.dispatcher;
    for (let k = 0; k < members.length; k++) {
      members[k].device.advanceTo(toMs);
      this.deviceViolations += checkLimits(members[k].device, caps[k]);
    }
    this.feederViolations += checkFeederLimits(members, this.feeders);
    this.timeMs = toMs;
  }

  /** The batteries' state of charge now: mean, lowest, highest; undefined without batteries. */
  batterySoc(): SocBand | undefined {
    const socs = this.dispatcher.members.flatMap((m) => m.device.telemetryNow().socFrac ?? []);
    if (socs.length === 0) return undefined;
    return { meanFrac: socs.reduce((a, b) => a + b, 0) / socs.length, minFrac: Math.min(...socs), maxFrac: Math.max(...socs) };
  }

  /** Σ over participants (non-NaN basepoint) of power over the last step minus their basepoints, kW. */
  responseKW(basepointKW: ArrayLike<number>): number {
    const { members } = this.dispatcher;
    let sum = 0;
    for (let k = 0; k < members.length; k++) {
      if (!Number.isNaN(basepointKW[k])) sum += members[k].device.telemetryNow().powerKW - basepointKW[k];
    }
    return sum;
  }

  /**
   * Until `untilMs`: no service; batteries move toward the recovery SoC at the recovery rate, EVs
   * charge as their safe default would, PV runs free, all through the dispatcher (feeder limits
   * hold) at the idle step.
   */
  idleUntil(untilMs: number, idle: IdleSettings): void {
    const { members, caps } = this.dispatcher;
    const basepointKW = new Float64Array(members.length);
    while (this.timeMs < untilMs) {
      const stepMs = Math.min(idle.stepMs, untilMs - this.timeMs);
      const stepH = stepMs / MS_PER_HOUR;
      members.forEach((m, k) => {
        const c = caps[k];
        const telemetry = m.device.telemetryNow();
        let wantedKW = safeDefaultKW(c, telemetry);
        if (c.kind === 'battery' && idle.recovery) {
          const st = c.storage!;
          const gapKWh = idle.recovery.socFrac * st.capacityKWh - (telemetry.energyKWh ?? 0);
          const rateKW = idle.recovery.chargeFrac * (gapKWh > 0 ? c.maxImportKW : c.maxExportKW);
          wantedKW = gapKWh > 0 ? -Math.min(rateKW, gapKWh / st.chargeEfficiency / stepH) : Math.min(rateKW, (-gapKWh * st.dischargeEfficiency) / stepH);
        }
        // Basepoints inside the envelope: the fleet must not make up for a car that is not there.
        basepointKW[k] = clampSetpoint(wantedKW, c, telemetry, stepMs).powerKW;
      });
      this.dispatcher.dispatch({ stepMs, basepointKW, deviationKW: 0, headroomMs: stepMs });
      this.advance(this.timeMs + stepMs);
    }
  }
}

/** One service's run over a span. */
export interface FollowSpec {
  service: CommittedService;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Commitments are fixed per period of this length from `startMs`, ms. */
  periodMs: number;
  /** When set, periods start at `periodOriginMs` + k·`periodMs` instead (a market's commitment periods). */
  periodOriginMs?: number;
  /** What the fleet is asked to commit per period, kW. */
  askedKW: number;
  /** Headroom time at a step start, ms. */
  headroomMs: (tMs: number) => number;
  /** The required deviation at step `i` (starting at `tMs`) as a fraction of the committed capacity. */
  requiredFrac: (i: number, tMs: number) => number;
}

/** Per step: time, required and metered deviation (kW), committed capacity (kW). */
export interface FollowTrace {
  timesMs: number[];
  stepMs: number[];
  requiredKW: number[];
  responseKW: number[];
  committedKW: number[];
  /** Per period: what the fleet could carry and what it committed. */
  periods: { startMs: number; capacityKW: number; committedKW: number; participants: number; fleet: FleetCommitment }[];
}

/** Runs the fleet through one service span: commitments per period, dispatch and metering per step. */
export function follow(fleet: ServiceFleet, spec: FollowSpec): FollowTrace {
  const trace: FollowTrace = { timesMs: [], stepMs: [], requiredKW: [], responseKW: [], committedKW: [], periods: [] };
  let basepointKW: ArrayLike<number> = [];
  let committedKW = 0;
  let periodEndMs = -Infinity;
  for (let i = 0, t = spec.startMs; t < spec.endMs; i++, t += spec.stepMs) {
    if (t >= periodEndMs) {
      const origin = spec.periodOriginMs;
      periodEndMs = Math.min(spec.endMs, origin === undefined ? t + spec.periodMs : origin + (Math.floor((t - origin) / spec.periodMs) + 1) * spec.periodMs);
      const period = fleet.commitments(spec.service, t, periodEndMs, spec.askedKW, spec.headroomMs(t));
      basepointKW = basepointsOf(fleet.dispatcher, period.fleet);
      committedKW = spec.service === 'reserve' ? spec.askedKW : period.committedKW;
      trace.periods.push({ startMs: t, capacityKW: period.capacityKW, committedKW, participants: period.fleet.ders.length, fleet: period.fleet });
    }
    const stepMs = Math.min(spec.stepMs, spec.endMs - t);
    const requiredKW = spec.requiredFrac(i, t) * committedKW;
    fleet.dispatcher.dispatch({ stepMs, basepointKW, deviationKW: requiredKW, headroomMs: spec.headroomMs(t) });
    fleet.advance(t + stepMs);
    trace.timesMs.push(t);
    trace.stepMs.push(stepMs);
    trace.requiredKW.push(requiredKW);
    trace.responseKW.push(fleet.responseKW(basepointKW));
    trace.committedKW.push(committedKW);
  }
  return trace;
}

/** What a service that follows a signal continuously (regulation, frequency) is configured with. */
export interface SignalServiceSettings {
  stepS: number;
  periodMin: number;
  committedMW: number;
  socHorizonMin: number;
  socCorrectionFrac: number;
}

/**
 * Follows `requiredFrac` (one fraction of the committed capacity per step from `startMs`) with the
 * fleet: with `planned`, on the planner's commitments over its market periods; otherwise on the
 * rule's, its batteries' basepoints steering toward mid-SoC as `socCorrectionFrac` allows.
 */
export function followSignal(fleet: ServiceFleet, service: CommittedService, settings: SignalServiceSettings, startMs: number, requiredFrac: readonly number[], planned?: PlannedCommitments): FollowTrace {
  const stepMs = settings.stepS * 1000;
  fleet.commitments = planned ? plannedSource(planned) : ruleCommitments(fleet.dispatcher, { socCorrectionFrac: settings.socCorrectionFrac });
  return follow(fleet, {
    service,
    startMs,
    endMs: startMs + requiredFrac.length * stepMs,
    stepMs,
    periodMs: planned?.periodMs ?? settings.periodMin * MS_PER_MIN,
    periodOriginMs: planned?.originMs,
    askedKW: settings.committedMW * 1000,
    headroomMs: () => settings.socHorizonMin * MS_PER_MIN,
    requiredFrac: (i) => requiredFrac[i],
  });
}
