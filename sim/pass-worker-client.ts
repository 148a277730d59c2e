import { Worker } from 'node:worker_threads';
import type { PassKind, PassOutcome, RunOptions } from './run.js';
import type { Scenario } from './scenario.js';

/** Messages from the pass worker. */
export type PassWorkerMessage =
  | { type: 'progress'; kind: PassKind; done: number }
  | { type: 'done'; outcomes: PassOutcome[] }
  | { type: 'error'; message: string; code?: string };

/** Runs `kinds` one after another in a worker thread; resolves with their outcomes in order. */
export function runPassesInWorker(
  scenario: Scenario,
  options: Omit<RunOptions, 'onProgress'>,
  kinds: PassKind[],
  onProgress: (kind: PassKind, done: number) => void,
): Promise<PassOutcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pass-worker.js', import.meta.url), { workerData: { scenario, options, kinds } });
    let settled = false;
    worker.on('message', (message: PassWorkerMessage) => {
      if (message.type === 'progress') onProgress(message.kind, message.done);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.outcomes);
      } else {
        settled = true;
        reject(Object.assign(new Error(message.message), { code: message.code }));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`simulation worker exited with code ${code} before finishing`));
    });
  });
}
