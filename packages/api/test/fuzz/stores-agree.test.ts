import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@wavelength/db";
import { MemoryMeteringStore, PrismaMeteringStore, type UsageEventView } from "../../src/metering/index.ts";
import { freshDatabase, type TestDatabase } from "../support/databases.ts";
import { FUZZ_SEED, runs } from "./support/arbitraries.ts";
import { KEYS, keyName, normalRows, opsArb, Run, world, type Op } from "./support/engine-ops.ts";
import { clearMetering } from "./support/pglite.ts";

/** The ledger entry as the port defines it, without the id each store mints (the memory store also leaks its row ids). */
function eventView(e: UsageEventView | null) {
  if (!e) return null;
  const { subject, key, provider, model, status, estTokens, estCostMicros, inputTokens, outputTokens, costMicros } = e;
  return {
    ...{ subject, key, provider, model, status, estTokens, estCostMicros, inputTokens, outputTokens, costMicros },
    reservedAt: e.reservedAt,
    expiresAt: e.expiresAt,
  };
}

/**
 * Open divergence (counterexamples.test.ts): an admission rolls over every
 * ended row of the subject in memory but only the rows it applies to in SQL.
 * Until that is settled, the sweep's count of rows it rolled is not compared
 * and zone moves are left out here (after one, the rows left over take the
 * new zone in SQL and kept the old one in memory).
 */
function comparable(o: Op, outcome: unknown): unknown {
  return o.k === "sweep" ? "swept" : outcome;
}

/**
 * Model-based check: the memory store (what unit tests trust) and the
 * PostgreSQL functions on PGlite (what the product runs), given the same
 * random world and operation sequence, take the same decision at every step
 * and end with the same quota rows, the same ledger and the same hourly usage.
 */
describe("the memory store and the PGlite store agree", { timeout: runs(60_000) }, () => {
  let target: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    target = await freshDatabase("pglite");
    db = await target.open();
  });
  afterAll(async () => {
    await db.close();
    await target.drop();
  });

  async function hourlyOnPglite() {
    const rows = await db.prisma.$queryRawUnsafe<
      { subject: string; provider: string; model: string; at: number; n: number; i: number; o: number; c: number }[]
    >(
      `SELECT subject, provider, model,
              (extract(epoch FROM date::timestamp + hour * interval '1 hour') * 1000)::float8 AS at,
              request_count AS n, input_tokens::float8 AS i, output_tokens::float8 AS o, cost_micros::float8 AS c
       FROM usage_records`,
    );
    return rows
      .map((r) => `${r.subject}|${r.provider}|${r.model}|${new Date(r.at).toISOString()}|${r.n}|${r.i}|${r.o}|${r.c}`)
      .sort();
  }

  function hourlyInMemory(store: MemoryMeteringStore) {
    return [...store.hourly.values()]
      .map(
        (h) =>
          `${h.subject}|${h.provider}|${h.model}|${h.hourStart.toISOString()}|${h.requestCount}|${h.inputTokens}|${h.outputTokens}|${h.costMicros}`,
      )
      .sort();
  }

  it("step by step and at the end", async () => {
    await fc.assert(
      fc.asyncProperty(world, opsArb({ zoneMoves: false }), async (w, os) => {
        await clearMetering(db);
        const memStore = new MemoryMeteringStore();
        const mem = new Run(memStore, w);
        const sql = new Run(new PrismaMeteringStore(db.prisma, db.sql), w);
        await mem.setup();
        await sql.setup();
        for (const [i, o] of os.entries()) {
          const expected = comparable(o, await mem.apply(o));
          expect(comparable(o, await sql.apply(o)), `step ${i}: ${JSON.stringify(o)}`).toEqual(expected);
        }
        for (const [i, ref] of mem.allRefs().entries()) {
          const other = sql.allRefs()[i]!;
          // Rows as the engine reads them, lazy resets applied. As stored, rows whose window ended may
          // differ: the stores write a lazy reset at different moments (see the report in the README).
          expect(normalRows(await sql.engine.rows(other)), `rows of ${ref.key}`).toEqual(
            normalRows(await mem.engine.rows(ref)),
          );
          for (let k = 0; k < KEYS + 3; k++) {
            const a = await memStore.getEvent(ref.key, keyName(k));
            const b = await sql.store.getEvent(ref.key, keyName(k));
            expect(eventView(b), `event ${ref.key} ${keyName(k)}`).toEqual(eventView(a));
          }
        }
        expect(await hourlyOnPglite(), "hourly usage").toEqual(hourlyInMemory(memStore));
      }),
      { numRuns: runs(80), seed: FUZZ_SEED },
    );
  });
});
