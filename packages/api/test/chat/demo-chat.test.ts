import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { anonymousCaller, openTestApp, userCaller, type TestApp } from "../support/services.ts";
import { accountingTotals, untilDone } from "./support.ts";

for (const engine of DATABASE_ENGINES) {
  describe(`chat on the demo model (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine, { chat: { flushIntervalMs: 10, heartbeatMs: 50 } });
    });
    afterAll(() => app.close());

    it("sends, streams in the background, settles exactly once and saves the reply", async () => {
      const { caller, identity } = await userCaller(app.services, { tier: "free" });
      const sent = await caller.chat.send({
        provider: "local-demo",
        model: "demo-1",
        content: "What is a token bucket?",
      });
      expect(sent.trimmed).toBeNull();
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("completed");
      expect(done.text.length).toBeGreaterThan(0);
      expect(done.usage).toMatchObject({ estimated: false });
      expect(done.usage!.inputTokens).toBeGreaterThan(0);
      expect(done.usage!.outputTokens).toBeGreaterThan(0);
      const messages = await caller.chat.messages({ conversationId: sent.conversationId });
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant"]);
      expect(messages[1]!.content).toBe(done.text);
      const [conv] = await caller.chat.conversations();
      expect(conv).toMatchObject({ id: sent.conversationId, title: "What is a token bucket?" });
      const key = identity.kind === "user" ? `user:${identity.userId}` : "";
      const totals = await accountingTotals(app.db, [key]);
      expect(totals.ledger).toMatchObject({ n: 1, reserved: 0 });
      expect(totals.hourly).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      expect(totals.tasks).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      expect(totals.ledger.tokens).toBe(done.usage!.inputTokens + done.usage!.outputTokens);
      // Reconciliation you can see: the reserved estimate (prompt + max output) against the actual.
      const [acc] = (await caller.usage.status()).estimateAccuracy;
      expect(acc).toMatchObject({ provider: "local-demo", model: "demo-1", settledRequests: 1, estimatedRequests: 0 });
      expect(acc!.tokenErrorPercent).toBeGreaterThan(0);
      // A follow-up in the same conversation sends the history too.
      const next = await caller.chat.send({
        conversationId: sent.conversationId,
        provider: "local-demo",
        model: "demo-1",
        content: "And a leaky bucket?",
      });
      const second = await untilDone(() => caller.chat.task({ taskId: next.taskId }));
      expect(second.usage!.inputTokens).toBeGreaterThan(done.usage!.inputTokens);
    });

    it("creates exactly 50 tasks from 200 concurrent sends of one anonymous visitor", async () => {
      const { caller } = await anonymousCaller(app.services, { timeZone: "America/New_York" });
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) =>
          caller.chat.send({ provider: "local-demo", model: "demo-1", content: `question ${i}` }),
        ),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      const denied = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(ok).toHaveLength(50);
      expect(denied).toHaveLength(150);
      for (const d of denied) {
        const e = d.reason as TRPCError;
        expect(e.code).toBe("TOO_MANY_REQUESTS");
        const quota = (
          e.cause as {
            details?: { quota?: { scope: string; window: string; dimension: string; limit: number; resetsAt: Date }[] };
          }
        ).details?.quota;
        expect(quota?.[0]).toMatchObject({ scope: "general", window: "daily", dimension: "requests", limit: 50 });
        expect(quota?.[0]?.resetsAt).toBeInstanceOf(Date);
      }
      await app.services.chat.drain();
      const tasks = await app.db.prisma.task.count({
        where: { subject: { startsWith: "anon:" }, status: "completed" },
      });
      expect(tasks).toBeGreaterThanOrEqual(50);
      const status = await caller.usage.status();
      expect(status.binding).toMatchObject({ used: 50, limit: 50, reserved: 0 });
    });

    it("reuses the task for a retried send with the same idempotency key", async () => {
      const { caller } = await userCaller(app.services);
      const a = await caller.chat.send({
        provider: "local-demo",
        model: "demo-1",
        content: "once",
        idempotencyKey: "send-once-1",
      });
      const b = await caller.chat.send({
        provider: "local-demo",
        model: "demo-1",
        content: "once",
        idempotencyKey: "send-once-1",
      });
      expect(b.taskId).toBe(a.taskId);
      await app.services.chat.drain();
      expect(
        (await caller.usage.status()).quotas.find(
          (q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests",
        )?.used,
      ).toBe(1);
    });

    it("answers concurrent retries of one send with its task, not a conflict", async () => {
      const { caller } = await userCaller(app.services);
      // The retries arrive while the first try is still saving its task: they wait for it.
      const sends = await Promise.all(
        Array.from({ length: 6 }, () =>
          caller.chat.send({
            provider: "local-demo",
            model: "demo-1",
            content: "once",
            idempotencyKey: "burst-retry-1",
          }),
        ),
      );
      expect(new Set(sends.map((s) => s.taskId)).size).toBe(1);
      expect(new Set(sends.map((s) => s.conversationId)).size).toBe(1);
      await app.services.chat.drain();
      expect(await app.db.prisma.task.count({ where: { id: sends[0]!.taskId } })).toBe(1);
    });

    it("trims the reply to what is left of the token budget instead of refusing", async () => {
      const { caller, user } = await userCaller(app.services, { tier: "free" });
      const admin = await userCaller(app.services, { role: "admin" });
      // Leave 400 tokens in today's budget.
      await admin.caller.quota.set({
        userId: user.id,
        override: { window: "daily", scope: "general", requests: 500, tokens: 400, costMicros: 5_000_000 },
      });
      const sent = await caller.chat.send({
        provider: "local-demo",
        model: "demo-1",
        content: "Tell me everything.",
        maxOutputTokens: 1_000,
      });
      expect(sent.trimmed?.maxOutputTokens).toBeGreaterThanOrEqual(64);
      expect(sent.trimmed?.maxOutputTokens).toBeLessThan(400);
      expect(sent.trimmed?.reason).toMatch(/daily tokens/);
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.usage!.outputTokens).toBeLessThanOrEqual(sent.trimmed!.maxOutputTokens);
      // When not even a useful minimum fits, the send is refused, naming the token limit.
      const used = (await caller.usage.status()).quotas.find(
        (q) => q.window === "daily" && q.scope === "general" && q.dimension === "tokens",
      )!.used;
      await admin.caller.quota.set({
        userId: user.id,
        override: { window: "daily", scope: "general", requests: 500, tokens: used + 40, costMicros: 5_000_000 },
      });
      const refused = await caller.chat
        .send({ provider: "local-demo", model: "demo-1", content: "More?" })
        .catch((e: TRPCError) => e);
      expect(refused).toBeInstanceOf(TRPCError);
      expect((refused as TRPCError).code).toBe("TOO_MANY_REQUESTS");
      expect(
        ((refused as TRPCError).cause as unknown as { details: { quota: { dimension: string }[] } }).details.quota[0],
      ).toMatchObject({ dimension: "tokens" });
    });

    it("refuses an unknown model, a model the tier may not use, and someone else's conversation", async () => {
      const { caller } = await anonymousCaller(app.services);
      await expect(caller.chat.send({ provider: "nope", model: "nothing", content: "hi" })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(
        caller.chat.send({ provider: "local-demo", model: "demo-1", content: "hi", conversationId: randomUUID() }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      const models = await caller.chat.models();
      const demo = models.find((m) => m.provider === "local-demo");
      expect(demo).toMatchObject({ demo: true, allowed: true });
    });
  });
}
