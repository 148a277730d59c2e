import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downsample, pjmHourlyScores, pjmPerformanceScore } from '../../sim/pjm-score.js';
import { seededRandom } from '../../sim/random.js';

// A 40-minute test: 241 ten-second samples of a fast, irregular signal (as RegD is), 2 MW assigned.
// Irregular, so a response aligned one step off correlates poorly and the best shift is the true lag.
const ASSIGNED_MW = 2;
const N = 241;
const random = seededRandom(7);
const S = Array.from({ length: N }, () => ASSIGNED_MW * (2 * random.next() - 1));
/** The signal `lag` samples late (held at its first value before it starts). */
const late = (lag: number) => S.map((_, t) => S[Math.max(0, t - lag)]);
/** Steps t the score averages over: windows of 31 samples shifted up to 30. */
const STEPS = N - 31 - 30 + 1;
const meanAbs = S.reduce((a, v) => a + Math.abs(v), 0) / N;
/** Precision by its definition, for a response P: mean over t of clip(1 − |P(t+1) − S(t)| / mean|S|, 0, 1). */
function precisionOf(P: number[]): number {
  let sum = 0;
  for (let t = 0; t < STEPS; t++) sum += Math.min(1, Math.max(0, 1 - Math.abs(P[t + 1] - S[t]) / meanAbs));
  return sum / STEPS;
}

describe('PJM performance score', () => {
  it('a response that follows exactly 10 s late scores 1.0 on every component', () => {
    const score = pjmPerformanceScore(S, late(1), ASSIGNED_MW);
    assert.equal(score.steps, STEPS);
    for (const part of [score.accuracy, score.delay, score.precision, score.score]) assert.ok(Math.abs(part - 1) < 1e-12, String(part));
  });

  it('60 s late: perfect correlation at the 6th shift, delay 1 − 5/30, precision from the 50-s gap', () => {
    const P = late(6);
    const score = pjmPerformanceScore(S, P, ASSIGNED_MW);
    assert.ok(Math.abs(score.accuracy - 1) < 1e-12);
    assert.ok(Math.abs(score.delay - 25 / 30) < 1e-12);
    assert.ok(Math.abs(score.precision - precisionOf(P)) < 1e-12);
    assert.ok(score.precision < 0.5, 'a minute behind an irregular signal is far off');
    assert.ok(Math.abs(score.score - (1 + 25 / 30 + precisionOf(P)) / 3) < 1e-12);
  });

  it('half the signal, on time: accuracy and delay 1, precision as the formula gives', () => {
    const P = S.map((v) => v / 2);
    const score = pjmPerformanceScore(S, P, ASSIGNED_MW);
    assert.ok(Math.abs(score.accuracy - 1) < 1e-12);
    assert.equal(score.delay, 1);
    assert.ok(Math.abs(score.precision - precisionOf(P)) < 1e-12);
    // Precision compares the response 10 s later with the signal now: on-time following loses it on a fast signal.
    assert.ok(score.precision < pjmPerformanceScore(S, late(1).map((v) => v / 2), ASSIGNED_MW).precision);
  });

  it('a flat response: accuracy 0, delay 1 (nothing to be late with), precision as the formula gives', () => {
    const P = S.map(() => 0);
    const score = pjmPerformanceScore(S, P, ASSIGNED_MW);
    assert.equal(score.accuracy, 0);
    assert.equal(score.delay, 1);
    assert.ok(Math.abs(score.precision - precisionOf(P)) < 1e-12);
  });

  it('a window where the signal barely moves compares slopes instead of correlating noise', () => {
    const steady = S.map(() => 0.5 * ASSIGNED_MW);
    const score = pjmPerformanceScore(steady, steady.map((v) => v + 0.001), ASSIGNED_MW);
    assert.equal(score.accuracy, 1);
    assert.ok(score.precision > 0.99);
  });

  it('takes every 5th sample of a 2-s signal, and refuses inputs too short for a window', () => {
    assert.deepEqual(downsample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5), [0, 5, 10]);
    assert.throws(() => pjmPerformanceScore(S.slice(0, 60), S.slice(0, 60), ASSIGNED_MW), /60 samples are too few/);
    assert.throws(() => pjmPerformanceScore(S, S, 0), /assignedMW must be > 0/);
  });

  it('scores each clock hour on its own samples and leaves out hours too short to score', () => {
    // Two full hours of 10-s samples and 5 minutes of a third: 10 s late in the first hour, flat in the second.
    const hour = 360;
    const random2 = seededRandom(11);
    const signal = Array.from({ length: 2 * hour + 30 }, () => ASSIGNED_MW * (2 * random2.next() - 1));
    const response = signal.map((_, t) => (t < hour ? signal[Math.max(0, t - 1)] : 0));
    const hourStartMs = Date.UTC(2016, 6, 1, 13);
    const timesMs = signal.map((_, t) => hourStartMs + t * 10_000);
    const hours = pjmHourlyScores(timesMs, signal, response, ASSIGNED_MW);
    assert.deepEqual(hours.map((h) => h.hourStartMs), [hourStartMs, hourStartMs + 3_600_000]);
    assert.ok(Math.abs(hours[0].score - 1) < 1e-12);
    assert.equal(hours[0].steps, hour - 61 + 1);
    const second = pjmPerformanceScore(signal.slice(hour, 2 * hour), response.slice(hour, 2 * hour), ASSIGNED_MW);
    assert.equal(hours[1].score, second.score);
    assert.equal(hours[1].accuracy, 0);
  });
});
