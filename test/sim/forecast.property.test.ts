import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createForecaster, forecastNames } from '../../sim/forecast.js';

const QUANTILES = [0.1, 0.5, 0.9];
const value = fc.double({ min: -1000, max: 10_000, noNaN: true, noDefaultInfinity: true });

/** A recorded series, a "now" inside it, a forecast length and a daily period. */
const setup = fc
  .record({
    actual: fc.array(value, { minLength: 1, maxLength: 300 }),
    intervalsPerDay: fc.integer({ min: 1, max: 48 }),
    seasonalDays: fc.integer({ min: 1, max: 5 }),
    count: fc.integer({ min: 1, max: 120 }),
    nowFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    future: fc.array(value, { minLength: 300, maxLength: 300 }),
  })
  .map((s) => ({ ...s, nowIndex: Math.min(s.actual.length, Math.floor(s.nowFrac * (s.actual.length + 1))) }));

describe('forecasts', () => {
  for (const name of ['seasonal-blend', 'seasonal-regression', 'persistence'] as const) {
    it(`${name} for interval "now" never reads values at or after now, point or quantiles`, () => {
      fc.assert(
        fc.property(setup, ({ actual, intervalsPerDay, seasonalDays, count, nowIndex, future }) => {
          // A short training window so the property also covers days whose model is re-fitted.
          const options = { intervalsPerDay, seasonalDays, trainingDays: 3 };
          const forecaster = createForecaster(name, options);
          assert.equal(forecaster.usesFutureValues, false);
          const before = forecaster.forecast(actual, nowIndex, count);
          const quantilesBefore = forecaster.forecastQuantiles(actual, nowIndex, count, QUANTILES);
          const changed = actual.map((v, i) => (i < nowIndex ? v : future[i]));
          // A fresh forecaster too: nothing learnt from the first series may carry over.
          for (const f of [forecaster, createForecaster(name, options)]) {
            assert.deepEqual(f.forecast(changed, nowIndex, count), before);
            assert.deepEqual(f.forecastQuantiles(changed, nowIndex, count, QUANTILES), quantilesBefore);
          }
          assert.equal(before.length, count);
          assert.ok(before.every(Number.isFinite), `non-finite forecast ${before}`);
          for (let k = 0; k < count; k++) {
            for (let j = 1; j < QUANTILES.length; j++) assert.ok(quantilesBefore[j][k] >= quantilesBefore[j - 1][k], `lead ${k}: quantiles cross`);
          }
        }),
        { numRuns: 200 },
      );
    });
  }

  it('seasonal-regression reproduces a series that repeats every day, and its quantiles close on it', () => {
    const perDay = 24;
    const day = Array.from({ length: perDay }, (_, h) => 50 + 40 * Math.sin((2 * Math.PI * h) / perDay));
    const actual = Array.from({ length: 10 * perDay }, (_, i) => day[i % perDay]);
    const forecaster = createForecaster('seasonal-regression', { intervalsPerDay: perDay });
    const nowIndex = 9 * perDay + 5;
    const point = forecaster.forecast(actual, nowIndex, perDay);
    const [lo, hi] = forecaster.forecastQuantiles(actual, nowIndex, perDay, [0.1, 0.9]);
    for (let k = 0; k < perDay; k++) {
      const want = day[(nowIndex + k) % perDay];
      assert.ok(Math.abs(point[k] - want) < 1e-6, `lead ${k}: ${point[k]} vs ${want}`);
      assert.ok(hi[k] - lo[k] < 1e-6 && Math.abs(lo[k] - want) < 1e-6, `lead ${k}: band [${lo[k]}, ${hi[k]}] around ${want}`);
    }
  });

  it('quantile levels outside (0, 1) are refused with the level named', () => {
    for (const name of forecastNames) {
      assert.throws(() => createForecaster(name, { intervalsPerDay: 24 }).forecastQuantiles([1, 2, 3], 1, 2, [0.5, 1]), /quantile 1: expected a level in \(0, 1\)/);
    }
  });

  it('seasonal-blend far ahead tends to the mean of the same time on past days', () => {
    // Every day the same shape: far leads must reproduce it; the 999 at "now" is the future and must not show.
    const perDay = 24;
    const day = Array.from({ length: perDay }, (_, h) => 50 + 40 * Math.sin((2 * Math.PI * h) / perDay));
    const actual = [...day, ...day, ...day, 999];
    const forecast = createForecaster('seasonal-blend', { intervalsPerDay: perDay }).forecast(actual, 3 * perDay, perDay);
    for (let k = 12; k < perDay; k++) assert.ok(Math.abs(forecast[k] - day[k]) < 1e-3 * 999, `lead ${k}: ${forecast[k]} vs ${day[k]}`);
  });

  it('oracle returns the actual values and says it reads the future', () => {
    fc.assert(
      fc.property(setup, ({ actual, intervalsPerDay, count, nowIndex }) => {
        const forecaster = createForecaster('oracle', { intervalsPerDay });
        assert.equal(forecaster.usesFutureValues, true);
        const forecast = forecaster.forecast(actual, Math.min(nowIndex, actual.length - 1), count);
        const start = Math.min(nowIndex, actual.length - 1);
        for (let k = 0; k < count && start + k < actual.length; k++) assert.equal(forecast[k], actual[start + k]);
      }),
      { numRuns: 200 },
    );
  });

  it('an unknown forecast name lists the known ones', () => {
    assert.throws(() => createForecaster('crystal-ball', { intervalsPerDay: 24 }), (error: Error) => forecastNames.every((n) => error.message.includes(n)) && error.message.includes('crystal-ball'));
  });
});
