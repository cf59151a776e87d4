import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Database } from "@wavelength/db";
import { MemoryMeteringStore, PrismaMeteringStore } from "../../src/metering/index.ts";
import { freshDatabase, type TestDatabase } from "../support/databases.ts";
import { FUZZ_SEED, runs } from "./support/arbitraries.ts";
import { ops, world } from "./support/engine-ops.ts";
import { checkRun } from "./support/invariants.ts";
import { clearMetering } from "./support/pglite.ts";

// The quota engine's invariants (listed in support/invariants.ts) under random
// operation sequences, on the memory store and on PGlite (the product's SQL).

describe("quota engine invariants", { timeout: runs(240_000) }, () => {
  it("hold on the memory store", async () => {
    await fc.assert(
      fc.asyncProperty(world, ops, (w, os) => checkRun(new MemoryMeteringStore(), w, os, true)),
      { numRuns: runs(300), seed: FUZZ_SEED },
    );
  });

  describe("on PGlite", () => {
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

    it("hold on PGlite", async () => {
      await fc.assert(
        fc.asyncProperty(world, ops, async (w, os) => {
          await clearMetering(db);
          await checkRun(new PrismaMeteringStore(db.prisma, db.sql), w, os, false);
        }),
        { numRuns: runs(60), seed: FUZZ_SEED },
      );
    });
  });
});
