import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { openTestApp, serviceCaller, userCaller, type TestApp } from "../support/services.ts";

// The process runs in Europe/Berlin (see vitest.config.ts): hours must still land where they happened.
for (const engine of DATABASE_ENGINES) {
  describe(`analytics buckets in a non-UTC process (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    it("puts a request in the UTC hour it happened in", async () => {
      expect(new Date(0).getTimezoneOffset()).not.toBe(0);
      const { caller, subject } = await userCaller(app.services, { timeZone: "UTC" });
      const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 90_000); // two hours ago, +1.5 min
      await serviceCaller(app.services).usage.sync({
        subject,
        records: [
          {
            idempotencyKey: "tz-hour-0001",
            provider: "openai",
            model: "gpt-4o",
            inputTokens: 7,
            outputTokens: 3,
            occurredAt: at,
          },
        ],
      });
      const u = await caller.profile.usage({
        from: new Date(at.getTime() - 4 * 3_600_000),
        to: new Date(Date.now() + 60_000),
        granularity: "hour",
      });
      const hit = u.series.filter((p) => p.requests > 0);
      expect(hit).toHaveLength(1);
      expect(hit[0]!.at.toISOString()).toBe(new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString());
    });
  });
}
