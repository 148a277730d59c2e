import type { DerAgent, StepResult } from '../der-agent.js';
import { DeviceConfigError } from '../errors.js';
import { errorMessage, type DeviceClock } from './device-link.js';

/** How a `DeviceWatchdog` drives its DER. */
export interface DeviceWatchdogOptions {
  agent: DerAgent;
  /** Control period, ms > 0: the DER is stepped (read, decide, write) this often whether or not plans arrive. */
  tickMs: number;
  /** Clock for the step times; `Date.now` when omitted. */
  now?: DeviceClock;
}

/**
 * Keeps a real DER safe between plans. The DER actor already falls back to its safe default when
 * no committed plan arrived for its `planTimeoutMs`, and goes to `fault` when telemetry says
 * offline; but it only acts when stepped. The watchdog steps it every `tickMs` on its own timer,
 * so a silent coordinator still gets the device to its safe default within planTimeoutMs + tickMs,
 * and a device that stops answering is seen within one tick. A failing step (device gone between
 * read and write) is counted and the next tick tries again: the node keeps running.
 */
export class DeviceWatchdog {
  private readonly agent: DerAgent;
  private readonly tickMs: number;
  private readonly now: DeviceClock;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private lastFailure: string | undefined;
  private lastStep: StepResult | undefined;

  constructor(options: DeviceWatchdogOptions) {
    if (!(options.tickMs > 0) || !Number.isFinite(options.tickMs)) {
      throw new DeviceConfigError(`DeviceWatchdog ${options.agent.id}: tickMs = ${options.tickMs}, expected a finite number > 0 ms`);
    }
    this.agent = options.agent;
    this.tickMs = options.tickMs;
    this.now = options.now ?? Date.now;
  }

  /** Steps that threw (device unreachable mid-step), and the last reason. */
  get failureCount(): number {
    return this.failures;
  }

  get lastFailureReason(): string | undefined {
    return this.lastFailure;
  }

  /** Outcome of the last step that completed. */
  get lastResult(): StepResult | undefined {
    return this.lastStep;
  }

  /** Start stepping every `tickMs` (the first step at once). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.tick();
  }

  /** Stop the timer and wait for a step in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One step now, unless the previous one is still waiting on the device. */
  private tick(): void {
    if (this.running) return;
    this.running = this.agent
      .step(this.now(), this.tickMs)
      .then((result) => {
        this.lastStep = result;
      })
      .catch((err: unknown) => {
        this.failures += 1;
        this.lastFailure = errorMessage(err);
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
