/**
 * Main-thread side of the plan worker: times plans with one backend in a worker thread and
 * terminates the worker when a plan runs over its time budget.
 */
import { Worker } from 'node:worker_threads';
import type { LpBackendName } from '../solver/backend.js';
import type { PlanRequest, PlanStrategy } from '../solver/planner.js';

/** One timing job for the worker. */
export interface PlanCaseRequest {
  request: PlanRequest;
  strategy: PlanStrategy;
  /** Most plans to time (the median is reported). */
  maxRepeats: number;
  /** Another repeat runs only while the time spent plus one more plan stays within this, ms. */
  repeatBudgetMs: number;
}

/** What the worker measured for one job. */
export interface PlanTiming {
  /** Wall time of each `planner.plan` call (LP build + solve + split), ms. */
  planMs: number[];
  /** Time inside the LP backend of each call, ms. */
  solveMs: number[];
  /** Size of the LP solved. */
  variables: number;
  constraints: number;
  /** Planning periods of the plan. */
  periods: number;
  /** Value of the per-DER setpoints under the forecast, scenario currency (AUD). */
  objectiveValue: number;
  /** Optimum of the LP solved, scenario currency (AUD). */
  lpObjectiveValue: number;
}

/** Messages from the plan worker. */
export type PlanWorkerMessage = { type: 'ready' } | ({ type: 'result' } & PlanTiming) | { type: 'error'; message: string };

/** Result of one timed job: measured, stopped at its budget, or failed. */
export type PlanOutcome = { status: 'ok'; timing: PlanTiming } | { status: 'timeout'; budgetMs: number } | { status: 'error'; message: string };

/** Raised when the plan worker dies outside a timed job (start-up or warm-up). */
export class PlanWorkerError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_BENCH_PLAN_WORKER';
  constructor(message: string) {
    super(message);
    this.name = 'PlanWorkerError';
  }
}

/** Next message of `worker` (after posting `job`, when given), or 'timeout' after `timeoutMs`. */
function nextMessage(worker: Worker, job: PlanCaseRequest | undefined, timeoutMs: number): Promise<PlanWorkerMessage | 'timeout'> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const onMessage = (m: PlanWorkerMessage) => (done(), resolve(m));
    const onError = (e: Error) => (done(), reject(e));
    const onExit = (code: number) => (done(), reject(new PlanWorkerError(`plan worker exited with code ${code}`)));
    const timer = setTimeout(() => (done(), resolve('timeout')), timeoutMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    if (job) worker.postMessage(job);
  });
}

// Start-up (WASM load) and warm-up plans are not part of any case's budget, but must not hang either.
const WARMUP_TIMEOUT_MS = 60_000;

/** Runs timing jobs for one backend; the worker is started (and warmed up) on first use and after a timeout. */
export class PlanRunner {
  private worker: Worker | undefined;

  /** `warmups` are small requests each planned once per strategy, untimed, whenever a worker starts. */
  constructor(
    readonly backend: LpBackendName,
    private readonly warmups: readonly PlanRequest[],
  ) {}

  /** Times `job`, giving up after `timeoutMs` (ms). */
  async run(job: PlanCaseRequest, timeoutMs: number): Promise<PlanOutcome> {
    let reply: PlanWorkerMessage | 'timeout';
    try {
      reply = await nextMessage(await this.ready(), job, timeoutMs);
    } catch (e) {
      this.worker = undefined;
      return { status: 'error', message: e instanceof Error ? e.message : String(e) };
    }
    if (reply === 'timeout') {
      await this.close();
      return { status: 'timeout', budgetMs: timeoutMs };
    }
    if (reply.type === 'error') return { status: 'error', message: reply.message };
    if (reply.type !== 'result') return { status: 'error', message: `unexpected worker message '${reply.type}'` };
    const { type: _, ...timing } = reply;
    return { status: 'ok', timing };
  }

  /** Stops the worker (if running). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private async ready(): Promise<Worker> {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./plan-worker.js', import.meta.url), { workerData: { backend: this.backend } });
    const expect = async (job: PlanCaseRequest | undefined, what: string) => {
      const m = await nextMessage(worker, job, WARMUP_TIMEOUT_MS);
      if (m === 'timeout' || m.type === 'error') {
        await worker.terminate();
        throw new PlanWorkerError(`${this.backend} plan worker ${what}: ${m === 'timeout' ? 'timed out' : m.message}`);
      }
    };
    await expect(undefined, 'start-up');
    for (const request of this.warmups) {
      for (const strategy of ['full', 'aggregate'] as const) {
        await expect({ request, strategy, maxRepeats: 1, repeatBudgetMs: 0 }, `warm-up (${strategy})`);
      }
    }
    this.worker = worker;
    return worker;
  }
}
