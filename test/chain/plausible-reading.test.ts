import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isPlausibleReading } from '../../chain/settlement.js';

it('a meter reading at exactly rated power for the whole interval is plausible; above it is not', () => {
  const der = { derId: 'b', ownerId: 'o', kind: 'battery' as const, meterPublicKey: 'ab'.repeat(32), maxPowerKW: 3.3 };
  const fiveMinutesMs = 300_000;
  // 3.3 kW held for 5 minutes, as a simulated device integrates it (float rounding lands just above 0.275).
  const fullKWh = [...Array(300)].reduce((sum: number) => sum + 3.3 / 3600, 0);
  assert.ok(fullKWh > 0.275);
  const reading = (exportedKWh: number, importedKWh: number) => ({ derId: 'b', exportedKWh, importedKWh, meterExportTotalKWh: exportedKWh, meterImportTotalKWh: importedKWh });
  assert.equal(isPlausibleReading(der, fiveMinutesMs, reading(fullKWh, 0)), true);
  assert.equal(isPlausibleReading(der, fiveMinutesMs, reading(0, fullKWh)), true);
  assert.equal(isPlausibleReading(der, fiveMinutesMs, reading(0.276, 0)), false);
  assert.equal(isPlausibleReading(der, fiveMinutesMs, reading(0, 0.3)), false);
});
