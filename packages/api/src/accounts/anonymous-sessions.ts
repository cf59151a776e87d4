import { isValidTimeZone } from "@wavelength/shared";
import type { Db } from "@wavelength/db";
import type { Identity } from "../identity.ts";
import type { Services } from "../services.ts";

/**
 * The anonymous visitor's row (anonymous_sessions) exists only once the visitor
 * has done something that counts: a send, a check or an init that creates its
 * quota rows, a saved time zone (or a service reported usage for it). Reading pages
 * never writes: a visitor without a row reads as its tier's limits, unused, so
 * a stream of cookieless requests costs the database nothing. Rows that never
 * came to be used are swept after a retention period (sweepUnusedAnonymousSessions).
 */

/**
 * The procedures that count: each can write under the calling visitor's subject
 * (quota rows, ledger, conversations) or stores its settings, so the row exists
 * before it runs (a sign-up later moves everything to the account through that
 * row). Every other procedure reads, acts only on what such a procedure created,
 * or is a service call naming its subject (which creates that subject's row).
 * test/routers/anonymous-sessions.test.ts fails when a mutation is added to the
 * router without being put here or in its list of mutations that do not count.
 */
export const COUNTED_PROCEDURES: ReadonlySet<string> = new Set([
  "chat.send",
  "usage.check",
  "usage.init",
  "profile.update",
]);

export interface AnonymousRequest {
  anonymousId: string;
  /** Keyed hash of the client address (never the address itself). */
  ipHash: string | null;
  /** The browser's zone (x-time-zone header): the visitor's zone until its row stores one. */
  timeZone: string | null;
  /** The id was issued with this very response: no row can exist, so none is looked up. */
  fresh?: boolean;
}

/** The visitor behind a signed cookie, read without writing anything. */
export async function resolveAnonymous(services: Pick<Services, "db">, req: AnonymousRequest): Promise<Identity> {
  const browserZone = req.timeZone && isValidTimeZone(req.timeZone) ? req.timeZone : "UTC";
  const row = req.fresh
    ? null
    : await services.db.anonymousSession.findUnique({
        where: { anonymousId: req.anonymousId },
        select: { timezone: true },
      });
  return {
    kind: "anonymous",
    anonymousId: req.anonymousId,
    ipHash: req.ipHash,
    timeZone: row?.timezone ?? browserZone,
  };
}

/**
 * Creates the visitor's row on its first counted action (with the zone and
 * address hash of that request), or marks it seen. Idempotent under races.
 */
export async function ensureAnonymousSession(
  services: Pick<Services, "db" | "clock">,
  visitor: Extract<Identity, { kind: "anonymous" }>,
): Promise<void> {
  await services.db.anonymousSession.upsert({
    where: { anonymousId: visitor.anonymousId },
    create: {
      anonymousId: visitor.anonymousId,
      timezone: visitor.timeZone,
      ipHash: visitor.ipHash,
      lastSeenAt: services.clock.now(),
    },
    update: { lastSeenAt: services.clock.now() },
    select: { id: true },
  });
}

/** How long a row that was never used is kept after it was last seen. */
export const UNUSED_ANONYMOUS_RETENTION_MS = 30 * 86_400_000;

/**
 * Deletes up to `limit` visitors last seen before `cutoff` that have nothing of
 * their own: no ledger event, hourly record, outbox job, conversation or task,
 * no used or operator-set quota row, and no account they moved to. Their quota rows (created by a check, all
 * unused) go with them. Refusals they met (quota_denials) stay: they are the
 * operators' history, not the visitor's. Rows are claimed with SKIP LOCKED, so
 * instances can sweep at the same time; a visitor who comes back finds itself
 * fresh, which it is, having used nothing.
 */
export async function sweepUnusedAnonymousSessions(db: Db, cutoff: Date, limit = 1_000): Promise<number> {
  return db.$executeRawUnsafe(
    `WITH unused AS (
       SELECT s.id, 'anon:' || s.anonymous_id AS subject
       FROM anonymous_sessions s
       WHERE s.migrated_to_user_id IS NULL
         AND s.last_seen_at < $1::timestamptz AT TIME ZONE 'UTC'
         AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.subject = 'anon:' || s.anonymous_id)
         AND NOT EXISTS (SELECT 1 FROM usage_records r WHERE r.subject = 'anon:' || s.anonymous_id)
         AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.subject = 'anon:' || s.anonymous_id)
         AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.subject = 'anon:' || s.anonymous_id)
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.subject = 'anon:' || s.anonymous_id)
         AND NOT EXISTS (SELECT 1 FROM user_quota_limits q WHERE q.subject = 'anon:' || s.anonymous_id
                           AND (q.source = 'override' OR q.requests_used > 0 OR q.requests_reserved > 0))
       ORDER BY s.last_seen_at
       LIMIT $2
       FOR UPDATE OF s SKIP LOCKED
     ), quota_rows AS (
       DELETE FROM user_quota_limits q USING unused u WHERE q.subject = u.subject
     )
     DELETE FROM anonymous_sessions s USING unused u WHERE s.id = u.id`,
    cutoff.toISOString(),
    limit,
  );
}
