import { assign, setup } from 'xstate';
import type { DeviceCapabilities, DeviceTelemetry } from './device-adapter.js';
import { CLAMP_REASONS, clampSetpoint, safeSetpointKW, type ClampReason } from './safety-envelope.js';

/** The part of a dispatch plan one DER follows: one setpoint per fixed-length interval. */
export interface PlanSlice {
  /** Setpoint per interval, kW (positive = into the grid); interval i starts at startMs + i·intervalMs. */
  setpointsKW: number[];
  /** UTC epoch ms of the first interval's start. */
  startMs: number;
  /** Interval length, ms > 0. */
  intervalMs: number;
  /** UTC epoch ms after which the slice must not be followed. */
  validUntilMs: number;
}

/** A moment to act: `nowMs` UTC epoch ms, `holdMs` how long the setpoint will be held, and maybe a fresh reading. */
export interface Tick {
  nowMs: number;
  holdMs: number;
  telemetry?: DeviceTelemetry;
}

/** Events a DER actor understands. */
export type DerEvent =
  | { type: 'TELEMETRY'; telemetry: DeviceTelemetry }
  /** A plan for this DER; with `tick`, also act on it at once (one event instead of a commit and a TICK). */
  | ({ type: 'PLAN_COMMITTED'; tick?: Tick } & PlanSlice)
  /**
   * Time to act: `nowMs` is UTC epoch ms, `holdMs` how long the resulting setpoint will be held.
   * A TICK may carry a fresh reading taken while the device's online status is unchanged; a change
   * of status must come as TELEMETRY, which moves the actor between states.
   */
  | { type: 'TICK'; nowMs: number; holdMs: number; telemetry?: DeviceTelemetry }
  | { type: 'FAULT'; reason: string }
  | { type: 'RECOVERED' };

/** Clamp counts per reason. */
export type ClampCounts = Record<ClampReason, number>;

/** What a DER actor remembers. */
export interface DerContext {
  derId: string;
  caps: DeviceCapabilities;
  planTimeoutMs: number;
  telemetry: DeviceTelemetry | undefined;
  plan: PlanSlice | undefined;
  /** Setpoint the device is allowed to follow now, kW (already through the envelope). */
  setpointKW: number;
  /** Whether the last planned setpoint was changed by the envelope. */
  clamped: boolean;
  clampCounts: ClampCounts;
  /** Hold time of the last TICK, ms; used for the safe default when the plan times out. */
  holdMs: number;
  /** Why the actor is in `fault`: lost telemetry clears itself when telemetry returns. */
  faultCause: 'offline' | 'alarm' | undefined;
  faultReason: string | undefined;
}

/** Input to start a DER actor. */
export interface DerMachineInput {
  derId: string;
  caps: DeviceCapabilities;
  /** Time after the last PLAN_COMMITTED after which the actor falls back to the safe default, ms. */
  planTimeoutMs: number;
}

/** Flat name of a DER actor state. */
export type DerStateName = 'offline' | 'available' | 'committed' | 'dispatching' | 'fault';

/** End of the span a plan may be followed in, UTC epoch ms. */
function planEndMs(plan: PlanSlice): number {
  return Math.min(plan.validUntilMs, plan.startMs + plan.setpointsKW.length * plan.intervalMs);
}

/** The safe default passed through the envelope (so an EV never overshoots its energy); 0 without telemetry. */
function safeSetpointOf(context: DerContext, holdMs: number): number {
  return context.telemetry ? safeSetpointKW(context.caps, context.telemetry, holdMs) : 0;
}

/** The tick an event carries: a TICK itself, or a plan committed with `tick`. */
function tickOf(event: DerEvent): Tick | undefined {
  if (event.type === 'TICK') return event;
  return event.type === 'PLAN_COMMITTED' ? event.tick : undefined;
}

function tickHoldMs(context: DerContext, event: DerEvent): number {
  return tickOf(event)?.holdMs ?? context.holdMs;
}

/** The plan a guard judges: the one arriving with the event, else the one held. */
function planOf(context: DerContext, event: DerEvent): PlanSlice | undefined {
  return event.type === 'PLAN_COMMITTED' ? event : context.plan;
}

