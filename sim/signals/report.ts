import type { LoadReport } from './series.js';

/** Collects drops (with the first line each reason hit) and notes while a loader runs. */
export class ReportBuilder {
  private readonly drops = new Map<string, { count: number; firstAt?: string }>();
  private readonly notes: string[] = [];
  /** Data rows (or records) read, header excluded. */
  rowsRead = 0;

  constructor(private readonly source: string) {}

  /** Count one dropped row under `reason`; `at` (e.g. 'line 12') is kept for the first one as an example. */
  drop(reason: string, at?: string): void {
    const entry = this.drops.get(reason);
    if (entry) entry.count++;
    else this.drops.set(reason, { count: 1, firstAt: at });
  }

  /** Add a note (an assumption made or an oddity found). */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Total rows dropped so far. */
  droppedCount(): number {
    let n = 0;
    for (const { count } of this.drops.values()) n += count;
    return n;
  }

  /** The finished report. */
  build(rowsKept: number): LoadReport {
    return {
      source: this.source,
      rowsRead: this.rowsRead,
      rowsKept,
      dropped: [...this.drops].map(([reason, { count, firstAt }]) => ({
        reason: firstAt ? `${reason} (first at ${firstAt})` : reason,
        count,
      })),
      notes: [...this.notes],
    };
  }
}
