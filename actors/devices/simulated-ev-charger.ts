import type { DeviceTelemetry, EvSessionState } from '../device-adapter.js';
import { DeviceConfigError } from '../errors.js';
import { MS_PER_HOUR, SimulatedDeviceBase, requireNumber } from './simulated-device.js';

/** One car's visit to a charger, as the simulator knows it in advance. */
export interface EvSessionSpec {
  sessionId: string;
  /** UTC epoch ms the car plugs in. */
  arrivalMs: number;
  /** UTC epoch ms the car leaves, whatever its charge; the car is present in [arrival, departure). */
  departureMs: number;
  /** Energy the driver wants delivered to the car, kWh >= 0. */
  requestedKWh: number;
  /** The car's own charging limit, kW > 0. */
  maxChargeKW: number;
}

/** What a finished session asked for and got, kWh delivered to the car. */
export interface CompletedEvSession {
  sessionId: string;
  arrivalMs: number;
  departureMs: number;
  requestedKWh: number;
  deliveredKWh: number;
}

/** Parameters of a simulated EV charger. */
export interface SimulatedEvChargerConfig {
  id: string;
  /** Charger rating, kW > 0 drawn from the grid. */
  maxChargeKW: number;
  /** kWh reaching the car per kWh drawn from the grid, (0, 1]. */
  chargeEfficiency: number;
  /** Sessions on this charger; they must not overlap. */
  sessions: EvSessionSpec[];
  /** UTC epoch ms of the initial state. */
  startMs: number;
  /** Wear cost per MWh of throughput, currency per MWh; 0 when omitted. */
  wearCostPerMWh?: number;
}

/**
 * An EV charger that only ever imports (power <= 0). A plugged-in car draws
 * min(|setpoint|, charger rating, car limit) until it has the energy it asked for, and leaves at
 * its departure time whatever its charge.
 */
export class SimulatedEvCharger extends SimulatedDeviceBase {
  private readonly sessions: EvSessionSpec[];
  private readonly delivered: number[];
  private readonly efficiency: number;
  /** Index of the first session that has not departed at the device time. */
  private next = 0;

  constructor(config: SimulatedEvChargerConfig) {
    const id = config.id;
    super(
      id,
      {
        kind: 'ev-charger',
        maxExportKW: 0,
        maxImportKW: requireNumber(id, 'maxChargeKW', config.maxChargeKW, Number.MIN_VALUE, Number.MAX_VALUE),
        rampKWPerS: Infinity,
        wearCostPerMWh: requireNumber(id, 'wearCostPerMWh', config.wearCostPerMWh ?? 0, 0, Number.MAX_VALUE),
      },
      config.startMs,
    );
    this.efficiency = requireNumber(id, 'chargeEfficiency', config.chargeEfficiency, Number.MIN_VALUE, 1);
    this.sessions = [...config.sessions].sort((a, b) => a.arrivalMs - b.arrivalMs);
    this.sessions.forEach((s, i) => {
      const field = `sessions[${s.sessionId}]`;
      requireNumber(id, `${field}.arrivalMs`, s.arrivalMs, -Number.MAX_VALUE, Number.MAX_VALUE);
      requireNumber(id, `${field}.departureMs`, s.departureMs, s.arrivalMs, Number.MAX_VALUE);
      requireNumber(id, `${field}.requestedKWh`, s.requestedKWh, 0, Number.MAX_VALUE);
      requireNumber(id, `${field}.maxChargeKW`, s.maxChargeKW, Number.MIN_VALUE, Number.MAX_VALUE);
      const prev = this.sessions[i - 1];
      if (prev && s.arrivalMs < prev.departureMs) {
        throw new DeviceConfigError(
          `device ${id}: session ${s.sessionId} arrives at ${s.arrivalMs} before session ${prev.sessionId} departs at ${prev.departureMs}`,
        );
      }
    });
    this.delivered = this.sessions.map(() => 0);
    this.skipDeparted(this.timeMs);
  }

  /** Sessions whose car has left by the device time, in arrival order. */
  completedSessions(): CompletedEvSession[] {
    return this.sessions.slice(0, this.next).map((s, i) => ({
      sessionId: s.sessionId,
      arrivalMs: s.arrivalMs,
      departureMs: s.departureMs,
      requestedKWh: s.requestedKWh,
      deliveredKWh: this.delivered[i],
    }));
  }

  protected extraTelemetry(): Partial<DeviceTelemetry> {
    const s = this.sessions[this.next];
    if (!s || s.arrivalMs > this.timeMs) return {};
    const evSession: EvSessionState = {
      sessionId: s.sessionId,
      arrivalMs: s.arrivalMs,
      departureMs: s.departureMs,
      requestedKWh: s.requestedKWh,
      deliveredKWh: this.delivered[this.next],
      maxChargeKW: s.maxChargeKW,
      chargeEfficiency: this.efficiency,
    };
    return { evSession };
  }

  protected integrate(fromMs: number, toMs: number): number {
    let importedKWh = 0;
    let t = fromMs;
    while (t < toMs) {
      this.skipDeparted(t);
      const s = this.sessions[this.next];
      if (!s) break;
      if (s.arrivalMs > t) {
        t = Math.min(toMs, s.arrivalMs);
        continue;
      }
      const end = Math.min(toMs, s.departureMs);
      const drawKW = Math.min(-this.setpointKW, this.caps.maxImportKW, s.maxChargeKW);
      const missingKWh = s.requestedKWh - this.delivered[this.next];
      if (drawKW <= 0 || missingKWh <= 0) {
        t = end;
        continue;
      }
      const fullAt = t + (missingKWh / (this.efficiency * drawKW)) * MS_PER_HOUR;
      if (fullAt <= end) {
        // The car is full: book exactly the missing energy so delivery never overshoots.
        importedKWh += missingKWh / this.efficiency;
        this.delivered[this.next] = s.requestedKWh;
        t = fullAt;
      } else {
        const stepKWh = (drawKW * (end - t)) / MS_PER_HOUR;
        importedKWh += stepKWh;
        this.delivered[this.next] = Math.min(s.requestedKWh, this.delivered[this.next] + this.efficiency * stepKWh);
        t = end;
      }
    }
    this.skipDeparted(toMs);
    return 0 - importedKWh; // not -importedKWh: no -0 in the meter
  }

  private skipDeparted(timeMs: number): void {
    while (this.next < this.sessions.length && this.sessions[this.next].departureMs <= timeMs) this.next += 1;
  }
}
