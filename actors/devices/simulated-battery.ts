import type { DeviceTelemetry } from '../device-adapter.js';
import { MS_PER_HOUR, SimulatedDeviceBase, requireNumber } from './simulated-device.js';

/** Parameters of a simulated battery. Powers in kW (both >= 0), energies in kWh. */
export interface SimulatedBatteryConfig {
  id: string;
  capacityKWh: number;
  /** Largest charging power drawn from the grid, kW >= 0. */
  maxChargeKW: number;
  /** Largest discharging power pushed into the grid, kW >= 0. */
  maxDischargeKW: number;
  /** Stored kWh per kWh drawn from the grid, (0, 1]. */
  chargeEfficiency: number;
  /** Grid kWh per stored kWh spent, (0, 1]. */
  dischargeEfficiency: number;
  minSocFrac: number;
  maxSocFrac: number;
  /** Ramp limit, kW/s (> 0; `Infinity` for an instant response). */
  rampKWPerS: number;
  /** Wear cost per MWh of throughput, currency per MWh. */
  wearCostPerMWh: number;
  /** State of charge at `startMs`, fraction in [minSocFrac, maxSocFrac]. */
  initialSocFrac: number;
  /** UTC epoch ms of the initial state. */
  startMs: number;
  /** Grid power at `startMs`, kW (sign: positive = discharge); 0 when omitted. */
  initialPowerKW?: number;
}

/**
 * A battery whose stored energy is integrated exactly: power ramps linearly towards the setpoint
 * at the ramp rate, then holds; storing ηc per imported kWh and spending 1/ηd per exported kWh.
 * When a SoC bound is reached mid-step, its BMS cuts power to 0 at that instant.
 */
export class SimulatedBattery extends SimulatedDeviceBase {
  private energyKWh: number;
  private powerKW: number;
  private readonly minEnergyKWh: number;
  private readonly maxEnergyKWh: number;
  private readonly ramp: number;
  private imported = 0;
  private exported = 0;
  private cuts = 0;

  constructor(config: SimulatedBatteryConfig) {
    const id = config.id;
    const capacityKWh = requireNumber(id, 'capacityKWh', config.capacityKWh, Number.MIN_VALUE, Number.MAX_VALUE);
    const minSocFrac = requireNumber(id, 'minSocFrac', config.minSocFrac, 0, 1);
    const maxSocFrac = requireNumber(id, 'maxSocFrac', config.maxSocFrac, minSocFrac, 1);
    const maxChargeKW = requireNumber(id, 'maxChargeKW', config.maxChargeKW, 0, Number.MAX_VALUE);
    const maxDischargeKW = requireNumber(id, 'maxDischargeKW', config.maxDischargeKW, 0, Number.MAX_VALUE);
    super(
      id,
      {
        kind: 'battery',
        maxExportKW: maxDischargeKW,
        maxImportKW: maxChargeKW,
        rampKWPerS: requireNumber(id, 'rampKWPerS', config.rampKWPerS, Number.MIN_VALUE, Infinity),
        wearCostPerMWh: requireNumber(id, 'wearCostPerMWh', config.wearCostPerMWh, 0, Number.MAX_VALUE),
        storage: {
          capacityKWh,
          minSocFrac,
          maxSocFrac,
          chargeEfficiency: requireNumber(id, 'chargeEfficiency', config.chargeEfficiency, Number.MIN_VALUE, 1),
          dischargeEfficiency: requireNumber(id, 'dischargeEfficiency', config.dischargeEfficiency, Number.MIN_VALUE, 1),
        },
      },
      config.startMs,
    );
    const initialSocFrac = requireNumber(id, 'initialSocFrac', config.initialSocFrac, minSocFrac, maxSocFrac);
    const initialPowerKW = config.initialPowerKW ?? 0;
    requireNumber(id, 'initialPowerKW', initialPowerKW, -maxChargeKW, maxDischargeKW);
    this.minEnergyKWh = minSocFrac * capacityKWh;
    this.maxEnergyKWh = maxSocFrac * capacityKWh;
    this.energyKWh = initialSocFrac * capacityKWh;
    this.powerKW = initialPowerKW;
    this.lastStepPowerKW = initialPowerKW;
    this.setpointKW = initialPowerKW;
    this.ramp = this.caps.rampKWPerS / 1000; // kW per ms
  }

  /** Total energy drawn from the grid since start, kWh >= 0. */
  get importedKWh(): number {
    return this.imported;
  }

