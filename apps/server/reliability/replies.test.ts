import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { longDemoReply } from "../../../packages/api/src/providers/demo-directive.ts";
import { mapLimit, sleep, startFleet, until, type Fleet } from "./support/fleet.ts";
import { NO_VIOLATIONS, accountingViolations, runningTasks } from "./support/invariants.ts";
import { Visitor, unwrap } from "./support/visitor.ts";

const SERVERS = 3;
const CHATS = 30;
/** Of those, every STOP_EVERY-th is stopped through another instance than the one running it. */
const STOP_EVERY = 5;
const WORDS = 400;
/** 400 words 15 ms apart: about 6 s of streaming, so polls and Stops land while the replies run. */
const PROMPT = `/demo words=${WORDS} delay=15`;
const POLL_MS = 100;

interface Poll {
  taskId: string;
  status: string;
  text: string;
  cursor: number;
  usage: { inputTokens: number; outputTokens: number } | null;
}

interface Followed {
  taskId: string;
  conversationId: string;
  visitor: Visitor;
  owner: number;
  stopped: boolean;
  text: string;
  final: Poll;
  /** Polls answered with new text, per instance that answered (owner or not). */
  newTextFrom: { owner: number; others: number };
}

/**
 * Reads a reply as the SPA does, but from every instance in turn: each poll carries the cursor the
 * previous one returned and appends what comes back. Any instance must answer consistently.
 */
async function follow(visitor: Visitor, urls: string[], taskId: string, owner: number, stopAfter: number | null) {
  let text = "";
  let cursor = 0;
  let stopped = false;
  const newTextFrom = { owner: 0, others: 0 };
  const end = Date.now() + 60_000;
  for (let i = 0; Date.now() < end; i++) {
    const at = i % urls.length;
    const t = unwrap(await visitor.query<Poll>(urls[at]!, "chat.task", { taskId, cursor }), "chat.task");
    // No gap and no repeat: the cursor moves by exactly the text returned.
    expect({ taskId, before: cursor, after: t.cursor }).toEqual({
      taskId,
      before: cursor,
      after: cursor + t.text.length,
    });
    text += t.text;
    cursor = t.cursor;
    if (t.text) newTextFrom[at === owner ? "owner" : "others"]++;
    if (t.status !== "running" && t.status !== "queued") return { text, final: t, stopped, newTextFrom };
    if (stopAfter !== null && !stopped && text.length >= stopAfter) {
      // Stop through an instance that is not running the reply: it hears of it at its next heartbeat.
      unwrap(await visitor.mutate(urls[(owner + 1) % urls.length]!, "chat.cancel", { taskId }), "chat.cancel");
      stopped = true;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`reply ${taskId} still running after 60 s`);
}

describe("replies read from several instances on one PostgreSQL", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(SERVERS, { demoTokenDelayMs: 1 });
  });

  afterAll(async () => {
    await fleet?.close();
  });

  it("every client alternating between the instances reads the whole reply in order, and Stop works from any of them", async ({
    onTestFailed,
  }) => {
    onTestFailed(() => fleet.keepLogs());
    const urls = fleet.liveUrls();
    const expected = longDemoReply(WORDS, false);

    const followed: Followed[] = await mapLimit(
      Array.from({ length: CHATS }, (_, i) => i),
      CHATS,
      async (i) => {
        const visitor = new Visitor({ "x-forwarded-for": `10.91.0.${i + 1}` });
        const owner = i % SERVERS;
        const sent = unwrap(
          await visitor.mutate<{ taskId: string; conversationId: string }>(urls[owner]!, "chat.send", {
            provider: "local-demo",
            model: "demo-1",
            content: PROMPT,
          }),
          "chat.send",
        );
        const stopAfter = i % STOP_EVERY === 0 ? 200 + i * 10 : null;
        const r = await follow(visitor, urls, sent.taskId, owner, stopAfter);
        return { ...sent, visitor, owner, ...r };
      },
    );

    for (const f of followed) {
      // What the client assembled is the saved reply, and (unless stopped) the whole of it.
      const messages = unwrap(
        await f.visitor.query<{ role: string; content: string; stopReason: string | null }[]>(
          urls[0]!,
          "chat.messages",
          {
            conversationId: f.conversationId,
          },
        ),
        "chat.messages",
      );
      const reply = messages.find((m) => m.role === "assistant");
      expect({ taskId: f.taskId, assembled: f.text }).toEqual({ taskId: f.taskId, assembled: reply?.content });
      if (f.stopped) {
        expect({ taskId: f.taskId, status: f.final.status, stopReason: reply?.stopReason }).toEqual({
          taskId: f.taskId,
          status: "cancelled",
          stopReason: "stopped",
        });
        expect(expected.startsWith(f.text)).toBe(true);
        expect(f.text.length).toBeLessThan(expected.length);
      } else {
        expect({ taskId: f.taskId, status: f.final.status, text: f.text }).toEqual({
          taskId: f.taskId,
          status: "completed",
          text: expected,
        });
      }
    }
    // Instances that were not running a reply did serve its new text (from the durable deltas).
    expect(followed.reduce((n, f) => n + f.newTextFrom.others, 0)).toBeGreaterThan(0);
    expect(followed.filter((f) => f.stopped)).toHaveLength(CHATS / STOP_EVERY);

    expect(await until(async () => (await runningTasks(fleet.db)) === 0, 30_000, 250)).toBe(true);
    // Stopped replies are charged what they produced; ledger, hourly records and tasks agree.
    expect(await accountingViolations(fleet.db)).toEqual(NO_VIOLATIONS);
    // Finished replies leave no pieces behind: the saved message is the reply.
    expect(await fleet.db.query(`SELECT task_id FROM reply_deltas`)).toEqual([]);
    expect(fleet.crashReport()).toEqual([]);
  });
});
