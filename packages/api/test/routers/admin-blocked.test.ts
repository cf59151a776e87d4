import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, userCaller, anonymousCaller, serviceCaller, type TestApp } from "../support/services.ts";

describe("blocked requests, chat housekeeping and the operators' view", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await openTestApp("pglite");
  });
  afterAll(() => app.close());

  it("counts refused requests per local day, but not a reply trimmed to fit", async () => {
    const { caller, subject } = await anonymousCaller(app.services, { timeZone: "Asia/Tokyo" });
    for (let i = 0; i < 50; i++)
      await serviceCaller(app.services).usage.reserve({
        subject,
        provider: "local-demo",
        model: "demo-1",
        estimatedTokens: 1,
        estimatedCostMicros: 0,
        idempotencyKey: `blk-${i}-key`,
      });
    for (let i = 0; i < 3; i++) {
      await expect(
        caller.chat.send({ provider: "local-demo", model: "demo-1", content: "more" }),
      ).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    }
    const u = await caller.profile.usage({
      from: new Date(Date.now() - 2 * 86_400_000),
      to: new Date(Date.now() + 60_000),
      granularity: "day",
    });
    expect(u.timeZone).toBe("Asia/Tokyo");
    expect(u.blockedByDay.at(-1)).toMatchObject({ count: 3 });
    expect(u.blockedByDay.slice(0, -1).every((d) => d.count === 0)).toBe(true);
  });

  it("renames and deletes a conversation", async () => {
    const { caller } = await userCaller(app.services);
    const sent = await caller.chat.send({ provider: "local-demo", model: "demo-1", content: "Name me" });
    await app.services.chat.drain();
    expect(await caller.chat.rename({ conversationId: sent.conversationId, title: "Renamed" })).toEqual({
      id: sent.conversationId,
      title: "Renamed",
    });
    expect((await caller.chat.conversations())[0]?.title).toBe("Renamed");
    expect(await caller.chat.delete({ conversationId: sent.conversationId })).toEqual({ deleted: true });
    expect(await caller.chat.conversations()).toEqual([]);
    // The usage it caused stays accounted for.
    expect(
      (await caller.usage.status()).quotas.find(
        (q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests",
      )?.used,
    ).toBe(1);
  });

  it("lists users with today's usage and shows system health to admins", async () => {
    const admin = await userCaller(app.services, { role: "admin" });
    const { user, subject } = await userCaller(app.services, { tier: "pro" });
    await serviceCaller(app.services).usage.reserve({
      subject,
      provider: "openai",
      model: "gpt-4o",
      estimatedTokens: 100,
      estimatedCostMicros: 2_000,
      idempotencyKey: "adm-view-1",
    });
    const users = await admin.caller.admin.users({ search: user.email.slice(0, 12) });
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({
      id: user.id,
      tier: "pro",
      today: { requests: 1, tokens: 100, costMicros: 2_000 },
    });
    await app.services.worker.tick();
    const health = await admin.caller.admin.health();
    expect(health).toMatchObject({ database: "up", reservations: { inFlight: expect.any(Number) } });
    expect(health.lastResetSweepAt).toBeInstanceOf(Date);
  });
});
