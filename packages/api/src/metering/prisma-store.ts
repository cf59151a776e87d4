import type { Db, SqlClient } from "@wavelength/db";
import type { WindowType } from "@wavelength/shared";
import type { MeteringStore, SyncMode } from "./store.ts";
import type { SubjectKey } from "./subject.ts";
import type {
  LimitRowSpec,
  QuotaRowState,
  StoreAdmitRequest,
  StoreAdmitResult,
  StoreRecordRequest,
  StoreRecordResult,
  StoreReleaseResult,
  StoreSettleRequest,
  StoreSettleResult,
  SubjectWindows,
  UsageEventView,
} from "./types.ts";

/** A row as wl_row_json() renders it (times as epoch milliseconds). */
interface RowJson extends Omit<QuotaRowState, "windowStart" | "resetAt" | "overrideExpiresAt"> {
  windowStart: number;
  resetAt: number;
  overrideExpiresAt: number | null;
}

function toRow(r: RowJson): QuotaRowState {
  return {
    ...r,
    windowStart: new Date(r.windowStart),
    resetAt: new Date(r.resetAt),
    overrideExpiresAt: r.overrideExpiresAt === null ? null : new Date(r.overrideExpiresAt),
  };
}

const windowArrays = (windows: readonly SubjectWindows[]) => [
  windows.map((w) => w.subject),
  windows.map((w) => w.timezone),
  windows.map((w) => w.daily.start.toISOString()),
  windows.map((w) => w.daily.resetsAt.toISOString()),
  windows.map((w) => w.monthly.start.toISOString()),
  windows.map((w) => w.monthly.resetsAt.toISOString()),
];

const WINDOW_PARAMS =
  "$1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]";

/**
 * The product's store: the hot paths are single calls of the PL/pgSQL
 * functions in prisma/migrations (one round trip, row locks held briefly);
 * the rest is plain SQL. Works the same on PGlite and PostgreSQL.
 */
export class PrismaMeteringStore implements MeteringStore {
  /**
   * `sql`, when given, carries the hot paths (admit, settle, release, record)
   * as plain queries on the same database; Prisma carries the rest.
   */
  constructor(
    private readonly db: Db,
    private readonly sql?: SqlClient,
  ) {}

  private async one<T>(text: string, ...params: unknown[]): Promise<T> {
    const rows = this.sql
      ? await this.sql.query<{ r: T }>(text, params)
      : await this.db.$queryRawUnsafe<{ r: T }[]>(text, ...params);
    return rows[0]!.r;
  }

  async syncLimits(
    windows: SubjectWindows,
    specs: readonly LimitRowSpec[],
    now: Date,
    mode: SyncMode = "sync",
  ): Promise<void> {
    const payload = JSON.stringify(specs);
    // Rows are written in one fixed order (their natural key) so that concurrent
    // initializations of one subject wait for each other instead of deadlocking.
    const onConflict =
      mode === "missing"
        ? "DO NOTHING"
        : `DO UPDATE SET
         request_limit = EXCLUDED.request_limit, token_limit = EXCLUDED.token_limit,
         cost_limit_micros = EXCLUDED.cost_limit_micros, updated_at = EXCLUDED.updated_at`;
    const insert = this.db.$executeRawUnsafe(
      `INSERT INTO user_quota_limits (id, subject, window_type, scope, provider, model, timezone,
         request_limit, token_limit, cost_limit_micros, window_start, reset_at, updated_at)
       SELECT gen_random_uuid()::text, $1, s."window"::"WindowType", s.scope::"QuotaScope", s.provider, s.model, $2,
         s.requests, s.tokens, s."costMicros",
         (CASE WHEN s."window" = 'daily' THEN $3::timestamptz ELSE $5::timestamptz END) AT TIME ZONE 'UTC',
         (CASE WHEN s."window" = 'daily' THEN $4::timestamptz ELSE $6::timestamptz END) AT TIME ZONE 'UTC',
         $7::timestamptz AT TIME ZONE 'UTC'
       FROM jsonb_to_recordset($8::jsonb) AS s("window" text, scope text, provider text, model text,
         requests integer, tokens bigint, "costMicros" bigint)
       ORDER BY s."window", s.scope, s.provider, s.model
       ON CONFLICT (subject, window_type, scope, provider, model) ${onConflict}`,
      windows.subject,
      windows.timezone,
      windows.daily.start.toISOString(),
      windows.daily.resetsAt.toISOString(),
      windows.monthly.start.toISOString(),
      windows.monthly.resetsAt.toISOString(),
      now.toISOString(),
      payload,
    );
    if (mode === "missing") {
      await insert;
      return;
    }
    const lock = this.db.$executeRawUnsafe(
      `SELECT 1 FROM user_quota_limits WHERE subject = $1 ORDER BY id FOR UPDATE`,
      windows.subject,
    );
    const orphan = this.db.$executeRawUnsafe(
      `UPDATE user_quota_limits q SET request_limit = NULL, token_limit = NULL, cost_limit_micros = NULL
       WHERE q.subject = $1 AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS s("window" text, scope text, provider text, model text)
         WHERE s."window" = q.window_type::text AND s.scope = q.scope::text
           AND s.provider = q.provider AND s.model = q.model)`,
      windows.subject,
      payload,
    );
    await this.db.$transaction([lock, insert, orphan]);
  }

