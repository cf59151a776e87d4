import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../src/index.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";

const ok = {
  check: { provider: "openai", model: "gpt-4o-mini", estimatedTokens: 10, estimatedCostMicros: 10 },
  reserve: {
    provider: "openai",
    model: "gpt-4o-mini",
    estimatedTokens: 10,
    estimatedCostMicros: 10,
    idempotencyKey: "valid-key-1",
  },
  record: {
    idempotencyKey: "valid-key-2",
    provider: "openai",
    model: "gpt-4o-mini",
    inputTokens: 1,
    outputTokens: 1,
    occurredAt: new Date(),
  },
};

/**
 * Every procedure that takes input, with inputs it must refuse: malformed,
 * negative, NaN, infinite, oversized, and with unknown fields. Each must come
 * back BAD_REQUEST naming the field, and change nothing.
 */
const BAD: Record<string, { input: unknown; field: string }[]> = {
  "chat.rename": [
    { input: { conversationId: "c1", title: "" }, field: "title" },
    { input: { conversationId: "c1", title: "t".repeat(500) }, field: "title" },
  ],
  "chat.delete": [{ input: { conversationId: "" }, field: "conversationId" }],
  "admin.users": [
    { input: { limit: 0 }, field: "limit" },
    { input: { search: "x".repeat(300) }, field: "search" },
  ],
  "admin.overview": [
    { input: { from: new Date("2026-01-02"), to: new Date("2026-01-01") }, field: "to" },
    { input: { from: new Date("2025-01-01"), to: new Date("2026-06-01") }, field: "to" },
    { input: { from: new Date("2026-01-01") }, field: "to" },
    { input: { from: "yesterday", to: "today" }, field: "from" },
    { input: { subject: "user:x" }, field: "(input)" },
  ],
  "chat.send": [
    { input: { provider: "local-demo", model: "demo-1", content: "" }, field: "content" },
    { input: { provider: "local-demo", model: "demo-1", content: "x".repeat(40_000) }, field: "content" },
    { input: { provider: "local-demo", model: "demo-1", content: "hi", maxOutputTokens: 0 }, field: "maxOutputTokens" },
    {
      input: { provider: "local-demo", model: "demo-1", content: "hi", maxOutputTokens: 1.5 },
      field: "maxOutputTokens",
    },
    {
      input: { provider: "local-demo", model: "demo-1", content: "hi", conversationId: "../etc" },
      field: "conversationId",
    },
    { input: { provider: "local-demo", model: "demo-1", content: "hi", subject: "user:x" }, field: "(input)" },
  ],
  "chat.task": [
    { input: { taskId: "" }, field: "taskId" },
    { input: { taskId: "t1", cursor: -1 }, field: "cursor" },
    { input: { taskId: "t1", cursor: 1.5 }, field: "cursor" },
  ],
  "chat.runningReply": [{ input: { conversationId: "../etc" }, field: "conversationId" }],
  "chat.cancel": [{ input: { taskId: "a b" }, field: "taskId" }],
  "chat.messages": [
    { input: { conversationId: "c1", limit: 0 }, field: "limit" },
    { input: { conversationId: "c1", limit: 10_000 }, field: "limit" },
  ],
  "auth.signUp": [
    { input: { email: "not-an-email", password: "long enough 123" }, field: "email" },
    { input: { email: "a@b.example", password: "" }, field: "password" },
    { input: { email: "a@b.example", password: "p".repeat(10_240) }, field: "password" },
    { input: { email: "a@b.example", password: "long enough 123", timezone: "Mars/Base" }, field: "timezone" },
    { input: { email: "a@b.example", password: "long enough 123", tier: "pro" }, field: "(input)" },
  ],
  "auth.signIn": [
    { input: { email: "", password: "x" }, field: "email" },
    { input: { email: "a@b.example", password: "" }, field: "password" },
    { input: { email: "a@b.example", password: "x".repeat(10_240) }, field: "password" },
  ],
  "usage.check": [
    { input: { ...ok.check, estimatedTokens: -1 }, field: "estimatedTokens" },
    { input: { ...ok.check, estimatedTokens: Number.NaN }, field: "estimatedTokens" },
    { input: { ...ok.check, estimatedTokens: Number.POSITIVE_INFINITY }, field: "estimatedTokens" },
    { input: { ...ok.check, estimatedTokens: 1e12 }, field: "estimatedTokens" },
    { input: { ...ok.check, estimatedCostMicros: 0.5 }, field: "estimatedCostMicros" },
    { input: { ...ok.check, provider: "" }, field: "provider" },
    { input: { ...ok.check, model: "x".repeat(300) }, field: "model" },
    { input: { ...ok.check, admin: true }, field: "(input)" },
    { input: "openai", field: "(input)" },
  ],
  "usage.reserve": [
    { input: { ...ok.reserve, idempotencyKey: "short" }, field: "idempotencyKey" },
    { input: { ...ok.reserve, idempotencyKey: "bad key with spaces" }, field: "idempotencyKey" },
    { input: { ...ok.reserve, estimatedTokens: -5 }, field: "estimatedTokens" },
    { input: { ...ok.reserve, estimatedCostMicros: undefined }, field: "estimatedCostMicros" },
    { input: { ...ok.reserve, subject: "user:someone-else" }, field: "(input)" },
  ],
  "usage.release": [
    { input: { idempotencyKey: "" }, field: "idempotencyKey" },
    { input: { idempotencyKey: "valid-key-1", extra: 1 }, field: "(input)" },
  ],
  "usage.init": [{ input: { tier: "platinum" }, field: "tier" }],
  "usage.sync": [
    { input: { records: [] }, field: "records" },
    {
      input: { records: Array.from({ length: 101 }, (_, i) => ({ ...ok.record, idempotencyKey: `bulk-key-${i}` })) },
      field: "records",
    },
    { input: { records: [{ ...ok.record, inputTokens: -1 }] }, field: "records.0.inputTokens" },
    { input: { records: [{ ...ok.record, outputTokens: Number.NaN }] }, field: "records.0.outputTokens" },
    { input: { records: [{ ...ok.record, cachedInputTokens: 5 }] }, field: "records.0.cachedInputTokens" },
    {
      input: { records: [{ ...ok.record, occurredAt: new Date(Date.now() + 3_600_000) }] },
      field: "records.0.occurredAt",
    },
    { input: { records: [{ ...ok.record, occurredAt: "yesterday" }] }, field: "records.0.occurredAt" },
    { input: { records: [ok.record, ok.record] }, field: "records.1.idempotencyKey" },
    { input: { records: [{ ...ok.record, userId: "x" }] }, field: "records.0" },
  ],
  "quota.limits": [{ input: { subject: "root" }, field: "subject" }],
  "quota.set": [
    { input: { userId: "u1" }, field: "tier" },
    { input: { userId: "u1", tier: "anonymous" }, field: "tier" },
    {
      input: {
        userId: "u1",
        override: { window: "daily", scope: "model", provider: "openai", requests: 1, tokens: null, costMicros: null },
      },
      field: "override.model",
    },
    {
      input: {
        userId: "u1",
        override: { window: "daily", scope: "general", requests: -1, tokens: null, costMicros: null },
      },
      field: "override.requests",
    },
    {
      input: {
        userId: "u1",
        override: {
          window: "daily",
          scope: "general",
          requests: 1,
          tokens: null,
          costMicros: null,
          expiresAt: new Date(0),
        },
      },
      field: "override.expiresAt",
    },
  ],
  "quota.reset": [{ input: { userId: "u1", window: "weekly" }, field: "window" }],
  "profile.update": [
    { input: { timezone: "Mars/Olympus_Mons" }, field: "timezone" },
    { input: { timezone: "+01:00" }, field: "timezone" },
    { input: { name: "" }, field: "name" },
    { input: { name: "n".repeat(81) }, field: "name" },
    { input: { tier: "pro" }, field: "(input)" },
  ],
  "profile.usage": [
    { input: { from: new Date("2026-01-02"), to: new Date("2026-01-01"), granularity: "day" }, field: "to" },
    { input: { from: new Date("2024-01-01"), to: new Date("2026-01-01"), granularity: "day" }, field: "to" },
    { input: { from: new Date("2026-01-01"), to: new Date("2026-03-01"), granularity: "hour" }, field: "granularity" },
    {
      input: { from: new Date("2026-01-01"), to: new Date("2026-01-02"), granularity: "minute" },
      field: "granularity",
    },
    { input: { from: "not a date", to: new Date("2026-01-02"), granularity: "day" }, field: "from" },
  ],
};

