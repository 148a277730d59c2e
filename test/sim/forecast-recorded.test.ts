import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDataDir } from '../../sim/signals/data-dir.js';
import { compareForecasters, recordedEvalSeries, type EvalSeries, type ForecastScore } from '../../sim/forecast/evaluate.js';
import { pinballLoss, sortedQuantile } from '../../sim/forecast/quantiles.js';

const dataDir = resolveDataDir();

function scores(data: EvalSeries): Record<string, ForecastScore> {
  return Object.fromEntries(compareForecasters(data, ['persistence', 'seasonal-regression']).map((s) => [s.method, s]));
}

function assertBeatsPersistence(data: EvalSeries): void {
  const { persistence, 'seasonal-regression': regression } = scores(data);
  const figures = `${data.name}: pinball ${regression.meanPinball} vs persistence ${persistence.meanPinball}, MAE ${regression.mae} vs ${persistence.mae}`;
  assert.ok(regression.values > 1000, figures);
  assert.ok(regression.meanPinball < persistence.meanPinball, figures);
  assert.ok(regression.mae < persistence.mae, figures);
  // Not only on average: the median and the upper quantile are better too.
  for (const j of [1, 2]) assert.ok(regression.pinball[j] < persistence.pinball[j], `${figures}; level index ${j}`);
}

describe('forecasts on the shared recordings beat persistence (with its own error quantiles) on pinball loss', () => {
  it('AEMO NSW1 5-minute price', () => {
    const [aemo] = recordedEvalSeries(dataDir, { only: ['AEMO'] });
    assertBeatsPersistence(aemo);
  });

  it('EPEX DE day-ahead price, last 90 days', () => {
    const [de] = recordedEvalSeries(dataDir, { only: ['DE'], lastDays: 90 });
    assertBeatsPersistence(de);
  });

  it('CityLearn PV per kW installed, two homes, last 120 days', () => {
    const [, pv] = recordedEvalSeries(dataDir, { only: ['CityLearn'], buildings: [1, 2], lastDays: 120 });
    assert.match(pv.name, /PV/);
    assertBeatsPersistence(pv);
  });
});

describe('quantile helpers', () => {
  it('pinball loss weighs under- and over-forecasts by q and 1 − q', () => {
    assert.equal(pinballLoss(10, 8, 0.9), 0.9 * 2);
    assert.ok(Math.abs(pinballLoss(8, 10, 0.9) - 0.1 * 2) < 1e-12);
    assert.equal(pinballLoss(5, 5, 0.3), 0);
  });

  it('sorted quantiles interpolate between ranks', () => {
    assert.equal(sortedQuantile([0, 10], 0.25), 2.5);
    assert.equal(sortedQuantile([1, 2, 3, 4, 5], 0.5), 3);
    assert.ok(Number.isNaN(sortedQuantile([], 0.5)));
  });
});
