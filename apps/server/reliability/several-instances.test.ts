import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS_DAILY_MESSAGES } from "@wavelength/shared";
import { mapLimit, startFleet, until, type Fleet } from "./support/fleet.ts";
import {
  NO_VIOLATIONS,
  abandonedReservations,
  accountingViolations,
  admittedBySubject,
  runningTasks,
  usageTotals,
} from "./support/invariants.ts";
import {
  Visitor,
  setDailyRequestLimit,
  signUp,
  unwrap,
  sendWithRetries,
  untilSettled,
  type SendOutcome,
  type TaskView,
} from "./support/visitor.ts";

const SERVERS = 3;
const USERS = 20;
const USER_DAILY_REQUESTS = 10;
/** Half the visitors try more than their allowance, half stay under it. */
const ANONYMOUS = [...Array<number>(10).fill(55), ...Array<number>(10).fill(15)];
const SENDS_PER_USER = 15;

interface Subject {
  key: string;
  visitor: Visitor;
  tries: number;
  limit: number;
}

describe("several instances on one PostgreSQL", () => {
  let fleet: Fleet;
  const subjects: Subject[] = [];

  beforeAll(async () => {
    fleet = await startFleet(SERVERS, { demoTokenDelayMs: 1 });
    const urls = fleet.liveUrls();
    for (let i = 0; i < USERS; i++) {
      const url = urls[i % urls.length]!;
      const { visitor, userId } = await signUp(url, `10.66.0.${i + 1}`, `several-${i}`);
      await setDailyRequestLimit(url, userId, USER_DAILY_REQUESTS);
      subjects.push({ key: `user:${userId}`, visitor, tries: SENDS_PER_USER, limit: USER_DAILY_REQUESTS });
    }
    for (const [i, tries] of ANONYMOUS.entries()) {
      // Each visitor behind its own address (through the trusted proxy), so only its own allowance binds.
      const visitor = new Visitor({ "x-forwarded-for": `10.77.0.${i + 1}` });
      // The first request hands out the wl_anon cookie; the burst that follows carries it.
      unwrap(await visitor.query(urls[i % urls.length]!, "auth.me"), "auth.me");
      const anonId = visitor.cookie("wl_anon")!.split(".")[0]!;
      subjects.push({ key: `anon:${anonId}`, visitor, tries, limit: ANONYMOUS_DAILY_MESSAGES });
    }
  });

  afterAll(async () => {
    await fleet?.close();
  });

  let outcomes: { s: Subject; o: SendOutcome }[] = [];

  it("admits exactly up to each limit from 1,000 concurrent sends and records every admission identically everywhere", async ({
    onTestFailed,
  }) => {
    onTestFailed(() => fleet.keepLogs());
    const jobs = subjects.flatMap((s) => Array.from({ length: s.tries }, (_, n) => ({ s, n })));
    expect(jobs).toHaveLength(1_000);
    // Interleave subjects so every subject's burst lands on all three servers at once.
    jobs.sort((a, b) => a.n - b.n);
    const urls = fleet.liveUrls();
    const t0 = Date.now();

    outcomes = await Promise.all(
      jobs.map(({ s, n }, i) =>
        sendWithRetries(s.visitor, (attempt) => urls[(i + attempt) % urls.length]!, {
          content: `Message ${n} from ${s.key.slice(0, 12)}`,
          key: `several-${i}-${n}`,
        }).then((o) => ({ s, o })),
      ),
    );

    // Every send ends admitted or refused by its quota (after retrying server errors).
    const unexpected = outcomes
      .map(({ o }) => o.final)
      .filter((r) => !r.ok && !(r.status === 429 && r.appCode === "QUOTA_EXCEEDED"));
    expect(unexpected).toEqual([]);

    const admitted = new Map<string, string[]>();
    for (const { s, o } of outcomes) {
      if (o.final.ok) (admitted.get(s.key) ?? admitted.set(s.key, []).get(s.key)!).push(o.final.data.taskId);
    }
    for (const s of subjects) {
      // Exactly the limit when more was tried, every try otherwise; never one more.
      expect({ subject: s.key, admitted: admitted.get(s.key)?.length ?? 0 }).toEqual({
        subject: s.key,
        admitted: Math.min(s.tries, s.limit),
      });
    }

    const sentAfterMs = Date.now() - t0;
    // Every reply finishes: first seen in the database (cheap to wait on), then polled like the SPA
    // does, round-robin over the instances.
    expect(await until(async () => (await runningTasks(fleet.db)) === 0, 90_000, 500)).toBe(true);
    const tasks = await mapLimit(
      subjects.flatMap((s) => (admitted.get(s.key) ?? []).map((taskId) => ({ s, taskId }))),
      40,
      ({ s, taskId }) => untilSettled(s.visitor, () => fleet.liveUrls(), taskId, 60_000),
    );
    expect(tasks.filter((t) => t.status !== "completed").map((t) => t.status)).toEqual([]);

    const repliedAfterMs = Date.now() - t0;
    // The ledger agrees with what the clients saw, subject by subject.
    const ledger = await admittedBySubject(fleet.db);
    for (const s of subjects) {
      expect({ subject: s.key, ledger: ledger.get(s.key) ?? 0 }).toEqual({
        subject: s.key,
        ledger: admitted.get(s.key)?.length ?? 0,
      });
    }

    // Ledger, hourly records, tasks and quota counters agree exactly.
    expect(await accountingViolations(fleet.db)).toEqual(NO_VIOLATIONS);
    // A send that failed after admission gave its reservation back at once.
    expect(await abandonedReservations(fleet.db)).toEqual([]);
    const totals = await usageTotals(fleet.db);
    const seen = sumUsage(tasks);
    expect(totals).toEqual({
      ledger_n: String(tasks.length),
      ledger_tokens: String(seen.tokens),
      ledger_cost: String(seen.cost),
      hourly_n: String(tasks.length),
      hourly_tokens: String(seen.tokens),
      hourly_cost: String(seen.cost),
      tasks_n: String(tasks.length),
      tasks_tokens: String(seen.tokens),
      tasks_cost: String(seen.cost),
    });

    console.log(
      `1,000 sends over ${SERVERS} instances: ${tasks.length} admitted, ${1_000 - tasks.length} refused by quota, ` +
        `${outcomes.reduce((n, { o }) => n + o.retried.length, 0)} retries after server errors; ` +
        `answered in ${(sentAfterMs / 1000).toFixed(1)} s, replies done in ${(repliedAfterMs / 1000).toFixed(1)} s`,
    );
    expect(fleet.crashReport()).toEqual([]);
    for (const s of fleet.servers) expect(await s.health()).toBe(200);
  });

  it("answers every send of the burst without a server error, and records every admission it answered", async () => {
    // Correctness, not wall time: on a busy machine a client may time out and retry (with the same
    // idempotency key, so a send is never admitted twice), but no answer is a 5xx, and every
    // admission a client was given is a task and a ledger row. How fast the burst was answered is
    // printed above and measured by the bench.
    const serverErrors = outcomes.flatMap(({ o }) =>
      [...o.retried, o.final].flatMap((r) => (!r.ok && r.status >= 500 ? [`${r.status} ${r.code}: ${r.message}`] : [])),
    );
    expect({ serverErrors: serverErrors.length, first: serverErrors.slice(0, 3) }).toEqual({
      serverErrors: 0,
      first: [],
    });
    const given = outcomes.flatMap(({ s, o }) => (o.final.ok ? [{ subject: s.key, taskId: o.final.data.taskId }] : []));
    const recorded = await fleet.db.query<{ subject: string; id: string }>(
      `SELECT t.subject, t.id FROM tasks t
       JOIN usage_events e ON e.subject = t.subject AND e.idempotency_key = 'task:' || t.id
       WHERE t.id = ANY($1::text[])`,
      [given.map((g) => g.taskId)],
    );
    const byId = new Map(recorded.map((r) => [r.id, r.subject]));
    expect(given.filter((g) => byId.get(g.taskId) !== g.subject)).toEqual([]);
  });
});

function sumUsage(tasks: TaskView[]) {
  let tokens = 0;
  let cost = 0;
  for (const t of tasks) {
    tokens += (t.usage?.inputTokens ?? 0) + (t.usage?.outputTokens ?? 0);
    cost += t.usage?.costMicros ?? 0;
  }
  return { tokens, cost };
}
