import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@wavelength/db";
import { PrismaMeteringStore, QuotaEngine, type SubjectRef } from "../../src/metering/index.ts";
import { DATABASE_ENGINES, freshDatabase, type TestDatabase } from "../support/databases.ts";
import { REPO_ROOT } from "../support/migrate.ts";

/** Prisma/driver counters of what actually sits in the rows, straight from SQL. */
async function rowTotals(db: Database, subject: string) {
  return db.prisma.$queryRawUnsafe<
    {
      window_type: string;
      scope: string;
      requests: number;
      tokens: bigint;
      cost: bigint;
      token_limit: bigint | null;
      cost_limit: bigint | null;
      request_limit: number | null;
    }[]
  >(
    `SELECT window_type::text, scope::text, requests_used + requests_reserved AS requests,
            tokens_used + tokens_reserved AS tokens, cost_used_micros + cost_reserved_micros AS cost,
            coalesce(override_token_limit, token_limit) AS token_limit,
            coalesce(override_cost_limit_micros, cost_limit_micros) AS cost_limit,
            coalesce(override_request_limit, request_limit) AS request_limit
     FROM user_quota_limits WHERE subject = $1`,
    subject,
  );
}

for (const name of DATABASE_ENGINES) {
  describe(`concurrency on ${name}`, () => {
    let target: TestDatabase;
    let db: Database;
    let engine: QuotaEngine;
    beforeAll(async () => {
      target = await freshDatabase(name);
      db = await target.open({ maxConnections: 20 });
      engine = new QuotaEngine({ store: new PrismaMeteringStore(db.prisma, db.sql), failMode: "closed" });
    });
    afterAll(async () => {
      await db.close();
      await target.drop();
    });

    it("admits exactly 50 of 500 concurrent requests against a 50-request limit", async () => {
      const s: SubjectRef = { key: `anon:${randomUUID()}`, tier: "anonymous", timeZone: "America/Sao_Paulo" };
      const results = await Promise.all(
        Array.from({ length: 500 }, () =>
          engine.admit({
            subject: s,
            provider: "local-demo",
            model: "demo-1",
            estTokens: 10,
            estCostMicros: 0,
            key: randomUUID(),
          }),
        ),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(50);
      const denied = results.filter((r) => !r.allowed);
      expect(denied).toHaveLength(450);
      const [row] = await rowTotals(db, s.key);
      expect(row?.requests).toBe(50);
      const events = await db.prisma.usageEvent.count({ where: { subject: s.key, status: "reserved" } });
      expect(events).toBe(50);
    });

    it("never exceeds a token or cost limit under concurrent admissions and settlements", async () => {
      const s: SubjectRef = { key: `user:${randomUUID()}`, tier: "free", timeZone: "Asia/Tokyo" };
      // Random estimates; settle each admitted request at or below its estimate, as the
      // reservation of max output tokens guarantees for a well-behaved provider.
      let seed = 42;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const jobs = Array.from({ length: 300 }, () => ({
        estTokens: 200 + rand(1_500),
        estCostMicros: 1_000 + rand(40_000),
        key: randomUUID(),
      }));
      const deniedBy = new Set<string>();
      await Promise.all(
        jobs.map(async (j) => {
          const d = await engine.admit({ subject: s, provider: "mistral", model: "mistral-large", ...j });
          if (!d.allowed) {
            for (const x of d.denials) deniedBy.add(`${x.window}:${x.scope}:${x.dimension}`);
            return;
          }
          const input = Math.floor(j.estTokens / 2);
          await engine.settle(
            s,
            j.key,
            {
              inputTokens: input,
              outputTokens: rand(j.estTokens - input + 1),
              cachedInputTokens: 0,
              costMicros: rand(j.estCostMicros + 1),
              estimated: false,
              priceVersion: null,
            },
            { provider: "mistral", model: "mistral-large" },
          );
        }),
      );
      const rows = await rowTotals(db, s.key);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        if (r.token_limit !== null) expect(r.tokens).toBeLessThanOrEqual(r.token_limit);
        if (r.cost_limit !== null) expect(r.cost).toBeLessThanOrEqual(r.cost_limit);
        if (r.request_limit !== null) expect(r.requests).toBeLessThanOrEqual(r.request_limit);
      }
      // The test must actually reach the limits to prove anything.
      expect([...deniedBy].filter((d) => d.startsWith("daily:general:")).length).toBeGreaterThan(0);
    });

    it("settles each key once under concurrent duplicate settlements", async () => {
      const s: SubjectRef = { key: `user:${randomUUID()}`, tier: "pro", timeZone: "UTC" };
      await engine.admit({
        subject: s,
        provider: "openai",
        model: "gpt-4o",
        estTokens: 1_000,
        estCostMicros: 10_000,
        key: "dup-settle",
      });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          engine.settle(
            s,
            "dup-settle",
            {
              inputTokens: 300,
              outputTokens: 200,
              cachedInputTokens: 0,
              costMicros: 4_000,
              estimated: false,
              priceVersion: null,
            },
            { provider: "openai", model: "gpt-4o" },
          ),
        ),
      );
      expect(outcomes.filter((o) => o === "settled")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(19);
      const rows = await rowTotals(db, s.key);
      const daily = rows.find((r) => r.window_type === "daily" && r.scope === "general");
      expect(daily).toMatchObject({ requests: 1, tokens: 500n, cost: 4_000n });
      const hourly = await db.prisma.usageRecord.findMany({ where: { subject: s.key } });
      expect(hourly).toHaveLength(1);
      expect(hourly[0]).toMatchObject({ requestCount: 1, inputTokens: 300n, outputTokens: 200n, costMicros: 4_000n });
    });

    it.runIf(name === "postgres")(
      "admits exactly 50 across 3 separate processes sharing one PostgreSQL",
      async () => {
        const s: SubjectRef = { key: `anon:${randomUUID()}`, tier: "anonymous", timeZone: "Asia/Kolkata" };
        await engine.init(s);
        const run = () =>
          promisify(execFile)(
            path.join(REPO_ROOT, "node_modules/.bin/tsx"),
            [path.join(REPO_ROOT, "packages/api/test/support/admit-worker.ts"), target.url, s.key, "170"],
            { cwd: REPO_ROOT },
          );
        const outs = await Promise.all([run(), run(), run()]);
        const admitted = outs.map((o) => (JSON.parse(o.stdout.trim()) as { admitted: number }).admitted);
        expect(admitted.reduce((a, b) => a + b, 0)).toBe(50);
        const [row] = await rowTotals(db, s.key);
        expect(row?.requests).toBe(50);
      },
      120_000,
    );
  });
}
