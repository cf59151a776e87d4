import type { ReliabilityDatabase } from "./database.ts";

/**
 * The accounting invariants, each a query listing its violations (empty is good), so a failure
 * names the rows that break it. Usage is written in four places: the ledger (usage_events), the
 * hourly records (usage_records), the task rows (tasks) and the quota rows' counters
 * (user_quota_limits). All four must agree to the token and the micro-dollar.
 */

/** Admissions per subject: a ledger row that reserved or charged counts; released ones do not. */
export async function admittedBySubject(db: ReliabilityDatabase): Promise<Map<string, number>> {
  const rows = await db.query<{ subject: string; n: number }>(
    `SELECT subject, count(*) FILTER (WHERE status IN ('reserved', 'settled'))::int AS n
     FROM usage_events GROUP BY subject`,
  );
  return new Map(rows.map((r) => [r.subject, r.n]));
}

/** Tasks still queued or running. */
export async function runningTasks(db: ReliabilityDatabase): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasks WHERE status IN ('queued', 'running')`,
  );
  return row?.n ?? 0;
}

/** Unfinished tasks with what recovery looks at: the heartbeat (a future one is a finish lease). */
export function unfinishedTasks(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `SELECT t.id, t.status, t.heartbeat_at::text, (now() AT TIME ZONE 'UTC')::text AS now,
            length(t.partial_text) AS text_length, e.status AS event_status
     FROM tasks t LEFT JOIN usage_events e ON e.subject = t.subject AND e.idempotency_key = 'task:' || t.id
     WHERE t.status IN ('queued', 'running') ORDER BY t.id`,
  );
}

/** Tasks that are not finished, or whose usage differs from their ledger row. */
export function taskLedgerMismatches(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `SELECT t.id, t.subject, t.status, t.input_tokens, t.output_tokens, t.cost_micros::text AS cost,
            e.status AS event_status, e.input_tokens AS event_input, e.output_tokens AS event_output,
            e.cost_micros::text AS event_cost
     FROM tasks t
     LEFT JOIN usage_events e ON e.subject = t.subject AND e.idempotency_key = 'task:' || t.id
     WHERE t.status IN ('queued', 'running')
        OR e.id IS NULL
        OR e.status NOT IN ('settled', 'released')
        OR (e.status = 'settled' AND (t.input_tokens IS DISTINCT FROM e.input_tokens
                                      OR t.output_tokens IS DISTINCT FROM e.output_tokens
                                      OR t.cost_micros IS DISTINCT FROM e.cost_micros))
        OR (e.status = 'released' AND t.input_tokens IS NOT NULL)
     ORDER BY t.id`,
  );
}

/** Charged ledger rows with no task behind them (a stray or doubled charge). */
export function ledgerRowsWithoutTask(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `SELECT e.id, e.subject, e.idempotency_key, e.status
     FROM usage_events e
     LEFT JOIN tasks t ON e.idempotency_key = 'task:' || t.id AND t.subject = e.subject
     WHERE e.status = 'settled' AND t.id IS NULL`,
  );
}

/**
 * Reservations still held that must not be: those of a task (every task has finished by the time
 * this runs) and any past its TTL (the sweeper gives those back).
 */
export function heldReservations(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `SELECT e.id, e.subject, e.idempotency_key, e.reserved_at::text, e.expires_at::text, t.status AS task_status
     FROM usage_events e
     LEFT JOIN tasks t ON e.idempotency_key = 'task:' || t.id AND t.subject = e.subject
     WHERE e.status = 'reserved' AND (t.id IS NOT NULL OR e.expires_at < now() AT TIME ZONE 'UTC')`,
  );
}

/**
 * Reservations with no task behind them, still within their TTL: admitted by a server killed
 * before it saved the task. Nobody can settle them; the sweeper gives them back at the TTL.
 */
export function abandonedReservations(db: ReliabilityDatabase) {
  return db.query<{ id: string; subject: string; idempotency_key: string }>(
    `SELECT e.id, e.subject, e.idempotency_key
     FROM usage_events e
     LEFT JOIN tasks t ON e.idempotency_key = 'task:' || t.id AND t.subject = e.subject
     WHERE e.status = 'reserved' AND t.id IS NULL AND e.expires_at >= now() AT TIME ZONE 'UTC'`,
  );
}

/** Hourly buckets whose sums differ from the settled ledger rows of the same subject, model and hour. */
export function hourlyMismatches(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `WITH l AS (
       SELECT subject, provider, model, reserved_at::date AS date, extract(hour FROM reserved_at)::int AS hour,
              count(*)::int AS n, sum(input_tokens)::numeric AS input, sum(output_tokens)::numeric AS output,
              sum(cost_micros)::numeric AS cost
       FROM usage_events WHERE status = 'settled'
       GROUP BY 1, 2, 3, 4, 5),
     h AS (
       SELECT subject, provider, model, date, hour, request_count AS n, input_tokens::numeric AS input,
              output_tokens::numeric AS output, cost_micros::numeric AS cost
       FROM usage_records)
     SELECT subject, provider, model, date::text, hour,
            l.n AS ledger_n, h.n AS hourly_n, l.input::text AS ledger_input, h.input::text AS hourly_input,
            l.output::text AS ledger_output, h.output::text AS hourly_output,
            l.cost::text AS ledger_cost, h.cost::text AS hourly_cost
     FROM l FULL JOIN h USING (subject, provider, model, date, hour)
     WHERE (l.n, l.input, l.output, l.cost) IS DISTINCT FROM (h.n, h.input, h.output, h.cost)`,
  );
}

/**
 * Quota rows whose counters differ from the ledger rows admitted against them in their current
 * window: used = settled sums, reserved = open reservations' estimates.
 */
export function quotaRowMismatches(db: ReliabilityDatabase) {
  return db.query<Record<string, unknown>>(
    `SELECT r.id, r.subject, r.window_type, r.scope,
            r.requests_used, l.n AS ledger_requests, r.tokens_used::text, l.tokens::text AS ledger_tokens,
            r.cost_used_micros::text, l.cost::text AS ledger_cost,
            r.requests_reserved, l.rn AS open_reservations
     FROM user_quota_limits r
     CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE e.status = 'settled')::int AS n,
              coalesce(sum(e.input_tokens::numeric + e.output_tokens) FILTER (WHERE e.status = 'settled'), 0) AS tokens,
              coalesce(sum(e.cost_micros) FILTER (WHERE e.status = 'settled'), 0)::numeric AS cost,
              count(*) FILTER (WHERE e.status = 'reserved')::int AS rn,
              coalesce(sum(e.est_tokens) FILTER (WHERE e.status = 'reserved'), 0)::numeric AS rtokens,
              coalesce(sum(e.est_cost_micros) FILTER (WHERE e.status = 'reserved'), 0)::numeric AS rcost
       FROM usage_events e
       WHERE r.id = ANY(e.quota_row_ids) AND e.reserved_at >= r.window_start AND e.reserved_at < r.reset_at) l
     WHERE (r.requests_used, r.tokens_used::numeric, r.cost_used_micros::numeric,
            r.requests_reserved, r.tokens_reserved::numeric, r.cost_reserved_micros::numeric)
           IS DISTINCT FROM (l.n, l.tokens, l.cost, l.rn, l.rtokens, l.rcost)`,
  );
}

/** Totals of the three usage records, for the report line and a whole-database cross-check. */
export async function usageTotals(db: ReliabilityDatabase) {
  const [row] = await db.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM usage_events WHERE status = 'settled')::text AS ledger_n,
            (SELECT coalesce(sum(input_tokens::numeric + output_tokens), 0) FROM usage_events WHERE status = 'settled')::text AS ledger_tokens,
            (SELECT coalesce(sum(cost_micros), 0) FROM usage_events WHERE status = 'settled')::text AS ledger_cost,
            (SELECT coalesce(sum(request_count), 0) FROM usage_records)::text AS hourly_n,
            (SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM usage_records)::text AS hourly_tokens,
            (SELECT coalesce(sum(cost_micros), 0) FROM usage_records)::text AS hourly_cost,
            (SELECT count(*) FROM tasks WHERE input_tokens IS NOT NULL)::text AS tasks_n,
            (SELECT coalesce(sum(input_tokens::numeric + output_tokens), 0) FROM tasks)::text AS tasks_tokens,
            (SELECT coalesce(sum(cost_micros), 0) FROM tasks)::text AS tasks_cost`,
  );
  return row!;
}

/** Every invariant at once; each entry lists its violations. */
export async function accountingViolations(db: ReliabilityDatabase) {
  return {
    unfinishedOrMismatchedTasks: await taskLedgerMismatches(db),
    ledgerRowsWithoutTask: await ledgerRowsWithoutTask(db),
    heldReservations: await heldReservations(db),
    hourlyMismatches: await hourlyMismatches(db),
    quotaRowMismatches: await quotaRowMismatches(db),
  };
}

export const NO_VIOLATIONS = {
  unfinishedOrMismatchedTasks: [],
  ledgerRowsWithoutTask: [],
  heldReservations: [],
  hourlyMismatches: [],
  quotaRowMismatches: [],
};
