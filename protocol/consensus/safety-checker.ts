/**
 * An observer of decisions, independent of the engine's code path: it only sees (validator,
 * height, valueId) triples reported by honest validators and counts heights where two different
 * values were decided. A correct BFT round keeps `safetyViolations` at 0.
 */
export class SafetyChecker {
  /** height → valueId → validators that reported deciding it. */
  private readonly byHeight = new Map<number, Map<string, Set<string>>>();
  private readonly violating = new Set<number>();

  /**
   * Record that `validator` decided `valueId` at `height`.
   * @param validator public id of the (honest) validator reporting
   * @param height planning interval index
   * @param valueId id of the decided value
   */
  record(validator: string, height: number, valueId: string): void {
    let values = this.byHeight.get(height);
    if (values === undefined) {
      values = new Map();
      this.byHeight.set(height, values);
    }
    let deciders = values.get(valueId);
    if (deciders === undefined) {
      deciders = new Set();
      values.set(valueId, deciders);
    }
    deciders.add(validator);
    if (values.size > 1) this.violating.add(height);
  }

  /** Number of heights for which two different valueIds were decided. */
  get safetyViolations(): number {
    return this.violating.size;
  }

  /** Heights with conflicting decisions, ascending. */
  violatingHeights(): number[] {
    return [...this.violating].sort((a, b) => a - b);
  }

  /** Number of distinct heights with at least one recorded decision. */
  get decidedHeights(): number {
    return this.byHeight.size;
  }

  /** Validators that reported deciding each value at `height` (valueId → validator ids). */
  decisionsAt(height: number): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [id, who] of this.byHeight.get(height) ?? []) out.set(id, [...who].sort());
    return out;
  }
}
