/**
 * DATABASE_URL chooses the engine: unset or `pglite://<dir>` is embedded PGlite,
 * `postgres://` / `postgresql://` a PostgreSQL server.
 */
export const DEFAULT_PGLITE_DIR = "./.data/pglite";

export type DatabaseTarget = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };

export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  const value = url?.trim();
  if (!value) return { kind: "pglite", dataDir: DEFAULT_PGLITE_DIR };
  if (value.startsWith("pglite://")) {
    const dir = value.slice("pglite://".length);
    // "pglite://memory" keeps the database in memory (tests that need no files).
    return { kind: "pglite", dataDir: dir === "" ? DEFAULT_PGLITE_DIR : dir };
  }
  if (value.startsWith("postgres://") || value.startsWith("postgresql://")) {
    return { kind: "postgres", url: value };
  }
  throw new Error(`DATABASE_URL must be empty, pglite://<dir> or postgres://…; got "${value.split(":")[0]}:…"`);
}
