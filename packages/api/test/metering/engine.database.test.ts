import { PrismaMeteringStore } from "../../src/metering/index.ts";
import { DATABASE_ENGINES, freshDatabase } from "../support/databases.ts";
import { engineSuite } from "./engine-suite.ts";

for (const engine of DATABASE_ENGINES) {
  engineSuite(engine, async () => {
    const target = await freshDatabase(engine);
    const db = await target.open();
    return {
      store: new PrismaMeteringStore(db.prisma),
      close: async () => {
        await db.close();
        await target.drop();
      },
    };
  });
}
