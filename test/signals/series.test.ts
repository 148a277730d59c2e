import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resample, valueAt, type TimeSeries } from '../../sim/signals/series.js';
import { SeriesRangeError } from '../../sim/signals/errors.js';

const HOUR_MS = 3_600_000;

function hourly(values: number[], startMs = Date.UTC(2024, 0, 1)): TimeSeries {
  return { name: 'x', unit: 'kW', timesMs: values.map((_, i) => startMs + i * HOUR_MS), values, intervalMs: HOUR_MS };
}

test('valueAt holds each value through its interval and throws outside the series', () => {
  const s = hourly([1, 2, 3]);
  const t0 = s.timesMs[0];
  assert.equal(valueAt(s, t0), 1);
  assert.equal(valueAt(s, t0 + HOUR_MS - 1), 1);
  assert.equal(valueAt(s, t0 + HOUR_MS), 2);
  assert.equal(valueAt(s, t0 + 3 * HOUR_MS - 1), 3);
  assert.throws(() => valueAt(s, t0 - 1), (e: unknown) => e instanceof SeriesRangeError && e.code === 'VPP_ERR_SERIES_RANGE' && /"x" covers 2024-01-01T00:00:00.000Z/.test(e.message));
  assert.throws(() => valueAt(s, t0 + 3 * HOUR_MS), SeriesRangeError);
});

test('valueAt holds across a gap in an irregular series', () => {
  const s: TimeSeries = { name: 'g', unit: '1', timesMs: [0, 10, 40], values: [5, 6, 7], intervalMs: 10 };
  assert.equal(valueAt(s, 25), 6);
  assert.equal(valueAt(s, 49), 7);
});

test('resample averages time-weighted when downsampling and holds when upsampling', () => {
  const s = hourly([0, 4, 8, 12]);
  const t0 = s.timesMs[0];
  assert.deepEqual(resample(s, t0, 2 * HOUR_MS, 2), [2, 10]);
  assert.deepEqual(resample(s, t0 + HOUR_MS / 2, HOUR_MS, 2), [2, 6]);
  assert.deepEqual(resample(s, t0 + HOUR_MS, HOUR_MS / 4, 5), [4, 4, 4, 4, 8]);
  assert.deepEqual(resample(s, t0, HOUR_MS, 0), []);
  assert.throws(() => resample(s, t0, HOUR_MS, 5), SeriesRangeError);
});

test('property: resample on the native grid returns the values; coarser buckets return block means', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (ints, k) => {
      const s = hourly(ints);
      assert.deepEqual(resample(s, s.timesMs[0], HOUR_MS, ints.length), ints);
      const blocks = Math.floor(ints.length / k);
      const got = resample(s, s.timesMs[0], k * HOUR_MS, blocks);
      for (let b = 0; b < blocks; b++) {
        const mean = ints.slice(b * k, (b + 1) * k).reduce((a, v) => a + v, 0) / k;
        assert.ok(Math.abs(got[b] - mean) < 1e-9, `block ${b}: ${got[b]} vs ${mean}`);
      }
      for (let i = 0; i < ints.length; i++) assert.equal(valueAt(s, s.timesMs[i] + HOUR_MS / 2), ints[i]);
    }),
  );
});
