import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_OVERVIEW_TOP_SUBJECTS } from "@wavelength/shared";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { anonymousCaller, openTestApp, userCaller, type TestApp } from "../support/services.ts";

const HOUR = 3_600_000;

for (const engine of DATABASE_ENGINES) {
  describe(`operators' overview (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    /** One hourly row, as the metering functions write them: UTC date and hour. */
    const record = (subject: string, at: Date, model: string, requests: number, tokens: number, cost: number) =>
      app.db.prisma.$executeRawUnsafe(
        `INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens,
                                    output_tokens, cost_micros, updated_at)
         VALUES ($1, $2, 'openai', $3, $4::date, $5, $6, $7, $8, $9, now())`,
        randomUUID(),
        subject,
        model,
        at.toISOString().slice(0, 10),
        at.getUTCHours(),
        requests,
        tokens,
        tokens * 2,
        cost,
      );

    it("sums exactly the hours of [from, to) by UTC day, model and subject, zero-filling empty days", async () => {
      const admin = await userCaller(app.services, { role: "admin" });
      const heavy = await userCaller(app.services);
      const light = await userCaller(app.services);
      const visitor = `anon:${randomUUID()}`;
      const from = new Date("2025-03-10T05:00:00Z");
      const to = new Date("2025-03-13T05:00:00Z");
      // On both edges of the range: the hour before from and the hour at to stay out.
      await record(`user:${heavy.user.id}`, new Date(from.getTime() - HOUR), "gpt-4o", 1000, 1000, 1000);
      await record(`user:${heavy.user.id}`, from, "gpt-4o", 3, 30, 3_000);
      await record(`user:${heavy.user.id}`, new Date("2025-03-10T23:00:00Z"), "gpt-4o-mini", 2, 20, 200);
      await record(`user:${light.user.id}`, new Date("2025-03-12T00:00:00Z"), "gpt-4o-mini", 1, 10, 100);
      await record(visitor, new Date(to.getTime() - HOUR), "gpt-4o-mini", 4, 40, 400);
      await record(visitor, to, "gpt-4o", 1000, 1000, 1000);

      const o = await admin.caller.admin.overview({ from, to });

      expect(o.totals).toEqual({ requests: 10, inputTokens: 100, outputTokens: 200, costMicros: 3_700 });
      expect(o.activeUsers).toBe(2);
      expect(o.activeVisitors).toBe(1);
      expect(o.byDay).toEqual([
        { date: "2025-03-10", requests: 5, inputTokens: 50, outputTokens: 100, costMicros: 3_200 },
        { date: "2025-03-11", requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 },
        { date: "2025-03-12", requests: 1, inputTokens: 10, outputTokens: 20, costMicros: 100 },
        { date: "2025-03-13", requests: 4, inputTokens: 40, outputTokens: 80, costMicros: 400 },
      ]);
      expect(o.byModel).toEqual([
        { provider: "openai", model: "gpt-4o", requests: 3, inputTokens: 30, outputTokens: 60, costMicros: 3_000 },
        { provider: "openai", model: "gpt-4o-mini", requests: 7, inputTokens: 70, outputTokens: 140, costMicros: 700 },
      ]);
      expect(o.topSubjects.map((s) => [s.subject, s.kind, s.email, s.costMicros])).toEqual([
        [`user:${heavy.user.id}`, "user", heavy.user.email, 3_200],
        [visitor, "anon", null, 400],
        [`user:${light.user.id}`, "user", light.user.email, 100],
      ]);
    });

    it(`names only the ${ADMIN_OVERVIEW_TOP_SUBJECTS} heaviest subjects but counts them all`, async () => {
      const admin = await userCaller(app.services, { role: "admin" });
      const at = new Date("2024-06-01T12:00:00Z");
      const subjects = Array.from({ length: ADMIN_OVERVIEW_TOP_SUBJECTS + 5 }, (_, i) => ({
        subject: `anon:top-${i}-${randomUUID()}`,
        cost: (i + 1) * 10,
      }));
      for (const s of subjects) await record(s.subject, at, "gpt-4o", 1, 1, s.cost);
      const o = await admin.caller.admin.overview({ from: at, to: new Date(at.getTime() + HOUR) });
      expect(o.activeVisitors).toBe(subjects.length);
      expect(o.topSubjects.map((s) => s.subject)).toEqual(
        subjects
          .slice(-ADMIN_OVERVIEW_TOP_SUBJECTS)
          .reverse()
          .map((s) => s.subject),
      );
      expect(o.totals.requests).toBe(subjects.length);
    });

    it("shows real chats of the last 30 days by default, agreeing with the ledger", async () => {
      const admin = await userCaller(app.services, { role: "admin" });
      const { caller } = await anonymousCaller(app.services);
      await caller.chat.send({ provider: "local-demo", model: "demo-1", content: "Count me" });
      await caller.chat.send({ provider: "local-demo", model: "demo-1", content: "And me" });
      await app.services.chat.drain();

      const o = await admin.caller.admin.overview();
      expect(o.to.getTime() - o.from.getTime()).toBe(30 * 24 * HOUR);
      expect(o.byDay).toHaveLength(31);
      const demo = o.byModel.find((m) => m.model === "demo-1");
      const [ledger] = await app.db.prisma.$queryRawUnsafe<{ n: number; tokens: number; cost: number }[]>(
        `SELECT count(*)::int AS n, sum(input_tokens + output_tokens)::float8 AS tokens, sum(cost_micros)::float8 AS cost
         FROM usage_events WHERE status = 'settled' AND model = 'demo-1'`,
      );
      expect(ledger!.n).toBe(2);
      expect(demo).toMatchObject({ provider: "local-demo", requests: 2, costMicros: ledger!.cost });
      expect(demo!.inputTokens + demo!.outputTokens).toBe(ledger!.tokens);
    });
  });
}
