/**
 * Simulation runs the API knows: runs an operator started (`vpp sim` in a child process, so a
 * long solve never blocks the node's event loop; results in `<runs dir>/<id>/`), finished runs
 * found there from earlier, and results folders opened read-only (`vpp dashboard --results`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Files of a results folder the API serves. */
export const RESULT_FILES = { summary: 'summary.json', timeseries: 'timeseries.csv', report: 'report.html' } as const;
export type ResultFile = keyof typeof RESULT_FILES;

/** A scenario file name inside the scenarios folder: no path, no `..`. */
export const SCENARIO_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\.(ya?ml|json)$';

/** Characters of a run's stderr kept to explain a failure. */
const STDERR_TAIL_CHARS = 2_000;

/** One run as the API reports it. */
export interface RunStatus {
  id: string;
  state: 'running' | 'done' | 'failed';
  /** Scenario file name (API-started runs). */
  scenario?: string;
  seed?: number;
  startedAtMs?: number;
  finishedAtMs?: number;
  /** Why a run failed: exit code and the end of its error output. */
  error?: string;
  /** Opened read-only (not started here). */
  readOnly: boolean;
}

/** Why a run could not be started or read, with the HTTP status it maps to. */
export class RunError extends Error {
  constructor(
    readonly code: 'VPP_ERR_API_RUN_NOT_FOUND' | 'VPP_ERR_API_RUN_SCENARIO' | 'VPP_ERR_API_RUN_BUSY' | 'VPP_ERR_API_RUNS_OFF' | 'VPP_ERR_API_RUN_NOT_DONE',
    readonly statusCode: 404 | 409 | 400,
    message: string,
    /** The request field at fault. */
    readonly field?: string,
  ) {
    super(message);
  }
}

interface RunEntry {
  status: RunStatus;
  dir: string;
  child?: ChildProcess;
}

/** Where API-started runs go and which scenarios they may use. */
export interface RunStoreOptions {
  dir?: string;
  scenarios?: string;
  /** Runs at once (each is a `vpp sim` process); default 1. */
  maxConcurrent?: number;
}

/** The API's runs; see the module comment. */
export class RunStore {
  private readonly runs = new Map<string, RunEntry>();
  private readonly maxConcurrent: number;

  constructor(private readonly options: RunStoreOptions = {}) {
    this.maxConcurrent = options.maxConcurrent ?? 1;
    if (options.dir === undefined || !existsSync(options.dir)) return;
    for (const name of readdirSync(options.dir).sort()) {
      const dir = join(options.dir, name);
      if (existsSync(join(dir, RESULT_FILES.summary))) this.runs.set(name, { dir, status: { id: name, state: 'done', finishedAtMs: statSync(join(dir, RESULT_FILES.summary)).mtimeMs, readOnly: false } });
    }
  }

  /** Whether operators may start runs here. */
  get canStart(): boolean {
    return this.options.dir !== undefined && this.options.scenarios !== undefined;
  }

  /** Adds a finished results folder, read-only, under its folder name; returns its id. */
  openResults(dir: string): string {
    const path = resolve(dir);
    if (!existsSync(join(path, RESULT_FILES.summary))) throw new RunError('VPP_ERR_API_RUN_NOT_FOUND', 404, `${dir}: no ${RESULT_FILES.summary} (not a 'vpp sim --out' folder)`);
    const id = basename(path).replace(/[^A-Za-z0-9_.-]/g, '_') || 'results';
    this.runs.set(id, { dir: path, status: { id, state: 'done', readOnly: true } });
    return id;
  }

  list(): RunStatus[] {
    return [...this.runs.values()].map((r) => ({ ...r.status }));
  }

  get(id: string): RunStatus {
    return { ...this.entry(id).status };
  }

  /** Starts `vpp sim <scenarios>/<scenario> --out <dir>/<id>`; the run is `running` until the process exits. */
  start(scenario: string, seed?: number): RunStatus {
    const { dir, scenarios } = this.options;
    if (dir === undefined || scenarios === undefined) throw new RunError('VPP_ERR_API_RUNS_OFF', 404, 'this node has no api.runs folder configured');
    if (!new RegExp(SCENARIO_NAME_PATTERN).test(scenario)) throw new RunError('VPP_ERR_API_RUN_SCENARIO', 400, `scenario '${scenario}': expected a file name in the scenarios folder`, 'body.scenario');
    const scenarioPath = join(scenarios, scenario);
    if (!existsSync(scenarioPath)) throw new RunError('VPP_ERR_API_RUN_SCENARIO', 404, `scenario '${scenario}' is not in the scenarios folder`, 'body.scenario');
    const running = [...this.runs.values()].filter((r) => r.status.state === 'running').length;
    if (running >= this.maxConcurrent) throw new RunError('VPP_ERR_API_RUN_BUSY', 409, `${running} run(s) in progress (at most ${this.maxConcurrent} at once)`);
    const id = `run-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
    const out = join(dir, id);
    mkdirSync(out, { recursive: true });
    const args = [CLI, 'sim', scenarioPath, '--out', out, '--no-progress', ...(seed !== undefined ? ['--seed', String(seed)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const status: RunStatus = { id, state: 'running', scenario, ...(seed !== undefined ? { seed } : {}), startedAtMs: Date.now(), readOnly: false };
    const entry: RunEntry = { status, dir: out, child };
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)));
    const finish = (code: number | null, error?: Error) => {
      if (status.state !== 'running') return;
      status.finishedAtMs = Date.now();
      status.state = code === 0 && error === undefined ? 'done' : 'failed';
      if (status.state === 'failed') status.error = error?.message ?? `vpp sim exited with code ${code}: ${stderr.trim()}`;
      entry.child = undefined;
    };
    child.once('error', (error) => finish(null, error));
    child.once('exit', (code) => finish(code));
    this.runs.set(id, entry);
    return { ...status };
  }

  /** A file of a finished run's results. */
  read(id: string, file: ResultFile): Buffer {
    const entry = this.entry(id);
    if (entry.status.state !== 'done') throw new RunError('VPP_ERR_API_RUN_NOT_DONE', 409, `run ${id} is ${entry.status.state}`);
    const path = join(entry.dir, RESULT_FILES[file]);
    if (!existsSync(path)) throw new RunError('VPP_ERR_API_RUN_NOT_FOUND', 404, `run ${id} has no ${RESULT_FILES[file]}`);
    return readFileSync(path);
  }

  /** Stops runs in progress (their folders stay, marked failed). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.runs.values()].map(async (r) => {
        const child = r.child;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }

  private entry(id: string): RunEntry {
    const entry = this.runs.get(id);
    if (!entry) throw new RunError('VPP_ERR_API_RUN_NOT_FOUND', 404, `no run '${id}'`, 'params.id');
    return entry;
  }
}
