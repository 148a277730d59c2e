import { parentPort, workerData } from 'node:worker_threads';
import type { PassWorkerMessage } from './pass-worker-client.js';
import { type PassKind, type PassOutcome, type RunOptions, prepareRun, runPass } from './run.js';
import type { Scenario } from './scenario.js';

const { scenario, options, kinds } = workerData as { scenario: Scenario; options: RunOptions; kinds: PassKind[] };
const post = (message: PassWorkerMessage) => parentPort!.postMessage(message);

try {
  const run = prepareRun(scenario, options);
  const outcomes: PassOutcome[] = [];
  for (const kind of kinds) {
    let lastPosted = 0;
    outcomes.push(
      await runPass(run, kind, options, (done) => {
        // Progress every 1 % keeps the message channel quiet on long windows.
        if (done - lastPosted >= run.grid.count / 100 || done === run.grid.count) {
          lastPosted = done;
          post({ type: 'progress', kind, done });
        }
      }),
    );
  }
  post({ type: 'done', outcomes });
} catch (error) {
  post({ type: 'error', message: (error as Error).message, code: (error as { code?: string }).code });
}
