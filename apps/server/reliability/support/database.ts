import pg from "pg";
import { freshPostgres } from "../../../../packages/api/test/support/databases.ts";

export interface ReliabilityDatabase {
  url: string;
  /** Plain SQL for the invariants (a small pool of its own, which survives a restart of the server). */
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template (`prisma migrate deploy` ran once per run). */
export async function freshDatabase(): Promise<ReliabilityDatabase> {
  const target = await freshPostgres();
  if (!target) throw new Error("TEST_DATABASE_URL is not set (the reliability vitest config sets a default)");
  const pool = new pg.Pool({ connectionString: target.url, max: 2 });
  // Idle clients die when PostgreSQL stops (the outage test): that must not fail the run.
  pool.on("error", () => {});
  return {
    url: target.url,
    async query<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
    },
    async drop() {
      await pool.end().catch(() => {});
      await target.drop();
    },
  };
}
