import type { Services } from "./services.ts";

export interface SystemQuotaHealth {
  status: "ok" | "degraded" | "down";
  database: "up" | "down";
  failMode: string;
  reservations: { inFlight: number; overdue: number };
  outbox: { pending: number; dead: number; bufferedInMemory: number; dropped: number; oldestPendingAt: Date | null };
  subjectsAtLimit: number;
  engine: Record<string, number>;
  /** This instance's last completed sweeps (null until the first). */
  lastResetSweepAt: Date | null;
  lastExpirySweepAt: Date | null;
  checkedAt: Date;
}

/**
 * System quota health for monitors (GET /api/usage/status): in-flight and
 * overdue reservations, the outbox backlog, subjects at a limit, and the
 * engine's counters (fail-open admissions, store errors) since start.
 */
export async function systemQuotaHealth(services: Services): Promise<SystemQuotaHealth> {
  const now = services.clock.now();
  const base = {
    failMode: services.engine.failMode,
    lastResetSweepAt: services.worker.lastRuns.reset,
    lastExpirySweepAt: services.worker.lastRuns.expire,
    engine: { ...services.engine.metrics },
    checkedAt: now,
  };
  try {
    const [res] = await services.db.$queryRawUnsafe<{ in_flight: number; overdue: number }[]>(
      `SELECT count(*)::int AS in_flight,
              count(*) FILTER (WHERE expires_at <= $1::timestamptz AT TIME ZONE 'UTC')::int AS overdue
       FROM usage_events WHERE status = 'reserved'`,
      now.toISOString(),
    );
    const [limited] = await services.db.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(DISTINCT subject)::int AS n FROM user_quota_limits
       WHERE reset_at > $1::timestamptz AT TIME ZONE 'UTC'
         AND coalesce(CASE WHEN source = 'override' AND (expires_at IS NULL OR expires_at > $1::timestamptz AT TIME ZONE 'UTC')
                           THEN override_request_limit ELSE request_limit END, 2147483647) <= requests_used + requests_reserved`,
      now.toISOString(),
    );
    const outbox = await services.outbox.statusFor(null);
    const overdue = res?.overdue ?? 0;
    const degraded = overdue > 0 || outbox.failed > 0 || services.outbox.buffered > 0;
    return {
      status: degraded ? "degraded" : "ok",
      database: "up",
      reservations: { inFlight: res?.in_flight ?? 0, overdue },
      outbox: {
        pending: outbox.pending,
        dead: outbox.failed,
        bufferedInMemory: services.outbox.buffered,
        dropped: services.outbox.dropped,
        oldestPendingAt: outbox.oldestPendingAt,
      },
      subjectsAtLimit: limited?.n ?? 0,
      ...base,
    };
  } catch {
    return {
      status: "down",
      database: "down",
      reservations: { inFlight: 0, overdue: 0 },
      outbox: {
        pending: 0,
        dead: 0,
        bufferedInMemory: services.outbox.buffered,
        dropped: services.outbox.dropped,
        oldestPendingAt: null,
      },
      subjectsAtLimit: 0,
      ...base,
    };
  }
}
