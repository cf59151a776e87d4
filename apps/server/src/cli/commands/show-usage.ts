import type { Db } from "@wavelength/db";
import { rowStatuses, type QuotaRowState } from "@wavelength/api";
import { QUOTA_SCOPES, formatMicros, windowBounds, type QuotaDimensionStatus } from "@wavelength/shared";
import { parseEmail, parseOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { requireUser, subjectOfUser, type CliUser } from "../context.ts";
import { formatAmount, formatCount, localTime, table } from "../format.ts";

const NAME = "show-usage";

/** A quota status as the CLI prints and emits it: times as ISO strings, plus the user's wall clock. */
type QuotaLine = Omit<QuotaDimensionStatus, "resetsAt" | "overrideExpiresAt"> & {
  resetsAt: string;
  overrideExpiresAt: string | null;
  /** resetsAt on the user's wall clock, "YYYY-MM-DD HH:MM". */
  resetsAtLocal: string;
};

interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

export const showUsage: Command = {
  name: NAME,
  summary: "a user's tier, quotas and usage today and this month",
  help: `Usage: npm run admin -- show-usage --email E [--json]

Shows the user's tier and time zone, every limited quota (used, limit, percent, override, when it
resets on the user's clock) and the requests, tokens and cost recorded today and this month in the
user's time zone. Unlimited dimensions are listed only where an override made them so.

  --email E   the user's e-mail address
  --json      machine-readable output (money in integer micro-dollars, times in ISO 8601 UTC)`,

  async parse(argv) {
    const v = parseOptions(NAME, argv, { email: { type: "string" }, json: { type: "boolean" } });
    const email = parseEmail(NAME, v.email);

    return async (ctx) => {
      const user = await requireUser(ctx.db, email);
      const now = ctx.engine.clock.now();
      const quotas = quotaLines(await ctx.engine.rows(subjectOfUser(user)), user.timezone);
      const totals = await usageTotals(ctx.db, `user:${user.id}`, user.timezone, now);
      if (v.json) {
        const { timezone, ...rest } = user;
        ctx.print(
          JSON.stringify({ user: { ...rest, timeZone: timezone }, now: now.toISOString(), quotas, totals }, null, 2),
        );
      } else {
        ctx.print(render(user, now, quotas, totals));
      }
    };
  },
};

const SCOPE_ORDER = new Map(QUOTA_SCOPES.map((s, i) => [s, i]));

function quotaLines(rows: readonly QuotaRowState[], timeZone: string): QuotaLine[] {
  const sorted = [...rows].sort(
    (a, b) =>
      a.window.localeCompare(b.window) ||
      (SCOPE_ORDER.get(a.scope) ?? 0) - (SCOPE_ORDER.get(b.scope) ?? 0) ||
      a.provider.localeCompare(b.provider) ||
      a.model.localeCompare(b.model),
  );
  return rowStatuses(sorted, { liftedOverrides: true }).map((q) => ({
    ...q,
    overrideExpiresAt: q.overrideExpiresAt?.toISOString() ?? null,
    resetsAt: q.resetsAt.toISOString(),
    resetsAtLocal: localTime(q.resetsAt, timeZone),
  }));
}

/**
 * Settled usage from the hourly aggregate in the user's current day and month. An hourly record
 * counts in the window its UTC hour starts in (zones with a half-hour offset split no hours).
 */
async function usageTotals(
  db: Db,
  subject: string,
  timeZone: string,
  now: Date,
): Promise<{ today: Totals; month: Totals }> {
  const day = windowBounds("daily", now, timeZone);
  const month = windowBounds("monthly", now, timeZone);
  const rows = await db.$queryRawUnsafe<(Totals & { window: "today" | "month" })[]>(
    `SELECT w.name AS window, coalesce(sum(r.request_count), 0)::float8 AS requests,
            coalesce(sum(r.input_tokens), 0)::float8 AS "inputTokens",
            coalesce(sum(r.output_tokens), 0)::float8 AS "outputTokens",
            coalesce(sum(r.cost_micros), 0)::float8 AS "costMicros"
     FROM (VALUES ('today', $2::timestamptz, $3::timestamptz), ('month', $4::timestamptz, $5::timestamptz))
            AS w(name, start_at, end_at)
     LEFT JOIN usage_records r ON r.subject = $1
       AND r.date + make_interval(hours => r.hour) >= w.start_at AT TIME ZONE 'UTC'
       AND r.date + make_interval(hours => r.hour) < w.end_at AT TIME ZONE 'UTC'
     GROUP BY w.name`,
    subject,
    day.start.toISOString(),
    day.resetsAt.toISOString(),
    month.start.toISOString(),
    month.resetsAt.toISOString(),
  );
  const zero: Totals = { requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
  const pick = (w: "today" | "month"): Totals => {
    const r = rows.find((x) => x.window === w);
    return r
      ? { requests: r.requests, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costMicros: r.costMicros }
      : zero;
  };
  return { today: pick("today"), month: pick("month") };
}

function render(
  user: CliUser,
  now: Date,
  quotas: readonly QuotaLine[],
  totals: { today: Totals; month: Totals },
): string {
  const head = [
    `${user.email} (user:${user.id})${user.name ? ` ${user.name}` : ""}`,
    `tier ${user.tier}, role ${user.role}, time zone ${user.timezone} (now ${localTime(now, user.timezone)})`,
  ];
  const quotaTable =
    quotas.length === 0
      ? "No limits."
      : table(
          ["WINDOW", "SCOPE", "PROVIDER/MODEL", "DIMENSION", "USED", "LIMIT", "USED %", "RESETS (local)", "SOURCE"],
          quotas.map((q) => [
            q.window,
            q.scope,
            [q.provider, q.model].filter(Boolean).join("/") || "-",
            q.dimension === "costMicros" ? "cost" : q.dimension,
            formatAmount(q.dimension, q.used),
            formatAmount(q.dimension, q.limit),
            q.limit === null ? "-" : `${q.percent}%`,
            q.resetsAtLocal,
            q.source === "tier"
              ? "tier"
              : q.overrideExpiresAt
                ? `override until ${localTime(new Date(q.overrideExpiresAt), user.timezone)}`
                : "override",
          ]),
          [4, 5, 6],
        );
  const usageTable = table(
    ["USAGE", "REQUESTS", "INPUT TOKENS", "OUTPUT TOKENS", "COST"],
    (["today", "month"] as const).map((w) => [
      w === "today" ? "today" : "this month",
      formatCount(totals[w].requests),
      formatCount(totals[w].inputTokens),
      formatCount(totals[w].outputTokens),
      formatMicros(totals[w].costMicros),
    ]),
    [1, 2, 3, 4],
  );
  return [...head, "", quotaTable, "", usageTable].join("\n");
}
