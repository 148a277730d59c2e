/**
 * The real-time dispatcher every grid service shares: one allocation core that turns a fleet
 * deviation (kW away from the participants' basepoints, positive = more export) into per-DER
 * setpoints, every 1–10 s, without an LP.
 *
 * Each step, from a frozen snapshot of the fleet's telemetry, every DER gets a range it can hold:
 * the safety envelope's bounds over the headroom time (power, SoC headroom after losses, EV energy
 * still wanted), narrowed to what its ramp reaches within the step and, for a charging EV, to at
 * least the power that still lets the car get its energy by departure. Feeder groups bound their
 * members' sum to the feeder's import/export limits. The deviation is split first across feeder
 * groups, then across each group's members, in proportion to their headroom on the side asked for,
 * so every DER moves the same fraction of its headroom and no bound can be passed. Every setpoint
 * then goes through `clampSetpoint` before it reaches the device.
 */
import type { DeviceCapabilities, DeviceTelemetry } from '../actors/device-adapter.js';
import { CLAMP_REASONS, type ClampReason, clampSetpoint, safeSetpointKW } from '../actors/safety-envelope.js';
import { MS_PER_HOUR, type SimulatedDevice } from '../actors/devices/simulated-device.js';
import type { FeederSpec } from './scenario.js';

/** A DER the dispatcher drives. */
export interface DispatchMember {
  device: SimulatedDevice;
  feederId?: string;
}

/** One dispatch step. */
export interface DispatchRequest {
  /** How long the setpoints are held, ms > 0. */
  stepMs: number;
  /** Per member (same order): basepoint of a participant, kW; NaN for a DER outside the service, which holds its safe default. */
  basepointKW: ArrayLike<number>;
  /** The fleet's deviation from the participants' basepoints, kW (positive = more export). */
  deviationKW: number;
  /** SoC and EV-energy headroom is what a DER can hold for this long, ms (at least `stepMs`). */
  headroomMs: number;
}

/** What one step asked of the fleet. */
export interface DispatchOutcome {
  /** Σ participants' setpoints − Σ their basepoints, kW. */
  plannedDeviationKW: number;
  /** Deviation asked minus deviation planned, kW (positive: short of export). */
  shortfallKW: number;
}

/** DERs on one feeder (or on none: unlimited), by member index, with the feeder's limits, kW. */
export interface FeederGroup {
  importLimitKW: number;
  exportLimitKW: number;
  members: number[];
}

/** Splits fleet deviations across DERs by headroom; holds per-member scratch arrays so a step allocates nothing per DER. */
export class RealTimeDispatcher {
  readonly members: readonly DispatchMember[];
  readonly caps: readonly DeviceCapabilities[];
  /** Setpoints changed by the envelope, per reason (the allocation stays inside it, so only rounding should show). */
  readonly clamps: Record<ClampReason, number> = Object.fromEntries(CLAMP_REASONS.map((r) => [r, 0])) as Record<ClampReason, number>;
  /** The feeder groups; the last one holds the DERs on no declared feeder. */
  readonly groups: readonly FeederGroup[];
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly hard: Float64Array;
  private readonly base: Float64Array;
  private readonly setpoint: Float64Array;
  private readonly snapshot: DeviceTelemetry[];
  private readonly groupIndices: number[];
  private readonly groupLo: Float64Array;
  private readonly groupHi: Float64Array;
  private readonly groupBase: Float64Array;
  private readonly groupTarget: Float64Array;

  constructor(members: readonly DispatchMember[], feeders: readonly FeederSpec[] = []) {
    this.members = members;
    this.caps = members.map((m) => m.device.capabilities());
    const byId = new Map(feeders.map((f, i) => [f.id, i]));
    // Members on no declared feeder form one unlimited group.
    this.groups = [...feeders.map((f) => ({ importLimitKW: f.importLimitKW, exportLimitKW: f.exportLimitKW, members: [] as number[] })), { importLimitKW: Infinity, exportLimitKW: Infinity, members: [] }];
    members.forEach((m, k) => this.groups[m.feederId !== undefined && byId.has(m.feederId) ? byId.get(m.feederId)! : feeders.length].members.push(k));
    const n = members.length;
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    this.hard = new Float64Array(n);
    this.base = new Float64Array(n);
    this.setpoint = new Float64Array(n);
    this.snapshot = new Array<DeviceTelemetry>(n);
    this.groupIndices = this.groups.map((_, i) => i);
    this.groupLo = new Float64Array(this.groups.length);
    this.groupHi = new Float64Array(this.groups.length);
    this.groupBase = new Float64Array(this.groups.length);
    this.groupTarget = new Float64Array(this.groups.length);
  }

