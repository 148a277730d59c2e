import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDataDir } from '../../sim/signals/data-dir.js';
import { loadNrelIrradiance } from '../../sim/signals/nrel.js';
import { loadPjmSpinEvents } from '../../sim/signals/pjm-spin.js';
import { loadGermanFrequency } from '../../sim/signals/frequency.js';
import { loadPjmRegulationSignal } from '../../sim/signals/pjm-regulation.js';
import { SignalArgumentError } from '../../sim/signals/errors.js';
import { valueAt } from '../../sim/signals/series.js';

const dataDir = resolveDataDir();
const at = (isoUtc: string) => Date.parse(isoUtc);

test('NREL MIDC: 1,440 minutes in MST, peak 885 W/m2, night negatives clipped and counted', () => {
  const { data, report } = loadNrelIrradiance(dataDir);
  const ghi = data.ghiWPerM2;
  assert.equal(report.rowsRead, 1440);
  assert.equal(ghi.values.length, 1440);
  assert.equal(ghi.timesMs[0], at('2018-10-14T07:00:00Z'));
  assert.equal(ghi.intervalMs, 60_000);
  assert.equal(Math.round(Math.max(...ghi.values)), 885);
  assert.equal(Math.min(...ghi.values), 0);
  assert.equal(valueAt(ghi, at('2018-10-14T07:00:30Z')), 0);
  const clipped = report.notes.map((n) => /(\d+) negative reading\(s\) clipped/.exec(n)).find(Boolean);
  assert.ok(clipped && Number(clipped[1]) > 0);
  assert.ok(Number(clipped[1]) <= ghi.values.filter((v) => v === 0).length);
  // Daily total about 3.09 kWh/m2 (per SOURCE.md).
  const kWhPerM2 = ghi.values.reduce((a, v) => a + v, 0) / 60 / 1000;
  assert.ok(Math.abs(kWhPerM2 - 3.09) < 0.05, `total ${kWhPerM2}`);
});

test('PJM spin events: 893 events in EPT, durations agree with end - start', () => {
  const { data, report } = loadPjmSpinEvents(dataDir);
  assert.equal(report.rowsRead, 893);
  assert.equal(data.length, 893);
  assert.deepEqual(report.dropped, []);
  assert.ok(report.notes.includes('duration_s equals end - start for all 893 events'));
  // 2002-12-02 13:04 EST = 18:04Z.
  assert.deepEqual(data[0], { startMs: at('2002-12-02T18:04:00Z'), endMs: at('2002-12-02T18:11:00Z'), durationS: 420, zone: 'APS Control Zone' });
  // 2005-07-06 13:13 EDT = 17:13Z.
  const summer = data.find((e) => e.zone === 'AEP Control Zone' && e.startMs === at('2005-07-06T17:13:00Z'));
  assert.ok(summer);
  assert.equal(summer.durationS, 900);
  assert.equal(data[892].startMs, at('2018-01-07T19:15:00Z'));
  assert.ok(data.every((e) => e.durationS >= 120 && e.durationS <= 7320));
  assert.ok(data.some((e) => e.subzone !== undefined));
});

test('German frequency: 86,400 seconds, range 49.9296-50.0785 Hz, zone assumption noted', () => {
  const { data, report } = loadGermanFrequency(dataDir);
  const f = data.frequencyHz;
  assert.equal(report.rowsRead, 86400);
  assert.equal(f.values.length, 86400);
  assert.equal(f.intervalMs, 1000);
  assert.equal(f.timesMs[0], at('2022-09-16T22:00:00Z'));
  assert.equal(f.values[0], 49.981593);
  assert.ok(Math.abs(Math.min(...f.values) - 49.9296) < 1e-4);
  assert.ok(Math.abs(Math.max(...f.values) - 50.0785) < 1e-4);
  assert.ok(report.notes.some((n) => /ASSUMED to be Europe\/Berlin/.test(n)));
});

test('PJM RegA/RegD: 1,201 two-second samples in [-1, 1] placed at the anchor', () => {
  const anchorMs = at('2024-01-01T00:00:00Z');
  for (const kind of ['RegA', 'RegD'] as const) {
    const { data, report } = loadPjmRegulationSignal(dataDir, kind, anchorMs);
    const s = data.signal;
    assert.equal(report.rowsRead, 1201);
    assert.equal(s.values.length, 1201);
    assert.equal(s.unit, '1');
    assert.equal(s.intervalMs, 2000);
    assert.equal(s.timesMs[0], anchorMs);
    assert.equal(s.timesMs[1200], anchorMs + 2400_000);
    assert.ok(s.values.every((v) => v >= -1 && v <= 1));
    assert.equal(Math.min(...s.values), -1);
  }
  const regA = loadPjmRegulationSignal(dataDir, 'RegA', anchorMs).data.signal;
  assert.equal(regA.values[0], -0.2155);
  assert.equal(Math.max(...regA.values), 1);
  const regD = loadPjmRegulationSignal(dataDir, 'RegD', anchorMs).data.signal;
  assert.ok(Math.abs(Math.max(...regD.values) - 0.998) < 1e-3);
  assert.throws(() => loadPjmRegulationSignal(dataDir, 'RegA', Number.NaN), SignalArgumentError);
});
