import type { Db, SqlClient } from "@wavelength/db";
import type { Clock, Logger, QuotaEngine } from "../metering/index.ts";
import type { PriceBook } from "../pricing/index.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import { ledgerKey } from "../metering/provenance.ts";

/** What the chat module's parts share: the database (ORM and plain SQL), the engine, providers, time. */
export interface ChatDeps {
  db: Db;
  /** Plain SQL on the same database, for the per-poll and per-flush paths (no ORM work per call). */
  sql: SqlClient;
  engine: QuotaEngine;
  registry: ProviderRegistry;
  prices: PriceBook;
  clock: Clock;
  logger: Logger;
  /** Times a quota phase for benchmarks and metrics (a no-op unless asked for). */
  timed<T>(phase: "admit" | "settle", fn: () => Promise<T>): Promise<T>;
}

/** The ledger key of a chat: the server alone settles or releases it (see metering/provenance.ts). */
export const ledgerKeyOf = (taskId: string) => ledgerKey("chat", taskId);

/** One reply message per task, even when finishing is retried: its id derives from the task's. */
export const replyIdFor = (taskId: string) => `reply-${taskId}`;

/** The same queries through Prisma when no plain SQL client is given (tests, tools). */
export function sqlThroughPrisma(db: Db): SqlClient {
  return { query: <T>(text: string, params: readonly unknown[]) => db.$queryRawUnsafe<T[]>(text, ...params) };
}

/** A timestamp parameter for `TIMESTAMP(3)` columns, which hold UTC. */
export const UTC_PARAM = "::timestamptz AT TIME ZONE 'UTC'";
