import type { Database } from "@wavelength/db";

/** Empties the metering tables, so one database serves many runs of a property (copying a fresh one costs seconds). */
export async function clearMetering(db: Database): Promise<void> {
  await db.prisma.$executeRawUnsafe("TRUNCATE user_quota_limits, usage_events, usage_records");
}