  /** The setpoint member `k` got at the last step, kW. */
  setpointKW(k: number): number {
    return this.setpoint[k];
  }

  /**
   * The range member `k` can hold from now for `holdMs` (envelope, EV departure energy), kW, and
   * the envelope's own upper bound (above the range's for an EV that must keep charging);
   * `[safe default, safe default, safe default]` for a non-participant. Ramp is not included.
   */
  holdRangeKW(k: number, holdMs: number, participant: boolean, telemetry: DeviceTelemetry = this.members[k].device.telemetryNow()): [number, number, number] {
    const caps = this.caps[k];
    if (!participant) {
      const safe = safeSetpointKW(caps, telemetry, holdMs);
      return [safe, safe, safe];
    }
    const hi = clampSetpoint(caps.maxExportKW, caps, telemetry, holdMs).powerKW;
    const lo = clampSetpoint(-caps.maxImportKW, caps, telemetry, holdMs).powerKW;
    const session = telemetry.evSession;
    if (caps.kind !== 'ev-charger' || !session) return [lo, hi, hi];
    // Curtailing now must leave time to charge what the car still wants at full power before it leaves.
    const maxKW = Math.min(caps.maxImportKW, session.maxChargeKW);
    const remainingH = (session.departureMs - telemetry.timeMs) / MS_PER_HOUR;
    const holdH = Math.min(holdMs / MS_PER_HOUR, remainingH);
    const wantedGridKWh = Math.max(0, session.requestedKWh - session.deliveredKWh) / session.chargeEfficiency;
    const mustKW = holdH > 0 ? Math.min(maxKW, Math.max(0, (wantedGridKWh - maxKW * (remainingH - holdH)) / holdH)) : 0;
    return [lo, Math.max(lo, Math.min(hi, -mustKW)), hi];
  }

  /**
   * Fills the per-member ranges (ramp over `rampMs`, headroom over `headroomMs`) and the feeder
   * groups' bands from a fresh telemetry snapshot; returns Σ participants' basepoints and Σ fixed powers.
   */
  private computeBands(basepointKW: ArrayLike<number>, headroomMs: number, rampMs: number): { basepointSumKW: number; fixedSumKW: number } {
    const { lo, hi, hard, base, caps, snapshot, groupLo, groupHi, groupBase } = this;
    let basepointSumKW = 0;
    let fixedSumKW = 0;
    for (let k = 0; k < this.members.length; k++) {
      const telemetry = (snapshot[k] = this.members[k].device.telemetryNow());
      const participant = !Number.isNaN(basepointKW[k]);
      let [low, high, envelopeHigh] = this.holdRangeKW(k, headroomMs, participant, telemetry);
      if (participant) {
        // A ramp-limited DER reaches at most ramp × time from where it is; safety bounds win over the ramp window.
        const rampKW = (caps[k].rampKWPerS * rampMs) / 1000;
        const rampLow = Math.min(Math.max(low, telemetry.setpointKW - rampKW), high);
        high = Math.max(Math.min(high, telemetry.setpointKW + rampKW), low);
        envelopeHigh = Math.max(Math.min(envelopeHigh, telemetry.setpointKW + rampKW), low);
        low = rampLow;
        basepointSumKW += basepointKW[k];
      } else {
        fixedSumKW += low;
      }
      lo[k] = low;
      hi[k] = high;
      hard[k] = Math.max(high, envelopeHigh);
      base[k] = participant ? Math.min(high, Math.max(low, basepointKW[k])) : low;
    }
    this.groups.forEach((g, gi) => {
      let sumLo = 0;
      let sumHi = 0;
      let sumHard = 0;
      let sumBase = 0;
      for (const k of g.members) {
        sumLo += lo[k];
        sumHi += hi[k];
        sumHard += hard[k];
        sumBase += base[k];
      }
      if (sumHi < -g.importLimitKW && sumHard > sumHi) {
        // The feeder wins over the EVs' departure energy: every car's must-charge gives way by the same fraction.
        const theta = Math.min(1, (-g.importLimitKW - sumHi) / (sumHard - sumHi));
        for (const k of g.members) hi[k] += theta * (hard[k] - hi[k]);
        sumHi += theta * (sumHard - sumHi);
      }
      let low = Math.max(sumLo, -g.importLimitKW);
      let high = Math.min(sumHi, g.exportLimitKW);
      // Devices that cannot come inside the feeder's limits get as close as they can.
      if (low > high) low = high = sumLo > g.exportLimitKW ? sumLo : sumHi;
      groupLo[gi] = low;
      groupHi[gi] = high;
      groupBase[gi] = Math.min(high, Math.max(low, sumBase));
    });
    return { basepointSumKW, fixedSumKW };
  }

