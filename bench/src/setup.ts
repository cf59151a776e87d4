import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Drops and recreates `name` on the server of `adminUrl` (a database that always exists). */
export async function recreateDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
    // Optional, for every contender alike: commits without waiting for the WAL flush.
    if (process.env.BENCH_ASYNC_COMMIT === "1")
      await client.query(`ALTER DATABASE "${name}" SET synchronous_commit = off`);
  } finally {
    await client.end();
  }
}

/** Applies the product's migrations (schema + PL/pgSQL metering functions) with the Prisma CLI. */
export function migrate(url: string): void {
  try {
    execFileSync("npx", ["prisma", "migrate", "deploy"], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
      stdio: "pipe",
    });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(e.stdout ?? "");
    process.stderr.write(e.stderr ?? "");
    throw error;
  }
}

export async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return r.rows[0]!.v;
  } finally {
    await client.end();
  }
}
