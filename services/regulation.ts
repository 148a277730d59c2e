/**
 * Regulation following: every step (2 s) the normalised signal × the committed capacity is the
 * fleet's deviation from its basepoints, split by the dispatcher. SoC management comes from the
 * headroom: a DER's headroom is what it can hold for `socHorizonMin`, so a battery nearing a bound
 * takes a shrinking share and the others carry more, with no change to the fleet's response. The
 * metered response is scored with PJM's performance score, over the whole test and per hour.
 */
import { downsample, pjmHourlyScores, pjmPerformanceScore, type PjmScoreOptions } from '../sim/pjm-score.js';
import { followSignal, type FollowTrace, type ServiceFleet } from './real-time.js';
import type { RegulationSpec } from './scenario.js';
import type { PlannedCommitments } from './planned.js';
import { ServiceConfigError } from './errors.js';

const MS_PER_MIN = 60_000;

/** Summary of a regulation run: the score, its components and what the fleet carried. */
export interface RegulationSummary {
  signal: string;
  start: string;
  durationMin: number;
  /** Capacity asked for, MW (with co-optimised commitments the planner's total replaces it: see assignedMW). */
  committedMW: number;
  /** Capacity committed and scored against (mean over periods), MW. */
  assignedMW: number;
  score: number;
  accuracy: number;
  delay: number;
  precision: number;
  /** 10-s steps the score averages. */
  steps: number;
  hourly: { hourStart: string; score: number; accuracy: number; delay: number; precision: number }[];
  /** Σ|required − response| / Σ|required| over the 2-s steps, %. */
  trackingErrorPct: number;
  participants: number;
}

/** Follows `signal` (normalised, one value per step from `startMs`) with the fleet, and scores it. */
export function runRegulation(fleet: ServiceFleet, spec: RegulationSpec, signalName: string, startMs: number, signal: readonly number[], planned?: PlannedCommitments): { summary: RegulationSummary; trace: FollowTrace } {
  const stepMs = spec.stepS * 1000;
  const stride = (spec.scoring.sampleS * 1000) / stepMs;
  if (!Number.isInteger(stride) || stride < 1) throw new ServiceConfigError(`services.regulation.scoring.sampleS (${spec.scoring.sampleS}) must be a whole multiple of stepS (${spec.stepS})`);
  const trace = followSignal(fleet, 'regulation', spec, startMs, signal, planned);
  const options: PjmScoreOptions = { windowSamples: spec.scoring.windowSamples, maxShiftSamples: spec.scoring.maxShiftSamples, flatSignalStd: spec.scoring.flatSignalStd };
  const toMW = (values: number[]) => downsample(values, stride).map((v) => v / 1000);
  const signalMW = toMW(trace.requiredKW);
  const responseMW = toMW(trace.responseKW);
  const assignedMW = trace.committedKW.reduce((a, b) => a + b, 0) / trace.committedKW.length / 1000;
  const score = pjmPerformanceScore(signalMW, responseMW, assignedMW, options);
  const hourly = pjmHourlyScores(downsample(trace.timesMs, stride), signalMW, responseMW, assignedMW, options);
  let errorSum = 0;
  let requiredSum = 0;
  trace.requiredKW.forEach((r, i) => {
    errorSum += Math.abs(r - trace.responseKW[i]);
    requiredSum += Math.abs(r);
  });
  return {
    summary: {
      signal: signalName,
      start: new Date(startMs).toISOString(),
      durationMin: (signal.length * stepMs) / MS_PER_MIN,
      committedMW: spec.committedMW,
      assignedMW,
      score: score.score,
      accuracy: score.accuracy,
      delay: score.delay,
      precision: score.precision,
      steps: score.steps,
      hourly: hourly.map((h) => ({ hourStart: new Date(h.hourStartMs).toISOString(), score: h.score, accuracy: h.accuracy, delay: h.delay, precision: h.precision })),
      trackingErrorPct: requiredSum > 0 ? (100 * errorSum) / requiredSum : 0,
      participants: Math.min(...trace.periods.map((p) => p.participants)),
    },
    trace,
  };
}
