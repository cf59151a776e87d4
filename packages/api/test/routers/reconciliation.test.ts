import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectOf } from "../../src/index.ts";
import { estimateAccuracyByModel, tokenErrorPercent } from "../../src/routers/estimate-accuracy.ts";
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
  });
}
