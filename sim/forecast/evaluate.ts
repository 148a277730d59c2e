/**
 * Scores forecasters on recorded series the way the planner uses them: from every origin (hourly),
 * the whole planning horizon ahead, point forecast by mean absolute error and quantiles by pinball
 * loss, each method on exactly the same origins.
 */
import { createForecaster, type Forecaster } from '../forecast.js';
import { loadAemoPriceDemand } from '../signals/aemo.js';
import { CITYLEARN_BUILDINGS, loadCityLearnBuilding } from '../signals/citylearn.js';
import { loadEpftoolbox, type EpftoolboxMarket } from '../signals/epftoolbox.js';
import type { TimeSeries } from '../signals/series.js';
import { pinballLoss } from './quantiles.js';
import { trainingStride } from './trained.js';

/** Quantile levels the evaluation reports. */
export const EVAL_QUANTILES: readonly number[] = [0.1, 0.5, 0.9];

/** One recorded quantity to forecast: one or more series of it (e.g. one per home), same grid. */
export interface EvalSeries {
  name: string;
  unit: string;
  intervalsPerDay: number;
  series: ArrayLike<number>[];
  /** First origin scored (earlier values are history only). */
  firstOrigin: number;
}

/** How one method did on one quantity. */
export interface ForecastScore {
  method: string;
  /** Mean absolute error of the point forecast, the series' unit. */
  mae: number;
  /** Mean pinball loss per quantile level, the series' unit. */
  pinball: number[];
  /** Mean of `pinball` over the levels. */
  meanPinball: number;
  /** Forecast values scored (origins × leads × series). */
  values: number;
}

/** Scores `forecaster` on `data`: origins every hour from `firstOrigin`, `horizon` intervals ahead (one day by default). */
export function scoreForecaster(data: EvalSeries, forecaster: Forecaster, quantiles: readonly number[] = EVAL_QUANTILES, horizon = data.intervalsPerDay): ForecastScore {
  let absSum = 0;
  const pinSum = quantiles.map(() => 0);
  let values = 0;
  for (const series of data.series) {
    for (let origin = data.firstOrigin; origin + horizon <= series.length; origin += trainingStride(data.intervalsPerDay)) {
      const point = forecaster.forecast(series, origin, horizon);
      const qs = forecaster.forecastQuantiles(series, origin, horizon, quantiles);
      for (let k = 0; k < horizon; k++) {
        const y = series[origin + k];
        absSum += Math.abs(y - point[k]);
        quantiles.forEach((q, j) => (pinSum[j] += pinballLoss(y, qs[j][k], q)));
      }
      values += horizon;
    }
  }
  const pinball = pinSum.map((s) => s / values);
  return { method: forecaster.name, mae: absSum / values, pinball, meanPinball: pinball.reduce((a, b) => a + b, 0) / pinball.length, values };
}

/** Methods compared by `vpp forecast-eval`, persistence (the reference) first. */
export const EVAL_METHODS = ['persistence', 'seasonal-blend', 'seasonal-regression'] as const;

/** Scores every method of `EVAL_METHODS` on `data`. */
export function compareForecasters(data: EvalSeries, methods: readonly string[] = EVAL_METHODS): ForecastScore[] {
  return methods.map((m) => scoreForecaster(data, createForecaster(m, { intervalsPerDay: data.intervalsPerDay })));
}

const DAY_MS = 86_400_000;

function evalSeries(name: string, list: TimeSeries[], historyDays: number, lastDays: number): EvalSeries {
  const intervalsPerDay = Math.round(DAY_MS / list[0].intervalMs);
  const length = list[0].values.length;
  // Scoring only the last days keeps a long recording quick; they still get the full history before them.
  const lastStart = length - lastDays * intervalsPerDay;
  return { name, unit: list[0].unit, intervalsPerDay, series: list.map((s) => s.values), firstOrigin: Math.max(historyDays * intervalsPerDay, lastStart) };
}

/** Which recordings to score and how much of each. */
export interface EvalSelection {
  /** Score only the last this many days of each recording (the six epftoolbox years take minutes); default 364. */
  lastDays?: number;
  /** CityLearn homes scored (1-based numbers); default all 17. */
  buildings?: number[];
  /** Quantities to score, by name prefix (e.g. 'AEMO', 'DE'); default all. */
  only?: string[];
}

/**
 * The shared recordings as evaluation quantities: AEMO NSW 5-minute price (7 days history first),
 * epftoolbox PJM / Nord Pool / EPEX DE day-ahead price, CityLearn household load and PV per kW
 * installed (28 days history first, homes pooled), each scored over at most its last `lastDays`.
 */
export function recordedEvalSeries(dataDir: string, selection: EvalSelection = {}): EvalSeries[] {
  const wanted = (name: string) => selection.only === undefined || selection.only.some((p) => name.startsWith(p));
  const out: EvalSeries[] = [];
  const lastDays = selection.lastDays ?? 364;
  if (wanted('AEMO')) out.push(evalSeries('AEMO NSW1 price (5 min)', [loadAemoPriceDemand(dataDir).data.pricePerMWh], 7, lastDays));
  for (const market of ['DE', 'PJM', 'NP'] as EpftoolboxMarket[]) {
    const name = `${market} day-ahead price`;
    if (wanted(name)) out.push(evalSeries(name, [loadEpftoolbox(dataDir, market).data.pricePerMWh], 28, lastDays));
  }
  const buildings = selection.buildings ?? Array.from({ length: CITYLEARN_BUILDINGS }, (_, i) => i + 1);
  if (wanted('CityLearn')) {
    const homes = buildings.map((n) => loadCityLearnBuilding(dataDir, n).data);
    const n = buildings.length;
    out.push(evalSeries(`CityLearn household load (${n} homes)`, homes.map((h) => h.loadKW), 28, lastDays));
    out.push(evalSeries(`CityLearn PV per kW installed (${n} homes)`, homes.map((h) => h.pvKWPerKW), 28, lastDays));
  }
  return out;
}

/** The evaluation as a text table: one block per quantity, each method against persistence. */
export function forecastTable(results: { data: EvalSeries; scores: ForecastScore[] }[], quantiles: readonly number[] = EVAL_QUANTILES): string {
  const head = ['method', 'MAE', ...quantiles.map((q) => `pinball q${q}`), 'mean pinball', 'MAE vs persistence', 'pinball vs persistence'];
  const lines: string[] = [];
  for (const { data, scores } of results) {
    const ref = scores.find((s) => s.method === 'persistence') ?? scores[0];
    lines.push(`${data.name} [${data.unit}], ${scores[0].values} forecast values per method`);
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const s of scores) {
      const rel = (x: number, r: number) => `${(100 * (x / r - 1)).toFixed(1)} %`;
      lines.push(`| ${[s.method, fmt(s.mae), ...s.pinball.map(fmt), fmt(s.meanPinball), rel(s.mae, ref.mae), rel(s.meanPinball, ref.meanPinball)].join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4);
}
