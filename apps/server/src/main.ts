import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { createDb } from "@wavelength/db";
import { createServices, parseAliases } from "@wavelength/api";
import { buildApp } from "./app.ts";
import { dollarsToMicros } from "@wavelength/shared";
import { authConfig, loadEnv, providerConfig } from "./env.ts";

const env = loadEnv();
const logger = pino({ level: env.LOG_LEVEL });
const here = path.dirname(fileURLToPath(import.meta.url));
const webDist = env.WEB_DIST ?? path.resolve(here, "../../web/dist");

const database = await createDb(env.DATABASE_URL);
const services = createServices(database.prisma, {
  failMode: env.QUOTA_FAIL_MODE,
  logger,
  sql: database.sql,
  providers: providerConfig(env),
  ...authConfig(env),
  openaiCompat: { aliases: parseAliases(env.MODEL_ALIASES) },
  chat: { idleTimeoutMs: env.CHAT_IDLE_TIMEOUT_MS },
  fallbackPrice: {
    inputPerMillionMicros: dollarsToMicros(env.FALLBACK_INPUT_USD_PER_MILLION),
    outputPerMillionMicros: dollarsToMicros(env.FALLBACK_OUTPUT_USD_PER_MILLION),
  },
});
const app = await buildApp({ env, services, webDist });

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, "shutting down");
  // Stop taking requests, let in-flight ones finish, then stop background work and the database.
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await app.close().catch(() => {});
  // Replies still streaming stop here; their partial output is charged on the way out.
  await services.chat.abortAll().catch(() => {});
  await services.openai.abortAll().catch(() => {});
  await services.worker.stop();
  await database.close().catch(() => {});
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));

await app.listen({ port: env.PORT, host: env.HOST });
services.worker.start();
// Tasks whose runner died (this process killed mid-reply, or another instance): settle or release them.
const recover = () =>
  void services.chat.recoverOrphans().catch((err: Error) => app.log.warn({ err: err.message }, "task recovery failed"));
recover();
const recovery = setInterval(recover, 5_000);
recovery.unref();
// Expired sessions, spent throttle rows, expired challenges and API idempotency records; any
// instance may do it, it is idempotent.
const housekeeping = setInterval(() => {
  void services.auth.deleteExpired().catch(() => {});
  void services.openai.idempotency.purge(services.clock.now()).catch(() => {});
}, 3_600_000);
housekeeping.unref();
app.log.info({ database: database.kind, failMode: env.QUOTA_FAIL_MODE }, "Wavelength is ready");
