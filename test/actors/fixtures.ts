import fc from 'fast-check';
import { SimulatedBattery, type EvSessionSpec, type SimulatedBatteryConfig } from '../../actors/index.js';

/** Epoch ms the tests start at (2022-09-17T00:00:00Z). */
export const T0 = Date.UTC(2022, 8, 17);
export const HOUR_MS = 3_600_000;

/** A plausible home/commercial battery. */
export function batteryConfig(overrides: Partial<SimulatedBatteryConfig> = {}): SimulatedBatteryConfig {
  return {
    id: 'bat-1',
    capacityKWh: 10,
    maxChargeKW: 5,
    maxDischargeKW: 5,
    chargeEfficiency: 0.95,
    dischargeEfficiency: 0.9,
    minSocFrac: 0.1,
    maxSocFrac: 0.9,
    rampKWPerS: Infinity,
    wearCostPerMWh: 20,
    initialSocFrac: 0.5,
    startMs: T0,
    ...overrides,
  };
}

/** Random but valid battery parameters. */
export const batteryConfigArb: fc.Arbitrary<SimulatedBatteryConfig> = fc
  .record({
    capacityKWh: fc.double({ min: 1, max: 200, noNaN: true }),
    maxChargeKW: fc.double({ min: 0.5, max: 100, noNaN: true }),
    maxDischargeKW: fc.double({ min: 0.5, max: 100, noNaN: true }),
    chargeEfficiency: fc.double({ min: 0.7, max: 1, noNaN: true }),
    dischargeEfficiency: fc.double({ min: 0.7, max: 1, noNaN: true }),
    minSocFrac: fc.double({ min: 0, max: 0.4, noNaN: true }),
    spanFrac: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
    startFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    rampKWPerS: fc.oneof(fc.constant(Infinity), fc.double({ min: 0.001, max: 10, noNaN: true })),
  })
  .map((r) => {
    const maxSocFrac = r.minSocFrac + r.spanFrac;
    return batteryConfig({
      capacityKWh: r.capacityKWh,
      maxChargeKW: r.maxChargeKW,
      maxDischargeKW: r.maxDischargeKW,
      chargeEfficiency: r.chargeEfficiency,
      dischargeEfficiency: r.dischargeEfficiency,
      minSocFrac: r.minSocFrac,
      maxSocFrac,
      initialSocFrac: r.minSocFrac + r.startFrac * r.spanFrac,
      rampKWPerS: r.rampKWPerS,
    });
  });

/** A setpoint as a fraction of the device's range, in [-1, 1], held for `durationMs`. */
export const commandsArb = fc.array(
  fc.record({ frac: fc.double({ min: -1, max: 1, noNaN: true }), durationMs: fc.integer({ min: 1, max: 3 * HOUR_MS }) }),
  { minLength: 1, maxLength: 25 },
);

/** Map a fraction in [-1, 1] to a power within the battery's limits, kW. */
export function fracToKW(b: SimulatedBattery, frac: number): number {
  const caps = b.capabilities();
  return frac >= 0 ? frac * caps.maxExportKW : frac * caps.maxImportKW;
}

/** Random non-overlapping EV sessions starting at or after T0. */
export const sessionsArb = fc
  .array(
    fc.record({
      gapMs: fc.integer({ min: 0, max: 5 * HOUR_MS }),
      stayMs: fc.integer({ min: 1, max: 10 * HOUR_MS }),
      requestedKWh: fc.double({ min: 0, max: 60, noNaN: true }),
      maxChargeKW: fc.double({ min: 1, max: 22, noNaN: true }),
    }),
    { maxLength: 8 },
  )
  .map((rows) => {
    let t = T0;
    return rows.map((r, i): EvSessionSpec => {
      const arrivalMs = t + r.gapMs;
      t = arrivalMs + r.stayMs;
      return { sessionId: `s${i}`, arrivalMs, departureMs: t, requestedKWh: r.requestedKWh, maxChargeKW: r.maxChargeKW };
    });
  });
