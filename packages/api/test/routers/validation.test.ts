import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../src/index.ts";
import { openTestApp, serviceCaller, userCaller, type TestApp } from "../support/services.ts";

const ok = {
  check: { provider: "openai", model: "gpt-4o-mini", estimatedTokens: 10, estimatedCostMicros: 10 },
  reserve: {
    subject: "user:someone",
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
    { input: { email: "a@b.example", password: "        " }, field: "password" },
    { input: { email: "a@b.example", password: "long enough 123", proof: "" }, field: "proof" },
    { input: { email: "a@b.example", password: "long enough 123", proof: "p".repeat(5000) }, field: "proof" },
  ],
  "auth.signIn": [
    { input: { email: "", password: "x" }, field: "email" },
    { input: { email: "a@b.example", password: "x", proof: 42 }, field: "proof" },
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
    { input: { ...ok.reserve, subject: "ip:abc" }, field: "subject" },
    { input: { ...ok.reserve, subject: undefined }, field: "subject" },
    { input: { ...ok.reserve, userId: "someone-else" }, field: "(input)" },
  ],
  "usage.release": [
    { input: { subject: "user:someone", idempotencyKey: "" }, field: "idempotencyKey" },
    { input: { subject: "root", idempotencyKey: "valid-key-1" }, field: "subject" },
    { input: { subject: "user:someone", idempotencyKey: "valid-key-1", extra: 1 }, field: "(input)" },
  ],
  "usage.init": [{ input: { tier: "platinum" }, field: "tier" }],
  "usage.sync": [
    { input: { records: [ok.record] }, field: "subject" },
    { input: { subject: "user:someone", records: [] }, field: "records" },
    {
      input: {
        subject: "user:someone",
        records: Array.from({ length: 101 }, (_, i) => ({ ...ok.record, idempotencyKey: `bulk-key-${i}` })),
      },
      field: "records",
    },
    {
      input: { subject: "user:someone", records: [{ ...ok.record, inputTokens: -1 }] },
      field: "records.0.inputTokens",
    },
    {
      input: { subject: "user:someone", records: [{ ...ok.record, outputTokens: Number.NaN }] },
      field: "records.0.outputTokens",
    },
    {
      input: { subject: "user:someone", records: [{ ...ok.record, cachedInputTokens: 5 }] },
      field: "records.0.cachedInputTokens",
    },
    {
      input: { subject: "user:someone", records: [{ ...ok.record, occurredAt: new Date(Date.now() + 3_600_000) }] },
      field: "records.0.occurredAt",
    },
    {
      input: { subject: "user:someone", records: [{ ...ok.record, occurredAt: "yesterday" }] },
      field: "records.0.occurredAt",
    },
    { input: { subject: "user:someone", records: [ok.record, ok.record] }, field: "records.1.idempotencyKey" },
    { input: { subject: "user:someone", records: [{ ...ok.record, userId: "x" }] }, field: "records.0" },
  ],
  "quota.limits": [{ input: { subject: "root" }, field: "subject" }],
  "apiKeys.create": [
    { input: { name: "" }, field: "name" },
    { input: { name: "n".repeat(61) }, field: "name" },
    { input: { name: "k", expiresAt: "tomorrow" }, field: "expiresAt" },
    { input: { name: "k", limits: { daily: { requests: 0 } } }, field: "limits.daily.requests" },
    { input: { name: "k", limits: { monthly: { costMicros: 1.5 } } }, field: "limits.monthly.costMicros" },
    { input: { name: "k", limits: { weekly: { requests: 1 } } }, field: "limits" },
    { input: { name: "k", models: ["gpt-4o"] }, field: "models.0" },
    { input: { name: "k", models: Array.from({ length: 21 }, (_, i) => `openai/m${i}`) }, field: "models" },
    { input: { name: "k", userId: "someone-else" }, field: "(input)" },
  ],
  "apiKeys.revoke": [
    { input: { id: "" }, field: "id" },
    { input: { id: "a b" }, field: "id" },
  ],
  "admin.apiKeys": [
    { input: { limit: 0 }, field: "limit" },
    { input: { search: "x".repeat(300) }, field: "search" },
    { input: { userId: "../etc" }, field: "userId" },
  ],
  "admin.revokeApiKey": [{ input: { id: "" }, field: "id" }],
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

const SERVICE_CALLS = new Set(["usage.reserve", "usage.release", "usage.sync"]);

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
      // Service calls check credentials before input; give them the service's.
      const caller = SERVICE_CALLS.has(path) ? serviceCaller(app.services) : admin.caller;
      const [router, proc] = path.split(".") as [string, string];
      const fn = (caller as unknown as Record<string, Record<string, AnyProc>>)[router]![proc]!;
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
