const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];

/** "3 minutes", "12 seconds": the largest whole unit of the distance from now. */
export function formatDistanceToNowStrict(at: Date, now: Date = new Date()): string {
  const ms = Math.abs(now.getTime() - at.getTime());
  for (const [unit, size] of UNITS) {
    if (ms >= size || unit === "second") {
      const n = Math.floor(ms / size);
      return `${n} ${unit}${n === 1 ? "" : "s"}`;
    }
  }
  return "0 seconds";
}