/** The plan a PLAN_COMMITTED event carries, copied (the sender may reuse its arrays). */
function copyPlan(event: DerEvent): PlanSlice | undefined {
  return event.type === 'PLAN_COMMITTED'
    ? { setpointsKW: [...event.setpointsKW], startMs: event.startMs, intervalMs: event.intervalMs, validUntilMs: event.validUntilMs }
    : undefined;
}

/** The held plan's setpoint for the event's tick, through the safety envelope, with the clamp counted. */
function planSetpoint(context: DerContext, event: DerEvent): Partial<DerContext> {
  const tick = tickOf(event);
  if (!tick || !context.plan || !context.telemetry) return {};
  const { plan } = context;
  const index = Math.floor((tick.nowMs - plan.startMs) / plan.intervalMs);
  const result = clampSetpoint(plan.setpointsKW[index], context.caps, context.telemetry, tick.holdMs);
  const clampCounts = result.reason
    ? { ...context.clampCounts, [result.reason]: context.clampCounts[result.reason] + 1 }
    : context.clampCounts;
  return { setpointKW: result.powerKW, clamped: result.clamped, clampCounts, holdMs: tick.holdMs };
}

/**
 * A DER as an XState v5 machine: offline → available (telemetry online) → committed (plan
 * received) → dispatching (a TICK inside the plan: the interval's setpoint through the safety
 * envelope). With no fresh plan for `planTimeoutMs`, or when the plan runs out, it returns to
 * available with the safe default. Offline telemetry or FAULT → fault; telemetry back online
 * (after a comms loss) or RECOVERED → available. The actor only decides setpoints; device
 * physics run elsewhere.
 */
