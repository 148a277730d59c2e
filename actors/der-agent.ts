import { createActor, type Actor, type ActorOptions } from 'xstate';
import type { DeviceAdapter, DeviceCapabilities, DeviceTelemetry } from './device-adapter.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { derMachine, derStateName, type ClampCounts, type DerStateName, type PlanSlice } from './der-actor.js';
import { ActorInputError } from './errors.js';
import { deriveOffer, withoutFlexibility, type OfferWindow } from './offer.js';

/** Clock the actor's delays (plan timeout) run on; pass xstate's `SimulatedClock` in simulations. */
export type DerClock = NonNullable<ActorOptions<typeof derMachine>['clock']>;

/** How to build a `DerAgent`. */
export interface DerAgentOptions {
  adapter: DeviceAdapter;
  ownerId: string;
  feederId?: string;
  /** Fall back to the safe default when no fresh plan arrived for this long, ms > 0. */
  planTimeoutMs: number;
  clock?: DerClock;
}

/** Outcome of one `DerAgent.step`: the setpoint written to the device, kW, and whether the envelope changed the plan's value. */
export interface StepResult {
  setpointKW: number;
  clamped: boolean;
}

/**
 * One DER for callers: its XState actor plus its device adapter. The actor decides which
 * setpoint is allowed; the agent reads telemetry into it and writes its decision to the device.
 */
export class DerAgent {
  readonly id: string;
  private readonly adapter: DeviceAdapter;
  private readonly actor: Actor<typeof derMachine>;
  private readonly meta: { derId: string; ownerId: string; feederId?: string };

  constructor(options: DerAgentOptions) {
    if (!(options.planTimeoutMs > 0)) {
      throw new ActorInputError(`DerAgent ${options.adapter.id}: planTimeoutMs = ${options.planTimeoutMs}, expected > 0 ms`);
    }
    this.id = options.adapter.id;
    this.adapter = options.adapter;
    this.meta = { derId: this.id, ownerId: options.ownerId, ...(options.feederId !== undefined ? { feederId: options.feederId } : {}) };
    this.actor = createActor(derMachine, {
      input: { derId: this.id, caps: options.adapter.capabilities(), planTimeoutMs: options.planTimeoutMs },
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.actor.start();
  }

  /** Owner of the device (settlement). */
  get ownerId(): string {
    return this.meta.ownerId;
  }

  /** Feeder the device hangs on, when its fleet says. */
  get feederId(): string | undefined {
    return this.meta.feederId;
  }

  /** The device's static capabilities. */
  capabilities(): DeviceCapabilities {
    return this.adapter.capabilities();
  }

  /** Current state of the actor. */
  get state(): DerStateName {
    return derStateName(this.actor.getSnapshot().value);
  }

  /** How often the envelope changed a planned setpoint, per reason. */
  get clamps(): Readonly<ClampCounts> {
    return this.actor.getSnapshot().context.clampCounts;
  }

  /** Setpoint the actor last allowed, kW. */
  get setpointKW(): number {
    return this.actor.getSnapshot().context.setpointKW;
  }

  /** The reading the actor last heard of (no device I/O), undefined before the first. */
  get lastTelemetry(): DeviceTelemetry | undefined {
    return this.actor.getSnapshot().context.telemetry;
  }

  /** A fresh reading of the device (the actor hears of it only if the device's online status changed). */
  async telemetry(): Promise<DeviceTelemetry> {
    return (await this.read()).telemetry;
  }

  /** Read the device's telemetry and hand it to the actor. */
  async refresh(): Promise<DeviceTelemetry> {
    const telemetry = await this.adapter.readTelemetry();
    this.actor.send({ type: 'TELEMETRY', telemetry });
    return telemetry;
  }

  /**
   * Read the device; only a change of its online status goes to the actor at once (it changes the
   * actor's state). Other readings ride on the next TICK, which halves the events per interval.
   */
  private async read(): Promise<{ telemetry: DeviceTelemetry; sent: boolean }> {
    const telemetry = await this.adapter.readTelemetry();
    const known = this.actor.getSnapshot().context.telemetry;
    if (known === undefined || known.online !== telemetry.online) {
      this.actor.send({ type: 'TELEMETRY', telemetry });
      return { telemetry, sent: true };
    }
    return { telemetry, sent: false };
  }

  /** The DER's flexibility over `window` from fresh telemetry; no flexibility while offline or faulted. */
  async offer(window: OfferWindow): Promise<FlexibilityOffer> {
    const { telemetry } = await this.read();
    const offer = deriveOffer(this.adapter.capabilities(), telemetry, this.meta, window);
    return this.state === 'offline' || this.state === 'fault' ? withoutFlexibility(offer) : offer;
  }

  /**
   * Hand the actor a committed plan and act on it at `nowMs` for `holdMs` in one event: the same
   * outcome as `commit` then `step`, at half the actor cost (the simulator's per-interval path).
   */
  async follow(slice: PlanSlice, nowMs: number, holdMs: number): Promise<StepResult> {
    this.checkSlice(slice);
    const { telemetry, sent } = await this.read();
    this.actor.send({ type: 'PLAN_COMMITTED', ...slice, tick: sent ? { nowMs, holdMs } : { nowMs, holdMs, telemetry } });
    return this.write();
  }

  /** Hand the actor this DER's slice of a committed plan (restarts the plan timeout). */
  commit(slice: PlanSlice): void {
    this.checkSlice(slice);
    this.actor.send({ type: 'PLAN_COMMITTED', ...slice });
  }

  private checkSlice(slice: PlanSlice): void {
    const where = `DerAgent ${this.id}: plan slice`;
    if (!Number.isFinite(slice.startMs)) throw new ActorInputError(`${where} startMs = ${slice.startMs}, expected finite epoch ms`);
    if (!(slice.intervalMs > 0) || !Number.isFinite(slice.intervalMs)) {
      throw new ActorInputError(`${where} intervalMs = ${slice.intervalMs}, expected a finite number > 0`);
    }
    if (Number.isNaN(slice.validUntilMs)) throw new ActorInputError(`${where} validUntilMs is NaN, expected epoch ms`);
    if (!Array.isArray(slice.setpointsKW)) throw new ActorInputError(`${where} setpointsKW is not an array`);
  }

  /**
   * Act at `nowMs` (UTC epoch ms) for `holdMs` (ms > 0): refresh telemetry, TICK the actor and
   * write the setpoint it allows to the device. Nothing is written while offline or faulted.
   */
  async step(nowMs: number, holdMs: number): Promise<StepResult> {
    const { telemetry, sent } = await this.read();
    this.actor.send(sent ? { type: 'TICK', nowMs, holdMs } : { type: 'TICK', nowMs, holdMs, telemetry });
    return this.write();
  }

  /** Write the setpoint the actor allows to the device (nothing while offline or faulted). */
  private async write(): Promise<StepResult> {
    const { setpointKW, clamped } = this.actor.getSnapshot().context;
    if (this.state !== 'offline' && this.state !== 'fault') await this.adapter.applySetpoint(setpointKW);
    return { setpointKW, clamped };
  }

  /** Report a device alarm: the actor goes to `fault`. */
  fault(reason: string): void {
    this.actor.send({ type: 'FAULT', reason });
  }

  /** Clear an alarm: the actor returns to `available` if the device is online. */
  recover(): void {
    this.actor.send({ type: 'RECOVERED' });
  }

  /** Stop the actor (cancels its timers). */
  stop(): void {
    this.actor.stop();
  }
}
