import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, subjectOf, type Identity } from "../../src/index.ts";
import { accountingTotals } from "../chat/support.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { solvedProof } from "../support/proof.ts";
import { anonymousCaller, openTestApp, userCaller, type TestApp } from "../support/services.ts";
import { FUZZ_SEED, runs } from "./support/arbitraries.ts";

// Issue 10's model-based test: everything a visitor or a signed-in user can call through the real
// router, in random order and with inputs aimed at other people's chats, interleaved with chats
// that run and complete. Whatever is called:
//   - the settled charge of a completed chat never changes (nothing lowers, releases or re-settles it);
//   - no subject is admitted more requests than its cap;
//   - the ledger, the hourly records and the task rows agree to the token and the micro-dollar.
// One action per procedure of the router: a procedure added without one fails the first test.

const CAP = 4;
type Caller = Awaited<ReturnType<typeof userCaller>>["caller"];

interface Actor {
  caller: Caller;
  identity: Identity;
  subject: string;
  email: string | null;
}

interface World {
  app: TestApp;
  actors: [Actor, Actor];
  tasks: { taskId: string; conversationId: string }[];
  /** Successful chat.send per actor: must never exceed the cap. */
  admitted: [number, number];
  /** Settled chat events seen so far, by ledger key: each must stay exactly as it was. */
  settled: Map<string, string>;
}

type Action = (w: World, me: 0 | 1, pick: number) => Promise<unknown>;

const at = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const someTask = (w: World, pick: number) => at(w.tasks, pick)?.taskId ?? "no-task-yet";
const someConversation = (w: World, pick: number) => at(w.tasks, pick)?.conversationId ?? "no-conversation";
/** Any actor's API key (the other's included), by pick. */
const someKey = async (w: World, pick: number) =>
  at(await w.app.db.prisma.apiKey.findMany({ select: { id: true }, orderBy: { id: "asc" } }), pick)?.id ?? "no-key";
const victim = (w: World, me: 0 | 1) => w.actors[me === 0 ? 1 : 0];
const range = () => ({ from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 3_600_000) });

