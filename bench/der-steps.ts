/**
 * Simulated DER-steps per second: the same fleet, setpoints and physics driven once through the
 * XState actor layer (`DerAgent`) and once by a plain loop calling the safety envelope directly.
 */
import { performance } from 'node:perf_hooks';
import { SimulatedClock } from 'xstate';
import { DerAgent } from '../actors/der-agent.js';
import type { DeviceCapabilities } from '../actors/device-adapter.js';
import { clampSetpoint } from '../actors/safety-envelope.js';
import type { Fleet } from '../sim/fleet.js';
import type { Grid } from '../sim/inputs.js';

/** What one way of stepping the fleet achieved. */
export interface DerStepsResult {
  ders: number;
  /** Intervals asked for and intervals done before the budget ran out. */
  stepsPlanned: number;
  stepsRun: number;
  /** DERs × steps run. */
  derSteps: number;
  elapsedMs: number;
  derStepsPerS: number;
  /** Σ over DERs of the meter after the last step, kWh (both ways must agree). */
  fleetMeterNetKWh: number;
}

/**
 * The setpoint asked of a DER at step `step`, kW (positive = into the grid): batteries swing
 * between 120 % of full charge and full discharge (so the envelope clamps), PV asks for 0–100 %
 * of its size (so it is curtailed at times and limited by availability at others).
 */
export function benchSetpointKW(caps: DeviceCapabilities, derIndex: number, step: number): number {
  const s = Math.sin((2 * Math.PI * step) / 48 + derIndex);
  if (caps.kind === 'pv') return caps.maxExportKW * (0.5 + 0.5 * s);
  return 1.2 * s * (s >= 0 ? caps.maxExportKW : caps.maxImportKW);
}

function finish(fleet: Fleet, stepsPlanned: number, stepsRun: number, elapsedMs: number): DerStepsResult {
  const ders = fleet.members.length;
  return {
    ders,
    stepsPlanned,
    stepsRun,
    derSteps: ders * stepsRun,
    elapsedMs,
    derStepsPerS: (ders * stepsRun * 1000) / elapsedMs,
    fleetMeterNetKWh: fleet.members.reduce((s, m) => s + m.device.telemetryNow().meterNetKWh, 0),
  };
}

/**
 * Steps `fleet` through `steps` intervals of `grid` the way the simulator does: each interval a
 * one-interval plan slice reaches each `DerAgent`, which follows it at once (telemetry → actor →
 * envelope → device, one actor event) on a `SimulatedClock`, then every device advances. Stops early once
 * `budgetMs` (ms of wall time) is spent.
 */
export async function actorDerSteps(fleet: Fleet, grid: Grid, steps: number, budgetMs: number): Promise<DerStepsResult> {
  const clock = new SimulatedClock();
  clock.set(grid.startMs);
  const planTimeoutMs = 2 * grid.intervalMs;
  const agents = fleet.members.map(
    (m) => new DerAgent({ adapter: m.device, ownerId: m.ownerId, feederId: m.feederId, planTimeoutMs, clock }),
  );
  // First telemetry takes each actor from offline to available, as the simulator's first offer does.
  for (const agent of agents) await agent.refresh();
  const caps = fleet.members.map((m) => m.device.capabilities());
  const t0 = performance.now();
  let done = 0;
  while (done < steps && performance.now() - t0 < budgetMs) {
    const nowMs = grid.startMs + done * grid.intervalMs;
    clock.set(nowMs);
    for (let k = 0; k < agents.length; k++) {
      const slice = { setpointsKW: [benchSetpointKW(caps[k], k, done)], startMs: nowMs, intervalMs: grid.intervalMs, validUntilMs: nowMs + planTimeoutMs };
      await agents[k].follow(slice, nowMs, grid.intervalMs);
    }
    for (const m of fleet.members) m.device.advanceTo(nowMs + grid.intervalMs);
    done++;
  }
  const elapsedMs = performance.now() - t0;
  for (const agent of agents) agent.stop();
  return finish(fleet, steps, done, elapsedMs);
}

/** The same work as `actorDerSteps` for exactly `steps` intervals, without actors: telemetry → `clampSetpoint` → device. */
export function plainDerSteps(fleet: Fleet, grid: Grid, steps: number): DerStepsResult {
  const devices = fleet.members.map((m) => m.device);
  const caps = devices.map((d) => d.capabilities());
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const nowMs = grid.startMs + i * grid.intervalMs;
    for (let k = 0; k < devices.length; k++) {
      const clamp = clampSetpoint(benchSetpointKW(caps[k], k, i), caps[k], devices[k].telemetryNow(), grid.intervalMs);
      devices[k].applySetpointNow(clamp.powerKW);
    }
    for (const d of devices) d.advanceTo(nowMs + grid.intervalMs);
  }
  return finish(fleet, steps, steps, performance.now() - t0);
}
