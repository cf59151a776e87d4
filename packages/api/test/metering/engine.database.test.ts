import { PrismaMeteringStore } from "../../src/metering/index.ts";
import { DATABASE_ENGINES, freshDatabase } from "../support/databases.ts";
import { engineSuite } from "./engine-suite.ts";

// The product path: hot paths as plain SQL, the rest through Prisma.
for (const engine of DATABASE_ENGINES) {
  engineSuite(engine, async () => {
    const target = await freshDatabase(engine);
    const db = await target.open();
    return {
      store: new PrismaMeteringStore(db.prisma, db.sql),
      close: async () => {
        await db.close();
        await target.drop();
      },
    };
  });
}

// Everything through Prisma's raw queries (what tools without the SQL client use).
engineSuite("pglite through Prisma only", async () => {
  const target = await freshDatabase("pglite");
  const db = await target.open();
  return {
    store: new PrismaMeteringStore(db.prisma),
    close: async () => {
      await db.close();
      await target.drop();
    },
  };
});