/** What an attacker would send to each procedure, aimed at the chats and subjects it knows of. */
const ACTIONS: Record<string, Action> = {
  "chat.send": async (w, me, pick) => {
    const sent = await w.actors[me].caller.chat.send({
      provider: "local-demo",
      model: "demo-1",
      content: `question ${pick}`,
      maxOutputTokens: 24,
      ...(pick % 3 === 0 ? { conversationId: someConversation(w, pick) } : {}),
    });
    w.admitted[me]++;
    w.tasks.push({ taskId: sent.taskId, conversationId: sent.conversationId });
  },
  "chat.task": (w, me, pick) => w.actors[me].caller.chat.task({ taskId: someTask(w, pick) }),
  "chat.runningReply": (w, me, pick) =>
    w.actors[me].caller.chat.runningReply({ conversationId: someConversation(w, pick) }),
  "chat.cancel": (w, me, pick) => w.actors[me].caller.chat.cancel({ taskId: someTask(w, pick) }),
  "chat.rename": (w, me, pick) =>
    w.actors[me].caller.chat.rename({ conversationId: someConversation(w, pick), title: "renamed" }),
  "chat.delete": (w, me, pick) => w.actors[me].caller.chat.delete({ conversationId: someConversation(w, pick) }),
  "chat.messages": (w, me, pick) => w.actors[me].caller.chat.messages({ conversationId: someConversation(w, pick) }),
  "chat.conversations": (w, me) => w.actors[me].caller.chat.conversations(),
  "chat.models": (w, me) => w.actors[me].caller.chat.models(),
  "usage.check": (w, me) => w.actors[me].caller.usage.check({ provider: "local-demo", model: "demo-1" }),
  "usage.status": (w, me) => w.actors[me].caller.usage.status(),
  "usage.needsInit": (w, me) => w.actors[me].caller.usage.needsInit(),
  "usage.init": (w, me, pick) => w.actors[me].caller.usage.init(pick % 2 ? { tier: "pro" } : {}),
  "usage.syncStatus": (w, me) => w.actors[me].caller.usage.syncStatus(),
  "usage.resetExpired": (w, me) => w.actors[me].caller.usage.resetExpired(),
  // The attacks of issue 10: hand back or zero a running or finished chat's charge.
  "usage.release": (w, me, pick) =>
    w.actors[me].caller.usage.release({
      subject: (pick % 2 ? victim(w, me) : w.actors[me]).subject,
      idempotencyKey: `task:${someTask(w, pick)}`,
    }),
  "usage.sync": (w, me, pick) =>
    w.actors[me].caller.usage.sync({
      subject: (pick % 2 ? victim(w, me) : w.actors[me]).subject,
      records: [
        {
          idempotencyKey: pick % 4 < 2 ? `task:${someTask(w, pick)}` : someTask(w, pick).padEnd(8, "-"),
          provider: "local-demo",
          model: "demo-1",
          inputTokens: 0,
          outputTokens: 0,
          costMicros: 0,
          occurredAt: new Date(),
        },
      ],
    }),
  "usage.reserve": (w, me, pick) =>
    w.actors[me].caller.usage.reserve({
      subject: w.actors[me].subject,
      provider: "local-demo",
      model: "demo-1",
      estimatedTokens: 0,
      estimatedCostMicros: 0,
      idempotencyKey: `task:${someTask(w, pick)}`,
    }),
  "quota.tiers": (w, me) => w.actors[me].caller.quota.tiers(),
  "quota.limits": (w, me, pick) =>
    w.actors[me].caller.quota.limits(pick % 2 ? { subject: victim(w, me).subject } : undefined),
  "quota.set": (w, me) =>
    w.actors[me].caller.quota.set({
      userId: w.actors[me].subject.slice("user:".length),
      tier: "pro",
      override: { window: "daily", scope: "general", requests: 1_000, tokens: null, costMicros: null },
    }),
  "quota.reset": (w, me) => w.actors[me].caller.quota.reset({ userId: w.actors[me].subject.slice("user:".length) }),
  "profile.get": (w, me) => w.actors[me].caller.profile.get(),
  // A new zone must not open a second day of allowance.
  "profile.update": (w, me, pick) =>
    w.actors[me].caller.profile.update({ timezone: ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"][pick % 3]! }),
  "profile.usage": (w, me) => w.actors[me].caller.profile.usage({ ...range(), granularity: "hour" }),
  "auth.me": (w, me) => w.actors[me].caller.auth.me(),
  "auth.challenge": (w, me) => w.actors[me].caller.auth.challenge(),
  // With a solved proof of work, so the attempt gets as far as the taken e-mail.
  "auth.signUp": async (w, me) =>
    w.actors[me].caller.auth.signUp({
      email: victim(w, me).email ?? "victim@example.com",
      password: "guess me 12345",
      proof: await solvedProof(w.actors[me].caller.auth),
    }),
  "auth.signIn": (w, me) =>
    w.actors[me].caller.auth.signIn({ email: victim(w, me).email ?? "victim@example.com", password: "guess me 12345" }),
  "auth.signOut": (w, me) => w.actors[me].caller.auth.signOut(),
  "admin.users": (w, me) => w.actors[me].caller.admin.users({}),
  "admin.health": (w, me) => w.actors[me].caller.admin.health(),
  "admin.overview": (w, me) => w.actors[me].caller.admin.overview(),
  // Keys: creating, listing and revoking them spends nothing, and a key's limits only ever lower its owner's.
  "apiKeys.create": (w, me, pick) =>
    w.actors[me].caller.apiKeys.create({
      name: `key ${pick}`,
      ...(pick % 2 ? { limits: { daily: { requests: 1 } } } : {}),
    }),
  "apiKeys.list": (w, me) => w.actors[me].caller.apiKeys.list(),
  "apiKeys.revoke": async (w, me, pick) => w.actors[me].caller.apiKeys.revoke({ id: await someKey(w, pick) }),
  "admin.apiKeys": (w, me) => w.actors[me].caller.admin.apiKeys(),
  "admin.revokeApiKey": async (w, me, pick) => w.actors[me].caller.admin.revokeApiKey({ id: await someKey(w, pick) }),
};

const PATHS = Object.keys(ACTIONS).sort();
const step = fc.record({
  path: fc.constantFrom(...PATHS, "drain", "chat.send", "chat.send"),
  me: fc.constantFrom(0 as const, 1 as const),
  pick: fc.nat(1_000),
});

/** Every settled chat event, by key: input, output, cost and status in one comparable string. */
async function settledChats(w: World): Promise<Map<string, string>> {
  const events = await w.app.db.prisma.usageEvent.findMany({
    where: {
      subject: { in: w.actors.map((a) => a.subject) },
      idempotencyKey: { startsWith: "task:" },
      status: "settled",
    },
  });
  return new Map(
    events.map((e) => [e.idempotencyKey, `${e.inputTokens}/${e.outputTokens}/${e.costMicros}/${e.status}`]),
  );
}

/** Completed charges stay exactly as they were; newly settled ones join the record. */
async function checkSettled(w: World): Promise<void> {
  const now = await settledChats(w);
  for (const [key, charge] of w.settled) expect(now.get(key), `charge of ${key}`).toBe(charge);
  w.settled = now;
}

async function newWorld(app: TestApp): Promise<World> {
  const visitor = await anonymousCaller(app.services, { ipHash: randomUUID().replaceAll("-", "") });
  const user = await userCaller(app.services);
  const actors: [Actor, Actor] = [
    { caller: visitor.caller, identity: visitor.identity, subject: visitor.subject, email: null },
    { caller: user.caller, identity: user.identity, subject: user.subject, email: user.user.email },
  ];
  for (const a of actors) {
    await app.services.engine.setOverride(
      subjectOf(a.identity),
      { window: "daily", scope: "general", provider: "", model: "", requests: CAP, tokens: null, costMicros: null },
      null,
    );
  }
  return { app, actors, tasks: [], admitted: [0, 0], settled: new Map() };
}

async function run(app: TestApp, steps: { path: string; me: 0 | 1; pick: number }[]): Promise<void> {
  const w = await newWorld(app);
  for (const s of steps) {
    if (s.path === "drain") {
      await app.services.chat.drain();
      await checkSettled(w);
      continue;
    }
    // Refusals are expected (that is most of the point); only their effects are judged.
    await ACTIONS[s.path]!(w, s.me, s.pick).catch(() => undefined);
  }
  await app.services.chat.drain();
  await checkSettled(w);

  for (const [i, a] of w.actors.entries()) {
    expect(w.admitted[i], `sends admitted for ${a.subject}`).toBeLessThanOrEqual(CAP);
    const rows = await app.services.engine.statuses(subjectOf(a.identity));
    const requests = rows.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests");
    expect(requests!.used + requests!.reserved, `requests counted for ${a.subject}`).toBeLessThanOrEqual(CAP);
    // Every admitted send is still counted: nothing handed a request back.
    expect(requests!.used + requests!.reserved).toBeGreaterThanOrEqual(w.admitted[i]!);
  }
  const totals = await accountingTotals(
    app.db,
    w.actors.map((a) => a.subject),
  );
  expect(totals.ledger.reserved).toBe(0);
  expect(totals.hourly).toEqual({ n: totals.ledger.n, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
  expect(totals.tasks).toEqual({ n: totals.ledger.n, tokens: totals.ledger.tokens, cost: totals.ledger.cost });
}

for (const engine of DATABASE_ENGINES) {
  describe(`the public API cannot lower a charge or pass a cap (${engine})`, { timeout: runs(240_000) }, () => {
    let app: TestApp;
    beforeAll(async () => {
      // The demo model types with a small delay, so calls land while replies are still running.
      app = await openTestApp(engine, { providers: { demo: { enabled: true, tokenDelayMs: 2 } } });
    });
    afterAll(() => app.close());

    it("has an action for every procedure of the router", () => {
      expect(PATHS).toEqual(Object.keys(appRouter._def.procedures).sort());
    });

    it("holds for random sequences of every procedure, interleaved with chats", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), (steps) => run(app, steps)),
        { numRuns: runs(engine === "pglite" ? 12 : 8), seed: FUZZ_SEED, endOnFailure: true },
      );
    });
  });
}
