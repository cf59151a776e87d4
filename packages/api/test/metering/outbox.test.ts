import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FakeClock,
  MeteringWorker,
  OUTBOX_MAX_ATTEMPTS,
  PrismaMeteringStore,
  QuotaEngine,
  SyncOutbox,
  backoffMs,
  type SubjectRef,
} from "../../src/metering/index.ts";
import type { Database } from "@wavelength/db";
import { DATABASE_ENGINES, freshDatabase, type TestDatabase } from "../support/databases.ts";
import { flaky } from "../support/flaky-store.ts";

const usage = {
  inputTokens: 120,
  outputTokens: 80,
  cachedInputTokens: 0,
  costMicros: 700,
  estimated: false,
  priceVersion: "v1",
};
const req = { provider: "openai", model: "gpt-4o-mini" };

for (const name of DATABASE_ENGINES) {
  describe(`outbox, worker and fail modes on ${name}`, () => {
    let target: TestDatabase;
    let db: Database;
    let clock: FakeClock;
    beforeAll(async () => {
      target = await freshDatabase(name);
      db = await target.open();
    });
    afterAll(async () => {
      await db.close();
      await target.drop();
    });

    const build = (failMode: "open" | "closed" = "open") => {
      clock = new FakeClock("2026-06-15T10:00:00Z");
      const store = flaky(new PrismaMeteringStore(db.prisma, db.sql));
      const outbox = new SyncOutbox(db.prisma, clock);
      const engine = new QuotaEngine({ store, clock, failMode, queue: outbox, reservationTtlMs: 60_000 });
      const worker = new MeteringWorker(engine, outbox, clock);
      return { store, outbox, engine, worker };
    };
    const subject = (): SubjectRef => ({ key: `user:${randomUUID()}`, tier: "free", timeZone: "America/Chicago" });
    const daily = async (engine: QuotaEngine, s: SubjectRef, dimension = "tokens") =>
      (await engine.statuses(s)).find(
        (q) => q.window === "daily" && q.scope === "general" && q.dimension === dimension,
      );

    it("fail mode open admits while the store is down and records the usage after recovery", async () => {
      const { store, engine, worker, outbox } = build("open");
      const s = subject();
      store.down = true;
      const d = await engine.admit({ subject: s, ...req, estTokens: 500, estCostMicros: 1_000, key: "open-1" });
      expect(d).toMatchObject({ allowed: true, failOpen: true, eventId: null });
      expect(engine.metrics.failOpenAdmissions).toBe(1);
      expect(await engine.settle(s, "open-1", usage, req)).toBe("queued");
      expect((await outbox.statusFor(s.key)).pending).toBe(1);
      store.down = false;
      const report = await worker.tick();
      expect(report.applied).toBeGreaterThanOrEqual(1);
      expect(await daily(engine, s)).toMatchObject({ used: 200 });
      expect(await outbox.statusFor(s.key)).toMatchObject({ pending: 0, failed: 0 });
      // Applying it again (a retried job) changes nothing.
      await engine.applyQueued({
        kind: "settle",
        subject: s.key,
        tier: s.tier,
        timeZone: s.timeZone,
        key: "open-1",
        occurredAt: clock.now(),
        usage,
        ...req,
      });
      expect(await daily(engine, s)).toMatchObject({ used: 200 });
    });

    it("fail mode closed refuses while the store is down, naming the reason", async () => {
      const { store, engine } = build("closed");
      store.down = true;
      await expect(
        engine.admit({ subject: subject(), ...req, estTokens: 1, estCostMicros: 1, key: "closed-1" }),
      ).rejects.toMatchObject({
        code: "QUOTA_STORE_UNAVAILABLE",
      });
      expect(engine.metrics.failClosedRefusals).toBe(1);
    });

    it("settles a reserved request through the outbox when the in-line settle fails", async () => {
      const { store, engine, worker } = build();
      const s = subject();
      await engine.admit({ subject: s, ...req, estTokens: 1_000, estCostMicros: 5_000, key: "inline-fail" });
      store.down = true;
      expect(await engine.settle(s, "inline-fail", usage, req)).toBe("queued");
      store.down = false;
      expect(await daily(engine, s)).toMatchObject({ used: 1_000, reserved: 1_000 });
      await worker.tick();
      expect(await daily(engine, s)).toMatchObject({ used: 200, reserved: 0 });
    });

    it("retries a failing job with exponential backoff, then marks it dead", async () => {
      const { store, worker, outbox } = build();
      const s = subject();
      await outbox.enqueue({
        kind: "record",
        subject: s.key,
        tier: s.tier,
        timeZone: s.timeZone,
        key: "doomed-1",
        occurredAt: clock.now(),
        usage,
        ...req,
      });
      store.down = true;
      const attemptsAt: number[] = [];
      for (let i = 0; i < 40 && (await outbox.statusFor(s.key)).failed === 0; i++) {
        const r = await worker.tick();
        if (r.failed > 0) attemptsAt.push(clock.now().getTime());
        clock.advance(1_000);
      }
      expect(attemptsAt).toHaveLength(OUTBOX_MAX_ATTEMPTS);
      const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
      // Each wait is at least the backoff for that attempt (2 s, 4 s, 8 s, 16 s), checked once a second.
      gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(backoffMs(i + 1)));
      expect(gaps[3]!).toBeGreaterThan(gaps[0]!);
      const job = await db.prisma.syncJob.findFirst({ where: { subject: s.key } });
      expect(job).toMatchObject({ status: "dead", attempts: OUTBOX_MAX_ATTEMPTS });
      expect(job?.lastError).toMatch(/ECONNREFUSED/);
      store.down = false;
    });

    it("buffers in memory when even the outbox table is unreachable, and writes it on recovery", async () => {
      const { engine } = build();
      const s = subject();
      // The outbox's own database calls fail too.
      let tableDown = true;
      const prisma = new Proxy(db.prisma, {
        get(t, p, r) {
          if (p === "syncJob" && tableDown) return { create: () => Promise.reject(new Error("connection terminated")) };
          return Reflect.get(t, p, r) as unknown;
        },
      });
      const outbox = new SyncOutbox(prisma, clock);
      await outbox.enqueue({
        kind: "record",
        subject: s.key,
        tier: s.tier,
        timeZone: s.timeZone,
        key: "buffered-1",
        occurredAt: clock.now(),
        usage,
        ...req,
      });
      expect(outbox.buffered).toBe(1);
      tableDown = false;
      expect(await outbox.flushBuffer()).toBe(1);
      expect(outbox.buffered).toBe(0);
      const w2 = new MeteringWorker(engine, outbox, clock);
      await w2.tick();
      expect(await daily(engine, s)).toMatchObject({ used: 200 });
    });

    it("cleans up completed jobs after the retention period", async () => {
      const { outbox, worker } = build();
      const s = subject();
      await outbox.enqueue({
        kind: "record",
        subject: s.key,
        tier: s.tier,
        timeZone: s.timeZone,
        key: "clean-1",
        occurredAt: clock.now(),
        usage,
        ...req,
      });
      await worker.tick();
      expect(await db.prisma.syncJob.count({ where: { subject: s.key, status: "completed" } })).toBe(1);
      clock.advance(6 * 86_400_000);
      expect(await outbox.cleanup(7 * 86_400_000)).toBe(0);
      clock.advance(2 * 86_400_000);
      expect(await outbox.cleanup(7 * 86_400_000)).toBeGreaterThanOrEqual(1);
      expect(await db.prisma.syncJob.count({ where: { subject: s.key } })).toBe(0);
    });

    it("lets concurrent workers share jobs without applying any twice", async () => {
      const a = build();
      const b = { ...a, worker: new MeteringWorker(a.engine, new SyncOutbox(db.prisma, clock), clock) };
      const s = subject();
      for (let i = 0; i < 30; i++) {
        await a.outbox.enqueue({
          kind: "record",
          subject: s.key,
          tier: s.tier,
          timeZone: s.timeZone,
          key: `shared-${i}`,
          occurredAt: clock.now(),
          usage,
          ...req,
        });
      }
      const [ra, rb] = await Promise.all([a.worker.tick(), b.worker.tick()]);
      expect(ra.applied + rb.applied).toBe(30);
      expect(await daily(a.engine, s, "requests")).toMatchObject({ used: 30 });
    });
  });
}
