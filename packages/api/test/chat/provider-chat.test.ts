import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countPromptTokens, countTextTokens } from "../../src/providers/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { startFakeOpenAI, type FakeOpenAIServer } from "../support/fake-openai-server.ts";
import { REPO_ROOT } from "../support/migrate.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";
import { accountingTotals, untilDone } from "./support.ts";

const MODELS = [
  "fake-usage-at-end",
  "fake-no-usage",
  "fake-error-before-first-token",
  "fake-error-mid-stream",
  "fake-slow",
  "fake-stall",
];

for (const engine of DATABASE_ENGINES) {
  describe(`chat against a fake OpenAI-compatible server (${engine})`, () => {
    let app: TestApp;
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAI({ words: 12, slowChunkDelayMs: 120 });
      app = await openTestApp(engine, {
        providers: {
          openaiCompatible: { name: "fake", baseURL: fake.baseURL, models: MODELS },
          demo: { enabled: true, tokenDelayMs: 0 },
        },
        chat: { flushIntervalMs: 10, heartbeatMs: 50, staleAfterMs: 400 },
      });
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });

    const daily = async (caller: Awaited<ReturnType<typeof userCaller>>["caller"], dimension: string) =>
      (await caller.usage.status()).quotas.find(
        (q) => q.window === "daily" && q.scope === "general" && q.dimension === dimension,
      );

    it("charges the usage the provider reports at the end of the stream", async () => {
      const { caller } = await userCaller(app.services);
      const before = { ...fake.reported };
      const sent = await caller.chat.send({ provider: "fake", model: "fake-usage-at-end", content: "Hello there" });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("completed");
      expect(done.usage).toMatchObject({
        inputTokens: fake.reported.inputTokens - before.inputTokens,
        outputTokens: fake.reported.outputTokens - before.outputTokens,
        estimated: false,
      });
      // Priced by the configurable fallback ($3 / $15 per million), flagged in chat.models.
      const expectedCost = Math.ceil(
        (done.usage!.inputTokens * 3_000_000 + done.usage!.outputTokens * 15_000_000) / 1_000_000,
      );
      expect(done.usage!.costMicros).toBe(expectedCost);
      expect((await caller.chat.models()).find((m) => m.model === "fake-usage-at-end")?.price.fallback).toBe(true);
      expect(await daily(caller, "tokens")).toMatchObject({
        used: done.usage!.inputTokens + done.usage!.outputTokens,
        reserved: 0,
      });
    });

    it("counts with the tokenizer, flagged estimated, when the provider reports no usage", async () => {
      const { caller } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-no-usage", content: "Count me" });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("completed");
      expect(done.usage).toMatchObject({
        estimated: true,
        inputTokens: countPromptTokens([{ role: "user", content: "Count me" }]),
        outputTokens: countTextTokens(done.text),
      });
      const u = await caller.profile.usage({
        from: new Date(Date.now() - 3_600_000),
        to: new Date(Date.now() + 60_000),
        granularity: "hour",
      });
      expect(u.estimateAccuracy?.estimatedRequests).toBe(1);
    });

    it("releases, without charging, a provider error before the first token", async () => {
      const { caller } = await userCaller(app.services);
      const sent = await caller.chat.send({
        provider: "fake",
        model: "fake-error-before-first-token",
        content: "Fail fast",
      });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done).toMatchObject({ status: "failed", text: "", usage: null });
      expect(done.error).toMatch(/server error/);
      expect(await daily(caller, "requests")).toMatchObject({ used: 0, reserved: 0 });
      const event = await app.db.prisma.usageEvent.findFirst({ where: { idempotencyKey: `task:${sent.taskId}` } });
      expect(event?.status).toBe("released");
    });

    it("charges the partial output of a stream that fails midway", async () => {
      const { caller } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-error-mid-stream", content: "Fail later" });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("failed");
      expect(done.text.length).toBeGreaterThan(0);
      expect(done.usage).toMatchObject({ estimated: true, outputTokens: countTextTokens(done.text) });
      expect(await daily(caller, "requests")).toMatchObject({ used: 1, reserved: 0 });
      const messages = await caller.chat.messages({ conversationId: sent.conversationId });
      expect(messages.at(-1)).toMatchObject({ role: "assistant", content: done.text });
    });

    it("polls a provider slower than the poll interval, then cancels it and charges the partial output", async () => {
      const { caller } = await userCaller(app.services);
      const disconnects = fake.disconnects;
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Take your time" });
      const seen: string[] = [];
      for (let i = 0; i < 200 && seen.filter(Boolean).length < 2; i++) {
        const t = await caller.chat.task({ taskId: sent.taskId });
        expect(t.status).toBe("running");
        if (t.text !== seen.at(-1)) seen.push(t.text);
        await new Promise((r) => setTimeout(r, 20));
      }
      // The text grew between polls while the task kept running.
      expect(seen.filter(Boolean).length).toBeGreaterThanOrEqual(2);
      expect(await caller.chat.cancel({ taskId: sent.taskId })).toMatchObject({ status: "cancelling" });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("cancelled");
      expect(done.text.length).toBeGreaterThan(0);
      expect(done.usage).toMatchObject({ estimated: true, outputTokens: countTextTokens(done.text) });
      await new Promise((r) => setTimeout(r, 50));
      expect(fake.disconnects).toBeGreaterThan(disconnects);
      expect(await caller.chat.cancel({ taskId: sent.taskId })).toMatchObject({ status: "cancelled" });
    });

    it("keeps ledger, hourly records and tasks equal to the provider's report after mixed chats", async () => {
      const { caller, user } = await userCaller(app.services, { tier: "pro" });
      const before = { ...fake.reported };
      const sends = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          caller.chat.send({ provider: "fake", model: "fake-usage-at-end", content: `mixed ${i}` }),
        ),
      );
      const demo = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          caller.chat.send({ provider: "local-demo", model: "demo-1", content: `demo ${i}` }),
        ),
      );
      await app.services.chat.drain();
      const fakeTasks = await Promise.all(sends.map((s) => untilDone(() => caller.chat.task({ taskId: s.taskId }))));
      const demoTasks = await Promise.all(demo.map((s) => untilDone(() => caller.chat.task({ taskId: s.taskId }))));
      const fakeTokens = fakeTasks.reduce((n, t) => n + t.usage!.inputTokens + t.usage!.outputTokens, 0);
      expect(fakeTokens).toBe(
        fake.reported.inputTokens - before.inputTokens + fake.reported.outputTokens - before.outputTokens,
      );
      const totals = await accountingTotals(app.db, [`user:${user.id}`]);
      const allTokens = fakeTokens + demoTasks.reduce((n, t) => n + t.usage!.inputTokens + t.usage!.outputTokens, 0);
      const allCost = [...fakeTasks, ...demoTasks].reduce((n, t) => n + t.usage!.costMicros, 0);
      expect(totals.ledger).toEqual({ n: 16, tokens: allTokens, cost: allCost, reserved: 0 });
      expect(totals.hourly).toEqual({ n: 16, tokens: allTokens, cost: allCost });
      expect(totals.tasks).toEqual({ n: 16, tokens: allTokens, cost: allCost });
    });

    it("recovers a task whose runner died: partial output charged once, nothing left reserved", async () => {
      const { caller, user } = await userCaller(app.services);
      const sent = await caller.chat.send({
        provider: "fake",
        // Half the reply, then silence: the runner is still running whenever recovery gets in.
        model: "fake-stall",
        content: "Then the lights went out",
      });
      // Until some text is durable (flushed to reply_deltas), not only in the runner's memory:
      // recovery charges what was flushed, and releases a reply with none.
      for (let i = 0; i < 3_000; i++) {
        if ((await app.db.prisma.replyDelta.count({ where: { taskId: sent.taskId } })) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // Another instance sees a stale heartbeat (the runner froze): it claims and settles the task.
      // The runner is in fact alive and its flushes refresh the heartbeat, so the freeze is staged
      // until the other instance gets in between.
      const other = await openTestAppSibling(app);
      let claimed = 0;
      for (let i = 0; i < 20 && claimed === 0; i++) {
        await app.db.prisma.task.update({
          where: { id: sent.taskId },
          data: { heartbeatAt: new Date(Date.now() - 60_000) },
        });
        claimed = await other.recoverOrphans();
      }
      expect(claimed).toBe(1);
      // The runner answers from memory until its next heartbeat finds the task taken over.
      const recovered = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(recovered).toMatchObject({ status: "failed", error: "The server stopped while answering." });
      // The frozen runner wakes up and finishes: it must not settle or rewrite the task again.
      await app.services.chat.drain();
      const after = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(after.status).toBe("failed");
      expect(after.usage).toEqual(recovered.usage);
      const totals = await accountingTotals(app.db, [`user:${user.id}`]);
      expect(totals.ledger).toMatchObject({
        n: 1,
        reserved: 0,
        tokens: recovered.usage!.inputTokens + recovered.usage!.outputTokens,
      });
      expect(totals.hourly.tokens).toBe(totals.ledger.tokens);
    });

    it.runIf(engine === "postgres")(
      "recovers after the server process is killed mid-task and restarted",
      async () => {
        const { user, caller } = await userCaller(app.services);
        // node itself (not the tsx wrapper, whose child would survive the kill).
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            path.join(REPO_ROOT, "packages/api/test/support/chat-worker.ts"),
            app.target.url,
            fake.baseURL,
            user.id,
          ],
          { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
        );
        const taskId = await new Promise<string>((resolve, reject) => {
          child.stdout.on("data", (b: Buffer) =>
            resolve((JSON.parse(b.toString().trim()) as { taskId: string }).taskId),
          );
          child.on("exit", (code) => reject(new Error(`worker exited ${code}`)));
        });
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        expect((await caller.chat.task({ taskId })).status).toBe("running");
        // The restarted server's recovery finds the stale task.
        await new Promise((r) => setTimeout(r, 500));
        expect(await app.services.chat.recoverOrphans()).toBe(1);
        const t = await untilDone(() => caller.chat.task({ taskId }));
        expect(t.status).toBe("failed");
        expect(t.text.length).toBeGreaterThan(0);
        const totals = await accountingTotals(app.db, [`user:${user.id}`]);
        expect(totals.ledger).toMatchObject({
          n: 1,
          reserved: 0,
          tokens: t.usage!.inputTokens + t.usage!.outputTokens,
          cost: t.usage!.costMicros,
        });
        expect(totals.hourly).toMatchObject({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      },
      // A second node process compiling TypeScript with tsx takes ~15 s alone on these 2 cores and
      // far longer beside a busy suite; the test waits on events, this only bounds a hang.
      180_000,
    );
  });
}

/** A second ChatService on the same database: another server instance. */
async function openTestAppSibling(app: TestApp) {
  const { createServices } = await import("../../src/index.ts");
  const services = createServices(app.db.prisma, { sql: app.db.sql, chat: { staleAfterMs: 400 } });
  return services.chat;
}
