import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type Fleet } from "./support/fleet.ts";
import { Visitor, operator, setDailyRequestLimit, signUp, unwrap, untilSettled } from "./support/visitor.ts";

// Issue 10's first two findings, replayed as the attacker did them, over real HTTP against two
// server processes on one PostgreSQL: a chat's charge handed back with usage.release, or settled
// at zero with usage.sync, while the reply runs. Both are service calls now; the charge stays.
describe("a chat's charge is the server's", () => {
  let fleet: Fleet;
  let urls: string[];

  beforeAll(async () => {
    // The demo model types slowly enough that every release or sync lands while the reply runs.
    fleet = await startFleet(2, { demoTokenDelayMs: 20 });
    urls = fleet.liveUrls();
  });
  afterAll(async () => {
    await fleet?.close();
  });

  const at = (i: number) => urls[i % urls.length]!;
  const anonSubject = (v: Visitor) => {
    const signed = decodeURIComponent(v.cookie("wl_anon")!);
    return `anon:${signed.slice(0, signed.lastIndexOf("."))}`;
  };

  it("serves a guest at most 50 of 60 send-then-release rounds, and every reply stays charged", async () => {
    const guest = new Visitor({ "x-forwarded-for": "10.77.0.1" });
    const served: string[] = [];
    for (let i = 0; i < 60; i++) {
      const sent = await guest.mutate<{ taskId: string }>(at(i), "chat.send", {
        provider: "local-demo",
        model: "demo-1",
        content: `round ${i}`,
      });
      if (!sent.ok) {
        expect(sent.status, sent.message).toBe(429);
        continue;
      }
      served.push(sent.data.taskId);
      const key = `task:${sent.data.taskId}`;
      for (const input of [{ idempotencyKey: key }, { subject: anonSubject(guest), idempotencyKey: key }]) {
        const released = await guest.mutate(at(i + 1), "usage.release", input);
        expect(released.ok).toBe(false);
        expect([400, 401]).toContain(released.status);
      }
      const reserved = await guest.mutate(at(i), "usage.reserve", {
        subject: anonSubject(guest),
        provider: "local-demo",
        model: "demo-1",
        estimatedTokens: 0,
        estimatedCostMicros: 0,
        idempotencyKey: `free-${i}-key`,
      });
      expect(reserved.status).toBe(401);
    }
    expect(served).toHaveLength(50);
    for (const taskId of served) {
      const t = await untilSettled(guest, () => urls, taskId, 60_000);
      expect(t.status).toBe("completed");
      expect(t.usage!.outputTokens).toBeGreaterThan(0);
    }
    const me = unwrap(await guest.query<{ messagesUsed: number }>(at(0), "auth.me"), "auth.me");
    expect(me.messagesUsed).toBe(50);
    const events = await fleet.db.query<{ status: string; n: number }>(
      `SELECT status::text, count(*)::int AS n FROM usage_events WHERE subject = $1 GROUP BY status`,
      [anonSubject(guest)],
    );
    expect(events).toEqual([{ status: "settled", n: 50 }]);
  });

  it("keeps a user's replies charged in full whatever usage.sync says, and holds a 3-request cap", async () => {
    const user = await signUp(at(0), "10.77.1.1", "zero-sync");
    await setDailyRequestLimit(at(0), user.userId, 3);
    const served: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sent = await user.visitor.mutate<{ taskId: string }>(at(i), "chat.send", {
        provider: "local-demo",
        model: "demo-1",
        content: `round ${i}`,
      });
      if (!sent.ok) {
        expect(sent.status).toBe(429);
        continue;
      }
      served.push(sent.data.taskId);
      const zero = await user.visitor.mutate(at(i + 1), "usage.sync", {
        subject: `user:${user.userId}`,
        records: [
          {
            idempotencyKey: `task:${sent.data.taskId}`,
            provider: "local-demo",
            model: "demo-1",
            inputTokens: 0,
            outputTokens: 0,
            costMicros: 0,
            occurredAt: new Date().toISOString(),
          },
        ],
      });
      // A signed-in browser is not a service: 403, and nothing recorded.
      expect(zero.status).toBe(403);
    }
    expect(served).toHaveLength(3);
    let tokens = 0;
    for (const taskId of served) {
      const t = await untilSettled(user.visitor, () => urls, taskId, 60_000);
      expect(t.status).toBe("completed");
      tokens += t.usage!.inputTokens + t.usage!.outputTokens;
    }
    const [ledger] = await fleet.db.query<{ n: number; tokens: number }>(
      `SELECT count(*)::int AS n, sum(input_tokens + output_tokens)::int AS tokens
       FROM usage_events WHERE subject = $1 AND status = 'settled'`,
      [`user:${user.userId}`],
    );
    expect(ledger).toEqual({ n: 3, tokens });

    // Even the operator's token reaches only its own namespace: the chat's key is not found there.
    const released = await operator().mutate(at(1), "usage.release", {
      subject: `user:${user.userId}`,
      idempotencyKey: `task:${served[0]!}`,
    });
    expect(released).toMatchObject({ ok: false, status: 404 });
    const [after] = await fleet.db.query<{ n: number; tokens: number }>(
      `SELECT count(*)::int AS n, sum(input_tokens + output_tokens)::int AS tokens
       FROM usage_events WHERE subject = $1 AND status = 'settled'`,
      [`user:${user.userId}`],
    );
    expect(after).toEqual(ledger);
  });
});