  /** Total energy pushed into the grid since start, kWh >= 0. */
  get exportedKWh(): number {
    return this.exported;
  }

  /** Number of times the BMS cut power to 0 at a SoC bound. */
  get bmsCutCount(): number {
    return this.cuts;
  }

  /** Instantaneous grid power at the device time, kW (sign: positive = discharge). */
  get instantPowerKW(): number {
    return this.powerKW;
  }

  protected extraTelemetry(): Partial<DeviceTelemetry> {
    return { energyKWh: this.energyKWh, socFrac: this.energyKWh / this.caps.storage!.capacityKWh };
  }

  protected integrate(fromMs: number, toMs: number): number {
    const { chargeEfficiency: etaC, dischargeEfficiency: etaD } = this.caps.storage!;
    const importedBefore = this.imported;
    const exportedBefore = this.exported;
    // Work in time since `fromMs`: epoch ms carry only ~0.2 µs of resolution, too coarse for ramp ends.
    const spanMs = toMs - fromMs;
    let t = 0;
    while (t < spanMs) {
      // At a bound the BMS refuses to push further past it; the other direction stays allowed.
      const atMin = this.energyKWh <= this.minEnergyKWh;
      const atMax = this.energyKWh >= this.maxEnergyKWh;
      const target = (atMin && this.setpointKW > 0) || (atMax && this.setpointKW < 0) ? 0 : this.setpointKW;
      if (this.powerKW !== target && this.ramp === Infinity) this.powerKW = target;

      const p0 = this.powerKW;
      let slope = 0; // kW per ms
      let segEnd = spanMs;
      let p1 = p0;
      if (p0 !== target) {
        slope = Math.sign(target - p0) * this.ramp;
        // Split at a zero crossing: import and export convert with different efficiencies.
        const stop = p0 !== 0 && Math.sign(p0) !== Math.sign(target) ? 0 : target;
        const stopAt = t + Math.abs(stop - p0) / this.ramp;
        if (stopAt <= spanMs) {
          segEnd = stopAt;
          p1 = stop;
        } else {
          p1 = p0 + slope * (spanMs - t);
        }
      }
      const sign = Math.sign(p0 !== 0 ? p0 : p1);
      const gridKWh = ((p0 + p1) / 2) * ((segEnd - t) / MS_PER_HOUR);

      if (sign > 0) {
        const after = this.energyKWh - gridKWh / etaD;
        if (after < this.minEnergyKWh) {
          t = this.cutAt(t, segEnd, p0, slope, ((this.energyKWh - this.minEnergyKWh) * etaD * MS_PER_HOUR), this.minEnergyKWh);
          continue;
        }
        this.exported += gridKWh;
        this.energyKWh = after;
      } else if (sign < 0) {
        const after = this.energyKWh - gridKWh * etaC;
        if (after > this.maxEnergyKWh) {
          t = this.cutAt(t, segEnd, p0, slope, ((this.maxEnergyKWh - this.energyKWh) / etaC) * MS_PER_HOUR, this.maxEnergyKWh);
          continue;
        }
        this.imported -= gridKWh;
        this.energyKWh = after;
      }
      this.powerKW = p1;
      t = segEnd;
    }
    return this.exported - exportedBefore - (this.imported - importedBefore);
  }

  /**
   * BMS cut: find the instant the grid energy |∫p dt| (kW·ms) of the current single-sign segment
   * reaches `gridBudget`, book exactly that energy, pin the store to `bound` and drop power to 0.
   * Returns the cut time, ms since the start of the advance.
   */
  private cutAt(t: number, segEnd: number, p0: number, slope: number, gridBudget: number, bound: number): number {
    const s = p0 !== 0 ? Math.sign(p0) : Math.sign(slope);
    const u0 = s * p0; // magnitude at segment start, >= 0
    const m = s * slope; // rate of change of the magnitude
    // Root of u0·τ + m·τ²/2 = G in the form that is stable for m → 0 and u0 → 0.
    // A store already (by rounding) past its bound is cut at once with nothing booked.
    const budget = Math.max(0, gridBudget);
    const tau = budget === 0 ? 0 : (2 * budget) / (u0 + Math.sqrt(Math.max(0, u0 * u0 + 2 * m * budget)));
    const gridKWh = budget / MS_PER_HOUR;
    if (s > 0) this.exported += gridKWh;
    else this.imported += gridKWh;
    this.energyKWh = bound;
    this.powerKW = 0;
    this.cuts += 1;
    return Math.min(t + tau, segEnd);
  }
}
