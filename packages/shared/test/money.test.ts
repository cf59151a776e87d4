import { describe, expect, test } from "vitest";
import { MICROS_PER_DOLLAR, dollarsToMicros, formatMicros } from "../src/index.ts";

describe("dollarsToMicros", () => {
  test("converts to integers without float residue", () => {
    expect(MICROS_PER_DOLLAR).toBe(1_000_000);
    expect(dollarsToMicros(5)).toBe(5_000_000);
    expect(dollarsToMicros(0.1)).toBe(100_000);
    expect(dollarsToMicros(0.0012)).toBe(1_200);
    expect(dollarsToMicros(1.005)).toBe(1_005_000);
    expect(dollarsToMicros(0.0000004)).toBe(0);
    expect(dollarsToMicros(0.0000005)).toBe(1);
    expect(dollarsToMicros(-2.5)).toBe(-2_500_000);
    expect(Object.is(dollarsToMicros(-0.0000001), 0)).toBe(true);
  });

  test("refuses non-finite and unsafe amounts", () => {
    expect(() => dollarsToMicros(Number.NaN)).toThrow(RangeError);
    expect(() => dollarsToMicros(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => dollarsToMicros(1e12)).toThrow(RangeError);
  });
});

describe("formatMicros", () => {
  test("cents and above", () => {
    expect(formatMicros(0)).toBe("$0.00");
    expect(formatMicros(5_000_000)).toBe("$5.00");
    expect(formatMicros(50_000_000)).toBe("$50.00");
    expect(formatMicros(10_000)).toBe("$0.01");
    expect(formatMicros(12_345)).toBe("$0.01");
    expect(formatMicros(15_000)).toBe("$0.02");
    expect(formatMicros(1_234_567_890)).toBe("$1,234.57");
    expect(formatMicros(500_000_000)).toBe("$500.00");
  });

  test("below a cent keeps the significant digits", () => {
    expect(formatMicros(1_200)).toBe("$0.0012");
    expect(formatMicros(1)).toBe("$0.000001");
    expect(formatMicros(9_999)).toBe("$0.009999");
    expect(formatMicros(5_000)).toBe("$0.005");
  });

  test("negatives and bad input", () => {
    expect(formatMicros(-250_000)).toBe("-$0.25");
    expect(formatMicros(-1_200)).toBe("-$0.0012");
    expect(() => formatMicros(Number.NaN)).toThrow(RangeError);
  });
});