  async admit(req: StoreAdmitRequest): Promise<StoreAdmitResult> {
    type Raw =
      | {
          status: "denied" | "checked" | "admitted";
          rows: RowJson[];
          denials?: StoreAdmitResult[];
          eventId?: string;
        }
      | Exclude<StoreAdmitResult, { rows: unknown }>;
    const r = await this.one<Raw>(
      `SELECT wl_admit(${WINDOW_PARAMS}, $7, $8, $9, $10::bigint, $11::bigint, $12::timestamptz, $13::bigint, $14) AS r`,
      ...windowArrays(req.windows),
      req.provider,
      req.model,
      req.key,
      req.estTokens,
      req.estCostMicros,
      req.now.toISOString(),
      req.ttlMs,
      req.dryRun,
    );
    if ("rows" in r) return { ...r, rows: r.rows.map(toRow) } as StoreAdmitResult;
    return r;
  }

  settle(req: StoreSettleRequest): Promise<StoreSettleResult> {
    return this.one(
      `SELECT wl_settle($1, $2, $3::int, $4::int, $5::int, $6::bigint, $7, $8, $9::timestamptz) AS r`,
      req.subject,
      req.key,
      req.inputTokens,
      req.outputTokens,
      req.cachedInputTokens,
      req.costMicros,
      req.estimated,
      req.priceVersion,
      req.now.toISOString(),
    );
  }

  release(subject: SubjectKey, key: string, now: Date): Promise<StoreReleaseResult> {
    return this.one(`SELECT wl_release($1, $2, $3::timestamptz) AS r`, subject, key, now.toISOString());
  }

  expire(now: Date, limit: number): Promise<number> {
    return this.one(`SELECT wl_expire($1::timestamptz, $2::int) AS r`, now.toISOString(), limit);
  }

  record(req: StoreRecordRequest): Promise<StoreRecordResult> {
    const w = req.windows;
    return this.one(
      `SELECT wl_record($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6::timestamptz, $7, $8, $9,
         $10::int, $11::int, $12::int, $13::bigint, $14, $15, $16::timestamptz, $17::timestamptz) AS r`,
      w.subject,
      w.timezone,
      w.daily.start.toISOString(),
      w.daily.resetsAt.toISOString(),
      w.monthly.start.toISOString(),
      w.monthly.resetsAt.toISOString(),
      req.key,
      req.provider,
      req.model,
      req.inputTokens,
      req.outputTokens,
      req.cachedInputTokens,
      req.costMicros,
      req.estimated,
      req.priceVersion,
      req.occurredAt.toISOString(),
      req.now.toISOString(),
    );
  }

  async readRows(subject: SubjectKey, now: Date): Promise<QuotaRowState[]> {
    const text = `SELECT wl_row_json(q, $2::timestamptz AT TIME ZONE 'UTC') AS r FROM user_quota_limits q
       WHERE q.subject = $1 ORDER BY q.id`;
    // Read on every status and every API response's rate-limit headers: the plain client when there is one.
    const rows = this.sql
      ? await this.sql.query<{ r: RowJson }>(text, [subject, now.toISOString()])
      : await this.db.$queryRawUnsafe<{ r: RowJson }[]>(text, subject, now.toISOString());
    return rows.map((x) => toRow(x.r));
  }