  /**
   * Export the fleet can add above its participants' basepoints, kW: reachable within `rampMs`,
   * held for `headroomMs`, inside every feeder's limits. Sets no setpoint.
   */
  upHeadroomKW(basepointKW: ArrayLike<number>, headroomMs: number, rampMs: number): number {
    const { basepointSumKW, fixedSumKW } = this.computeBands(basepointKW, headroomMs, rampMs);
    return this.groupHi.reduce((a, b) => a + b, 0) - basepointSumKW - fixedSumKW;
  }

  /** One step: allocate, clamp through the envelope and apply every setpoint; devices are not advanced. */
  dispatch(request: DispatchRequest): DispatchOutcome {
    const { stepMs, basepointKW, deviationKW } = request;
    const { basepointSumKW, fixedSumKW } = this.computeBands(basepointKW, Math.max(stepMs, request.headroomMs), stepMs);
    const { lo, hi, base, setpoint, caps, snapshot } = this;
    // Fleet level: the same fraction of every feeder group's headroom, then of each member's within its group.
    spreadByHeadroom(this.groupIndices, this.groupBase, this.groupLo, this.groupHi, basepointSumKW + fixedSumKW + deviationKW, this.groupTarget);
    let plannedKW = 0;
    this.groups.forEach((g, gi) => {
      spreadByHeadroom(g.members, base, lo, hi, this.groupTarget[gi], setpoint);
      for (const k of g.members) {
        const clamp = clampSetpoint(setpoint[k], caps[k], snapshot[k], stepMs);
        if (clamp.reason) this.clamps[clamp.reason]++;
        setpoint[k] = clamp.powerKW;
        this.members[k].device.applySetpointNow(clamp.powerKW);
        if (!Number.isNaN(basepointKW[k])) plannedKW += clamp.powerKW;
      }
    });
    const plannedDeviationKW = plannedKW - basepointSumKW;
    return { plannedDeviationKW, shortfallKW: deviationKW - plannedDeviationKW };
  }
}

/**
 * Writes into `out[i]`, for each index, a value in [low[i], high[i]] such that the values sum to
 * `totalKW` as far as the bands allow: every one moves the same fraction of its headroom from its base.
 */
function spreadByHeadroom(indices: readonly number[], base: ArrayLike<number>, low: ArrayLike<number>, high: ArrayLike<number>, totalKW: number, out: Float64Array): void {
  let sumBase = 0;
  for (const i of indices) sumBase += base[i];
  const d = totalKW - sumBase;
  let room = 0;
  for (const i of indices) room += d >= 0 ? high[i] - base[i] : base[i] - low[i];
  const frac = room > 0 ? Math.min(1, Math.abs(d) / room) : 0;
  for (const i of indices) out[i] = d >= 0 ? base[i] + frac * (high[i] - base[i]) : base[i] - frac * (base[i] - low[i]);
}
