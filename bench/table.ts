/** Plain-text table and number formatting for the bench report. */

/** Columns padded to their widest cell; first column left-aligned, the rest right-aligned. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds with 3 significant digits below 100 ms, whole numbers above. */
export function fmtMs(ms: number): string {
  return ms < 100 ? ms.toPrecision(3) : Math.round(ms).toLocaleString('en-US');
}

/** A whole number with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio as `×1.23` (3 significant digits). */
export function fmtRatio(r: number): string {
  return `×${r.toPrecision(3)}`;
}
