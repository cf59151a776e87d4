import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localDateString, windowBounds, zonedParts, type WindowType } from "@wavelength/shared";
import { windowsFor } from "../../src/metering/index.ts";
import { FUZZ_SEED, instantIn, runs, ZONES } from "./support/arbitraries.ts";

/**
 * Window maths under random instants and zones. Each property is one promise
 * the quota engine relies on: a window always contains `now` and resets after
 * it; consecutive windows tile time with no gap and no overlap; windows only
 * move forward as time does, across every DST change; the engine's per-zone
 * cache (windowsFor) never hands out a stale window.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The product meters the present; every property is also run on this span.
const PRESENT = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2045, 0, 1) };
// Historic offsets (local mean time, date-line moves, wartime DST) are where window code breaks.
const HISTORIC = { min: Date.UTC(1880, 0, 1), max: Date.UTC(2100, 0, 1) };

const windowType = fc.constantFrom<WindowType>("daily", "monthly");
const anyZone = fc.constantFrom(...Intl.supportedValuesOf("timeZone"), "UTC");
const dstZone = fc.constantFrom(...ZONES);

const params = (numRuns: number) => ({ numRuns: runs(numRuns), seed: FUZZ_SEED });

describe.each([
  ["the present (2000-2045)", PRESENT, 2_000],
  ["historic and future offsets (1880-2100)", HISTORIC, 1_000],
] as const)("window maths in %s", (_label, range, n) => {
  it("contains now, and resets strictly after now", () => {
    fc.assert(
      fc.property(windowType, anyZone, instantIn(range), (type, zone, t) => {
        const w = windowBounds(type, new Date(t), zone);
        expect(w.start.getTime()).toBeLessThanOrEqual(t);
        expect(w.resetsAt.getTime()).toBeGreaterThan(t);
      }),
      params(n),
    );
  });

  it("tiles time: the next window starts exactly at the reset, the previous one ends at the start", () => {
    fc.assert(
      fc.property(windowType, anyZone, instantIn(range), (type, zone, t) => {
        const w = windowBounds(type, new Date(t), zone);
        expect(windowBounds(type, w.resetsAt, zone).start).toEqual(w.resetsAt);
        expect(windowBounds(type, new Date(w.start.getTime() - 1), zone).resetsAt).toEqual(w.start);
      }),
      params(n),
    );
  });

  it("is monotonic: a later instant never gets an earlier window", () => {
    fc.assert(
      fc.property(windowType, anyZone, instantIn(range), fc.integer({ min: 0, max: 40 * DAY }), (type, zone, t, dt) => {
        const a = windowBounds(type, new Date(t), zone);
        const b = windowBounds(type, new Date(t + dt), zone);
        expect(b.start.getTime()).toBeGreaterThanOrEqual(a.start.getTime());
        expect(b.resetsAt.getTime()).toBeGreaterThanOrEqual(a.resetsAt.getTime());
        // Either the same window or a later one that starts no earlier than this one ends.
        if (b.start.getTime() !== a.start.getTime())
          expect(b.start.getTime()).toBeGreaterThanOrEqual(a.resetsAt.getTime());
      }),
      params(n),
    );
  });

  it("starts where the local date changes (a monthly window on the 1st)", () => {
    fc.assert(
      fc.property(windowType, anyZone, instantIn(range), (type, zone, t) => {
        const w = windowBounds(type, new Date(t), zone);
        const before = localDateString(new Date(w.start.getTime() - 1), zone);
        const at = localDateString(w.start, zone);
        expect(before < at, `${before} -> ${at}`).toBe(true);
        if (type === "monthly") expect(zonedParts(w.start, zone).day).toBe(1);
      }),
      params(n),
    );
  });
});

describe("window maths across DST", () => {
  it("walks a year of daily windows in DST zones: each 23 to 25 hours, strictly increasing", () => {
    fc.assert(
      fc.property(dstZone, instantIn(PRESENT), (zone, t) => {
        let w = windowBounds("daily", new Date(t), zone);
        for (let i = 0; i < 370; i++) {
          const next = windowBounds("daily", w.resetsAt, zone);
          expect(next.start).toEqual(w.resetsAt);
          const hours = (next.resetsAt.getTime() - next.start.getTime()) / HOUR;
          expect(hours, `${zone} ${next.start.toISOString()}`).toBeGreaterThanOrEqual(23);
          expect(hours, `${zone} ${next.start.toISOString()}`).toBeLessThanOrEqual(25);
          w = next;
        }
      }),
      params(15),
    );
  });

  it("gives the same window to every instant of a DST-change day, fall-back hour included", () => {
    fc.assert(
      fc.property(dstZone, instantIn(PRESENT), fc.integer({ min: 0, max: 25 * HOUR }), (zone, t, step) => {
        const w = windowBounds("daily", new Date(t), zone);
        const inside = w.start.getTime() + (step % (w.resetsAt.getTime() - w.start.getTime()));
        expect(windowBounds("daily", new Date(inside), zone)).toEqual(w);
      }),
      params(1_000),
    );
  });
});

describe("the engine's cached windows (windowsFor)", () => {
  it("always equal freshly computed windows, whatever order zones and instants come in", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.oneof(dstZone, anyZone), instantIn(PRESENT), fc.integer({ min: -2 * DAY, max: 2 * DAY })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (calls) => {
          for (const [zone, t, jitter] of calls) {
            for (const at of [t, t + jitter]) {
              const now = new Date(at);
              const w = windowsFor({ key: "user:fuzz", timeZone: zone }, now);
              expect(w.daily).toEqual(windowBounds("daily", now, zone));
              expect(w.monthly).toEqual(windowBounds("monthly", now, zone));
            }
          }
        },
      ),
      params(300),
    );
  });
});
