// Quota windows in the subject's own time zone, with nothing but Intl: a day runs from local
// midnight to the next local midnight, a month from local midnight on the 1st to the next 1st.
// Working on instants (epoch ms) and asking Intl for the wall clock keeps this DST-correct: a local
// day is simply whatever span of instants carries that local date, 23, 24 or 25 hours long.

import type { WindowType } from "./dimensions.ts";

export interface ZonedParts {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// Constructing a DateTimeFormat costs far more than using one, and windows are computed on every
// quota check, so keep one per zone. The set of zones in use is small (users' profile zones).
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      // h23, not hour12: false, which some engines render as "24" at midnight.
      hourCycle: "h23",
      numberingSystem: "latn",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * True for IANA zone names the runtime knows ("Europe/Berlin", "UTC", "Etc/GMT+5"), matched
 * case-insensitively as Intl does. Offset strings ("+01:00") are refused even where the runtime
 * accepts them: they carry no DST rules, so a profile set to one would drift twice a year.
 */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== "string" || tz.length === 0 || tz.length > 64) return false;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The runtime's canonical spelling of a valid zone ("europe/berlin" → "Europe/Berlin"). */
export function canonicalTimeZone(tz: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
}

/** The wall clock in `timeZone` at `date`. */
export function zonedParts(date: Date, timeZone: string): ZonedParts {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError("Invalid Date");
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    // Offsets are whole seconds, so the millisecond is the same on every wall clock.
    millisecond: new Date(time).getUTCMilliseconds(),
  };
}

/** Wall-clock time as if it were UTC, in ms: compares and subtracts like local time. */
function wallClockMs(time: number, timeZone: string): number {
  const p = zonedParts(new Date(time), timeZone);
  return utcMs(p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond);
}

function utcMs(year: number, month: number, day: number, h = 0, m = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, m, s, ms);
  return d.getTime();
}

/** Local calendar date at `time`, as whole days since 1970-01-01. */
function localDay(time: number, timeZone: string): number {
  return Math.floor(wallClockMs(time, timeZone) / DAY_MS);
}

/**
 * The instant local date `day` begins: the instant after which the local date is never earlier
 * than `day` again. Normally that is local midnight. Where midnight does not exist (clocks jump
 * from 24:00 to 01:00, as in America/Santiago or America/Havana) it is the first instant that
 * carries the date. Where clocks fall back across midnight (Asia/Beirut: 24:00 back to 23:00) the
 * repeated hour belongs to the earlier date, so consecutive windows never overlap. A date skipped
 * entirely (Pacific/Apia, 2011-12-30) gets an empty window.
 */
function startOfLocalDay(day: number, timeZone: string): number {
  // A pure function of its arguments (a zone's rules do not change while the process runs), and
  // about eight formatter calls to compute: remembered, so a year of daily buckets costs 365 look-ups.
  const key = `${timeZone}|${day}`;
  const known = dayStarts.get(key);
  if (known !== undefined) return known;
  const start = computeStartOfLocalDay(day, timeZone);
  if (dayStarts.size >= DAY_STARTS_MAX) dayStarts.clear();
  dayStarts.set(key, start);
  return start;
}

/** Enough for every zone in use across a few years of days; cleared wholesale when full. */
const DAY_STARTS_MAX = 100_000;
const dayStarts = new Map<string, number>();

function computeStartOfLocalDay(day: number, timeZone: string): number {
  const wallMidnight = day * DAY_MS;
  // Two rounds of "midnight minus the offset in force" land on midnight whenever it exists.
  let guess = wallMidnight - (wallClockMs(wallMidnight, timeZone) - wallMidnight);
  guess = wallMidnight - (wallClockMs(guess, timeZone) - guess);
  if (localDay(guess, timeZone) >= day && localDay(guess - 1, timeZone) < day) return guess;

  // Midnight is missing: bracket the change of date between two instants an hour apart (no two
  // offset transitions are that close), then bisect to the millisecond. Loops are bounded by the
  // largest offset jump on record (a whole day, at the date line).
  let hi = guess;
  for (let i = 0; i < 48 && localDay(hi, timeZone) < day; i++) hi += HOUR_MS;
  let lo = hi - HOUR_MS;
  for (let i = 0; i < 48 && localDay(lo, timeZone) >= day; i++) {
    hi = lo;
    lo -= HOUR_MS;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (localDay(mid, timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(utcMs(year, month, day) / DAY_MS);
}

/**
 * The window of `type` containing `now` in `timeZone`: start <= now < resetsAt, always.
 * Daily: local midnight of today to local midnight of tomorrow. Monthly: local midnight of the 1st
 * of this month to that of next month. Throws RangeError for an unknown zone or an invalid Date.
 */
export function windowBounds(type: WindowType, now: Date, timeZone: string): { start: Date; resetsAt: Date } {
  const time = now.getTime();
  const local = zonedParts(now, timeZone);
  // The first day of the current window and of the next one, as day numbers.
  let first: number;
  let next: (firstDay: number) => number;
  switch (type) {
    case "daily":
      first = dayNumber(local.year, local.month, local.day);
      next = (d) => d + 1;
      break;
    case "monthly":
      first = dayNumber(local.year, local.month, 1);
      next = (d) => {
        const date = new Date(d * DAY_MS);
        return dayNumber(date.getUTCFullYear(), date.getUTCMonth() + 2, 1);
      };
      break;
  }
  let start = startOfLocalDay(first, timeZone);
  if (start > time) {
    // Only where clocks fall back across midnight by less than a whole hour and `now` is in the
    // part of the new date before the fall-back: that stretch belongs to the previous window.
    const date = new Date(first * DAY_MS);
    first = type === "daily" ? first - 1 : dayNumber(date.getUTCFullYear(), date.getUTCMonth(), 1);
    start = startOfLocalDay(first, timeZone);
  }
  return {
    start: new Date(start),
    resetsAt: new Date(startOfLocalDay(next(first), timeZone)),
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** The local date of `now` in `timeZone` as "YYYY-MM-DD" (the key of daily usage rows). */
export function localDateString(now: Date, timeZone: string): string {
  const p = zonedParts(now, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * "00:00 Europe/Berlin" when the reset is the next time the local clock shows that time (later
 * today, or tomorrow at an earlier time of day than now, which covers every daily reset);
 * otherwise the local date is included, "2026-04-01 00:00 Europe/Berlin", so that a monthly reset
 * or one a day away is never mistaken for tonight. `now` is a parameter so callers and tests with
 * an injected clock get the same text.
 */
export function formatResetTime(resetsAt: Date, timeZone: string, now: Date = new Date()): string {
  const reset = zonedParts(resetsAt, timeZone);
  const clock = `${pad(reset.hour)}:${pad(reset.minute)}`;
  const resetDay = dayNumber(reset.year, reset.month, reset.day);
  const today = zonedParts(now, timeZone);
  const todayDay = dayNumber(today.year, today.month, today.day);
  const minuteOfDay = (p: ZonedParts) => p.hour * 60 + p.minute;
  const nextOccurrence =
    resetsAt.getTime() > now.getTime() &&
    (resetDay === todayDay || (resetDay === todayDay + 1 && minuteOfDay(reset) < minuteOfDay(today)));
  return nextOccurrence ? `${clock} ${timeZone}` : `${localDateString(resetsAt, timeZone)} ${clock} ${timeZone}`;
}
