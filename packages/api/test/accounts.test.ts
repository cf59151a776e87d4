import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateAnonymous } from "../src/accounts/migrate-anonymous.ts";
import { coSubjectsOf, ensureAnonymousSession, subjectOf, type Identity } from "../src/index.ts";
import { DATABASE_ENGINES } from "./support/databases.ts";
import { anonymousCaller, openTestApp, type TestApp } from "./support/services.ts";

const usage = (i: number, o: number, c: number) => ({
  inputTokens: i,
  outputTokens: o,
  cachedInputTokens: 0,
  costMicros: c,
  estimated: false,
  priceVersion: null,
});

for (const engine of DATABASE_ENGINES) {
  describe(`guest-to-account migration on ${engine}`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    async function visitorWithHistory(messages: number) {
      const { identity } = await anonymousCaller(app.services, { timeZone: "Europe/Berlin" });
      // History is written through the engine here, not the router: the row its first send would create.
      if (identity.kind === "anonymous") await ensureAnonymousSession(app.services, identity);
      const anon = subjectOf(identity);
      const conv = await app.db.prisma.conversation.create({
        data: { subject: anon.key, title: "Guest chat", messages: { create: [{ role: "user", content: "hello" }] } },
      });
      for (let i = 0; i < messages; i++) {
        const key = `m-${randomUUID()}`;
        await app.services.engine.admit({
          subject: anon,
          also: coSubjectsOf(identity),
          provider: "local-demo",
          model: "demo-1",
          estTokens: 100,
          estCostMicros: 0,
          key,
        });
        await app.services.engine.settle(anon, key, usage(30, 20, 0), { provider: "local-demo", model: "demo-1" });
      }
      // One request still in flight at sign-up.
      await app.services.engine.admit({
        subject: anon,
        also: coSubjectsOf(identity),
        provider: "local-demo",
        model: "demo-1",
        estTokens: 100,
        estCostMicros: 0,
        key: "in-flight-1",
      });
      return { identity, anon, conv };
    }

    async function newAccount() {
      const user = await app.db.prisma.user.create({
        data: { email: `${randomUUID()}@t.local`, tier: "free", timezone: "Europe/Berlin" },
      });
      const identity: Identity = {
        kind: "user",
        userId: user.id,
        email: user.email,
        tier: "free",
        role: "user",
        timeZone: "Europe/Berlin",
      };
      return { user, identity, subject: { ...subjectOf(identity), userId: user.id } };
    }

    const daily = async (identity: Identity, dimension: string) =>
      (await app.services.engine.statuses(subjectOf(identity))).find(
        (q) => q.window === "daily" && q.scope === "general" && q.dimension === dimension,
      );

    it("moves conversations, ledger, hourly records and today's usage, and keeps counting", async () => {
      const { identity, anon, conv } = await visitorWithHistory(12);
      const acct = await newAccount();
      const r = await migrateAnonymous(
        app.db.prisma,
        app.services.engine,
        (identity as { anonymousId: string }).anonymousId,
        acct.subject,
      );
      expect(r).toMatchObject({ status: "migrated", conversations: 1, events: 13 });
      expect(await app.db.prisma.conversation.findUnique({ where: { id: conv.id } })).toMatchObject({
        subject: acct.subject.key,
      });
      // 12 settled (600 tokens) plus the in-flight reservation (1 request, 100 tokens) now on the account.
      expect(await daily(acct.identity, "requests")).toMatchObject({ used: 13, reserved: 1, limit: 500 });
      expect(await daily(acct.identity, "tokens")).toMatchObject({ used: 700, reserved: 100 });
      const hourly = await app.db.prisma.usageRecord.aggregate({
        where: { subject: acct.subject.key },
        _sum: { requestCount: true },
      });
      expect(hourly._sum.requestCount).toBe(12);
      // Estimate reconciliation moves with the hours: 12 settled against estimates of 100 tokens.
      const reconciled = () =>
        app.db.prisma.usageRecord.aggregate({
          where: { subject: acct.subject.key },
          _sum: { reconciledRequests: true, estTokens: true, reconciledActualTokens: true },
        });
      expect((await reconciled())._sum).toEqual({
        reconciledRequests: 12,
        estTokens: 1_200n,
        reconciledActualTokens: 600n,
      });
      expect(await app.db.prisma.usageRecord.count({ where: { subject: anon.key } })).toBe(0);
      // The in-flight request settles on the account.
      expect(
        await app.services.engine.settle(acct.subject, "in-flight-1", usage(40, 40, 0), {
          provider: "local-demo",
          model: "demo-1",
        }),
      ).toBe("settled");
      expect(await daily(acct.identity, "tokens")).toMatchObject({ used: 680, reserved: 0 });
      expect((await reconciled())._sum).toEqual({
        reconciledRequests: 13,
        estTokens: 1_300n,
        reconciledActualTokens: 680n,
      });
      // The visitor's own allowance is not renewed by signing up (or back out).
      expect(await daily(identity, "requests")).toMatchObject({ used: 12, reserved: 0 });
    });

    it("moves nothing twice when two sign-ins of the same visitor race", async () => {
      const { identity } = await visitorWithHistory(5);
      const acct = await newAccount();
      const anonymousId = (identity as { anonymousId: string }).anonymousId;
      const results = await Promise.all([
        migrateAnonymous(app.db.prisma, app.services.engine, anonymousId, acct.subject),
        migrateAnonymous(app.db.prisma, app.services.engine, anonymousId, acct.subject),
        migrateAnonymous(app.db.prisma, app.services.engine, anonymousId, acct.subject),
      ]);
      expect(results.filter((r) => r.status === "migrated")).toHaveLength(1);
      expect(results.filter((r) => r.status === "already_migrated")).toHaveLength(2);
      expect(await daily(acct.identity, "requests")).toMatchObject({ used: 6, reserved: 1 });
      const events = await app.db.prisma.usageEvent.count({ where: { subject: acct.subject.key } });
      expect(events).toBe(6);
      const hourly = await app.db.prisma.usageRecord.aggregate({
        where: { subject: acct.subject.key },
        _sum: { requestCount: true },
      });
      expect(hourly._sum.requestCount).toBe(5);
    });

    it("reports an unknown visitor without changing anything", async () => {
      const acct = await newAccount();
      expect(await migrateAnonymous(app.db.prisma, app.services.engine, randomUUID(), acct.subject)).toEqual({
        status: "no_session",
      });
    });
  });
}
