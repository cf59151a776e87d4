import { describe, expect, test } from "vitest";
import {
  THRESHOLDS,
  alertsFor,
  bindingLimit,
  describeDenial,
  healthFor,
  overallHealth,
  percentUsed,
  remainingOf,
  thresholdReached,
  type QuotaDenial,
  type QuotaDimensionStatus,
} from "../src/index.ts";

function status(overrides: Partial<QuotaDimensionStatus>): QuotaDimensionStatus {
  const used = overrides.used ?? 0;
  const limit = overrides.limit === undefined ? 100 : overrides.limit;
  return {
    window: "daily",
    scope: "general",
    provider: null,
    model: null,
    dimension: "requests",
    used,
    reserved: 0,
    limit,
    remaining: remainingOf(used, limit),
    percent: percentUsed(used, limit),
    resetsAt: new Date("2026-03-29T22:00:00.000Z"),
    source: "tier",
    overrideExpiresAt: null,
    ...overrides,
  };
}

describe("percentUsed", () => {
  test("null limit is unlimited: 0 %", () => {
    expect(percentUsed(0, null)).toBe(0);
    expect(percentUsed(1_000_000, null)).toBe(0);
  });

  test("zero limit admits nothing: 100 % from the start", () => {
    expect(percentUsed(0, 0)).toBe(100);
    expect(percentUsed(5, 0)).toBe(100);
  });

  test("one decimal, truncated so a threshold is never claimed early", () => {
    expect(percentUsed(1, 3)).toBe(33.3);
    expect(percentUsed(2, 3)).toBe(66.6);
    expect(percentUsed(9_996, 10_000)).toBe(99.9);
    expect(percentUsed(29, 100)).toBe(29);
    expect(percentUsed(57, 100)).toBe(57);
    expect(percentUsed(50, 50)).toBe(100);
    expect(percentUsed(0, 500)).toBe(0);
  });

  test("may exceed 100", () => {
    expect(percentUsed(150, 100)).toBe(150);
    expect(percentUsed(5_000_001, 5_000_000)).toBe(100);
    expect(percentUsed(5_500_000, 5_000_000)).toBe(110);
  });

  test("negative usage counts as none", () => {
    expect(percentUsed(-5, 100)).toBe(0);
  });
});

describe("remainingOf", () => {
  test("never negative, null when unlimited", () => {
    expect(remainingOf(30, 50)).toBe(20);
    expect(remainingOf(60, 50)).toBe(0);
    expect(remainingOf(60, null)).toBeNull();
  });
});

describe("thresholds and health", () => {
  test("the alert thresholds", () => {
    expect(THRESHOLDS).toEqual([50, 80, 95, 100]);
  });

  test("thresholdReached is the highest threshold at or below", () => {
    expect(thresholdReached(0)).toBeNull();
    expect(thresholdReached(49.9)).toBeNull();
    expect(thresholdReached(50)).toBe(50);
    expect(thresholdReached(79.9)).toBe(50);
    expect(thresholdReached(80)).toBe(80);
    expect(thresholdReached(94.9)).toBe(80);
    expect(thresholdReached(95)).toBe(95);
    expect(thresholdReached(99.9)).toBe(95);
    expect(thresholdReached(100)).toBe(100);
    expect(thresholdReached(250)).toBe(100);
  });

  test("healthFor boundaries", () => {
    expect(healthFor(0)).toBe("ok");
    expect(healthFor(79.9)).toBe("ok");
    expect(healthFor(80)).toBe("warning");
    expect(healthFor(94.9)).toBe("warning");
    expect(healthFor(95)).toBe("critical");
    expect(healthFor(99.9)).toBe("critical");
    expect(healthFor(100)).toBe("exceeded");
    expect(healthFor(130)).toBe("exceeded");
  });
});

