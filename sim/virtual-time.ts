/**
 * A discrete-event clock for running real protocol code (consensus rounds, an in-memory hub) in
 * virtual time: timers and deliveries are queued by due time and run one after another on demand,
 * so a simulated network is as fast as the code it runs and the same seed gives the same order.
 */

interface QueuedEvent {
  dueMs: number;
  /** Insertion order: events due at the same time run in the order they were scheduled. */
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** Virtual time, UTC epoch ms; `schedule` fits both `RoundScheduler` and `DeliveryScheduler`. */
export class VirtualTime {
  private nowMs: number;
  private nextOrder = 0;
  /** Binary min-heap on (dueMs, order). */
  private readonly heap: QueuedEvent[] = [];

  constructor(startMs: number) {
    if (!Number.isFinite(startMs)) throw new RangeError(`VirtualTime: startMs must be finite, got ${startMs}`);
    this.nowMs = startMs;
  }

  /** Current virtual time, UTC epoch ms. */
  readonly now = (): number => this.nowMs;

  /** Number of events waiting (cancelled ones included until they surface). */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs `fn` at `now() + delayMs`; returns a function that cancels it. */
  readonly schedule = (fn: () => void, delayMs: number): (() => void) => {
    const event: QueuedEvent = { dueMs: this.nowMs + Math.max(0, delayMs), order: this.nextOrder++, fn, cancelled: false };
    this.push(event);
    return () => {
      event.cancelled = true;
    };
  };

  /**
   * Runs due events in time order until `done()` holds after an event, no event is left, or the
   * next one is due after `untilMs`. Returns whether `done()` held. Time stays at the last event run.
   */
  runUntil(done: () => boolean, untilMs: number): boolean {
    if (done()) return true;
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.dueMs > untilMs) return false;
      this.pop();
      if (next.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.fn();
      if (done()) return true;
    }
  }

  /** Runs every event due up to `ms`, then sets the time to `ms` (never backwards). */
  advanceTo(ms: number): void {
    this.runUntil(() => false, ms);
    this.nowMs = Math.max(this.nowMs, ms);
  }

  private push(event: QueuedEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.order < b.order);
}
