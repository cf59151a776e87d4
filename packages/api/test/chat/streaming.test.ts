import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countTextTokens } from "../../src/providers/index.ts";
import {
  createCaller,
  createInnerContext,
  createServices,
  type Identity,
  type Services,
  type ServiceOptions,
} from "../../src/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { startFakeOpenAI, type FakeOpenAIServer } from "../support/fake-openai-server.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";
import { accountingTotals, untilDone } from "./support.ts";

const MODELS = ["fake-slow", "fake-stall", "fake-usage-at-end"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Caller = ReturnType<typeof createCaller>;
type TaskView = Awaited<ReturnType<Caller["chat"]["task"]>>;

/**
 * Reads a reply the way the SPA does: poll with the last cursor, append what comes back. Checks
 * on every poll that the cursor moved by exactly the text returned (no gap, no repeat).
 */
async function follow(poll: (cursor: number, i: number) => Promise<TaskView>, pauseMs = (_i: number) => 15) {
  const timeoutMs = 90_000;
  const end = Date.now() + timeoutMs;
  let text = "";
  let cursor = 0;
  const pieces: { instance: number; text: string }[] = [];
  for (let i = 0; Date.now() < end; i++) {
    const t = await poll(cursor, i);
    expect(t.cursor).toBe(cursor + t.text.length);
    text += t.text;
    cursor = t.cursor;
    if (t.text) pieces.push({ instance: i % 2, text: t.text });
    if (t.status !== "running" && t.status !== "queued") return { final: t, text, pieces };
    await sleep(pauseMs(i));
  }
  throw new Error("reply still running");
}

for (const engine of DATABASE_ENGINES) {
  describe(`replies streamed as deltas after a cursor (${engine})`, () => {
    let app: TestApp;
    let fake: FakeOpenAIServer;
    const errors: string[] = [];
    const options = (fakeUrl: string): ServiceOptions => ({
      providers: {
        openaiCompatible: { name: "fake", baseURL: fakeUrl, models: MODELS },
        demo: { enabled: true, tokenDelayMs: 0 },
      },
      // The idle timeout is long enough for a first request on a busy machine, short for the stall test.
      chat: { flushIntervalMs: 40, heartbeatMs: 50, staleAfterMs: 60_000, idleTimeoutMs: 1_500 },
    });
    /** Another server instance on the same database, with its own callers. */
    let other: Services;
    const callerOn = (services: Services, identity: Identity) =>
      createCaller(createInnerContext({ services, identity }));

    beforeAll(async () => {
      fake = await startFakeOpenAI({ words: 24, slowChunkDelayMs: 30 });
      app = await openTestApp(engine, {
        ...options(fake.baseURL),
        logger: { info() {}, warn() {}, error: (o, msg) => errors.push(`${msg ?? ""} ${JSON.stringify(o)}`) },
      });
      other = createServices(app.db.prisma, { sql: app.db.sql, ...options(fake.baseURL) });
    });
    afterAll(async () => {
      await other?.chat.abortAll();
      await app?.close();
      await fake?.close();
    });

    it("returns only the text after the cursor; the pieces add up to the saved reply", async () => {
      const { caller } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Stream to me" });
      const { final, text, pieces } = await follow((cursor) => caller.chat.task({ taskId: sent.taskId, cursor }));
      expect(final.status).toBe("completed");
      // It did arrive in several pieces while running, none repeated.
      expect(pieces.length).toBeGreaterThanOrEqual(3);
      const saved = await caller.chat.messages({ conversationId: sent.conversationId });
      expect(saved.at(-1)).toMatchObject({ role: "assistant", content: text, stopReason: null });
      expect(text).toBe(Array.from({ length: 24 }, (_, i) => `w${i + 1}`).join(" "));
      // Without a cursor: the whole text; at its end: nothing more, the cursor unchanged.
      expect((await caller.chat.task({ taskId: sent.taskId })).text).toBe(text);
      expect(await caller.chat.task({ taskId: sent.taskId, cursor: text.length })).toMatchObject({
        text: "",
        cursor: text.length,
      });
      // Finished: the pieces are gone, the message holds the reply.
      expect(await app.db.prisma.replyDelta.count({ where: { taskId: sent.taskId } })).toBe(0);
    });

    it("alternating polls between the instance running the reply and another see the whole text in order", async () => {
      const { caller, identity } = await userCaller(app.services);
      const elsewhere = callerOn(other, identity);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Alternate" });
      const { final, text, pieces } = await follow(
        (cursor, i) => (i % 2 === 0 ? caller : elsewhere).chat.task({ taskId: sent.taskId, cursor }),
        // Long enough after the owner's answer for a flush to carry newer text to the other instance.
        (i) => (i % 2 === 0 ? 120 : 15),
      );
      expect(final.status).toBe("completed");
      expect(text).toBe(Array.from({ length: 24 }, (_, i) => `w${i + 1}`).join(" "));
      // The other instance did serve new text from the durable deltas while the reply ran.
      expect(pieces.some((p) => p.instance === 1)).toBe(true);
    });

    it("the owner answers from memory before a flush; another instance only once it is flushed", async () => {
      const { user, identity } = await userCaller(app.services);
      const { caller: slowFlusher, services } = await siblingWith({ flushIntervalMs: 60_000 }, identity);
      const elsewhere = callerOn(other, identity);
      try {
        const sent = await slowFlusher.chat.send({ provider: "fake", model: "fake-slow", content: "Memory first" });
        let owner = await slowFlusher.chat.task({ taskId: sent.taskId });
        while (owner.text.length < 5) {
          await sleep(10);
          owner = await slowFlusher.chat.task({ taskId: sent.taskId });
        }
        expect(owner.status).toBe("running");
        expect(await elsewhere.chat.task({ taskId: sent.taskId })).toMatchObject({ status: "running", text: "" });
        await services.chat.flush();
        const flushed = await elsewhere.chat.task({ taskId: sent.taskId });
        expect(flushed.text.startsWith(owner.text)).toBe(true);
        // Nothing is lost or repeated across the switch: the other instance continues from the owner's cursor.
        const next = await elsewhere.chat.task({ taskId: sent.taskId, cursor: owner.cursor });
        expect(owner.text + next.text).toBe(flushed.text);
        await slowFlusher.chat.cancel({ taskId: sent.taskId });
        await services.chat.drain();
        expect((await accountingTotals(app.db, [`user:${user.id}`])).ledger).toMatchObject({ n: 1, reserved: 0 });
      } finally {
        await services.chat.abortAll();
      }
    });

    it("appends pieces while running and never rewrites one", async () => {
      const { caller } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Append only" });
      const snapshot = () =>
        app.db.prisma.replyDelta.findMany({ where: { taskId: sent.taskId }, orderBy: { startAt: "asc" } });
      let first = await snapshot();
      while (first.length < 2) {
        await sleep(20);
        first = await snapshot();
      }
      await sleep(150);
      const later = await snapshot();
      expect(later.length).toBeGreaterThan(first.length);
      expect(later.slice(0, first.length)).toEqual(first);
      for (const [i, d] of later.entries()) {
        expect(d.endAt).toBe(d.startAt + d.text.length);
        if (i > 0) expect(d.startAt).toBe(later[i - 1]!.endAt);
      }
      await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
    });

    it("Stop from another instance ends the reply there and charges what it produced", async () => {
      const { caller, identity, user } = await userCaller(app.services);
      const elsewhere = callerOn(other, identity);
      const disconnects = fake.disconnects;
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Stop me elsewhere" });
      while ((await elsewhere.chat.task({ taskId: sent.taskId })).text === "") await sleep(20);
      expect(await elsewhere.chat.cancel({ taskId: sent.taskId })).toMatchObject({ status: "cancelling" });
      const done = await untilDone(() => elsewhere.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("cancelled");
      expect(done.text.length).toBeGreaterThan(0);
      expect(done.text.split(" ").length).toBeLessThan(24);
      expect(done.usage).toMatchObject({ estimated: true, outputTokens: countTextTokens(done.text) });
      const saved = await caller.chat.messages({ conversationId: sent.conversationId });
      expect(saved.at(-1)).toMatchObject({ role: "assistant", content: done.text, stopReason: "stopped" });
      const totals = await accountingTotals(app.db, [`user:${user.id}`]);
      expect(totals.ledger).toMatchObject({
        n: 1,
        reserved: 0,
        tokens: done.usage!.inputTokens + done.usage!.outputTokens,
      });
      expect(totals.hourly).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      expect(totals.tasks).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      await sleep(50);
      expect(fake.disconnects).toBeGreaterThan(disconnects);
    });

    it("gives up on a provider that stalls, charging what it produced and marking the reply", async () => {
      const { caller, user } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-stall", content: "Then silence" });
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/stopped responding/);
      expect(done.text).toBe(Array.from({ length: 12 }, (_, i) => `w${i + 1}`).join(" "));
      expect(done.usage).toMatchObject({ estimated: true, outputTokens: countTextTokens(done.text) });
      const saved = await caller.chat.messages({ conversationId: sent.conversationId });
      expect(saved.at(-1)).toMatchObject({ role: "assistant", stopReason: "timeout" });
      const totals = await accountingTotals(app.db, [`user:${user.id}`]);
      expect(totals.ledger).toMatchObject({ n: 1, reserved: 0 });
      expect(totals.tasks).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
    });

    it("deleting a conversation mid-reply stops the reply cleanly and charges what it produced", async () => {
      const { caller, user } = await userCaller(app.services);
      const before = errors.length;
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Delete me mid-reply" });
      while ((await caller.chat.task({ taskId: sent.taskId })).text === "") await sleep(20);
      await caller.chat.delete({ conversationId: sent.conversationId });
      await app.services.chat.drain();
      expect(errors.slice(before)).toEqual([]);
      const done = await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(done).toMatchObject({ status: "cancelled", assistantMessageId: null });
      expect(done.usage?.outputTokens).toBeGreaterThan(0);
      expect(await app.db.prisma.message.count({ where: { conversationId: sent.conversationId } })).toBe(0);
      expect(await app.db.prisma.replyDelta.count({ where: { taskId: sent.taskId } })).toBe(0);
      const totals = await accountingTotals(app.db, [`user:${user.id}`]);
      expect(totals.ledger).toMatchObject({ n: 1, reserved: 0 });
      expect(totals.hourly).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
      expect(totals.tasks).toEqual({ n: 1, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
    });

    it("finds the reply still running in a conversation, so a page opened mid-reply resumes it", async () => {
      const { caller, identity } = await userCaller(app.services);
      const sent = await caller.chat.send({ provider: "fake", model: "fake-slow", content: "Resume me" });
      const running = { taskId: sent.taskId, messageId: sent.messageId, provider: "fake", model: "fake-slow" };
      expect(await caller.chat.runningReply({ conversationId: sent.conversationId })).toEqual(running);
      // From any instance; not for someone else.
      expect(await callerOn(other, identity).chat.runningReply({ conversationId: sent.conversationId })).toEqual(
        running,
      );
      const stranger = await userCaller(app.services);
      await expect(stranger.caller.chat.runningReply({ conversationId: sent.conversationId })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await untilDone(() => caller.chat.task({ taskId: sent.taskId }));
      expect(await caller.chat.runningReply({ conversationId: sent.conversationId })).toBeNull();
    });

    async function siblingWith(chat: ServiceOptions["chat"], identity: Identity) {
      const base = options(fake.baseURL);
      const services = createServices(app.db.prisma, { sql: app.db.sql, ...base, chat: { ...base.chat, ...chat } });
      return { services, caller: callerOn(services, identity) };
    }
  });
}