  async dueTimezones(now: Date): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<{ tz: string }[]>(
      `SELECT DISTINCT timezone AS tz FROM user_quota_limits WHERE reset_at <= $1::timestamptz AT TIME ZONE 'UTC'`,
      now.toISOString(),
    );
    return rows.map((r) => r.tz);
  }

  rollZone(timezone: string, w: Omit<SubjectWindows, "subject" | "timezone">, now: Date): Promise<number> {
    // Locks in id order like every admission, so the sweep cannot deadlock with one.
    return this.db.$executeRawUnsafe(
      `WITH due AS (
         SELECT id FROM user_quota_limits
         WHERE timezone = $1 AND reset_at <= $6::timestamptz AT TIME ZONE 'UTC'
         ORDER BY id FOR UPDATE SKIP LOCKED)
       UPDATE user_quota_limits q SET
         requests_used = 0, tokens_used = 0, cost_used_micros = 0,
         requests_reserved = 0, tokens_reserved = 0, cost_reserved_micros = 0,
         -- Never before the old window's end (see the window_membership migration).
         window_start = GREATEST((CASE WHEN q.window_type = 'daily' THEN $2::timestamptz ELSE $4::timestamptz END) AT TIME ZONE 'UTC', q.reset_at),
         reset_at = (CASE WHEN q.window_type = 'daily' THEN $3::timestamptz ELSE $5::timestamptz END) AT TIME ZONE 'UTC',
         updated_at = $6::timestamptz AT TIME ZONE 'UTC'
       FROM due WHERE q.id = due.id`,
      timezone,
      w.daily.start.toISOString(),
      w.daily.resetsAt.toISOString(),
      w.monthly.start.toISOString(),
      w.monthly.resetsAt.toISOString(),
      now.toISOString(),
    );
  }

  async setOverride(
    windows: SubjectWindows,
    spec: LimitRowSpec,
    override: { expiresAt: Date | null } | null,
    now: Date,
  ): Promise<void> {
    await this.db.$executeRawUnsafe(
      `INSERT INTO user_quota_limits AS q (id, subject, window_type, scope, provider, model, timezone,
         source, override_request_limit, override_token_limit, override_cost_limit_micros, expires_at,
         window_start, reset_at, updated_at)
       VALUES (gen_random_uuid()::text, $1, $3::"WindowType", $4::"QuotaScope", $5, $6, $2,
         $7::"LimitSource", $8::int, $9::bigint, $10::bigint, $11::timestamptz AT TIME ZONE 'UTC',
         $12::timestamptz AT TIME ZONE 'UTC', $13::timestamptz AT TIME ZONE 'UTC', $14::timestamptz AT TIME ZONE 'UTC')
       ON CONFLICT (subject, window_type, scope, provider, model) DO UPDATE SET
         source = EXCLUDED.source, override_request_limit = EXCLUDED.override_request_limit,
         override_token_limit = EXCLUDED.override_token_limit,
         override_cost_limit_micros = EXCLUDED.override_cost_limit_micros,
         expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at`,
      windows.subject,
      windows.timezone,
      spec.window,
      spec.scope,
      spec.provider,
      spec.model,
      override ? "override" : "tier",
      override ? spec.requests : null,
      override ? spec.tokens : null,
      override ? spec.costMicros : null,
      override?.expiresAt ? override.expiresAt.toISOString() : null,
      (spec.window === "daily" ? windows.daily : windows.monthly).start.toISOString(),
      (spec.window === "daily" ? windows.daily : windows.monthly).resetsAt.toISOString(),
      now.toISOString(),
    );
  }

  resetUsage(subject: SubjectKey, window: WindowType | undefined, now: Date): Promise<number> {
    return this.db.$executeRawUnsafe(
      `UPDATE user_quota_limits SET requests_used = 0, tokens_used = 0, cost_used_micros = 0,
         updated_at = $3::timestamptz AT TIME ZONE 'UTC'
       WHERE subject = $1 AND ($2::text IS NULL OR window_type::text = $2::text)`,
      subject,
      window ?? null,
      now.toISOString(),
    );
  }

  async setTimeZone(subject: SubjectKey, timezone: string): Promise<void> {
    await this.db.$executeRawUnsafe(`UPDATE user_quota_limits SET timezone = $2 WHERE subject = $1`, subject, timezone);
  }

  async getEvent(subject: SubjectKey, key: string): Promise<UsageEventView | null> {
    const e = await this.db.usageEvent.findUnique({
      where: { subject_idempotencyKey: { subject, idempotencyKey: key } },
    });
    if (!e) return null;
    return {
      id: e.id,
      subject: e.subject,
      key: e.idempotencyKey,
      provider: e.provider,
      model: e.model,
      status: e.status,
      estTokens: Number(e.estTokens),
      estCostMicros: Number(e.estCostMicros),
      inputTokens: e.inputTokens,
      outputTokens: e.outputTokens,
      costMicros: e.costMicros === null ? null : Number(e.costMicros),
      reservedAt: e.reservedAt,
      expiresAt: e.expiresAt,
    };
  }
}
