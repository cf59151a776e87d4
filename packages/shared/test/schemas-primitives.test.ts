import { describe, expect, test } from "vitest";
import {
  idempotencyKeySchema,
  instantSchema,
  modelSchema,
  providerSchema,
  subjectSchema,
  timeZoneSchema,
} from "../src/index.ts";

describe("identifier schemas", () => {
  test("providers: lower-case ids, trimmed, no separators", () => {
    for (const ok of ["openai", "anthropic", "local-demo", "ollama", "together.ai", "x_1"]) {
      expect(providerSchema.parse(ok)).toBe(ok);
    }
    expect(providerSchema.parse("  openai ")).toBe("openai");
    for (const bad of ["", "OpenAI", "open ai", "open:ai", "open/ai", "-openai", "a".repeat(65), 5, null]) {
      expect(providerSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
  });

  test("models: as providers spell them", () => {
    for (const ok of ["gpt-4o-mini", "claude-opus-4-1", "llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct", "echo"]) {
      expect(modelSchema.parse(ok)).toBe(ok);
    }
    for (const bad of ["", "-gpt", "gpt 4", "gpt\n4", "a".repeat(129), "<script>"]) {
      expect(modelSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  test("idempotency keys: 8-128 of [A-Za-z0-9_.:-], not trimmed", () => {
    expect(idempotencyKeySchema.parse("evt_2026-03-29:0001")).toBe("evt_2026-03-29:0001");
    expect(idempotencyKeySchema.parse("a".repeat(8))).toBe("a".repeat(8));
    expect(idempotencyKeySchema.parse("a".repeat(128))).toBe("a".repeat(128));
    for (const bad of ["a".repeat(7), "a".repeat(129), " abcdefgh", "abc defgh", "abcdefgh/", "ключ-ключ-ключ"]) {
      expect(idempotencyKeySchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  test("subjects", () => {
    expect(subjectSchema.parse("user:abc")).toBe("user:abc");
    expect(subjectSchema.safeParse("root").success).toBe(false);
  });

  test("time zones: IANA names, canonicalised", () => {
    expect(timeZoneSchema.parse("Europe/Berlin")).toBe("Europe/Berlin");
    expect(timeZoneSchema.parse(" europe/berlin ")).toBe("Europe/Berlin");
    for (const bad of ["", "Mars/Olympus_Mons", "+01:00", "x".repeat(65), 0]) {
      expect(timeZoneSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
  });

  test("instants: a Date or an ISO string with offset, always a Date out", () => {
    const date = new Date("2026-03-29T12:00:00.000Z");
    expect(instantSchema.parse(date)).toEqual(date);
    expect(instantSchema.parse("2026-03-29T14:00:00+02:00")).toEqual(date);
    expect(instantSchema.parse("2026-03-29T12:00:00Z")).toEqual(date);
    for (const bad of [
      new Date(Number.NaN),
      "2026-03-29",
      "2026-03-29T12:00:00",
      "yesterday",
      1_774_785_600_000,
      null,
    ]) {
      expect(instantSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
  });
});
