import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TierName } from "@wavelength/shared";
import { FakeClock, QuotaEngine, type MeteringStore, type SubjectRef } from "../../src/metering/index.ts";

export interface StoreHandle {
  store: MeteringStore;
  close(): Promise<void>;
}

const usage = (input: number, output: number, costMicros: number) => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0,
  costMicros,
  estimated: false,
  priceVersion: "test-v1",
});

/**
 * The engine's behaviour, run unchanged on every store: memory (fake clock,
 * no I/O), PGlite and PostgreSQL. Each test uses its own subjects.
 */
export function engineSuite(label: string, open: () => Promise<StoreHandle>) {
  describe(`quota engine on ${label}`, () => {
    let handle: StoreHandle;
    let clock: FakeClock;
    let engine: QuotaEngine;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.close();
    });

    const setup = (start = "2026-03-10T12:00:00Z", opts: { ttlMs?: number } = {}) => {
      clock = new FakeClock(start);
      engine = new QuotaEngine({ store: handle.store, clock, reservationTtlMs: opts.ttlMs ?? 60_000 });
    };
    const subject = (tier: TierName = "free", timeZone = "Europe/Berlin"): SubjectRef => ({
      key: tier === "anonymous" ? `anon:${randomUUID()}` : `user:${randomUUID()}`,
      tier,
      timeZone,
    });
    const admit = (
      s: SubjectRef,
      over: Partial<{ provider: string; model: string; estTokens: number; estCostMicros: number; key: string }> = {},
    ) =>
      engine.admit({
        subject: s,
        provider: "openai",
        model: "gpt-4o-mini",
        estTokens: 100,
        estCostMicros: 1_000,
        key: randomUUID(),
        ...over,
      });
    const status = async (s: SubjectRef, window: "daily" | "monthly", dimension: string, scope = "general") =>
      (await engine.statuses(s)).find((q) => q.window === window && q.dimension === dimension && q.scope === scope);

    it("initializes a subject with its tier's limits on first admission", async () => {
      setup();
      const s = subject("free");
      expect(await engine.needsInit(s)).toBe(true);
      const d = await admit(s);
      expect(d.allowed).toBe(true);
      expect(await engine.needsInit(s)).toBe(false);
      const daily = await status(s, "daily", "requests");
      expect(daily).toMatchObject({ limit: 500, used: 1, reserved: 1, remaining: 499 });
      expect(await status(s, "monthly", "costMicros")).toMatchObject({ limit: 50_000_000, used: 1_000 });
    });

    it("denies at the limit, naming the binding limit and when it resets (in the subject's zone)", async () => {
      setup("2026-03-10T12:00:00Z");
      const s = subject("anonymous", "America/New_York");
      for (let i = 0; i < 50; i++) expect((await admit(s)).allowed).toBe(true);
      const d = await admit(s);
      expect(d.allowed).toBe(false);
      if (d.allowed) return;
      expect(d.denials).toEqual([
        {
          scope: "general",
          provider: null,
          model: null,
          window: "daily",
          dimension: "requests",
          used: 50,
          limit: 50,
          remaining: 0,
          // Local midnight in New York on 11 March 2026 (EDT, UTC-4, since the 8th).
          resetsAt: new Date("2026-03-11T04:00:00.000Z"),
        },
      ]);
    });

    it("names every binding limit when several would be exceeded", async () => {
      setup();
      const s = subject("free");
      const d = await admit(s, { estTokens: 100_001, estCostMicros: 5_000_001 });
      expect(d.allowed).toBe(false);
      if (d.allowed) return;
      const names = d.denials.map((x) => `${x.window}:${x.scope}:${x.dimension}`).sort();
      expect(names).toEqual(["daily:general:costMicros", "daily:general:tokens", "daily:provider:costMicros"]);
      // Nothing was reserved by the denied request.
      expect(await status(s, "daily", "requests")).toMatchObject({ used: 0 });
    });

    it("reports the status of every applicable limit with a denial", async () => {
      setup();
      const s = subject("free");
      const d = await admit(s, { estTokens: 100_001 });
      expect(d.allowed).toBe(false);
      const rows = new Set(d.quotas.map((q) => `${q.window}:${q.scope}`));
      expect([...rows].sort()).toEqual(["daily:general", "daily:provider", "monthly:general"]);
    });

    it("applies provider and model limits only to their provider and model", async () => {
      setup();
      const s = subject("free");
      for (let i = 0; i < 20; i++) {
        expect(
          (await admit(s, { provider: "anthropic", model: "claude-opus-4-1", estTokens: 10, estCostMicros: 10 }))
            .allowed,
        ).toBe(true);
      }
      const opus = await admit(s, {
        provider: "anthropic",
        model: "claude-opus-4-1",
        estTokens: 10,
        estCostMicros: 10,
      });
      expect(opus.allowed).toBe(false);
      if (!opus.allowed)
        expect(opus.denials[0]).toMatchObject({ scope: "model", provider: "anthropic", model: "claude-opus-4-1" });
      expect((await admit(s, { provider: "anthropic", model: "claude-sonnet-4-5" })).allowed).toBe(true);
      expect((await admit(s, { provider: "openai", model: "claude-opus-4-1" })).allowed).toBe(true);
    });

    it("settles exactly once: a repeated settle changes nothing", async () => {
      setup();
      const s = subject("free");
      const d = await admit(s, { key: "req-settle-1", estTokens: 500, estCostMicros: 5_000 });
      expect(d.allowed).toBe(true);
      expect(
        await engine.settle(s, "req-settle-1", usage(120, 80, 900), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("settled");
      const after = await status(s, "daily", "tokens");
      expect(after).toMatchObject({ used: 200, reserved: 0 });
      expect(
        await engine.settle(s, "req-settle-1", usage(120, 80, 900), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("duplicate");
      expect(await status(s, "daily", "tokens")).toEqual(after);
      expect(await status(s, "daily", "costMicros")).toMatchObject({ used: 900, reserved: 0 });
      expect(await status(s, "daily", "requests")).toMatchObject({ used: 1, reserved: 0 });
    });

    it("admits a repeated idempotency key once", async () => {
      setup();
      const s = subject("free");
      const a = await admit(s, { key: "same-key-1" });
      const b = await admit(s, { key: "same-key-1" });
      expect(a.allowed && b.allowed).toBe(true);
      if (a.allowed && b.allowed) {
        expect(b.duplicate).toBe(true);
        expect(b.eventId).toBe(a.eventId);
      }
      expect(await status(s, "daily", "requests")).toMatchObject({ used: 1 });
    });

    it("releases a reservation when the provider fails with no output", async () => {
      setup();
      const s = subject("free");
      await admit(s, { key: "req-release-1", estTokens: 700 });
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 700, reserved: 700 });
      expect(await engine.release(s, "req-release-1")).toBe("released");
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 0, reserved: 0 });
      expect(await engine.release(s, "req-release-1")).toBe("unchanged");
      expect(
        await engine.settle(s, "req-release-1", usage(1, 1, 1), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("released");
      expect(await status(s, "daily", "requests")).toMatchObject({ used: 0 });
    });

    it("expires a reservation whose holder died, and a late settle still records the usage", async () => {
      setup("2026-03-10T12:00:00Z", { ttlMs: 60_000 });
      const s = subject("free");
      await admit(s, { key: "req-crash-1", estTokens: 1_000 });
      clock.advance(59_000);
      // Not yet: the sweeper runs often, the TTL is what counts.
      await engine.expireReservations();
      expect(await status(s, "daily", "tokens")).toMatchObject({ reserved: 1_000 });
      clock.advance(2_000);
      expect(await engine.expireReservations()).toBeGreaterThanOrEqual(1);
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 0, reserved: 0 });
      expect(
        await engine.settle(s, "req-crash-1", usage(300, 200, 100), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("settled");
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 500, reserved: 0 });
      expect(
        await engine.settle(s, "req-crash-1", usage(300, 200, 100), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("duplicate");
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 500 });
    });

    it("resets daily at local midnight across a DST change (Europe/Berlin, 29 March 2026)", async () => {
      // 28 March 23:30 Berlin (CET, UTC+1) = 22:30Z.
      setup("2026-03-28T22:30:00Z");
      const s = subject("anonymous", "Europe/Berlin");
      for (let i = 0; i < 50; i++) await admit(s);
      expect((await admit(s)).allowed).toBe(false);
      clock.set("2026-03-28T22:59:59.999Z");
      expect((await admit(s)).allowed).toBe(false);
      clock.set("2026-03-28T23:00:00.000Z"); // local midnight of the 23-hour day
      const d = await admit(s);
      expect(d.allowed).toBe(true);
      const q = await status(s, "daily", "requests");
      // The next reset is midnight of 30 March, CEST (UTC+2): 23 hours later.
      expect(q).toMatchObject({ used: 1, resetsAt: new Date("2026-03-29T22:00:00.000Z") });
    });

    it("resets monthly on the 1st at local midnight, and the sweep resets idle rows", async () => {
      setup("2026-01-31T20:00:00Z");
      const s = subject("free", "Pacific/Auckland"); // UTC+13 in summer: already 1 February there
      await admit(s);
      const m = await status(s, "monthly", "requests");
      expect(m?.resetsAt).toEqual(new Date("2026-02-28T11:00:00.000Z")); // 1 March 00:00 NZDT
      clock.set("2026-02-28T11:00:00.000Z");
      // Read-only view already shows the fresh window…
      expect(await status(s, "monthly", "requests")).toMatchObject({
        used: 0,
        resetsAt: new Date("2026-03-31T11:00:00.000Z"),
      });
      // …and the sweep writes it.
      expect(await engine.resetExpired()).toBeGreaterThanOrEqual(2);
      const rows = await handle.store.readRows(s.key, clock.now());
      expect(rows.every((r) => r.requestsUsed === 0 && r.resetAt > clock.now())).toBe(true);
    });

    it("counts a settle that arrives after its window rolled over in the old window only", async () => {
      setup("2026-03-10T22:59:00Z", { ttlMs: 600_000 });
      const s = subject("free", "Europe/Berlin");
      await admit(s, { key: "req-midnight-1", estTokens: 1_000 });
      clock.set("2026-03-10T23:00:30Z"); // after local midnight
      await admit(s, { key: "req-midnight-2", estTokens: 10 });
      expect(
        await engine.settle(s, "req-midnight-1", usage(400, 100, 50), { provider: "openai", model: "gpt-4o-mini" }),
      ).toBe("settled");
      // The new day holds only the second request's reservation.
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 10, reserved: 10 });
      expect(await status(s, "monthly", "tokens")).toMatchObject({ used: 510 });
    });

    it("applies a temporary override until it expires", async () => {
      setup();
      const s = subject("anonymous");
      for (let i = 0; i < 50; i++) await admit(s);
      expect((await admit(s)).allowed).toBe(false);
      await engine.setOverride(
        s,
        { window: "daily", scope: "general", provider: "", model: "", requests: 60, tokens: null, costMicros: null },
        new Date("2026-03-10T13:00:00Z"),
      );
      expect(await status(s, "daily", "requests")).toMatchObject({ limit: 60, source: "override" });
      for (let i = 0; i < 10; i++) expect((await admit(s)).allowed).toBe(true);
      expect((await admit(s)).allowed).toBe(false);
      clock.set("2026-03-10T13:00:00Z");
      expect(await status(s, "daily", "requests")).toMatchObject({ limit: 50, source: "tier", used: 60 });
      await expect(
        engine.setOverride(
          s,
          { window: "daily", scope: "general", provider: "", model: "", requests: 1, tokens: null, costMicros: null },
          new Date("2026-03-10T12:00:00Z"),
        ),
      ).rejects.toThrow(/future/);
    });

    it("checks without reserving", async () => {
      setup();
      const s = subject("free");
      const c = await engine.check({
        subject: s,
        provider: "openai",
        model: "gpt-4o-mini",
        estTokens: 10,
        estCostMicros: 10,
        key: "check-1",
      });
      expect(c.allowed).toBe(true);
      const denied = await engine.check({
        subject: s,
        provider: "openai",
        model: "gpt-4o-mini",
        estTokens: 200_000,
        estCostMicros: 0,
        key: "check-2",
      });
      expect(denied.allowed).toBe(false);
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 0, reserved: 0 });
    });

    it("holds a co-subject's cap (the per-address cap of anonymous visitors)", async () => {
      setup();
      const ip: SubjectRef = { key: `ip:${randomUUID().replaceAll("-", "")}`, tier: "anonymous", timeZone: "UTC" };
      let admitted = 0;
      // Fresh anonymous sessions (cleared cookies) from one address: the address cap (200) holds.
      for (let v = 0; v < 5; v++) {
        const visitor = subject("anonymous");
        for (let i = 0; i < 50; i++) {
          const d = await engine.admit({
            subject: visitor,
            also: [ip],
            provider: "local-demo",
            model: "demo-1",
            estTokens: 1,
            estCostMicros: 0,
            key: randomUUID(),
          });
          if (d.allowed) admitted++;
          else expect(d.denials[0]).toMatchObject({ dimension: "requests", limit: 200 });
        }
      }
      expect(admitted).toBe(200);
    });

    it("records synced usage once per key, counting it in the window it happened in", async () => {
      setup();
      const s = subject("free");
      const rec = { provider: "openai", model: "gpt-4o", occurredAt: new Date("2026-03-10T10:00:00Z") };
      expect(await engine.record(s, "sync-1", usage(100, 50, 700), rec)).toBe("recorded");
      expect(await engine.record(s, "sync-1", usage(100, 50, 700), rec)).toBe("duplicate");
      expect(
        await engine.record(s, "sync-2", usage(10, 5, 7), { ...rec, occurredAt: new Date("2026-03-09T10:00:00Z") }),
      ).toBe("recorded");
      // Yesterday's (Berlin) usage is not in today's window; it is in this month's.
      expect(await status(s, "daily", "tokens")).toMatchObject({ used: 150 });
      expect(await status(s, "monthly", "tokens")).toMatchObject({ used: 165 });
    });

    it("changes tier limits in place and keeps today's usage", async () => {
      setup();
      const s = subject("free");
      await admit(s);
      await engine.init({ ...s, tier: "pro" });
      expect(await status(s, "daily", "requests")).toMatchObject({ limit: 5_000, used: 1 });
      // The free tier's model limit on claude-opus-4-1 (20) gives way to pro's (500).
      expect(await status(s, "daily", "requests", "model")).toMatchObject({ limit: 500 });
    });

    it("refuses negative or fractional estimates", async () => {
      setup();
      const s = subject("free");
      await expect(admit(s, { estTokens: -1 })).rejects.toThrow(/estTokens/);
      await expect(admit(s, { estCostMicros: 1.5 })).rejects.toThrow(/estCostMicros/);
      await expect(
        engine.settle(s, "x-key-123", usage(Number.NaN, 1, 1), { provider: "openai", model: "gpt-4o-mini" }),
      ).rejects.toThrow(/inputTokens/);
    });
  });
}
