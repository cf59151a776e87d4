import { describe, expect, test } from "vitest";
import {
  canonicalTimeZone,
  formatResetTime,
  isValidTimeZone,
  localDateString,
  windowBounds,
  zonedParts,
  type WindowType,
} from "../src/index.ts";

const HOUR = 3_600_000;

/** [start, resetsAt] as ISO strings, for compact expectations. */
function bounds(type: WindowType, nowIso: string, timeZone: string): [string, string] {
  const w = windowBounds(type, new Date(nowIso), timeZone);
  return [w.start.toISOString(), w.resetsAt.toISOString()];
}

function lengthHours(type: WindowType, nowIso: string, timeZone: string): number {
  const w = windowBounds(type, new Date(nowIso), timeZone);
  return (w.resetsAt.getTime() - w.start.getTime()) / HOUR;
}

describe("isValidTimeZone", () => {
  test("accepts IANA names the runtime knows", () => {
    for (const tz of [
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "Pacific/Kiritimati",
      "America/Argentina/Buenos_Aires",
      "Etc/GMT+5",
    ]) {
      expect(isValidTimeZone(tz)).toBe(true);
    }
    expect(isValidTimeZone("europe/berlin")).toBe(true);
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
  });

  test("refuses unknown names, offsets, blanks and junk", () => {
    for (const tz of [
      "",
      " ",
      "Mars/Olympus_Mons",
      "Europe/Berlin ",
      "+01:00",
      "UTC+1",
      "../etc/passwd",
      "Europe//Berlin",
      "x".repeat(65),
    ]) {
      expect(isValidTimeZone(tz)).toBe(false);
    }
  });
});

