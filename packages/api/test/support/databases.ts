import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Database } from "@wavelength/db";

export interface TestDatabase {
  name: "pglite" | "postgres";
  url: string;
  open(options?: { maxConnections?: number }): Promise<Database>;
  drop(): Promise<void>;
}

/** A fresh copy of the migrated PGlite template in a temporary folder. */
export function freshPglite(): TestDatabase {
  const dir = mkdtempSync(path.join(tmpdir(), "wl-pglite-"));
  cpSync(inject("pgliteTemplateDir"), dir, { recursive: true });
  return {
    name: "pglite",
    url: `pglite://${dir}`,
    open: () => createDb(`pglite://${dir}`),
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh clone of the migrated PostgreSQL template, or null when TEST_DATABASE_URL is unset. */
export async function freshPostgres(): Promise<TestDatabase | null> {
  const base = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (!base || !template) return null;
  const name = `wl_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    name: "postgres",
    url,
    open: (options) => createDb(url, options),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The engines a database test runs on: always PGlite, PostgreSQL when configured. */
export const DATABASE_ENGINES = ["pglite", ...(process.env.TEST_DATABASE_URL ? (["postgres"] as const) : [])] as const;

export async function freshDatabase(engine: "pglite" | "postgres"): Promise<TestDatabase> {
  if (engine === "pglite") return freshPglite();
  const db = await freshPostgres();
  if (!db) throw new Error("TEST_DATABASE_URL is not set");
  return db;
}

// What global-setup.ts provides to every test file.
declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplateDir: string;
    postgresTemplate: string;
  }
}
