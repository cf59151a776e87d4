import type { FastifyInstance } from "fastify";
import { createServices, type ServiceOptions, type Services } from "@wavelength/api";
import type { Database } from "@wavelength/db";
import { freshPglite } from "../../../../packages/api/test/support/databases.ts";
import { buildApp } from "../../src/app.ts";
import { authConfig, loadEnv } from "../../src/env.ts";

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
  /** Service options (providers, aliases) over the defaults. */
  services?: ServiceOptions;
}

/**
 * Every inject comes from 127.0.0.1, so a test signing several accounts up would hit the per-address
 * sign-up allowance meant for the open internet; and the proof of work is kept to a few
 * milliseconds (same verification path, less work). Tests of those doors set their own values.
 */
export const TEST_AUTH_ENV = {
  SIGN_UP_PER_ADDRESS_PER_HOUR: "1000",
  SIGN_UP_PER_HOUR: "1000",
  PROOF_OF_WORK_COST: "1",
  PROOF_OF_WORK_MAX_COUNTER: "20",
};

/**
 * The HTTP host on a fresh PGlite database cloned from the migrated template, driven through
 * fastify's `inject` (or `app.listen` for real sockets). `env` adds to (or overrides) a quiet
 * test environment; `options.services` to the services.
 */
export async function openTestServer(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const target = freshPglite();
  const db = await target.open();
  const config = loadEnv({ SESSION_SECRET: "s".repeat(40), LOG_LEVEL: "silent", ...TEST_AUTH_ENV, ...env });
  const services = createServices(db.prisma, { sql: db.sql, ...authConfig(config), ...options.services });
  const app = await buildApp({
    env: config,
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
      await services.openai.abortAll();
      await db.close();
      await target.drop();
    },
  };
}
