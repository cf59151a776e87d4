import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/index.ts";
import { bucketStarts } from "../../src/routers/profile-usage.ts";
import { anonymousCaller, openTestApp, serviceCaller, userCaller, type TestApp } from "../support/services.ts";

describe("profile and quota routers", () => {
  let app: TestApp;
  let clock: FakeClock;
  beforeAll(async () => {
    // Inputs are validated against real time (sync and overrides refuse the past), so the clock is now.
    clock = new FakeClock(new Date());
    app = await openTestApp("pglite", { clock });
  });
  afterAll(() => app.close());

  const record = (
    key: string,
    provider: string,
    model: string,
    at: string,
    input: number,
    output: number,
    cost: number,
  ) => ({
    idempotencyKey: key,
    provider,
    model,
    inputTokens: input,
    outputTokens: output,
    costMicros: cost,
    occurredAt: new Date(at),
  });

  it("day buckets are local days, 23 hours long across the spring DST change", () => {
    const days = bucketStarts(
      new Date("2026-03-07T05:00:00Z"),
      new Date("2026-03-10T04:00:00Z"),
      "day",
      "America/New_York",
    );
    expect(days.map((d) => d.toISOString())).toEqual([
      "2026-03-07T05:00:00.000Z",
      "2026-03-08T05:00:00.000Z",
      "2026-03-09T04:00:00.000Z",
    ]);
    expect(
      bucketStarts(new Date("2026-03-09T00:30:00Z"), new Date("2026-03-09T03:00:00Z"), "hour", "UTC"),
    ).toHaveLength(3);
  });

  it("returns zero-filled series, totals, breakdowns and estimate accuracy in the user's zone", async () => {
    const { caller, subject } = await userCaller(app.services, { tier: "pro", timeZone: "America/New_York" });
    await serviceCaller(app.services).usage.reserve({
      subject,
      provider: "openai",
      model: "gpt-4o",
      estimatedTokens: 1_000,
      estimatedCostMicros: 9_000,
      idempotencyKey: "acc-0001",
    });
    const synced = await serviceCaller(app.services).usage.sync({
      subject,
      records: [
        record("acc-0001", "openai", "gpt-4o", new Date().toISOString(), 500, 300, 8_000),
        record("rec-0002", "anthropic", "claude-sonnet-4-5", new Date().toISOString(), 100, 50, 1_050),
      ],
    });
    expect(synced.accepted).toBe(2);
    const now = Date.now();
    const u = await caller.profile.usage({
      from: new Date(now - 2 * 86_400_000),
      to: new Date(now + 60_000),
      granularity: "day",
      groupBy: "none",
    });
    // Three local days (two past ones zero-filled), or four when the range starts late in a local day.
    expect(u.series.length).toBeGreaterThanOrEqual(3);
    expect(u.series.slice(0, -1).every((p) => p.requests === 0)).toBe(true);
    expect(u.series.at(-1)?.requests).toBe(2);
    expect(u.totals).toEqual({ requests: 2, inputTokens: 600, outputTokens: 350, costMicros: 9_050 });
    expect(u.byProvider.map((p) => p.provider)).toEqual(["openai", "anthropic"]);
    // Reserved 1,000 tokens, used 800: estimates ran 25 % high (the synced record had no estimate).
    expect(u.estimateAccuracy).toEqual({ settledRequests: 1, estimatedRequests: 0, tokenErrorPercent: 25 });
    expect(u.quota.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "tokens")?.used).toBe(
      950,
    );
  });

  it("groups series by provider and by model", async () => {
    const { caller, subject } = await userCaller(app.services, { tier: "pro", timeZone: "UTC" });
    const now = new Date();
    await serviceCaller(app.services).usage.sync({
      subject,
      records: [
        record("grp-0001", "openai", "gpt-4o", now.toISOString(), 10, 10, 100),
        record("grp-0002", "anthropic", "claude-sonnet-4-5", now.toISOString(), 20, 20, 300),
      ],
    });
    const from = new Date(now.getTime() - 3 * 3_600_000);
    const to = new Date(now.getTime() + 3_600_000);
    const byModel = await caller.profile.usage({ from, to, granularity: "hour", groupBy: "model" });
    const groups = [...new Set(byModel.series.map((p) => p.group))].sort();
    expect(groups).toEqual(["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]);
    expect(byModel.series.filter((p) => p.group === "openai/gpt-4o")).toHaveLength(byModel.series.length / 2);
    expect(byModel.byModel[0]).toMatchObject({ provider: "anthropic", model: "claude-sonnet-4-5", costMicros: 300 });
    expect(byModel.totals.costMicros).toBe(400);
  });

  it("keeps analytics per subject", async () => {
    const a = await userCaller(app.services);
    const b = await userCaller(app.services);
    await serviceCaller(app.services).usage.sync({
      subject: a.subject,
      records: [record("iso-a-0001", "openai", "gpt-4o", new Date().toISOString(), 5, 5, 50)],
    });
    const range = {
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 3_600_000),
      granularity: "hour" as const,
    };
    expect((await b.caller.profile.usage(range)).totals.requests).toBe(0);
    expect((await a.caller.profile.usage(range)).totals.requests).toBe(1);
  });

  it("updates the profile: name and a validated zone; anonymous visitors change their zone only", async () => {
    const { caller } = await userCaller(app.services);
    expect(await caller.profile.update({ name: "Ada", timezone: "europe/berlin" })).toEqual({
      name: "Ada",
      timezone: "Europe/Berlin",
    });
    expect(await caller.profile.get()).toMatchObject({
      anonymous: false,
      name: "Ada",
      timezone: "Europe/Berlin",
      tier: "free",
    });
    const anon = await anonymousCaller(app.services);
    expect(await anon.caller.profile.update({ timezone: "Asia/Tokyo" })).toEqual({ timezone: "Asia/Tokyo" });
    await expect(anon.caller.profile.update({ name: "x" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("lists tiers and the caller's limits with their source", async () => {
    const { caller } = await userCaller(app.services, { tier: "free" });
    const tiers = await caller.quota.tiers();
    expect(tiers.map((t) => t.name)).toEqual(["anonymous", "free", "pro"]);
    const limits = await caller.quota.limits();
    expect(limits.limits.find((l) => l.window === "daily" && l.scope === "general")).toMatchObject({
      requests: 500,
      tokens: 100_000,
      costMicros: 5_000_000,
      source: "tier",
    });
  });

  it("lets operators change a tier, grant an expiring override and reset usage, all audited", async () => {
    const admin = await userCaller(app.services, { role: "admin", tier: "pro" });
    const { user, subject, caller } = await userCaller(app.services, { tier: "free" });
    await expect(caller.quota.set({ userId: user.id, tier: "pro" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await serviceCaller(app.services).usage.reserve({
      subject,
      provider: "openai",
      model: "gpt-4o",
      estimatedTokens: 10,
      estimatedCostMicros: 10,
      idempotencyKey: "before-upgrade",
    });

    const set = await admin.caller.quota.set({
      userId: user.id,
      tier: "pro",
      override: {
        window: "daily",
        scope: "general",
        requests: 7,
        tokens: null,
        costMicros: null,
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    expect(set.tier).toBe("pro");
    const daily = set.statuses.find((s) => s.window === "daily" && s.scope === "general" && s.dimension === "requests");
    expect(daily).toMatchObject({ limit: 7, used: 1, source: "override" });
    // An override states the whole row: tokens and cost null mean unlimited while it lasts.
    expect(
      set.statuses.find((s) => s.window === "daily" && s.scope === "general" && s.dimension === "tokens"),
    ).toBeUndefined();
    // The tier change kept the month's usage, and the new tier's limits apply elsewhere.
    expect(
      set.statuses.find((s) => s.window === "monthly" && s.scope === "general" && s.dimension === "tokens"),
    ).toMatchObject({ limit: 10_000_000, used: 10 });

    const reset = await admin.caller.quota.reset({ userId: user.id, window: "daily" });
    expect(reset.resetRows).toBeGreaterThan(0);
    const after = await caller.usage.status();
    expect(
      after.quotas.find((s) => s.window === "daily" && s.scope === "general" && s.dimension === "requests"),
    ).toMatchObject({ used: 1, reserved: 1 });

    const audit = await app.db.prisma.auditLog.findMany({
      where: { target: `user:${user.id}` },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ["usage.reserve", "service:admin-token"],
      ["quota.set", `user:${admin.user.id}`],
      ["quota.reset", `user:${admin.user.id}`],
    ]);
    await expect(admin.caller.quota.set({ userId: randomUUID(), tier: "pro" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
