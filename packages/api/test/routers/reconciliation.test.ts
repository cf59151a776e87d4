import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectOf } from "../../src/index.ts";
import { estimateAccuracyByModel, tokenErrorPercent } from "../../src/routers/estimate-accuracy.ts";
import { splitUtcDates } from "../../src/routers/profile-usage.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";

const usage = (input: number, output: number, estimated = false) => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0,
  costMicros: input + output,
  estimated,
  priceVersion: null,
});

for (const engine of DATABASE_ENGINES) {
  describe(`estimate reconciliation from the hourly aggregate (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    it("agrees with the ledger, also where direct records without an estimate share the hour", async () => {
      const { caller, identity } = await userCaller(app.services, { tier: "pro" });
      const subject = subjectOf(identity);
      const settled = [
        // provider, model, estimate, input, output, counted by our tokenizer
        ["openai", "gpt-4o", 1_000, 300, 500, false],
        ["openai", "gpt-4o", 900, 400, 600, true],
        ["openai", "gpt-4o-mini", 200, 100, 50, false],
        ["anthropic", "claude-sonnet-4-5", 5_000, 1_000, 1_500, true],
      ] as const;
      for (const [i, [provider, model, est, input, output, local]] of settled.entries()) {
        const key = `rec-${i}`;
        const d = await app.services.engine.admit({ subject, provider, model, estTokens: est, estCostMicros: 1, key });
        expect(d.allowed).toBe(true);
        expect(await app.services.engine.settle(subject, key, usage(input, output, local), { provider, model })).toBe(
          "settled",
        );
      }
      // Usage recorded without an admission (batch sync) lands in the same hourly rows but has no
      // estimate to reconcile: it must not dilute the accuracy.
      const now = new Date();
      await app.services.engine.record(subject, "direct-1", usage(10_000, 10_000, true), {
        provider: "openai",
        model: "gpt-4o",
        occurredAt: now,
      });
      // A reservation still open has an estimate but nothing settled yet: not reconciled either.
      await app.services.engine.admit({
        subject,
        provider: "openai",
        model: "gpt-4o",
        estTokens: 7_777,
        estCostMicros: 1,
        key: "open-1",
      });

      const from = new Date(now.getTime() - 2 * 3_600_000);
      const to = new Date(now.getTime() + 3_600_000);
      const u = await caller.profile.usage({ from, to, granularity: "hour" });
      const ledger = await estimateAccuracyByModel(app.db.prisma, subject.key, from, to);

      expect(u.estimateAccuracyByModel).toEqual(ledger);
      expect(ledger.map((m) => [m.model, m.settledRequests, m.estimatedRequests])).toEqual([
        ["claude-sonnet-4-5", 1, 1],
        ["gpt-4o", 2, 1],
        ["gpt-4o-mini", 1, 0],
      ]);
      expect(u.estimateAccuracy).toEqual({
        settledRequests: 4,
        estimatedRequests: 2,
        tokenErrorPercent: tokenErrorPercent(1_000 + 900 + 200 + 5_000, 800 + 1_000 + 150 + 2_500),
      });
      // The totals still count everything that was used, the direct record included.
      expect(u.totals.requests).toBe(5);
    });

    it("reads a long range in two halves and sums a local day that straddles them", async () => {
      const { caller, identity } = await userCaller(app.services, { timeZone: "America/New_York" });
      const subject = subjectOf(identity);
      const from = new Date("2026-01-01T05:00:00Z"); // local midnight in New York
      const to = new Date("2026-04-01T04:00:00Z"); // local midnight, after the spring DST change
      const halves = splitUtcDates(from, to);
      expect(halves).toEqual([
        ["2026-01-01", "2026-02-14"],
        ["2026-02-15", "2026-04-01"],
      ]);
      // Local 14 February runs from 05:00 UTC on the 14th to 05:00 UTC on the 15th: one hour on each
      // side of the split. Two more hours mark the range's edges.
      const at = ["2026-02-14T23:00:00Z", "2026-02-15T02:00:00Z", "2026-01-01T05:00:00Z", "2026-04-01T03:00:00Z"];
      for (const [i, t] of at.entries())
        await app.services.engine.record(subject, `split-${i}`, usage(10, 5), {
          provider: "openai",
          model: "gpt-4o",
          occurredAt: new Date(t),
        });
      // And one hour just outside each end.
      for (const [i, t] of ["2026-01-01T04:00:00Z", "2026-04-01T04:00:00Z"].entries())
        await app.services.engine.record(subject, `outside-${i}`, usage(10, 5), {
          provider: "openai",
          model: "gpt-4o",
          occurredAt: new Date(t),
        });

      const u = await caller.profile.usage({ from, to, granularity: "day" });
      const day = (d: string) =>
        u.series.find((p) => p.at.toLocaleDateString("sv-SE", { timeZone: "America/New_York" }) === d);
      expect(u.series).toHaveLength(90);
      expect(day("2026-02-14")?.requests).toBe(2);
      expect(day("2026-01-01")?.requests).toBe(1);
      expect(day("2026-03-31")?.requests).toBe(1);
      expect(u.totals).toMatchObject({ requests: 4, inputTokens: 40, outputTokens: 20 });
    });
  });
}
