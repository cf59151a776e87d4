import type { FastifyInstance } from "fastify";
import { createServices, type ServiceOptions, type Services } from "@wavelength/api";
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

/**
 * The HTTP host on a fresh PGlite database cloned from the migrated template, driven through
 * fastify's `inject`. `env` adds to (or overrides) a quiet test environment; `options` to the services.
 */
export async function openTestServer(
  env: Record<string, string> = {},
  options: ServiceOptions = {},
): Promise<TestServer> {
  const target = freshPglite();
  const db = await target.open();
  const services = createServices(db.prisma, { sql: db.sql, ...options });
  const app = await buildApp({
    env: loadEnv({ SESSION_SECRET: "s".repeat(40), LOG_LEVEL: "silent", ...env }),
    services,
    logger: false,
  });
  return {
    app,
    db,
    services,
    async close() {
      await app.close();
      await services.openai.abortAll();
      await db.close();
      await target.drop();
    },
  };
}
