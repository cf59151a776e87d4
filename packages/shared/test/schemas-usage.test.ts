import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { usageCheckInput, usageInitInput, usageStatusInput, usageSyncInput } from "../src/index.ts";
import { BAD_NUMBERS, expectRefused, expectUnknownFieldRefused } from "./schema-helpers.ts";

describe("usageCheckInput", () => {
  const valid = {
    provider: "openai",
    model: "gpt-4o-mini",
    estimatedTokens: 1_200,
    estimatedCostMicros: 900,
  };

  test("accepts a full and a minimal check", () => {
    expect(usageCheckInput.parse(valid)).toEqual(valid);
    expect(usageCheckInput.parse({ provider: "local-demo", model: "echo" })).toEqual({
      provider: "local-demo",
      model: "echo",
    });
  });

  test("refuses bad numbers with the field path", () => {
    for (const field of ["estimatedTokens", "estimatedCostMicros"] as const) {
      for (const bad of BAD_NUMBERS) expectRefused(usageCheckInput, { ...valid, [field]: bad }, field);
    }
  });

  test("refuses oversized values", () => {
    expect(usageCheckInput.safeParse({ ...valid, estimatedTokens: 10_000_000 }).success).toBe(true);
    expectRefused(usageCheckInput, { ...valid, estimatedTokens: 10_000_001 }, "estimatedTokens");
    expect(usageCheckInput.safeParse({ ...valid, estimatedCostMicros: 1e12 }).success).toBe(true);
    expectRefused(usageCheckInput, { ...valid, estimatedCostMicros: 1e12 + 1 }, "estimatedCostMicros");
    expectRefused(usageCheckInput, { ...valid, model: "m".repeat(129) }, "model");
  });

  test("refuses missing and malformed identifiers", () => {
    expectRefused(usageCheckInput, { model: "gpt-4o" }, "provider");
    expectRefused(usageCheckInput, { ...valid, provider: "Open AI" }, "provider");
    expectRefused(usageCheckInput, { ...valid, model: "" }, "model");
  });

  test("refuses unknown fields", () => {
    expectUnknownFieldRefused(usageCheckInput, { ...valid, userId: "someone-else" }, "", "userId");
  });
});

describe("usageStatusInput and usageInitInput", () => {
  test("status takes nothing or an empty object", () => {
    expect(usageStatusInput.parse(undefined)).toBeUndefined();
    expect(usageStatusInput.parse({})).toEqual({});
    expectUnknownFieldRefused(usageStatusInput, { tier: "pro" }, "", "tier");
  });

  test("init takes an optional tier", () => {
    expect(usageInitInput.parse({})).toEqual({});
    expect(usageInitInput.parse({ tier: "pro" })).toEqual({ tier: "pro" });
    expectRefused(usageInitInput, { tier: "enterprise" }, "tier");
    expectUnknownFieldRefused(usageInitInput, { tier: "free", limit: 1e9 }, "", "limit");
  });
});

/** Sync is a service call naming the subject it reports for. */
const SUBJECT = "user:u1";

describe("usageSyncInput", () => {
  const NOW = new Date("2026-03-29T12:00:00.000Z");
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const record = (overrides: Record<string, unknown> = {}) => ({
    idempotencyKey: "evt_00000001",
    provider: "anthropic",
    model: "claude-opus-4-1",
    inputTokens: 1_000,
    outputTokens: 250,
    cachedInputTokens: 400,
    costMicros: 33_750,
    occurredAt: new Date("2026-03-29T11:59:00.000Z"),
    ...overrides,
  });

  test("accepts a batch; ISO strings become Dates", () => {
    const parsed = usageSyncInput.parse({
      subject: SUBJECT,
      records: [
        record(),
        record({
          idempotencyKey: "evt_00000002",
          occurredAt: "2026-03-01T08:00:00+01:00",
        }),
      ],
    });
    expect(parsed.records).toHaveLength(2);
    expect(parsed.records[1]?.occurredAt).toEqual(new Date("2026-03-01T07:00:00.000Z"));
  });

  test("batch size is 1..100", () => {
    expectRefused(usageSyncInput, { subject: SUBJECT, records: [] }, "records");
    const many = Array.from({ length: 101 }, (_, i) => record({ idempotencyKey: `evt_${String(i).padStart(8, "0")}` }));
    expectRefused(usageSyncInput, { subject: SUBJECT, records: many }, "records");
    expect(usageSyncInput.safeParse({ subject: SUBJECT, records: many.slice(0, 100) }).success).toBe(true);
    expectRefused(usageSyncInput, { subject: SUBJECT }, "records");
    expectRefused(usageSyncInput, { records: [record()] }, "subject");
    expectRefused(usageSyncInput, { subject: "ip:abc", records: [record()] }, "subject");
  });

  test("refuses bad numbers on every count with the record's path", () => {
    for (const field of ["inputTokens", "outputTokens", "cachedInputTokens", "costMicros"]) {
      for (const bad of BAD_NUMBERS) {
        expectRefused(
          usageSyncInput,
          {
            subject: SUBJECT,
            records: [record(), record({ idempotencyKey: "evt_00000002", [field]: bad })],
          },
          `records.1.${field}`,
        );
      }
    }
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ inputTokens: 10_000_001 })] },
      "records.0.inputTokens",
    );
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ costMicros: 1e12 + 1 })] },
      "records.0.costMicros",
    );
  });

  test("cached tokens are part of input tokens", () => {
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ inputTokens: 100, cachedInputTokens: 101 })] },
      "records.0.cachedInputTokens",
      "cannot exceed",
    );
  });

  test("occurredAt: at most 5 minutes ahead, at most 35 days old", () => {
    const at = (iso: string) => ({
      subject: SUBJECT,
      records: [record({ occurredAt: new Date(iso) })],
    });
    expect(usageSyncInput.safeParse(at("2026-03-29T12:05:00.000Z")).success).toBe(true);
    expectRefused(usageSyncInput, at("2026-03-29T12:05:00.001Z"), "records.0.occurredAt", "future");
    expect(usageSyncInput.safeParse(at("2026-02-22T12:00:00.000Z")).success).toBe(true); // exactly 35 days
    expectRefused(usageSyncInput, at("2026-02-22T11:59:59.999Z"), "records.0.occurredAt", "35 days");
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ occurredAt: new Date(Number.NaN) })] },
      "records.0.occurredAt",
    );
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ occurredAt: "2026-03-29" })] },
      "records.0.occurredAt",
    );
  });

  test("idempotency keys: well formed and unique within the batch", () => {
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ idempotencyKey: "short" })] },
      "records.0.idempotencyKey",
    );
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ idempotencyKey: "k".repeat(129) })] },
      "records.0.idempotencyKey",
    );
    expectRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record(), record()] },
      "records.1.idempotencyKey",
      "Duplicate",
    );
  });

  test("refuses unknown fields in the batch and in a record", () => {
    expectUnknownFieldRefused(usageSyncInput, { subject: SUBJECT, records: [record()], force: true }, "", "force");
    expectUnknownFieldRefused(
      usageSyncInput,
      { subject: SUBJECT, records: [record({ subject: "user:x" })] },
      "records.0",
      "subject",
    );
  });
});
