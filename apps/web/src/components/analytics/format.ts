import { formatMicros } from "@wavelength/shared";

const integer = new Intl.NumberFormat("en-US");
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const formatInt = (n: number): string => integer.format(n);
export const formatCompact = (n: number): string => compact.format(n);
export const formatCost = (micros: number): string => formatMicros(micros);

/** Share of a whole as "12.5 %"; "–" when the whole is zero. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return "–";
  return `${(Math.round((part / whole) * 1000) / 10).toFixed(1)} %`;
}

/** Axis and tooltip label of a bucket: "14:00" for hours, "Mar 3" for days, in the user's zone. */
export function bucketLabel(at: Date, granularity: "hour" | "day", timeZone: string): string {
  return granularity === "hour"
    ? at.toLocaleTimeString("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" })
    : at.toLocaleDateString("en-US", { timeZone, month: "short", day: "numeric" });
}

/** "2026-03-04 14:05" in the given zone. */
export function formatDateTime(at: Date, timeZone: string): string {
  return at.toLocaleString("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" });
}
