import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapLimit, seededRandom, sleep, startFleet, until, type Fleet } from "./support/fleet.ts";
import {
  NO_VIOLATIONS,
  abandonedReservations,
  accountingViolations,
  runningTasks,
  unfinishedTasks,
} from "./support/invariants.ts";
import { Visitor, sendWithRetries, signUp, unwrap, untilSettled, type SendOutcome } from "./support/visitor.ts";

const CHATS = 50;
/** Gap between chat starts: 50 chats over about 8 s, each streaming for about 1.5 s. */
const SEND_EVERY_MS = 160;
/** The server's own recovery: a heartbeat older than 15 s is stale, found by a sweep every 5 s. */
const RECOVERY_BOUND_MS = 45_000;

describe("kill -9 during chats", () => {
  let fleet: Fleet;
  const visitors: { key: string; visitor: Visitor }[] = [];
  const seed = Date.now() % 100_000;

  beforeAll(async () => {
    // Slow replies (20 ms a token) so that kills land mid-stream.
    fleet = await startFleet(2, { demoTokenDelayMs: 20 });
    const url = fleet.servers[1]!.url;
    for (let i = 0; i < 5; i++) {
      const { visitor, userId } = await signUp(url, `10.88.0.${i + 1}`, `crash-${i}`);
      visitors.push({ key: `user:${userId}`, visitor });
      const guest = new Visitor({ "x-forwarded-for": `10.88.1.${i + 1}` });
      unwrap(await guest.query(url, "auth.me"), "auth.me");
      visitors.push({ key: `anon:${guest.cookie("wl_anon")!.split(".")[0]!}`, visitor: guest });
    }
  });

  afterAll(async () => {
    await fleet?.close();
  });

  it("loses and doubles no usage, and leaves nothing running or reserved", async ({ onTestFailed }) => {
    onTestFailed(() => {
      fleet.keepLogs();
      console.warn(`crash test seed ${seed}`);
    });
    const random = seededRandom(seed);
    const [victim, steady] = fleet.servers as [(typeof fleet.servers)[0], (typeof fleet.servers)[0]];

    // Chats start one after another, alternating between the instance that gets killed and the
    // one that stays; a client whose server vanished retries on whichever is up.
    let sending = true;
    const sends = Promise.all(
      Array.from({ length: CHATS }, async (_, i) => {
        await sleep(i * SEND_EVERY_MS);
        const { key, visitor } = visitors[i % visitors.length]!;
        const first = i % 2 === 0 ? victim : steady;
        const o = await sendWithRetries(
          visitor,
          (attempt) => (attempt === 0 ? first.url : (fleet.liveUrls()[0] ?? steady.url)),
          { content: `Chat ${i}: tell me about crash recovery`, key: `crash-${seed}-${i}` },
        );
        return { key, visitor, o };
      }),
    ).finally(() => {
      sending = false;
    });

    // kill -9 at random moments while chats are sent and streamed; restart after each.
    let kills = 0;
    const killer = (async () => {
      const end = Date.now() + 20_000;
      while ((sending || kills < 3) && Date.now() < end) {
        await sleep(600 + random() * 1_400);
        await victim.kill9();
        kills++;
        await sleep(random() * 400);
        await victim.start();
      }
    })();

    const results: { key: string; visitor: Visitor; o: SendOutcome }[] = await sends;
    await killer;
    expect(kills).toBeGreaterThanOrEqual(3);

    // Every chat was eventually admitted (a retry may have been needed); none refused.
    expect(results.filter((r) => !r.o.final.ok).map((r) => r.o.final)).toEqual([]);
    const admitted = results.flatMap((r) => (r.o.final.ok ? [{ ...r, taskId: r.o.final.data.taskId }] : []));

    // The killed runners' tasks go stale and are recovered by the servers' own sweep.
    const finished = await until(async () => (await runningTasks(fleet.db)) === 0, RECOVERY_BOUND_MS, 500);
    expect({ stuck: finished ? [] : await unfinishedTasks(fleet.db) }).toEqual({ stuck: [] });
    const tasks = await mapLimit(admitted, 10, (a) =>
      untilSettled(a.visitor, () => fleet.liveUrls(), a.taskId, 10_000),
    );
    expect(tasks.filter((t) => !["completed", "failed"].includes(t.status))).toEqual([]);

    // The kills did land mid-reply: some tasks were recovered from their partial text.
    const [recovered] = await fleet.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE error = 'The server stopped while answering.'`,
    );
    expect(recovered!.n).toBeGreaterThan(0);

    // Exactly the tasks the clients were given exist: a retried send reused its task, never a second one.
    const rows = await fleet.db.query<{ id: string }>(`SELECT id FROM tasks ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([...new Set(admitted.map((a) => a.taskId))].sort());

    // No usage lost or doubled: every task's usage is its ledger row's; ledger, hourly records and
    // quota counters agree; nothing of a finished task is still reserved, nothing past its TTL.
    expect(await accountingViolations(fleet.db)).toEqual(NO_VIOLATIONS);
    // An admission whose server died before saving its task holds its reservation until the TTL
    // (the sweeper gives it back); the clients retried those with a fresh key.
    const abandoned = await abandonedReservations(fleet.db);
    const conflicts = results.flatMap((r) => r.o.retried.filter((x) => x.status === 409)).length;
    expect(abandoned.length).toBeLessThanOrEqual(conflicts + kills);

    expect(fleet.crashReport()).toEqual([]);
    expect(await victim.health()).toBe(200);
    expect(await steady.health()).toBe(200);
  });
});
