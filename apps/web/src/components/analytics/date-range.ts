import { localDateString, windowBounds } from "@wavelength/shared";

export const RANGE_PRESETS = ["today", "7d", "30d", "month", "custom"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const PRESET_LABELS: Record<RangePreset, string> = {
  today: "Today",
  "7d": "7 days",
  "30d": "30 days",
  month: "This month",
  custom: "Custom",
};

export type GroupBy = "none" | "provider" | "model";
export const GROUP_BY_VALUES = ["none", "provider", "model"] as const satisfies readonly GroupBy[];

export interface ResolvedRange {
  from: Date;
  to: Date;
  granularity: "hour" | "day";
  /** Local dates of the first and last day, for the custom inputs and captions. */
  fromDate: string;
  toDate: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Up to two days the charts are hourly; beyond that a point per local day. */
const HOURLY_MAX_MS = 2 * DAY_MS;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLocalDate(value: string | null): value is string {
  if (value === null) return false;
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** "2026-03-01" shifted by whole calendar days (no time zone involved: dates are labels). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * The instant local date `date` begins in `timeZone`. Starts from noon UTC of that date and steps
 * by half days until the local date matches, then lets windowBounds find the exact start (DST-safe,
 * also for zones at UTC+12…+14 where noon UTC is already tomorrow).
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  let t = Date.UTC(y, m - 1, d, 12);
  for (let i = 0; i < 4; i++) {
    const local = localDateString(new Date(t), timeZone);
    if (local === date) break;
    t += local > date ? -12 * HOUR_MS : 12 * HOUR_MS;
  }
  return windowBounds("daily", new Date(t), timeZone).start;
}

/** Turns a preset (or custom local dates, inclusive) into the instants the API takes. */
export function resolveRange(
  preset: RangePreset,
  custom: { from: string | null; to: string | null },
  timeZone: string,
  now: Date = new Date(),
): ResolvedRange {
  const today = localDateString(now, timeZone);
  let fromDate: string;
  let toDate = today;
  switch (preset) {
    case "today":
      fromDate = today;
      break;
    case "7d":
      fromDate = addDays(today, -6);
      break;
    case "30d":
      fromDate = addDays(today, -29);
      break;
    case "month":
      fromDate = `${today.slice(0, 8)}01`;
      break;
    case "custom": {
      const from = isLocalDate(custom.from) ? custom.from : addDays(today, -6);
      const to = isLocalDate(custom.to) ? custom.to : today;
      [fromDate, toDate] = from <= to ? [from, to] : [to, from];
      break;
    }
  }
  const from = startOfLocalDate(fromDate, timeZone);
  const to = startOfLocalDate(addDays(toDate, 1), timeZone);
  return {
    from,
    to,
    granularity: to.getTime() - from.getTime() <= HOURLY_MAX_MS ? "hour" : "day",
    fromDate,
    toDate,
  };
}

export function parsePreset(value: string | null): RangePreset {
  return RANGE_PRESETS.find((p) => p === value) ?? "7d";
}

export function parseGroupBy(value: string | null): GroupBy {
  return GROUP_BY_VALUES.find((g) => g === value) ?? "none";
}
