import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder for one test file's scenarios and outputs. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vpp-${prefix}-`));
}

/** Writes `scenario` as JSON into `dir` under `name`; returns the file's path. */
export function writeScenario(dir: string, name: string, scenario: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(scenario, null, 2)}\n`);
  return path;
}

/** PV per kW from the CityLearn homes, replayed six months on in Sydney (as the AEMO example does). */
export const sydneyPvProfile = {
  source: 'citylearn-pv',
  building: 'all',
  align: { calendar: 'same-local-time-of-year', timeZone: 'Australia/Sydney', monthOffset: 6 },
};

/**
 * A short AEMO NSW scenario: `days` days from 5 Sep 2022 (AEST), 10 batteries and 5 PV, drawn from
 * distributions so the seed matters. `overrides` replaces top-level keys.
 */
export function aemoScenario(days: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `test AEMO ${days} d`,
    seed: 3,
    currency: 'AUD',
    window: { start: '2022-09-05T00:00:00+10:00', end: `2022-09-${String(5 + days).padStart(2, '0')}T00:00:00+10:00` },
    market: { intervalMin: 5, price: { source: 'aemo', field: 'price' } },
    planning: {
      horizonH: 24,
      blocks: [
        { untilH: 1, periodMin: 5 },
        { untilH: 4, periodMin: 30 },
        { untilH: 24, periodMin: 60 },
      ],
    },
    fleet: {
      batteries: [
        { name: 'b', count: 10, capacityKWh: { choice: [10, 13.5] }, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: { uniform: [0.3, 0.7] }, wearCostPerMWh: 20 },
      ],
      pv: [{ name: 'pv', count: 5, sizeKW: { uniform: [3, 8] }, profile: sydneyPvProfile }],
    },
    ...overrides,
  };
}

/** Sum of an array. */
export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** |a − b| relative to the larger magnitude (at least 1). */
export const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
