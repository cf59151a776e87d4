import type { Db } from "@wavelength/db";
import type { QuotaEngine, SubjectRef } from "../metering/index.ts";
import { windowsFor } from "../metering/index.ts";

export type MigrationResult =
  | { status: "migrated"; conversations: number; tasks: number; events: number; hourlyRecords: number }
  | { status: "already_migrated"; userId: string }
  | { status: "no_session" };

/**
 * Moves an anonymous visitor's conversations, ledger, hourly records, today's
 * usage and in-flight reservations to an account, in one transaction and at
 * most once (see wl_migrate_anonymous in prisma/migrations). Today's usage
 * keeps counting against the account's limits: signing up never resets a quota.
 */
export async function migrateAnonymous(
  db: Db,
  engine: QuotaEngine,
  anonymousId: string,
  account: SubjectRef & { userId: string },
): Promise<MigrationResult> {
  // The account's rows must exist for the visitor's usage to be added to them.
  if (await engine.needsInit(account)) await engine.init(account);
  const now = engine.clock.now();
  const w = windowsFor(account, now);
  const rows = await db.$queryRawUnsafe<{ r: MigrationResult }[]>(
    `SELECT wl_migrate_anonymous($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::timestamptz, $7::timestamptz,
       $8::timestamptz) AS r`,
    anonymousId,
    account.userId,
    account.timeZone,
    w.daily.start.toISOString(),
    w.daily.resetsAt.toISOString(),
    w.monthly.start.toISOString(),
    w.monthly.resetsAt.toISOString(),
    now.toISOString(),
  );
  return rows[0]!.r;
}
