import { defineConfig } from "prisma/config";
import { parseDatabaseUrl } from "./packages/db/src/database-url.ts";
import { PGliteAdapterFactory, openPGlite } from "./packages/db/src/pglite-adapter.ts";
import { PgMigrationAdapterFactory } from "./packages/db/src/pg-migration-adapter.ts";

// The CLI needs a postgresql:// DATABASE_URL even though the adapter below is
// what it really uses (otherwise it tries to download a query engine), and it
// does not read .env when a config file exists. Translate the app's setting.
const target = parseDatabaseUrl(process.env.DATABASE_URL);
if (target.kind === "pglite") process.env.DATABASE_URL = "postgresql://pglite@localhost/pglite";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  async adapter() {
    if (target.kind === "postgres") {
      return new PgMigrationAdapterFactory(target.url);
    }
    const client = await openPGlite(target.dataDir);
    // A data folder left open by the CLI cannot be reopened: close it on exit.
    process.once("beforeExit", () => void client.close());
    return new PGliteAdapterFactory(client);
  },
});
