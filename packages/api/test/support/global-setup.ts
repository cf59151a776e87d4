import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { REPO_ROOT, migrateDeploy } from "./migrate.ts";

/**
 * Migrates one template database per engine, once per run, with the real
 * `prisma migrate deploy` (≈10 s each, so not per test file): a PGlite data
 * folder that test files copy, and, when TEST_DATABASE_URL is set, a
 * PostgreSQL template database that test files clone with CREATE DATABASE … TEMPLATE.
 */
function migrationsHash(): string {
  const dir = path.join(REPO_ROOT, "prisma/migrations");
  const h = createHash("sha256");
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, "migration.sql");
    if (existsSync(file)) h.update(name).update(readFileSync(file));
  }
  return h.digest("hex").slice(0, 12);
}

async function pgliteTemplate(hash: string): Promise<string> {
  const dir = path.join(REPO_ROOT, ".data/test-templates", `pglite-${hash}`);
  if (existsSync(path.join(dir, ".migrated"))) return dir;
  // Built aside and renamed into place, so two projects setting up at once cannot clash.
  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  await migrateDeploy(`pglite://${building}`);
  writeFileSync(path.join(building, ".migrated"), new Date().toISOString());
  try {
    renameSync(building, dir);
  } catch {
    // Another project finished first: use its copy.
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

async function postgresTemplate(url: string, hash: string): Promise<string> {
  const name = `wl_template_${hash}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_building_${process.pid}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      const u = new URL(url);
      u.pathname = `/${building}`;
      await migrateDeploy(u.toString());
      try {
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      } catch {
        // Another project built it meanwhile.
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      }
    }
  } finally {
    await admin.end();
  }
  return name;
}

export default async function setup(project: TestProject) {
  const hash = migrationsHash();
  const pgUrl = process.env.TEST_DATABASE_URL;
  const [pgliteDir, pgTemplate] = await Promise.all([
    pgliteTemplate(hash),
    pgUrl ? postgresTemplate(pgUrl, hash) : Promise.resolve(""),
  ]);
  project.provide("pgliteTemplateDir", pgliteDir);
  project.provide("postgresTemplate", pgTemplate);
}
