import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCaller, createInnerContext, type Identity } from "../../src/index.ts";
import { solvedProof } from "../support/proof.ts";
import { anonymousCaller, openTestApp, serviceCaller, userCaller, type TestApp } from "../support/services.ts";

type Caller = ReturnType<typeof createCaller>;
interface World {
  a: {
    caller: Caller;
    userId: string;
    email: string;
    subject: string;
    taskId: string;
    conversationId: string;
    keyId: string;
  };
  b: Caller;
  visitor: Caller;
}

const range = () => ({
  from: new Date(Date.now() - 86_400_000),
  to: new Date(Date.now() + 3_600_000),
  granularity: "hour" as const,
});
const ownRequests = async (c: Caller) =>
  (await c.usage.status()).quotas.find(
    (q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests",
  )?.used;

/**
 * One probe per procedure: another account (B) and an anonymous visitor try
 * to read or change A's usage, quotas or account through it. The first test
 * fails when a procedure is added without a probe.
 */
const PROBES: Record<string, (w: World) => Promise<void>> = {
  "chat.rename": async (w) => {
    await expect(w.b.chat.rename({ conversationId: w.a.conversationId, title: "pwned" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  },
  "chat.delete": async (w) => {
    await expect(w.visitor.chat.delete({ conversationId: w.a.conversationId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  },
  "admin.users": async (w) => {
    await expect(w.b.admin.users()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.admin.users()).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "admin.health": async (w) => {
    await expect(w.b.admin.health()).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "admin.overview": async (w) => {
    await expect(w.b.admin.overview()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.admin.overview()).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "chat.models": async (w) => {
    expect((await w.visitor.chat.models()).length).toBeGreaterThan(0);
  },
  "chat.send": async (w) => {
    await expect(
      w.b.chat.send({ conversationId: w.a.conversationId, provider: "local-demo", model: "demo-1", content: "hi" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  },
  "chat.task": async (w) => {
    await expect(w.b.chat.task({ taskId: w.a.taskId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(w.visitor.chat.task({ taskId: w.a.taskId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  },
  "chat.runningReply": async (w) => {
    await expect(w.b.chat.runningReply({ conversationId: w.a.conversationId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(w.visitor.chat.runningReply({ conversationId: w.a.conversationId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  },
  "chat.cancel": async (w) => {
    await expect(w.b.chat.cancel({ taskId: w.a.taskId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  },
  "chat.conversations": async (w) => {
    expect((await w.b.chat.conversations()).map((c) => c.id)).not.toContain(w.a.conversationId);
    expect(await w.visitor.chat.conversations()).toEqual([]);
  },
  "chat.messages": async (w) => {
    await expect(w.b.chat.messages({ conversationId: w.a.conversationId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  },
  "auth.challenge": async (w) => {
    // A challenge is about nobody: the same shape for anyone, signed, and never the same twice.
    const [one, two] = [await w.visitor.auth.challenge(), await w.b.auth.challenge()];
    expect(one.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(one.signature).not.toBe(two.signature);
  },
  "auth.signUp": async (w) => {
    const proof = await solvedProof(w.visitor.auth);
    await expect(
      w.visitor.auth.signUp({ email: w.a.email, password: "another password 1", proof }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  },
  "auth.signIn": async (w) => {
    await expect(w.visitor.auth.signIn({ email: w.a.email, password: "not A's password" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  },
  "auth.signOut": async (w) => {
    await expect(w.visitor.auth.signOut()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  },
  "auth.me": async (w) => {
    const me = await w.b.auth.me();
    expect(me.kind === "user" && me.user.id).not.toBe(w.a.userId);
    expect((await w.visitor.auth.me()).kind).toBe("anonymous");
  },
  "usage.check": async (w) => {
    const c = await w.b.usage.check({ provider: "openai", model: "gpt-4o-mini" });
    expect(
      c.quotas.find((q) => q.scope === "general" && q.window === "daily" && q.dimension === "requests")?.used,
    ).toBe(0);
  },
  "usage.reserve": async (w) => {
    // A service call: neither another account nor a visitor may make it, even naming A.
    const input = {
      subject: w.a.subject,
      provider: "openai",
      model: "gpt-4o-mini",
      estimatedTokens: 1,
      estimatedCostMicros: 1,
      idempotencyKey: "a-reserved-key",
    };
    await expect(w.b.usage.reserve(input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.usage.reserve(input)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  },
  "usage.release": async (w) => {
    for (const idempotencyKey of ["a-in-flight-key", `task:${w.a.taskId}`]) {
      const input = { subject: w.a.subject, idempotencyKey };
      await expect(w.visitor.usage.release(input)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      await expect(w.b.usage.release(input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  },
  "usage.status": async (w) => {
    expect(await ownRequests(w.b)).toBe(0);
  },
  "usage.needsInit": async (w) => {
    expect(typeof (await w.visitor.usage.needsInit())).toBe("boolean");
  },
  "usage.init": async (w) => {
    await expect(w.b.usage.init({ tier: "pro" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await w.b.usage.init({});
  },
  "usage.sync": async (w) => {
    const input = {
      subject: w.a.subject,
      records: [
        {
          idempotencyKey: `task:${w.a.taskId}`,
          provider: "local-demo",
          model: "demo-1",
          inputTokens: 0,
          outputTokens: 0,
          occurredAt: new Date(),
        },
      ],
    };
    await expect(w.b.usage.sync(input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.usage.sync(input)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  },
  "usage.syncStatus": async (w) => {
    expect(await w.visitor.usage.syncStatus()).toMatchObject({ pending: 0, failed: 0 });
  },
  "usage.resetExpired": async (w) => {
    await expect(w.b.usage.resetExpired()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.usage.resetExpired()).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "quota.tiers": async (w) => {
    expect((await w.visitor.quota.tiers()).length).toBe(3);
  },
  "quota.limits": async (w) => {
    await expect(w.b.quota.limits({ subject: w.a.subject })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.quota.limits({ subject: w.a.subject })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await w.b.quota.limits()).subject).not.toBe(w.a.subject);
  },
  "quota.set": async (w) => {
    await expect(w.b.quota.set({ userId: w.a.userId, tier: "pro" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.quota.set({ userId: w.a.userId, tier: "pro" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "quota.reset": async (w) => {
    await expect(w.b.quota.reset({ userId: w.a.userId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.quota.reset({ userId: w.a.userId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "profile.get": async (w) => {
    const p = await w.b.profile.get();
    expect(p.anonymous === false && p.id).not.toBe(w.a.userId);
  },
  "profile.update": async (w) => {
    await w.b.profile.update({ name: "Mallory", timezone: "Asia/Tokyo" });
    await w.visitor.profile.update({ timezone: "Asia/Tokyo" });
  },
  "apiKeys.create": async (w) => {
    await expect(w.visitor.apiKeys.create({ name: "mine" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const own = await w.b.apiKeys.create({ name: "B's key" });
    expect(own.key.id).not.toBe(w.a.keyId);
  },
  "apiKeys.list": async (w) => {
    expect((await w.b.apiKeys.list()).map((k) => k.id)).not.toContain(w.a.keyId);
    await expect(w.visitor.apiKeys.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  },
  "apiKeys.revoke": async (w) => {
    await expect(w.b.apiKeys.revoke({ id: w.a.keyId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(w.visitor.apiKeys.revoke({ id: w.a.keyId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  },
  "admin.apiKeys": async (w) => {
    await expect(w.b.admin.apiKeys()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.admin.apiKeys({ userId: w.a.userId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "admin.revokeApiKey": async (w) => {
    await expect(w.b.admin.revokeApiKey({ id: w.a.keyId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(w.visitor.admin.revokeApiKey({ id: w.a.keyId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  },
  "profile.usage": async (w) => {
    expect((await w.b.profile.usage(range())).totals.requests).toBe(0);
    expect((await w.visitor.profile.usage(range())).totals.requests).toBe(0);
  },
};

describe("isolation across every procedure", () => {
  let app: TestApp;
  let world: World;
  let snapshot: () => Promise<unknown>;

  beforeAll(async () => {
    app = await openTestApp("pglite");
    const email = `a-${Date.now()}@example.com`;
    const signedUp = await app.services.auth.signUp(
      { email, password: "A's own password 1", proof: await solvedProof(app.services.auth) },
      { ipHash: null },
    );
    const identity: Identity = {
      kind: "user",
      userId: signedUp.user.id,
      email,
      tier: "free",
      role: "user",
      timeZone: "UTC",
    };
    const a = createCaller(createInnerContext({ services: app.services, identity }));
    const service = serviceCaller(app.services);
    const subject = `user:${signedUp.user.id}`;
    await service.usage.reserve({
      subject,
      provider: "openai",
      model: "gpt-4o-mini",
      estimatedTokens: 50,
      estimatedCostMicros: 50,
      idempotencyKey: "a-reserved-key",
    });
    await service.usage.reserve({
      subject,
      provider: "openai",
      model: "gpt-4o-mini",
      estimatedTokens: 50,
      estimatedCostMicros: 50,
      idempotencyKey: "a-in-flight-key",
    });
    await service.usage.sync({
      subject,
      records: [
        {
          idempotencyKey: "a-synced-key",
          provider: "openai",
          model: "gpt-4o-mini",
          inputTokens: 10,
          outputTokens: 5,
          occurredAt: new Date(),
        },
      ],
    });
    const sent = await a.chat.send({ provider: "local-demo", model: "demo-1", content: "A's private question" });
    const aKey = await a.apiKeys.create({ name: "A's key", limits: { daily: { requests: 10 } } });
    await app.services.chat.drain();
    const b = await userCaller(app.services);
    const visitor = await anonymousCaller(app.services);
    world = {
      a: {
        caller: a,
        userId: signedUp.user.id,
        email,
        subject: `user:${signedUp.user.id}`,
        taskId: sent.taskId,
        conversationId: sent.conversationId,
        keyId: aKey.key.id,
      },
      b: b.caller,
      visitor: visitor.caller,
    };
    snapshot = async () => ({
      rows: await app.db.prisma.userQuotaLimit.findMany({
        where: { subject: world.a.subject },
        orderBy: { id: "asc" },
      }),
      events: await app.db.prisma.usageEvent.findMany({ where: { subject: world.a.subject }, orderBy: { id: "asc" } }),
      records: await app.db.prisma.usageRecord.findMany({
        where: { subject: world.a.subject },
        orderBy: { id: "asc" },
      }),
      user: await app.db.prisma.user.findUnique({ where: { id: world.a.userId } }),
      sessions: await app.db.prisma.session.count({ where: { userId: world.a.userId } }),
      conversations: await app.db.prisma.conversation.findMany({
        where: { subject: world.a.subject },
        include: { messages: true },
      }),
      tasks: await app.db.prisma.task.findMany({ where: { subject: world.a.subject } }),
      apiKeys: await app.db.prisma.apiKey.findMany({ where: { userId: world.a.userId } }),
      keyRows: await app.db.prisma.userQuotaLimit.findMany({ where: { subject: `key:${world.a.keyId}` } }),
    });
  });
  afterAll(() => app.close());

  it("has a probe for every procedure of the router", () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
  });

  it("no probe reads or changes A's usage, quotas, ledger or account", async () => {
    const before = await snapshot();
    expect(await ownRequests(world.a.caller)).toBe(4);
    for (const [path, probe] of Object.entries(PROBES)) {
      await probe(world).catch((e: unknown) => {
        throw new Error(`probe ${path}: ${(e as Error).message}`);
      });
    }
    expect(await snapshot()).toEqual(before);
  });
});
