import { AppError, type Subject } from "@wavelength/shared";
import type { Db } from "@wavelength/db";
import type { SubjectRef } from "../metering/index.ts";

/**
 * The SubjectRef (tier, zone) behind a subject key, read fresh: a task's
 * subject may have moved from a visitor to an account since it started.
 */
export async function subjectFromKey(db: Db, key: string): Promise<SubjectRef> {
  const [kind, id = ""] = key.split(/:(.*)/s) as [string, string | undefined];
  if (kind === "user") {
    const user = await db.user.findUnique({ where: { id }, select: { tier: true, timezone: true } });
    if (!user || user.tier === "anonymous") throw new AppError("NOT_FOUND", "No such user.");
    return { key: key as Subject, tier: user.tier, timeZone: user.timezone };
  }
  if (kind === "anon") {
    const anon = await db.anonymousSession.findUnique({ where: { anonymousId: id }, select: { timezone: true } });
    if (!anon) throw new AppError("NOT_FOUND", "No such anonymous session.");
    return { key: key as Subject, tier: "anonymous", timeZone: anon.timezone };
  }
  return { key: key as Subject, tier: "anonymous", timeZone: "UTC" };
}
