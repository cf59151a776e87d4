import { describe, expect, test } from "vitest";
import {
  ANONYMOUS_DAILY_MESSAGES,
  IP_DAILY_REQUEST_CAP,
  TIERS,
  isModelAllowed,
  limitApplies,
  limitKey,
  tierLimits,
  type LimitSpec,
} from "../src/index.ts";

describe("tier table", () => {
  test("anonymous: 50 requests a day and nothing else", () => {
    expect(ANONYMOUS_DAILY_MESSAGES).toBe(50);
    expect(tierLimits("anonymous")).toEqual([
      {
        window: "daily",
        scope: "general",
        requests: 50,
        tokens: null,
        costMicros: null,
      },
    ]);
  });

  test("free: exact general, provider and model limits", () => {
    expect(tierLimits("free")).toEqual<LimitSpec[]>([
      {
        window: "daily",
        scope: "general",
        requests: 500,
        tokens: 100_000,
        costMicros: 5_000_000,
      },
      {
        window: "monthly",
        scope: "general",
        requests: 5_000,
        tokens: 1_000_000,
        costMicros: 50_000_000,
      },
      {
        window: "daily",
        scope: "provider",
        provider: "openai",
        requests: 200,
        tokens: null,
        costMicros: 2_000_000,
      },
      {
        window: "daily",
        scope: "model",
        provider: "anthropic",
        model: "claude-opus-4-1",
        requests: 20,
        tokens: null,
        costMicros: null,
      },
    ]);
  });

  test("pro: exact general, provider and model limits", () => {
    expect(tierLimits("pro")).toEqual<LimitSpec[]>([
      {
        window: "daily",
        scope: "general",
        requests: 5_000,
        tokens: 1_000_000,
        costMicros: 50_000_000,
      },
      {
        window: "monthly",
        scope: "general",
        requests: 50_000,
        tokens: 10_000_000,
        costMicros: 500_000_000,
      },
      {
        window: "daily",
        scope: "provider",
        provider: "openai",
        requests: null,
        tokens: null,
        costMicros: 25_000_000,
      },
      {
        window: "daily",
        scope: "model",
        provider: "anthropic",
        model: "claude-opus-4-1",
        requests: 500,
        tokens: null,
        costMicros: null,
      },
    ]);
  });

  test("IP abuse cap", () => {
    expect(IP_DAILY_REQUEST_CAP).toBe(200);
  });

  test("every tier's name matches its key and its limit keys are unique", () => {
    for (const [name, tier] of Object.entries(TIERS)) {
      expect(tier.name).toBe(name);
      const keys = tier.limits.map(limitKey);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  test("the table is frozen all the way down", () => {
    expect(Object.isFrozen(TIERS)).toBe(true);
    expect(Object.isFrozen(TIERS.free.limits)).toBe(true);
    expect(Object.isFrozen(TIERS.free.limits[0])).toBe(true);
    expect(() => {
      (TIERS.free.limits[0] as { requests: number | null }).requests = 1;
    }).toThrow(TypeError);
  });
});

describe("limitKey", () => {
  test("one key per window, scope, provider and model", () => {
    expect(limitKey({ window: "daily", scope: "general" })).toBe("daily:general");
    expect(limitKey({ window: "monthly", scope: "provider", provider: "openai" })).toBe("monthly:provider:openai");
    expect(
      limitKey({
        window: "daily",
        scope: "model",
        provider: "openai",
        model: "gpt-4o",
      }),
    ).toBe("daily:model:openai:gpt-4o");
    expect(
      limitKey({
        window: "daily",
        scope: "model",
        provider: "ollama",
        model: "llama3.1:8b",
      }),
    ).toBe("daily:model:ollama:llama3.1:8b");
  });

  test("nulls from a database row key the same as absent fields", () => {
    expect(
      limitKey({
        window: "daily",
        scope: "general",
        provider: null,
        model: null,
      }),
    ).toBe("daily:general");
    expect(
      limitKey({
        window: "daily",
        scope: "provider",
        provider: "openai",
        model: null,
      }),
    ).toBe("daily:provider:openai");
  });

  test("refuses a scope without the identifiers it needs", () => {
    expect(() => limitKey({ window: "daily", scope: "provider" })).toThrow(RangeError);
    expect(() => limitKey({ window: "daily", scope: "model", provider: "openai" })).toThrow(RangeError);
    expect(() =>
      limitKey({
        window: "daily",
        scope: "model",
        provider: null,
        model: "gpt-4o",
      }),
    ).toThrow(RangeError);
  });
});

describe("limitApplies and isModelAllowed", () => {
  test("scopes narrow to provider and model", () => {
    const [general, , provider, model] = TIERS.free.limits;
    expect(limitApplies(general!, "anthropic", "claude-opus-4-1")).toBe(true);
    expect(limitApplies(provider!, "openai", "gpt-4o")).toBe(true);
    expect(limitApplies(provider!, "anthropic", "gpt-4o")).toBe(false);
    expect(limitApplies(model!, "anthropic", "claude-opus-4-1")).toBe(true);
    expect(limitApplies(model!, "anthropic", "claude-sonnet-4-5")).toBe(false);
    expect(limitApplies(model!, "openai", "claude-opus-4-1")).toBe(false);
  });

  test("anonymous users get the offline demo and one cheap model; signed-in tiers get all", () => {
    expect(isModelAllowed("anonymous", "local-demo", "echo")).toBe(true);
    expect(isModelAllowed("anonymous", "openai", "gpt-4o-mini")).toBe(true);
    expect(isModelAllowed("anonymous", "openai", "gpt-4o")).toBe(false);
    expect(isModelAllowed("anonymous", "anthropic", "claude-opus-4-1")).toBe(false);
    expect(isModelAllowed("free", "anthropic", "claude-opus-4-1")).toBe(true);
    expect(isModelAllowed("pro", "ollama", "llama3.1:8b")).toBe(true);
  });
});
