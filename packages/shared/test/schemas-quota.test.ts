import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { quotaLimitsInput, quotaResetInput, quotaSetInput } from "../src/index.ts";
import { BAD_NUMBERS, expectRefused, expectUnknownFieldRefused } from "./schema-helpers.ts";

const NOW = new Date("2026-03-29T12:00:00.000Z");
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("quotaLimitsInput", () => {
  test("optional subject", () => {
    expect(quotaLimitsInput.parse(undefined)).toBeUndefined();
    expect(quotaLimitsInput.parse({})).toEqual({});
    expect(quotaLimitsInput.parse({ subject: "user:u_1" })).toEqual({
      subject: "user:u_1",
    });
    expectRefused(quotaLimitsInput, { subject: "everyone" }, "subject");
    expectRefused(quotaLimitsInput, { subject: 5 }, "subject");
    expectUnknownFieldRefused(quotaLimitsInput, { subject: "user:u_1", all: true }, "", "all");
  });
});

describe("quotaSetInput", () => {
  const override = (o: Record<string, unknown> = {}) => ({
    window: "daily",
    scope: "general",
    requests: 1_000,
    tokens: null,
    costMicros: 10_000_000,
    ...o,
  });

  test("a tier change, an override, or both", () => {
    expect(quotaSetInput.parse({ userId: "u_1", tier: "pro" })).toEqual({
      userId: "u_1",
      tier: "pro",
    });
    const withOverride = quotaSetInput.parse({
      userId: "u_1",
      override: override({
        scope: "model",
        provider: "anthropic",
        model: "claude-opus-4-1",
        expiresAt: "2026-04-01T00:00:00Z",
      }),
    });
    expect(withOverride.override?.expiresAt).toEqual(new Date("2026-04-01T00:00:00.000Z"));
    expectRefused(quotaSetInput, { userId: "u_1" }, "tier", "tier, an override");
  });

  test("anonymous is not a tier an admin grants", () => {
    expectRefused(quotaSetInput, { userId: "u_1", tier: "anonymous" }, "tier");
  });

  test("userId is required and well formed", () => {
    expectRefused(quotaSetInput, { tier: "pro" }, "userId");
    expectRefused(quotaSetInput, { userId: "", tier: "pro" }, "userId");
    expectRefused(quotaSetInput, { userId: "u 1", tier: "pro" }, "userId");
    expectRefused(quotaSetInput, { userId: "u".repeat(129), tier: "pro" }, "userId");
  });

  test("scope decides which of provider and model are present", () => {
    const set = (o: Record<string, unknown>) => ({
      userId: "u_1",
      override: override(o),
    });
    expect(quotaSetInput.safeParse(set({ scope: "provider", provider: "openai" })).success).toBe(true);
    expectRefused(quotaSetInput, set({ scope: "general", provider: "openai" }), "override.provider", "general");
    expectRefused(quotaSetInput, set({ scope: "general", model: "gpt-4o" }), "override.model");
    expectRefused(quotaSetInput, set({ scope: "provider" }), "override.provider", "needs a provider");
    expectRefused(quotaSetInput, set({ scope: "provider", provider: "openai", model: "gpt-4o" }), "override.model");
    expectRefused(quotaSetInput, set({ scope: "model", provider: "openai" }), "override.model", "needs a model");
    expectRefused(quotaSetInput, set({ scope: "model", model: "gpt-4o" }), "override.provider");
  });

  test("limit values: non-negative integers or null, all three required", () => {
    for (const field of ["requests", "tokens", "costMicros"]) {
      for (const bad of BAD_NUMBERS.filter((b) => b !== null)) {
        expectRefused(quotaSetInput, { userId: "u_1", override: override({ [field]: bad }) }, `override.${field}`);
      }
      expectRefused(quotaSetInput, { userId: "u_1", override: override({ [field]: 1e12 + 1 }) }, `override.${field}`);
      expectRefused(quotaSetInput, { userId: "u_1", override: override({ [field]: undefined }) }, `override.${field}`);
      expect(
        quotaSetInput.safeParse({
          userId: "u_1",
          override: override({ [field]: null }),
        }).success,
      ).toBe(true);
      expect(
        quotaSetInput.safeParse({
          userId: "u_1",
          override: override({ [field]: 0 }),
        }).success,
      ).toBe(true);
    }
  });

  test("expiresAt must lie ahead", () => {
    expectRefused(
      quotaSetInput,
      { userId: "u_1", override: override({ expiresAt: NOW }) },
      "override.expiresAt",
      "future",
    );
    expectRefused(
      quotaSetInput,
      {
        userId: "u_1",
        override: override({ expiresAt: "2026-03-01T00:00:00Z" }),
      },
      "override.expiresAt",
    );
    expectRefused(quotaSetInput, { userId: "u_1", override: override({ expiresAt: "soon" }) }, "override.expiresAt");
  });

  test("window and scope are closed sets", () => {
    expectRefused(quotaSetInput, { userId: "u_1", override: override({ window: "weekly" }) }, "override.window");
    expectRefused(quotaSetInput, { userId: "u_1", override: override({ scope: "global" }) }, "override.scope");
  });

  test("refuses unknown fields at both levels", () => {
    expectUnknownFieldRefused(quotaSetInput, { userId: "u_1", tier: "pro", role: "admin" }, "", "role");
    expectUnknownFieldRefused(quotaSetInput, { userId: "u_1", override: override({ used: 0 }) }, "override", "used");
  });
});

describe("quotaResetInput", () => {
  test("a user and an optional window", () => {
    expect(quotaResetInput.parse({ userId: "u_1" })).toEqual({ userId: "u_1" });
    expect(quotaResetInput.parse({ userId: " u_1 ", window: "monthly" })).toEqual({ userId: "u_1", window: "monthly" });
    expectRefused(quotaResetInput, { userId: "u_1", window: "weekly" }, "window");
    expectRefused(quotaResetInput, {}, "userId");
    expectUnknownFieldRefused(quotaResetInput, { userId: "u_1", everyone: true }, "", "everyone");
  });
});
