import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { anonymousCaller, openTestApp, serviceCaller, userCaller, type TestApp } from "../support/services.ts";

async function rejection(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
  throw new Error("expected the call to be refused");
}

for (const engine of DATABASE_ENGINES) {
  describe(`usage router on ${engine}`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    it("shows a new anonymous visitor 50 of 50 messages, resetting at local midnight", async () => {
      const { caller } = await anonymousCaller(app.services, { timeZone: "Asia/Tokyo" });
      const s = await caller.usage.status();
      expect(s.tier).toBe("anonymous");
      expect(s.timeZone).toBe("Asia/Tokyo");
      expect(s.binding).toMatchObject({ window: "daily", dimension: "requests", used: 0, limit: 50, remaining: 50 });
      const local = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Asia/Tokyo",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      });
      expect(local.format(s.resetsAt!)).toBe("00:00");
      expect(await caller.usage.needsInit()).toBe(true);
      expect(await caller.usage.init({})).toEqual({ tier: "anonymous", created: true });
      expect(await caller.usage.init({})).toEqual({ tier: "anonymous", created: false });
    });

    it("refuses a reservation past the limit with TOO_MANY_REQUESTS naming the limit", async () => {
      const { caller, subject } = await anonymousCaller(app.services);
      const service = serviceCaller(app.services);
      for (let i = 0; i < 50; i++) {
        await service.usage.reserve({
          subject,
          provider: "local-demo",
          model: "demo-1",
          estimatedTokens: 100,
          estimatedCostMicros: 0,
          idempotencyKey: `key-${i}-xyz`,
        });
      }
      const e = await rejection(
        service.usage.reserve({
          subject,
          provider: "local-demo",
          model: "demo-1",
          estimatedTokens: 100,
          estimatedCostMicros: 0,
          idempotencyKey: "key-50-xyz",
        }),
      );
      expect(e.code).toBe("TOO_MANY_REQUESTS");
      expect(e.message).toMatch(/Daily request limit reached \(50 of 50\)/);
      const status = await caller.usage.status();
      expect(status.health).toBe("exceeded");
      expect(status.alerts[0]).toMatchObject({ threshold: 100, dimension: "requests" });
      const check = await caller.usage.check({ provider: "local-demo", model: "demo-1" });
      expect(check.canProceed).toBe(false);
      expect(check.reasons[0]).toMatchObject({
        scope: "general",
        window: "daily",
        dimension: "requests",
        limit: 50,
        remaining: 0,
      });
      expect(check.remaining.requests).toBe(0);
    });

    it("settles a reservation through sync exactly once and records unreserved usage", async () => {
      const { caller, subject } = await userCaller(app.services, { tier: "free" });
      const service = serviceCaller(app.services);
      await service.usage.reserve({
        subject,
        provider: "openai",
        model: "gpt-4o-mini",
        estimatedTokens: 1_000,
        estimatedCostMicros: 2_000,
        idempotencyKey: "resv-0001",
      });
      const record = {
        provider: "openai",
        model: "gpt-4o-mini",
        inputTokens: 300,
        outputTokens: 200,
        costMicros: 900,
        occurredAt: new Date(),
      };
      const first = await service.usage.sync({
        subject,
        records: [
          { ...record, idempotencyKey: "resv-0001" },
          { ...record, idempotencyKey: "other-0002" },
        ],
      });
      expect(first).toEqual({ accepted: 2, duplicates: 0, queued: 0, rejected: [] });
      const again = await service.usage.sync({
        subject,
        records: [
          { ...record, idempotencyKey: "resv-0001" },
          { ...record, idempotencyKey: "other-0002" },
        ],
      });
      expect(again).toEqual({ accepted: 0, duplicates: 2, queued: 0, rejected: [] });
      const s = await caller.usage.status();
      const tokens = s.quotas.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "tokens");
      expect(tokens).toMatchObject({ used: 1_000, reserved: 0 });
      expect(await caller.usage.syncStatus()).toMatchObject({ pending: 0, failed: 0 });
    });

    it("gives a reservation back with release", async () => {
      const { caller, subject } = await userCaller(app.services);
      const service = serviceCaller(app.services);
      await service.usage.reserve({
        subject,
        provider: "openai",
        model: "gpt-4o",
        estimatedTokens: 5_000,
        estimatedCostMicros: 50_000,
        idempotencyKey: "release-me-1",
      });
      expect(await service.usage.release({ subject, idempotencyKey: "release-me-1" })).toEqual({ status: "released" });
      const e = await rejection(service.usage.release({ subject, idempotencyKey: "never-was-1" }));
      expect(e.code).toBe("NOT_FOUND");
      const s = await caller.usage.status();
      expect(s.quotas.every((q) => q.used === 0)).toBe(true);
    });

    it("refuses a model the tier may not use", async () => {
      const { caller } = await anonymousCaller(app.services);
      const e = await rejection(caller.usage.check({ provider: "anthropic", model: "claude-opus-4-1" }));
      expect(e.code).toBe("FORBIDDEN");
    });

    it("refuses init with another tier and resetExpired for non-admins", async () => {
      const { caller } = await userCaller(app.services, { tier: "free" });
      expect((await rejection(caller.usage.init({ tier: "pro" }))).code).toBe("FORBIDDEN");
      expect((await rejection(caller.usage.resetExpired())).code).toBe("FORBIDDEN");
      const admin = await userCaller(app.services, { role: "admin" });
      expect(await admin.caller.usage.resetExpired()).toMatchObject({ expiredReservations: expect.any(Number) });
    });

    it("keeps each subject's usage to itself", async () => {
      const a = await userCaller(app.services);
      const b = await userCaller(app.services);
      const service = serviceCaller(app.services);
      const reserve = (subject: string) =>
        service.usage.reserve({
          subject,
          provider: "openai",
          model: "gpt-4o",
          estimatedTokens: 10,
          estimatedCostMicros: 10,
          idempotencyKey: "iso-0001",
        });
      await reserve(a.subject);
      // The same key for another subject is that subject's own reservation.
      expect((await reserve(b.subject)).duplicate).toBe(false);
      expect((await rejection(service.usage.release({ subject: b.subject, idempotencyKey: "iso-0002" }))).code).toBe(
        "NOT_FOUND",
      );
      expect((await rejection(b.caller.quota.limits({ subject: a.subject }))).code).toBe("FORBIDDEN");
      const sa = await a.caller.usage.status();
      expect(sa.binding).not.toBeNull();
      expect(
        (await b.caller.usage.status()).quotas.find(
          (q) => q.dimension === "requests" && q.window === "daily" && q.scope === "general",
        )?.used,
      ).toBe(1);
      expect(randomUUID()).not.toBe(a.user.id);
    });

    it("takes reserve, release and sync from a service only: 401 for visitors, 403 for sessions", async () => {
      const visitor = await anonymousCaller(app.services);
      const user = await userCaller(app.services);
      const admin = await userCaller(app.services, { role: "admin" });
      const reserve = {
        subject: user.subject,
        provider: "openai",
        model: "gpt-4o-mini",
        estimatedTokens: 1,
        estimatedCostMicros: 1,
        idempotencyKey: "svc-only-1",
      };
      const release = { subject: user.subject, idempotencyKey: "svc-only-1" };
      const sync = {
        subject: user.subject,
        records: [
          {
            idempotencyKey: "svc-only-2",
            provider: "openai",
            model: "gpt-4o-mini",
            inputTokens: 1,
            outputTokens: 1,
            occurredAt: new Date(),
          },
        ],
      };
      for (const [caller, code] of [
        [visitor.caller, "UNAUTHORIZED"],
        [user.caller, "FORBIDDEN"],
        // An operator's browser session is still a session: service calls take the token only.
        [admin.caller, "FORBIDDEN"],
      ] as const) {
        expect((await rejection(caller.usage.reserve(reserve))).code).toBe(code);
        expect((await rejection(caller.usage.release(release))).code).toBe(code);
        expect((await rejection(caller.usage.sync(sync))).code).toBe(code);
      }
      expect(await app.db.prisma.usageEvent.count({ where: { subject: user.subject } })).toBe(0);
    });

    it("never lets a service call reach a chat's ledger event, and audits every call", async () => {
      const { caller, subject } = await userCaller(app.services);
      const service = serviceCaller(app.services);
      const sent = await caller.chat.send({ provider: "local-demo", model: "demo-1", content: "charge me" });
      await app.services.chat.drain();
      const charged = async () =>
        app.db.prisma.usageEvent.findUniqueOrThrow({
          where: { subject_idempotencyKey: { subject, idempotencyKey: `task:${sent.taskId}` } },
        });
      const before = await charged();
      expect(before.status).toBe("settled");
      expect((await rejection(service.usage.release({ subject, idempotencyKey: `task:${sent.taskId}` }))).code).toBe(
        "NOT_FOUND",
      );
      // The same key through sync is a new report in the service's own namespace, not the chat's.
      const synced = await service.usage.sync({
        subject,
        records: [
          {
            idempotencyKey: `task:${sent.taskId}`,
            provider: "local-demo",
            model: "demo-1",
            inputTokens: 0,
            outputTokens: 0,
            costMicros: 0,
            occurredAt: new Date(),
          },
        ],
      });
      expect(synced.accepted).toBe(1);
      expect(await charged()).toEqual(before);
      const audit = await app.db.prisma.auditLog.findMany({
        where: { target: subject },
        orderBy: { createdAt: "asc" },
      });
      expect(audit.map((a) => [a.actor, a.action])).toEqual([["service:admin-token", "usage.sync"]]);
      expect(await app.db.prisma.usageEvent.count({ where: { subject, idempotencyKey: { startsWith: "svc:" } } })).toBe(
        1,
      );
    });

    it("refuses a subject that does not exist or is not a user or visitor", async () => {
      const service = serviceCaller(app.services);
      const release = (subject: string) => service.usage.release({ subject, idempotencyKey: "nobody-1" });
      expect((await rejection(release("user:nobody"))).code).toBe("NOT_FOUND");
      // A visitor not stored yet is created (sessions are lazy) and has nothing to release.
      expect((await rejection(release("anon:nobody"))).code).toBe("NOT_FOUND");
      expect((await rejection(release("ip:abc"))).code).toBe("BAD_REQUEST");
    });
  });
}
