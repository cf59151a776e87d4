import type { FastifyInstance } from "fastify";
import { createServices, type Services } from "@wavelength/api";
import type { Database } from "@wavelength/db";
import { freshPglite } from "../../../../packages/api/test/support/databases.ts";
import { buildApp } from "../../src/app.ts";
import { loadEnv } from "../../src/env.ts";

export interface TestServer {
  app: FastifyInstance;
  db: Database;
  services: Services;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** A built SPA to serve (index.html and assets). */
  webDist?: string;
  /** Where the server's log lines go (JSON, one a line), at warn and above; silent when absent. */
  log?: { write(line: string): void };
}

/**
 * The HTTP host on a fresh PGlite database cloned from the migrated template, driven through
 * fastify's `inject` (or `app.listen` for real sockets). `env` adds to (or overrides) a quiet
 * test environment.
 */
export async function openTestServer(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const target = freshPglite();
  const db = await target.open();
  const services = createServices(db.prisma, { sql: db.sql });
  const app = await buildApp({
    env: loadEnv({ SESSION_SECRET: "s".repeat(40), LOG_LEVEL: "silent", ...env }),
    services,
    webDist: options.webDist,
    logger: options.log ? { level: "warn", stream: options.log } : false,
  });
  return {
    app,
    db,
    services,
    async close() {
      await app.close();
      await db.close();
      await target.drop();
    },
  };
}