type AnyProc = (input: unknown) => Promise<unknown>;

describe("input validation on every procedure", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await openTestApp("pglite");
  });
  afterAll(() => app.close());

  it("covers every procedure of the router that takes input", () => {
    const withInput = Object.entries(appRouter._def.procedures)
      .filter(([, p]) => (p as unknown as { _def: { inputs: unknown[] } })._def.inputs.length > 0)
      .map(([path]) => path)
      // usage.status takes an optional empty object: nothing to get wrong but unknown fields (below).
      .filter((path) => path !== "usage.status")
      .sort();
    expect(Object.keys(BAD).sort()).toEqual(withInput);
  });

  for (const [path, cases] of Object.entries(BAD)) {
    it(`${path} refuses bad input with BAD_REQUEST naming the field`, async () => {
      const admin = await userCaller(app.services, { role: "admin" });
      const [router, proc] = path.split(".") as [string, string];
      const fn = (admin.caller as unknown as Record<string, Record<string, AnyProc>>)[router]![proc]!;
      const before = await app.db.prisma.userQuotaLimit.count();
      for (const c of cases) {
        let error: unknown;
        try {
          await fn(c.input);
        } catch (e) {
          error = e;
        }
        expect(error, `${path} ${JSON.stringify(c.input)?.slice(0, 80)}`).toBeInstanceOf(TRPCError);
        const e = error as TRPCError;
        expect(e.code).toBe("BAD_REQUEST");
        const issues = (e.cause as { issues?: { path: PropertyKey[] }[] }).issues ?? [];
        const fields = issues.map((i) => (i.path.length ? i.path.join(".") : "(input)"));
        expect(fields, JSON.stringify(c.input)?.slice(0, 80)).toContain(c.field);
      }
      expect(await app.db.prisma.userQuotaLimit.count()).toBe(before);
    });
  }

  it("usage.status refuses unknown fields", async () => {
    const { caller } = await userCaller(app.services);
    await expect(caller.usage.status({ everything: true } as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
