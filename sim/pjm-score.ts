/**
 * PJM regulation performance score, as PJM's 40-minute scoring workbook ("Score Template 2", new
 * method) and Manual 12 define it, on 10-second samples (every 5th sample of the 2-second signal).
 *
 * For each step t, over the 31-sample (5-minute) window t…t+30 and each shift k = 0…30 of the
 * response: accuracy(k) = correlation of signal and shifted response, clipped to [0, 1] (when the
 * normalised signal barely moves in the window, 1 − |slope of signal − slope of response|);
 * delay(k) = min(1 − (k − 1)/30, 1), so the first 10 s are free; the shift maximising
 * accuracy + delay sets the step's accuracy and delay. Precision_t = clip(1 − |P(t+1) − S(t)| /
 * mean|S|, 0, 1): the response one step later against the signal. Each component is the mean over
 * t; the score is their mean.
 */

/** Settings of the score; the defaults are PJM's. */
export interface PjmScoreOptions {
  /** Samples per correlation window (31 = 5 minutes of 10-s samples). */
  windowSamples?: number;
  /** Largest response shift tried, samples (30 = 5 minutes). */
  maxShiftSamples?: number;
  /** Below this standard deviation of the normalised signal in a window, accuracy compares slopes. */
  flatSignalStd?: number;
}

/** A performance score and its three components, each in [0, 1]. */
export interface PjmScore {
  score: number;
  accuracy: number;
  delay: number;
  precision: number;
  /** Number of steps t averaged. */
  steps: number;
}

/** Every `stride`-th sample from the first: the 10-s samples of a 2-s signal with stride 5. */
export function downsample(values: readonly number[], stride: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += stride) out.push(values[i]);
  return out;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function standardDeviation(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

/** Pearson correlation; 0 when either side does not vary (there is nothing to correlate). */
function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

/** Least-squares slope per sample. */
function slope(values: readonly number[]): number {
  const n = values.length;
  const mx = (n - 1) / 2;
  const my = mean(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (values[i] - my);
    den += (i - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

const clip01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * The score of `responseMW` following `signalMW` (both MW at 10-s samples, response = metered
 * output minus basepoint, signal = `assignedMW` × normalised signal). Throws on inputs too short
 * for one window and its shifts.
 */
export function pjmPerformanceScore(signalMW: readonly number[], responseMW: readonly number[], assignedMW: number, options: PjmScoreOptions = {}): PjmScore {
  const windowSamples = options.windowSamples ?? 31;
  const maxShift = options.maxShiftSamples ?? 30;
  const flatSignalStd = options.flatSignalStd ?? 0.05;
  if (!(assignedMW > 0)) throw new RangeError(`pjmPerformanceScore: assignedMW must be > 0, got ${assignedMW}`);
  const n = Math.min(signalMW.length, responseMW.length);
  const steps = n - windowSamples - maxShift + 1;
  if (steps < 1) throw new RangeError(`pjmPerformanceScore: ${n} samples are too few for a ${windowSamples}-sample window shifted up to ${maxShift}`);
  const meanAbsSignal = mean(signalMW.slice(0, n).map(Math.abs));
  let accuracySum = 0;
  let delaySum = 0;
  let precisionSum = 0;
  for (let t = 0; t < steps; t++) {
    const signal = signalMW.slice(t, t + windowSamples);
    const normalised = signal.map((v) => v / assignedMW);
    const flat = standardDeviation(normalised) < flatSignalStd;
    const signalSlope = flat ? slope(normalised) : 0;
    let best = Number.NEGATIVE_INFINITY;
    let bestAccuracy = 0;
    let bestDelay = 0;
    for (let k = 0; k <= maxShift; k++) {
      const response = responseMW.slice(t + k, t + k + windowSamples);
      const accuracy = clip01(flat ? 1 - Math.abs(signalSlope - slope(response.map((v) => v / assignedMW))) : correlation(signal, response));
      const delay = Math.min(1 - (k - 1) / maxShift, 1);
      if (accuracy + delay > best) {
        best = accuracy + delay;
        bestAccuracy = accuracy;
        bestDelay = delay;
      }
    }
    accuracySum += bestAccuracy;
    delaySum += bestDelay;
    precisionSum += meanAbsSignal > 0 ? clip01(1 - Math.abs(responseMW[t + 1] - signalMW[t]) / meanAbsSignal) : 1;
  }
  const accuracy = accuracySum / steps;
  const delay = delaySum / steps;
  const precision = precisionSum / steps;
  return { score: (accuracy + delay + precision) / 3, accuracy, delay, precision, steps };
}

/** The score of one clock hour. */
export interface PjmHourlyScore extends PjmScore {
  /** Start of the hour, UTC epoch ms. */
  hourStartMs: number;
}

/**
 * Scores per clock hour (UTC), as PJM reports them: each hour's samples scored on their own
 * (windows and shifts stay inside the hour). Hours holding too few samples for one window and its
 * shifts are left out. `timesMs` are the samples' times, strictly increasing.
 */
export function pjmHourlyScores(timesMs: readonly number[], signalMW: readonly number[], responseMW: readonly number[], assignedMW: number, options: PjmScoreOptions = {}): PjmHourlyScore[] {
  const needed = (options.windowSamples ?? 31) + (options.maxShiftSamples ?? 30);
  const hours: PjmHourlyScore[] = [];
  for (let from = 0; from < timesMs.length; ) {
    const hourStartMs = Math.floor(timesMs[from] / 3_600_000) * 3_600_000;
    let to = from;
    while (to < timesMs.length && timesMs[to] < hourStartMs + 3_600_000) to++;
    if (to - from >= needed) hours.push({ hourStartMs, ...pjmPerformanceScore(signalMW.slice(from, to), responseMW.slice(from, to), assignedMW, options) });
    from = to;
  }
  return hours;
}