describe("zonedParts and localDateString", () => {
  test("read the wall clock of the zone, not of the host", () => {
    const instant = new Date("2026-01-01T04:30:15.250Z");
    expect(zonedParts(instant, "Europe/Berlin")).toEqual({
      year: 2026,
      month: 1,
      day: 1,
      hour: 5,
      minute: 30,
      second: 15,
      millisecond: 250,
    });
    expect(localDateString(instant, "America/New_York")).toBe("2025-12-31");
    expect(localDateString(instant, "UTC")).toBe("2026-01-01");
    expect(localDateString(instant, "Pacific/Kiritimati")).toBe("2026-01-01");
    expect(zonedParts(new Date("2026-03-08T05:00:00.000Z"), "UTC").hour).toBe(5);
  });

  test("midnight is hour 0, never 24", () => {
    expect(zonedParts(new Date("2026-03-28T23:00:00.000Z"), "Europe/Berlin").hour).toBe(0);
  });

  test("refuse an invalid Date or zone", () => {
    expect(() => zonedParts(new Date(Number.NaN), "UTC")).toThrow(RangeError);
    expect(() => windowBounds("daily", new Date(), "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("daily windows", () => {
  test("UTC", () => {
    expect(bounds("daily", "2026-06-15T13:45:00.000Z", "UTC")).toEqual([
      "2026-06-15T00:00:00.000Z",
      "2026-06-16T00:00:00.000Z",
    ]);
  });

  test("America/New_York spring forward, 2026-03-08: 23 hours", () => {
    expect(bounds("daily", "2026-03-08T12:00:00.000Z", "America/New_York")).toEqual([
      "2026-03-08T05:00:00.000Z", // 00:00 EST
      "2026-03-09T04:00:00.000Z", // 00:00 EDT
    ]);
    expect(lengthHours("daily", "2026-03-08T06:59:59.999Z", "America/New_York")).toBe(23); // 01:59:59.999 EST
    expect(lengthHours("daily", "2026-03-08T07:00:00.000Z", "America/New_York")).toBe(23); // 03:00 EDT
  });

  test("America/New_York fall back, 2026-11-01: 25 hours", () => {
    expect(bounds("daily", "2026-11-01T12:00:00.000Z", "America/New_York")).toEqual([
      "2026-11-01T04:00:00.000Z", // 00:00 EDT
      "2026-11-02T05:00:00.000Z", // 00:00 EST
    ]);
    // Both 01:30s of the repeated hour are the same day.
    expect(bounds("daily", "2026-11-01T05:30:00.000Z", "America/New_York")[0]).toBe("2026-11-01T04:00:00.000Z");
    expect(bounds("daily", "2026-11-01T06:30:00.000Z", "America/New_York")[0]).toBe("2026-11-01T04:00:00.000Z");
    expect(lengthHours("daily", "2026-11-01T12:00:00.000Z", "America/New_York")).toBe(25);
  });

  test("Europe/Berlin spring forward, 2026-03-29: 23 hours", () => {
    expect(bounds("daily", "2026-03-29T12:00:00.000Z", "Europe/Berlin")).toEqual([
      "2026-03-28T23:00:00.000Z", // 00:00 CET
      "2026-03-29T22:00:00.000Z", // 00:00 CEST
    ]);
  });

  test("Europe/Berlin fall back, 2026-10-25: 25 hours", () => {
    expect(bounds("daily", "2026-10-25T12:00:00.000Z", "Europe/Berlin")).toEqual([
      "2026-10-24T22:00:00.000Z", // 00:00 CEST
      "2026-10-25T23:00:00.000Z", // 00:00 CET
    ]);
  });

  test("an instant exactly at local midnight starts the window", () => {
    const now = "2026-03-28T23:00:00.000Z"; // 2026-03-29 00:00 Berlin
    expect(bounds("daily", now, "Europe/Berlin")).toEqual([now, "2026-03-29T22:00:00.000Z"]);
    expect(bounds("daily", "2026-03-09T04:00:00.000Z", "America/New_York")).toEqual([
      "2026-03-09T04:00:00.000Z",
      "2026-03-10T04:00:00.000Z",
    ]);
  });

  test("one millisecond before local midnight belongs to the previous day", () => {
    expect(bounds("daily", "2026-03-28T22:59:59.999Z", "Europe/Berlin")).toEqual([
      "2026-03-27T23:00:00.000Z",
      "2026-03-28T23:00:00.000Z",
    ]);
    expect(bounds("daily", "2026-11-02T04:59:59.999Z", "America/New_York")).toEqual([
      "2026-11-01T04:00:00.000Z",
      "2026-11-02T05:00:00.000Z",
    ]);
  });

  test("month end: Jan 31 to Feb 1 in Berlin", () => {
    expect(bounds("daily", "2026-01-31T22:59:59.999Z", "Europe/Berlin")).toEqual([
      "2026-01-30T23:00:00.000Z",
      "2026-01-31T23:00:00.000Z",
    ]);
    expect(bounds("daily", "2026-01-31T23:00:00.000Z", "Europe/Berlin")).toEqual([
      "2026-01-31T23:00:00.000Z",
      "2026-02-01T23:00:00.000Z",
    ]);
  });

  test("year end in UTC", () => {
    expect(bounds("daily", "2026-12-31T23:59:59.999Z", "UTC")).toEqual([
      "2026-12-31T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ]);
  });

  test("29 February 2028", () => {
    expect(bounds("daily", "2028-02-29T12:00:00.000Z", "UTC")).toEqual([
      "2028-02-29T00:00:00.000Z",
      "2028-03-01T00:00:00.000Z",
    ]);
    expect(bounds("daily", "2028-02-29T12:00:00.000Z", "America/New_York")).toEqual([
      "2028-02-29T05:00:00.000Z",
      "2028-03-01T05:00:00.000Z",
    ]);
    expect(bounds("daily", "2028-02-28T23:30:00.000Z", "Pacific/Auckland")).toEqual([
      "2028-02-28T11:00:00.000Z", // 2028-02-29 00:00 NZDT (+13)
      "2028-02-29T11:00:00.000Z",
    ]);
  });

  test("Pacific/Kiritimati (UTC+14): the local day starts at 10:00 UTC the day before", () => {
    expect(bounds("daily", "2025-12-31T12:00:00.000Z", "Pacific/Kiritimati")).toEqual([
      "2025-12-31T10:00:00.000Z", // 2026-01-01 00:00 local
      "2026-01-01T10:00:00.000Z",
    ]);
    expect(bounds("daily", "2025-12-31T09:59:59.999Z", "Pacific/Kiritimati")).toEqual([
      "2025-12-30T10:00:00.000Z",
      "2025-12-31T10:00:00.000Z",
    ]);
  });

  test("Pacific/Auckland DST end (2026-04-05, 25 h) and start (2026-09-27, 23 h)", () => {
    expect(bounds("daily", "2026-04-05T00:00:00.000Z", "Pacific/Auckland")).toEqual([
      "2026-04-04T11:00:00.000Z", // 00:00 NZDT (+13)
      "2026-04-05T12:00:00.000Z", // 00:00 NZST (+12)
    ]);
    expect(bounds("daily", "2026-09-27T00:00:00.000Z", "Pacific/Auckland")).toEqual([
      "2026-09-26T12:00:00.000Z", // 00:00 NZST
      "2026-09-27T11:00:00.000Z", // 00:00 NZDT
    ]);
  });

  test("America/Havana 2026-03-08: no midnight (00:00 CST jumps to 01:00 CDT), day starts at 01:00", () => {
    expect(bounds("daily", "2026-03-08T12:00:00.000Z", "America/Havana")).toEqual([
      "2026-03-08T05:00:00.000Z", // 01:00 CDT, the first instant of the date
      "2026-03-09T04:00:00.000Z",
    ]);
    // The last instant of 7 March is still 7 March.
    expect(bounds("daily", "2026-03-08T04:59:59.999Z", "America/Havana")).toEqual([
      "2026-03-07T05:00:00.000Z",
      "2026-03-08T05:00:00.000Z",
    ]);
  });

  test("America/Santiago 2026-09-06: no midnight, day starts at 01:00 -03", () => {
    expect(bounds("daily", "2026-09-06T12:00:00.000Z", "America/Santiago")).toEqual([
      "2026-09-06T04:00:00.000Z",
      "2026-09-07T03:00:00.000Z",
    ]);
  });

  test("Asia/Beirut 2024-10-27: clocks fall back from 24:00 to 23:00, the repeated hour stays on the 26th", () => {
    // 23:30 EET on the 26th, the second time round.
    expect(bounds("daily", "2024-10-26T21:30:00.000Z", "Asia/Beirut")).toEqual([
      "2024-10-25T21:00:00.000Z", // 00:00 EEST on the 26th
      "2024-10-26T22:00:00.000Z", // 00:00 EET on the 27th
    ]);
    expect(lengthHours("daily", "2024-10-26T12:00:00.000Z", "Asia/Beirut")).toBe(25);
  });

  test("Pacific/Apia skipped 2011-12-30 entirely: the 29th runs straight into the 31st", () => {
    expect(bounds("daily", "2011-12-30T09:59:59.999Z", "Pacific/Apia")).toEqual([
      "2011-12-29T10:00:00.000Z",
      "2011-12-30T10:00:00.000Z",
    ]);
    expect(bounds("daily", "2011-12-30T10:00:00.000Z", "Pacific/Apia")).toEqual([
      "2011-12-30T10:00:00.000Z", // 2011-12-31 00:00 +14
      "2011-12-31T10:00:00.000Z",
    ]);
  });

  test("Australia/Lord_Howe falls back by half an hour: a 24.5-hour day", () => {
    expect(lengthHours("daily", "2026-04-05T12:00:00.000Z", "Australia/Lord_Howe")).toBe(24.5);
  });
});

describe("monthly windows", () => {
  test("UTC", () => {
    expect(bounds("monthly", "2026-06-15T13:45:00.000Z", "UTC")).toEqual([
      "2026-06-01T00:00:00.000Z",
      "2026-07-01T00:00:00.000Z",
    ]);
  });

  test("across the spring DST change in Berlin: 743 hours", () => {
    expect(bounds("monthly", "2026-03-15T12:00:00.000Z", "Europe/Berlin")).toEqual([
      "2026-02-28T23:00:00.000Z", // 1 March 00:00 CET
      "2026-03-31T22:00:00.000Z", // 1 April 00:00 CEST
    ]);
    expect(lengthHours("monthly", "2026-03-15T12:00:00.000Z", "Europe/Berlin")).toBe(31 * 24 - 1);
  });

  test("across the autumn DST change in New York: 721 hours", () => {
    expect(bounds("monthly", "2026-11-15T12:00:00.000Z", "America/New_York")).toEqual([
      "2026-11-01T04:00:00.000Z", // 1 November 00:00 EDT
      "2026-12-01T05:00:00.000Z", // 1 December 00:00 EST
    ]);
    expect(lengthHours("monthly", "2026-11-15T12:00:00.000Z", "America/New_York")).toBe(30 * 24 + 1);
  });

  test("January to February and leap February 2028", () => {
    expect(bounds("monthly", "2026-01-31T22:59:59.999Z", "Europe/Berlin")).toEqual([
      "2025-12-31T23:00:00.000Z",
      "2026-01-31T23:00:00.000Z",
    ]);
    expect(bounds("monthly", "2026-01-31T23:00:00.000Z", "Europe/Berlin")).toEqual([
      "2026-01-31T23:00:00.000Z",
      "2026-02-28T23:00:00.000Z",
    ]);
    expect(bounds("monthly", "2028-02-29T23:59:59.999Z", "UTC")).toEqual([
      "2028-02-01T00:00:00.000Z",
      "2028-03-01T00:00:00.000Z",
    ]);
  });

  test("December rolls into the next year, east of UTC+12", () => {
    expect(bounds("monthly", "2025-12-31T12:00:00.000Z", "Pacific/Kiritimati")).toEqual([
      "2025-12-31T10:00:00.000Z", // 1 January 2026 00:00 +14
      "2026-01-31T10:00:00.000Z",
    ]);
    expect(bounds("monthly", "2026-12-15T00:00:00.000Z", "Pacific/Auckland")).toEqual([
      "2026-11-30T11:00:00.000Z", // 1 December 00:00 NZDT
      "2026-12-31T11:00:00.000Z",
    ]);
  });

  test("starts exactly at the instant of the 1st's midnight", () => {
    expect(bounds("monthly", "2026-03-01T05:00:00.000Z", "America/New_York")[0]).toBe("2026-03-01T05:00:00.000Z");
    expect(bounds("monthly", "2026-03-01T04:59:59.999Z", "America/New_York")[0]).toBe("2026-02-01T05:00:00.000Z");
  });
});

describe("window invariants, hour by hour through a year", () => {
  const zones = [
    "UTC",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "America/Havana",
    "America/Santiago",
    "Asia/Beirut",
  ];
  test.each(zones)("%s: start <= now < resetsAt, windows abut, start is the local date's first instant", (tz) => {
    const from = Date.parse("2024-01-01T00:17:00.000Z");
    for (let t = from; t < from + 366 * 24 * HOUR; t += 7 * HOUR) {
      const now = new Date(t);
      for (const type of ["daily", "monthly"] as const) {
        const { start, resetsAt } = windowBounds(type, now, tz);
        expect(start.getTime()).toBeLessThanOrEqual(t);
        expect(resetsAt.getTime()).toBeGreaterThan(t);
        // The next window starts where this one ends.
        expect(windowBounds(type, resetsAt, tz).start.getTime()).toBe(resetsAt.getTime());
        // The instant before the start is in an earlier window.
        expect(windowBounds(type, new Date(start.getTime() - 1), tz).resetsAt.getTime()).toBe(start.getTime());
        if (type === "daily") {
          expect(localDateString(start, tz)).toBe(localDateString(now, tz));
          expect(localDateString(new Date(start.getTime() - 1), tz)).not.toBe(localDateString(now, tz));
        } else {
          expect(zonedParts(start, tz).day).toBe(1);
        }
      }
    }
  });
});

describe("formatResetTime", () => {
  const now = new Date("2026-03-29T12:00:00.000Z"); // 14:00 Berlin

  test("the next midnight is just the time and zone", () => {
    expect(formatResetTime(new Date("2026-03-29T22:00:00.000Z"), "Europe/Berlin", now)).toBe("00:00 Europe/Berlin");
  });

  test("later today is just the time", () => {
    expect(formatResetTime(new Date("2026-03-29T16:30:00.000Z"), "Europe/Berlin", now)).toBe("18:30 Europe/Berlin");
  });

  test("anything further away carries the local date", () => {
    expect(formatResetTime(new Date("2026-03-31T22:00:00.000Z"), "Europe/Berlin", now)).toBe(
      "2026-04-01 00:00 Europe/Berlin",
    );
    // Tomorrow at a later time of day than now would read as today.
    expect(formatResetTime(new Date("2026-03-30T13:00:00.000Z"), "Europe/Berlin", now)).toBe(
      "2026-03-30 15:00 Europe/Berlin",
    );
    // Exactly at midnight the next midnight is a full day away.
    expect(
      formatResetTime(new Date("2026-03-29T22:00:00.000Z"), "Europe/Berlin", new Date("2026-03-28T23:00:00.000Z")),
    ).toBe("2026-03-30 00:00 Europe/Berlin");
    // A time in the past is never shown bare.
    expect(formatResetTime(new Date("2026-03-29T10:00:00.000Z"), "Europe/Berlin", now)).toBe(
      "2026-03-29 12:00 Europe/Berlin",
    );
  });
});