describe("bindingLimit and overallHealth", () => {
  test("nothing limited: no binding limit, health ok", () => {
    expect(bindingLimit([])).toBeNull();
    const unlimited = [status({ limit: null, used: 1e9 }), status({ dimension: "tokens", limit: null })];
    expect(bindingLimit(unlimited)).toBeNull();
    expect(overallHealth(unlimited)).toBe("ok");
  });

  test("the highest share used binds, whatever the dimension", () => {
    const requests = status({ used: 40, limit: 500 });
    const cost = status({
      dimension: "costMicros",
      used: 4_800_000,
      limit: 5_000_000,
    });
    const tokens = status({
      dimension: "tokens",
      used: 90_000,
      limit: 100_000,
    });
    expect(bindingLimit([requests, cost, tokens])).toBe(cost);
    expect(overallHealth([requests, cost, tokens])).toBe("critical");
  });

  test("compares exact shares, not the truncated percent", () => {
    const a = status({ used: 99_960, limit: 100_000 }); // 99.96 %, shown 99.9
    const b = status({ used: 999, limit: 1_000 }); // 99.9 %
    expect(a.percent).toBe(b.percent);
    expect(bindingLimit([b, a])).toBe(a);
  });

  test("a zero limit binds before any finite share, and is exceeded", () => {
    const over = status({ used: 300, limit: 100 });
    const zero = status({
      scope: "model",
      provider: "anthropic",
      model: "claude-opus-4-1",
      used: 0,
      limit: 0,
    });
    expect(bindingLimit([over, zero])).toBe(zero);
    expect(overallHealth([zero])).toBe("exceeded");
  });

  test("ties go to the later reset, since the user waits for it", () => {
    const daily = status({ used: 50, limit: 50 });
    const monthly = status({
      window: "monthly",
      used: 5_000,
      limit: 5_000,
      resetsAt: new Date("2026-03-31T22:00:00.000Z"),
    });
    expect(bindingLimit([daily, monthly])).toBe(monthly);
    expect(bindingLimit([monthly, daily])).toBe(monthly);
  });

  test("full ties keep input order", () => {
    const first = status({ used: 10, limit: 100 });
    const second = status({ dimension: "tokens", used: 1_000, limit: 10_000 });
    expect(bindingLimit([first, second])).toBe(first);
  });

  test("unlimited rows never bind even with huge usage", () => {
    const unlimited = status({ dimension: "tokens", used: 1e12, limit: null });
    const limited = status({ used: 1, limit: 100 });
    expect(bindingLimit([unlimited, limited])).toBe(limited);
    expect(overallHealth([unlimited, limited])).toBe("ok");
  });

  test("health follows the worst row at each boundary", () => {
    expect(overallHealth([status({ used: 79, limit: 100 })])).toBe("ok");
    expect(overallHealth([status({ used: 80, limit: 100 })])).toBe("warning");
    expect(overallHealth([status({ used: 95, limit: 100 })])).toBe("critical");
    expect(overallHealth([status({ used: 100, limit: 100 })])).toBe("exceeded");
    expect(overallHealth([status({ used: 9_999, limit: 10_000 })])).toBe("critical");
  });
});

describe("alertsFor", () => {
  test("lists limited rows past a threshold, most used first", () => {
    const alerts = alertsFor([
      status({ used: 10, limit: 100 }),
      status({ dimension: "tokens", used: 85_000, limit: 100_000 }),
      status({ dimension: "costMicros", used: 5_000_000, limit: 5_000_000 }),
      status({ window: "monthly", used: 2_600, limit: 5_000 }),
      status({ dimension: "tokens", used: 1e9, limit: null }),
    ]);
    expect(alerts.map((a) => [a.window, a.dimension, a.threshold, a.percent])).toEqual([
      ["daily", "costMicros", 100, 100],
      ["daily", "tokens", 80, 85],
      ["monthly", "requests", 50, 52],
    ]);
  });
});

describe("describeDenial", () => {
  const now = new Date("2026-03-29T12:00:00.000Z"); // 14:00 in Berlin
  const tonight = new Date("2026-03-29T22:00:00.000Z"); // 00:00 Berlin, after the spring-forward day

  function denial(overrides: Partial<QuotaDenial>): QuotaDenial {
    return {
      scope: "general",
      provider: null,
      model: null,
      window: "daily",
      dimension: "requests",
      used: 50,
      limit: 50,
      remaining: 0,
      resetsAt: tonight,
      ...overrides,
    };
  }

  test("the anonymous daily limit", () => {
    expect(describeDenial(denial({}), "Europe/Berlin", now)).toBe(
      "Daily request limit reached (50 of 50). Resets at 00:00 Europe/Berlin.",
    );
  });

  test("a provider cost limit, formatted as money", () => {
    const d = denial({
      scope: "provider",
      provider: "openai",
      dimension: "costMicros",
      used: 2_000_000,
      limit: 2_000_000,
    });
    expect(describeDenial(d, "Europe/Berlin", now)).toBe(
      "Daily openai cost limit reached ($2.00 of $2.00). Resets at 00:00 Europe/Berlin.",
    );
  });

  test("a monthly model token limit the request would overshoot, with its date", () => {
    const d = denial({
      scope: "model",
      provider: "anthropic",
      model: "claude-opus-4-1",
      window: "monthly",
      dimension: "tokens",
      used: 990_000,
      limit: 1_000_000,
      remaining: 10_000,
      resetsAt: new Date("2026-03-31T22:00:00.000Z"),
    });
    expect(describeDenial(d, "Europe/Berlin", now)).toBe(
      "Monthly token limit for anthropic/claude-opus-4-1 would be exceeded (990,000 of 1,000,000 used, 10,000 left). " +
        "Resets at 2026-04-01 00:00 Europe/Berlin.",
    );
  });

  test("resets are shown in the subject's zone, not the host's", () => {
    const d = denial({ resetsAt: new Date("2026-03-09T04:00:00.000Z") });
    expect(describeDenial(d, "America/New_York", new Date("2026-03-08T20:00:00.000Z"))).toBe(
      "Daily request limit reached (50 of 50). Resets at 00:00 America/New_York.",
    );
    expect(describeDenial(d, "UTC", new Date("2026-03-08T20:00:00.000Z"))).toBe(
      "Daily request limit reached (50 of 50). Resets at 04:00 UTC.",
    );
  });
});
