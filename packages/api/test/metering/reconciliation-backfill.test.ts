import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectOf } from "../../src/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";

// The backfill statement exactly as migration 20261128000900 runs it on a database that already
// holds history: the test replays it on rows whose reconciliation columns were wiped.
const MIGRATION = path.resolve(
  import.meta.dirname,
  "../../../../prisma/migrations/20261128000900_hourly_reconciliation/migration.sql",
);
const migrationSql = readFileSync(MIGRATION, "utf8");
const start = migrationSql.indexOf("UPDATE usage_records r SET");
const BACKFILL = migrationSql.slice(start, migrationSql.indexOf(";", start) + 1);

const usage = (input: number, output: number, estimated = false) => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0,
  costMicros: 1,
  estimated,
  priceVersion: null,
});

for (const engine of DATABASE_ENGINES) {
  describe(`reconciliation backfill of migration 20261128000900 (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    it("rebuilds the hourly reconciliation columns from the ledger, as the write path keeps them", async () => {
      expect(start).toBeGreaterThan(0);
      const { identity } = await userCaller(app.services, { tier: "pro" });
      const subject = subjectOf(identity);
      const admitted = [
        ["gpt-4o", 1_000, 300, 500, false],
        ["gpt-4o", 800, 200, 100, true],
        ["gpt-4o-mini", 50, 20, 20, false],
      ] as const;
      for (const [i, [model, est, input, output, local]] of admitted.entries()) {
        await app.services.engine.admit({
          subject,
          provider: "openai",
          model,
          estTokens: est,
          estCostMicros: 1,
          key: `b-${i}`,
        });
        await app.services.engine.settle(subject, `b-${i}`, usage(input, output, local), { provider: "openai", model });
      }
      await app.services.engine.record(subject, "direct", usage(9_000, 9_000, true), {
        provider: "openai",
        model: "gpt-4o",
        occurredAt: new Date(),
      });
      // Summed per model: the requests may straddle an hour boundary.
      const columns = () =>
        app.db.prisma.$queryRawUnsafe<{ model: string; n: number; local: number; tokens: number }[]>(
          `SELECT model, sum(reconciled_requests)::int AS n, sum(reconciled_counted_locally)::int AS local,
                  sum(reconciled_actual_tokens)::int AS tokens
           FROM usage_records WHERE subject = $1 GROUP BY model ORDER BY model`,
          subject.key,
        );
      const kept = await columns();
      expect(kept).toEqual([
        { model: "gpt-4o", n: 2, local: 1, tokens: 1_100 },
        { model: "gpt-4o-mini", n: 1, local: 0, tokens: 40 },
      ]);

      // As before the migration: history without the columns.
      await app.db.prisma.$executeRawUnsafe(
        `UPDATE usage_records SET reconciled_requests = 0, reconciled_counted_locally = 0, reconciled_actual_tokens = 0
         WHERE subject = $1`,
        subject.key,
      );
      await app.db.prisma.$executeRawUnsafe(BACKFILL);
      expect(await columns()).toEqual(kept);
    });
  });
}
