import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COUNTED_PROCEDURES,
  FakeClock,
  UNUSED_ANONYMOUS_RETENTION_MS,
  appRouter,
  createCaller,
  createInnerContext,
  resolveAnonymous,
  sweepUnusedAnonymousSessions,
} from "../../src/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { openTestApp, type TestApp } from "../support/services.ts";

/**
 * Mutations that never write under the calling visitor's subject: signing up, in or out (the visitor
 * becomes an account; what it has moves through its row, and without a row it has nothing), acting
 * on what a counted procedure made (a task, a conversation), service calls that name their subject
 * (usage.reserve and usage.sync create that subject's row themselves), signed-in users' own
 * procedures (API keys: a visitor is refused), and operators' procedures.
 */
const NOT_COUNTED = new Set([
  "auth.signUp",
  "auth.signIn",
  "auth.signOut",
  "chat.cancel",
  "chat.rename",
  "chat.delete",
  "usage.reserve",
  "usage.release",
  "usage.sync",
  "usage.resetExpired",
  "quota.set",
  "quota.reset",
  "apiKeys.create",
  "apiKeys.revoke",
  "admin.revokeApiKey",
]);

const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>);
const DAY = 86_400_000;

for (const engine of DATABASE_ENGINES) {
  describe(`anonymous visitors' rows on ${engine}`, () => {
    let app: TestApp;
    let clock: FakeClock;
    beforeAll(async () => {
      clock = new FakeClock(new Date());
      app = await openTestApp(engine, { clock });
    });
    afterAll(() => app.close());

    /** A visitor as the server sees it on its first request: a fresh cookie, no row looked up. */
    async function freshVisitor(timeZone = "Asia/Kolkata") {
      const identity = await resolveAnonymous(app.services, {
        anonymousId: randomUUID(),
        ipHash: randomUUID().replaceAll("-", ""),
        timeZone,
        fresh: true,
      });
      if (identity.kind !== "anonymous") throw new Error("not a visitor");
      return { identity, caller: createCaller(createInnerContext({ services: app.services, identity })) };
    }
    const rowOf = (anonymousId: string) => app.db.prisma.anonymousSession.findUnique({ where: { anonymousId } });

    it("classifies every mutation: counted (creates the row) or listed as one that does not count", () => {
      const mutations = PROCEDURES.filter(([, p]) => p._def.type === "mutation").map(([path]) => path);
      const unclassified = mutations.filter((m) => !COUNTED_PROCEDURES.has(m) && !NOT_COUNTED.has(m));
      expect(unclassified).toEqual([]);
      // Reads never count.
      const queries = PROCEDURES.filter(([, p]) => p._def.type === "query").map(([path]) => path);
      expect(queries.filter((q) => COUNTED_PROCEDURES.has(q))).toEqual([]);
    });

    it("serves a visitor without a row its tier's limits, unused, and writes nothing for reads", async () => {
      const { identity, caller } = await freshVisitor();
      const status = await caller.usage.status();
      expect(status).toMatchObject({ tier: "anonymous", timeZone: "Asia/Kolkata", binding: { used: 0, limit: 50 } });
      expect(await caller.auth.me()).toMatchObject({ kind: "anonymous", messagesUsed: 0, messageLimit: 50 });
      expect(await caller.usage.needsInit()).toBe(true);
      expect(await caller.chat.conversations()).toEqual([]);
      expect(await caller.quota.limits()).toMatchObject({ subject: `anon:${identity.anonymousId}` });
      expect(await caller.profile.get()).toMatchObject({ anonymous: true, timezone: "Asia/Kolkata" });
      expect(await caller.usage.syncStatus()).toBeDefined();
      expect(await rowOf(identity.anonymousId)).toBeNull();
      expect(await app.db.prisma.userQuotaLimit.count({ where: { subject: `anon:${identity.anonymousId}` } })).toBe(0);
    });

    it("creates the row, with the zone and address hash of that request, on a send, a check, an init or a zone", async () => {
      const cases: [string, (c: Awaited<ReturnType<typeof freshVisitor>>["caller"]) => Promise<unknown>][] = [
        ["chat.send", (c) => c.chat.send({ provider: "local-demo", model: "demo-1", content: "Hello" })],
        ["usage.check", (c) => c.usage.check({ provider: "local-demo", model: "demo-1" })],
        ["usage.init", (c) => c.usage.init({})],
        ["profile.update", (c) => c.profile.update({ timezone: "America/Lima" })],
      ];
      for (const [path, call] of cases) {
        const { identity, caller } = await freshVisitor();
        await call(caller);
        expect({ path, row: await rowOf(identity.anonymousId) }).toMatchObject({
          path,
          row: {
            ipHash: identity.ipHash,
            timezone: path === "profile.update" ? "America/Lima" : "Asia/Kolkata",
            migratedToUserId: null,
          },
        });
      }
    });

    it("once the row exists, the visitor's stored zone wins over the browser's", async () => {
      const { identity, caller } = await freshVisitor("Europe/Berlin");
      await caller.usage.check({ provider: "local-demo", model: "demo-1" });
      const again = await resolveAnonymous(app.services, {
        anonymousId: identity.anonymousId,
        ipHash: identity.ipHash,
        timeZone: "Asia/Tokyo",
      });
      expect(again.timeZone).toBe("Europe/Berlin");
    });

    it("sweeps visitors that never used anything after the retention, and keeps every other", async () => {
      const unused = await freshVisitor();
      await unused.caller.usage.check({ provider: "local-demo", model: "demo-1" }); // a row and quota rows, no usage
      const used = await freshVisitor();
      await used.caller.chat.send({ provider: "local-demo", model: "demo-1", content: "Keep me" });
      const migrated = await freshVisitor();
      await migrated.caller.usage.check({ provider: "local-demo", model: "demo-1" });
      await app.db.prisma.anonymousSession.update({
        where: { anonymousId: migrated.identity.anonymousId },
        data: { migratedToUserId: "some-account" },
      });

      // Within the retention nothing goes.
      clock.advance(UNUSED_ANONYMOUS_RETENTION_MS - DAY);
      await sweepUnusedAnonymousSessions(
        app.db.prisma,
        new Date(clock.now().getTime() - UNUSED_ANONYMOUS_RETENTION_MS),
      );
      expect(await rowOf(unused.identity.anonymousId)).not.toBeNull();

      // Past it, the background worker's hourly pass removes the unused visitor and its quota rows only.
      clock.advance(2 * DAY);
      const report = await app.services.worker.tick();
      expect(report.sweptVisitors).toBeGreaterThanOrEqual(1);
      expect(await rowOf(unused.identity.anonymousId)).toBeNull();
      expect(
        await app.db.prisma.userQuotaLimit.count({ where: { subject: `anon:${unused.identity.anonymousId}` } }),
      ).toBe(0);
      expect(await rowOf(used.identity.anonymousId)).not.toBeNull();
      expect(await rowOf(migrated.identity.anonymousId)).not.toBeNull();
      // The one who used something keeps its ledger and conversation.
      const key = `anon:${used.identity.anonymousId}`;
      expect(await app.db.prisma.usageEvent.count({ where: { subject: key } })).toBe(1);
      expect(await app.db.prisma.conversation.count({ where: { subject: key } })).toBe(1);
    });
  });
}