export const derMachine = setup({
  types: {
    context: {} as DerContext,
    events: {} as DerEvent,
    input: {} as DerMachineInput,
  },
  delays: {
    planTimeout: ({ context }) => context.planTimeoutMs,
  },
  guards: {
    telemetryOnline: ({ event }) => event.type === 'TELEMETRY' && event.telemetry.online,
    telemetryOffline: ({ event }) => event.type === 'TELEMETRY' && !event.telemetry.online,
    commsRestored: ({ context, event }) =>
      event.type === 'TELEMETRY' && event.telemetry.online && context.faultCause === 'offline',
    lastTelemetryOnline: ({ context }) => context.telemetry?.online === true,
    planOver: ({ context, event }) => event.type === 'TICK' && (!context.plan || event.nowMs >= planEndMs(context.plan)),
    planStarted: ({ context, event }) => event.type === 'TICK' && !!context.plan && event.nowMs >= context.plan.startMs,
    hasTick: ({ event }) => tickOf(event) !== undefined,
    /** A plan arriving with a tick that falls inside it: dispatch at once. */
    dispatchNow: ({ context, event }) => {
      const tick = tickOf(event);
      const plan = planOf(context, event);
      return event.type === 'PLAN_COMMITTED' && !!tick && !!plan && tick.nowMs >= plan.startMs && tick.nowMs < planEndMs(plan);
    },
  },
  actions: {
    storeTelemetry: assign({
      telemetry: ({ context, event }) => (event.type === 'TELEMETRY' ? event.telemetry : (tickOf(event)?.telemetry ?? context.telemetry)),
    }),
    storePlan: assign({ plan: ({ context, event }) => copyPlan(event) ?? context.plan }),
    clearPlan: assign({ plan: undefined }),
    markOffline: assign({ faultCause: 'offline' as const, faultReason: 'telemetry offline' }),
    markAlarm: assign({
      faultCause: 'alarm' as const,
      faultReason: ({ event }) => (event.type === 'FAULT' ? event.reason : 'fault'),
    }),
    clearFault: assign({ faultCause: undefined, faultReason: undefined }),
    applySafeDefault: assign(({ context, event }) => {
      const holdMs = tickHoldMs(context, event);
      return { setpointKW: safeSetpointOf(context, holdMs), clamped: false, holdMs };
    }),
    applyPlanSetpoint: assign(({ context, event }) => planSetpoint(context, event)),
    /** A plan arriving with its first tick: store reading and plan, and dispatch, in one context update. */
    acceptAndDispatch: assign(({ context, event }) => {
      const next = { ...context, telemetry: tickOf(event)?.telemetry ?? context.telemetry, plan: copyPlan(event) ?? context.plan };
      return { telemetry: next.telemetry, plan: next.plan, ...planSetpoint(next, event) };
    }),
  },
}).createMachine({
  id: 'der',
  context: ({ input }) => ({
    derId: input.derId,
    caps: input.caps,
    planTimeoutMs: input.planTimeoutMs,
    telemetry: undefined,
    plan: undefined,
    setpointKW: 0,
    clamped: false,
    clampCounts: Object.fromEntries(CLAMP_REASONS.map((r) => [r, 0])) as ClampCounts,
    holdMs: input.planTimeoutMs,
    faultCause: undefined,
    faultReason: undefined,
  }),
  initial: 'offline',
  on: {
    FAULT: { target: '.fault', actions: ['markAlarm', 'clearPlan', 'applySafeDefault'] },
  },
  states: {
    offline: {
      on: {
        TELEMETRY: [
          { guard: 'telemetryOnline', target: 'available', actions: 'storeTelemetry' },
          { target: 'fault', actions: ['storeTelemetry', 'markOffline'] },
        ],
        TICK: { actions: ['storeTelemetry', 'applySafeDefault'] },
      },
    },
    available: {
      on: {
        TELEMETRY: [
          { guard: 'telemetryOffline', target: 'fault', actions: ['storeTelemetry', 'markOffline', 'applySafeDefault'] },
          { actions: 'storeTelemetry' },
        ],
        PLAN_COMMITTED: [
          { guard: 'dispatchNow', target: 'planned.dispatching', actions: 'acceptAndDispatch' },
          { guard: 'hasTick', target: 'planned', actions: ['storeTelemetry', 'storePlan', 'applySafeDefault'] },
          { target: 'planned', actions: 'storePlan' },
        ],
        TICK: { actions: ['storeTelemetry', 'applySafeDefault'] },
      },
    },
    planned: {
      initial: 'committed',
      after: {
        planTimeout: { target: 'available', actions: ['clearPlan', 'applySafeDefault'] },
      },
      on: {
        TELEMETRY: [
          {
            guard: 'telemetryOffline',
            target: 'fault',
            actions: ['storeTelemetry', 'markOffline', 'clearPlan', 'applySafeDefault'],
          },
          { actions: 'storeTelemetry' },
        ],
        // A fresh plan re-enters `planned`, which restarts the plan timeout.
        PLAN_COMMITTED: [
          { guard: 'dispatchNow', target: 'planned.dispatching', reenter: true, actions: 'acceptAndDispatch' },
          { guard: 'hasTick', target: 'planned', reenter: true, actions: ['storeTelemetry', 'storePlan', 'applySafeDefault'] },
          { target: 'planned', reenter: true, actions: 'storePlan' },
        ],
        TICK: [
          { guard: 'planOver', target: 'available', actions: ['storeTelemetry', 'clearPlan', 'applySafeDefault'] },
          { guard: 'planStarted', target: '.dispatching', actions: ['storeTelemetry', 'applyPlanSetpoint'] },
          { target: '.committed', actions: ['storeTelemetry', 'applySafeDefault'] },
        ],
      },
      states: {
        committed: {},
        dispatching: {},
      },
    },
    fault: {
      on: {
        TELEMETRY: [
          { guard: 'commsRestored', target: 'available', actions: ['storeTelemetry', 'clearFault'] },
          { actions: 'storeTelemetry' },
        ],
        RECOVERED: { guard: 'lastTelemetryOnline', target: 'available', actions: 'clearFault' },
        TICK: { actions: ['storeTelemetry', 'applySafeDefault'] },
      },
    },
  },
});

/** Flatten an actor state value to its `DerStateName`. */
export function derStateName(value: unknown): DerStateName {
  if (typeof value === 'string') return value as DerStateName;
  const planned = (value as { planned?: string }).planned;
  return planned === 'dispatching' ? 'dispatching' : 'committed';
}
