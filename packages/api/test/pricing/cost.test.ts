import { describe, expect, it } from "vitest";
import { costMicros, estimateCostMicros, type Price } from "../../src/pricing/index.ts";

// Seeded prices (prisma/seed.ts), micro-dollars per million tokens.
const gpt4o: Price = {
  version: "row-gpt-4o",
  provider: "openai",
  model: "gpt-4o",
  inputPerMillionMicros: 2_500_000,
  outputPerMillionMicros: 10_000_000,
  cachedInputPerMillionMicros: 1_250_000,
  contextWindow: 128_000,
  fallback: false,
};
const mini: Price = {
  ...gpt4o,
  model: "gpt-4o-mini",
  inputPerMillionMicros: 150_000,
  outputPerMillionMicros: 600_000,
  cachedInputPerMillionMicros: 75_000,
};

describe("costMicros", () => {
  it("bills cached tokens as part of the input, at the cached rate", () => {
    // (800 × 2.5 + 200 × 1.25 + 500 × 10) micro-dollars = 2000 + 250 + 5000
    expect(costMicros(gpt4o, { inputTokens: 1_000, cachedInputTokens: 200, outputTokens: 500 })).toBe(7_250);
    expect(costMicros(gpt4o, { inputTokens: 1_000, cachedInputTokens: 0, outputTokens: 500 })).toBe(7_500);
  });

  it("rounds up to the next micro-dollar", () => {
    expect(costMicros(mini, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 })).toBe(1); // 0.15
    expect(costMicros(mini, { inputTokens: 7, cachedInputTokens: 0, outputTokens: 3 })).toBe(3); // 2.85
    expect(costMicros(mini, { inputTokens: 20, cachedInputTokens: 0, outputTokens: 0 })).toBe(3); // exactly 3
    expect(costMicros(mini, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it("is exact where floating point is not", () => {
    const price = { ...gpt4o, inputPerMillionMicros: 15_000_001 };
    const usage = { inputTokens: 600_000_000_001, cachedInputTokens: 0, outputTokens: 0 };
    // 600000000001 × 15000001 / 1e6 = 9000000600015.000001; doubles lose the last millionth.
    expect(Math.ceil((usage.inputTokens * price.inputPerMillionMicros) / 1e6)).toBe(9_000_000_600_015);
    expect(costMicros(price, usage)).toBe(9_000_000_600_016);
  });

  it("never lets cached tokens exceed the input", () => {
    expect(costMicros(gpt4o, { inputTokens: 100, cachedInputTokens: 500, outputTokens: 0 })).toBe(125);
  });

  it("refuses counts and prices that are not non-negative integers", () => {
    expect(() => costMicros(gpt4o, { inputTokens: -1, cachedInputTokens: 0, outputTokens: 0 })).toThrow(RangeError);
    expect(() => costMicros(gpt4o, { inputTokens: 1.5, cachedInputTokens: 0, outputTokens: 0 })).toThrow(RangeError);
    expect(() => costMicros(gpt4o, { inputTokens: 1, cachedInputTokens: 0, outputTokens: Number.NaN })).toThrow(
      RangeError,
    );
    expect(() =>
      costMicros({ ...gpt4o, outputPerMillionMicros: 0.5 }, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }),
    ).toThrow(RangeError);
  });
});

describe("estimateCostMicros", () => {
  it("prices the whole prompt at the full input rate plus the whole output budget", () => {
    expect(estimateCostMicros(gpt4o, 1_000, 500)).toBe(7_500);
    expect(estimateCostMicros(mini, 7, 3)).toBe(3);
  });

  it("is an upper bound of every usage within the prompt and the budget", () => {
    const estimate = estimateCostMicros(gpt4o, 1_234, 321);
    for (const [input, cached, output] of [
      [1_234, 0, 321],
      [1_234, 1_234, 321],
      [1_000, 17, 1],
      [0, 0, 0],
    ] as const) {
      expect(
        costMicros(gpt4o, { inputTokens: input, cachedInputTokens: cached, outputTokens: output }),
      ).toBeLessThanOrEqual(estimate);
    }
    // Even with a cached rate above the input rate (a provider charging for cache writes).
    const odd = { ...gpt4o, cachedInputPerMillionMicros: 3_000_000 };
    expect(costMicros(odd, { inputTokens: 1_234, cachedInputTokens: 1_234, outputTokens: 321 })).toBeLessThanOrEqual(
      estimateCostMicros(odd, 1_234, 321),
    );
  });
});
