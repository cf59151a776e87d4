import { formatMicros, localDateString, zonedParts, type Dimension } from "@wavelength/shared";

const pad2 = (n: number) => String(n).padStart(2, "0");

/** "2026-12-05 14:00" on the wall clock of `timeZone`. */
export function localTime(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${localDateString(at, timeZone)} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** A dimension's amount as people read it: counts grouped, money in dollars. */
export function formatAmount(dimension: Dimension, n: number | null): string {
  if (n === null) return "unlimited";
  return dimension === "costMicros" ? formatMicros(n) : formatCount(n);
}

/** "requests 1,000, tokens unlimited, cost $5.00". */
export function formatLimits(l: { requests: number | null; tokens: number | null; costMicros: number | null }): string {
  return `requests ${formatAmount("requests", l.requests)}, tokens ${formatAmount("tokens", l.tokens)}, cost ${formatAmount("costMicros", l.costMicros)}`;
}

/** A plain-text table; columns listed in `right` are right-aligned (numbers). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
