/**
 * Frequency response (FCR-style droop): every step (1 s) the fleet's required deviation is the
 * committed band times the droop of the measured frequency, and the response error and energy
 * used are reported.
 */
import type { PlannedCommitments } from './planned.js';
import { followSignal, type FollowTrace, type ServiceFleet } from './real-time.js';
import type { FrequencySpec } from './scenario.js';

const MS_PER_MIN = 60_000;
const MS_PER_HOUR = 3_600_000;

/** Droop settings: the part of the spec the response curve needs. */
export type DroopSettings = Pick<FrequencySpec, 'nominalHz' | 'deadbandMHz' | 'fullActivationMHz' | 'limitFrac'>;

/**
 * Required response as a fraction of the band (positive = more export) at `frequencyHz`: none
 * within the deadband, then linear in the deviation beyond it, full at the full-activation
 * deviation, capped at `limitFrac`. Low frequency asks for export, high frequency for import.
 */
export function droopFrac(frequencyHz: number, droop: DroopSettings): number {
  const deviationMHz = (frequencyHz - droop.nominalHz) * 1000;
  const beyondMHz = Math.abs(deviationMHz) - droop.deadbandMHz;
  if (beyondMHz <= 0) return 0;
  const span = droop.fullActivationMHz - droop.deadbandMHz;
  const frac = span > 0 ? Math.min(droop.limitFrac, beyondMHz / span) : droop.limitFrac;
  return -Math.sign(deviationMHz) * frac;
}

/** Summary of a frequency-response run. */
export interface FrequencySummary {
  start: string;
  durationMin: number;
  committedMW: number;
  /** Band committed (mean over periods), MW. */
  assignedMW: number;
  /** Root-mean-square and mean absolute error of the response against the droop, kW. */
  rmsErrorKW: number;
  meanAbsErrorKW: number;
  /** RMS error as a share of the band, %. */
  rmsErrorPctOfBand: number;
  /** Steps whose error is within `toleranceFrac` of the band, %. */
  answeredPct: number;
  /** Energy the response pushed (up) and drew (down), kWh. */
  energyUpKWh: number;
  energyDownKWh: number;
  /** Largest required response, fraction of the band. */
  maxRequiredFrac: number;
  participants: number;
}

/** Answers `frequencyHz` (one value per step from `startMs`) with the fleet. */
export function runFrequency(fleet: ServiceFleet, spec: FrequencySpec, startMs: number, frequencyHz: readonly number[], planned?: PlannedCommitments): { summary: FrequencySummary; trace: FollowTrace } {
  const stepMs = spec.stepS * 1000;
  const required = frequencyHz.map((f) => droopFrac(f, spec));
  const trace = followSignal(fleet, 'frequency', spec, startMs, required, planned);
  let squared = 0;
  let absolute = 0;
  let answered = 0;
  let upKWh = 0;
  let downKWh = 0;
  trace.requiredKW.forEach((r, i) => {
    const error = trace.responseKW[i] - r;
    squared += error * error;
    absolute += Math.abs(error);
    if (Math.abs(error) <= spec.toleranceFrac * trace.committedKW[i] + 1e-9) answered++;
    const kWh = (trace.responseKW[i] * trace.stepMs[i]) / MS_PER_HOUR;
    if (kWh > 0) upKWh += kWh;
    else downKWh -= kWh;
  });
  const n = trace.requiredKW.length;
  const assignedKW = trace.committedKW.reduce((a, b) => a + b, 0) / n;
  const rmsErrorKW = Math.sqrt(squared / n);
  return {
    summary: {
      start: new Date(startMs).toISOString(),
      durationMin: (n * stepMs) / MS_PER_MIN,
      committedMW: spec.committedMW,
      assignedMW: assignedKW / 1000,
      rmsErrorKW,
      meanAbsErrorKW: absolute / n,
      rmsErrorPctOfBand: assignedKW > 0 ? (100 * rmsErrorKW) / assignedKW : 0,
      answeredPct: (100 * answered) / n,
      energyUpKWh: upKWh,
      energyDownKWh: downKWh,
      maxRequiredFrac: required.reduce((m, r) => Math.max(m, Math.abs(r)), 0),
      participants: Math.min(...trace.periods.map((p) => p.participants)),
    },
    trace,
  };
}
