import {
  localDateString,
  windowBounds,
  type ProfileUsageInput,
  type ProfileUsageOutput,
  type UsagePoint,
  type UsageTotals,
} from "@wavelength/shared";
import type { Db } from "@wavelength/db";

interface HourRow {
  provider: string;
  model: string;
  /** Start of the UTC hour, epoch milliseconds. */
  ms: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

const zero = (): UsageTotals => ({ requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 });

function add(into: UsageTotals, r: UsageTotals): void {
  into.requests += r.requests;
  into.inputTokens += r.inputTokens;
  into.outputTokens += r.outputTokens;
  into.costMicros += r.costMicros;
}

/** Bucket starts covering [from, to): UTC hours, or local days in the subject's zone (23/25-hour days included). */
export function bucketStarts(from: Date, to: Date, granularity: "hour" | "day", timeZone: string): Date[] {
  const out: Date[] = [];
  if (granularity === "hour") {
    for (let t = Math.floor(from.getTime() / 3_600_000) * 3_600_000; t < to.getTime(); t += 3_600_000)
      out.push(new Date(t));
    return out;
  }
  let day = windowBounds("daily", from, timeZone);
  while (day.start < to) {
    out.push(day.start);
    day = windowBounds("daily", day.resetsAt, timeZone);
  }
  return out;
}

/** Refused requests per local day of the range, zero-filled. */
export async function blockedByDay(
  db: Db,
  subject: string,
  timeZone: string,
  from: Date,
  to: Date,
): Promise<{ date: string; count: number }[]> {
  // Times come back as epoch milliseconds: Prisma's PGlite adapter misreads timestamptz in a
  // process whose TZ is not UTC (verified), and numbers read the same everywhere.
  const rows = await db.$queryRawUnsafe<{ ms: number }[]>(
    `SELECT extract(epoch FROM "at")::float8 * 1000 AS ms FROM quota_denials
     WHERE subject = $1 AND "at" >= $2::timestamptz AT TIME ZONE 'UTC' AND "at" < $3::timestamptz AT TIME ZONE 'UTC'`,
    subject,
    from.toISOString(),
    to.toISOString(),
  );
  const counts = new Map(bucketStarts(from, to, "day", timeZone).map((d) => [localDateString(d, timeZone), 0]));
  for (const r of rows) {
    const day = localDateString(new Date(r.ms), timeZone);
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  return [...counts].map(([date, count]) => ({ date, count }));
}

/**
 * Analytics over the hourly aggregate: zero-filled series, totals, provider
 * and model breakdown, and estimate accuracy from the ledger. Day buckets are
 * local days; an hourly record lands in the local day its UTC hour starts in
 * (for zones with a half-hour offset, a record's half hour may belong to the
 * neighbouring day — the hourly aggregate cannot split it).
 */
export async function profileUsage(
  db: Db,
  subject: string,
  timeZone: string,
  input: ProfileUsageInput,
): Promise<Omit<ProfileUsageOutput, "quota">> {
  const rows = await db.$queryRawUnsafe<HourRow[]>(
    `SELECT provider, model, extract(epoch FROM date + make_interval(hours => hour))::float8 * 1000 AS ms,
            request_count AS requests, input_tokens::float8 AS "inputTokens",
            output_tokens::float8 AS "outputTokens", cost_micros::float8 AS "costMicros"
     FROM usage_records
     WHERE subject = $1
       AND date + make_interval(hours => hour) >= date_trunc('hour', $2::timestamptz AT TIME ZONE 'UTC')
       AND date + make_interval(hours => hour) < $3::timestamptz AT TIME ZONE 'UTC'
     ORDER BY 3`,
    subject,
    input.from.toISOString(),
    input.to.toISOString(),
  );
  const starts = bucketStarts(input.from, input.to, input.granularity, timeZone);
  const indexOf =
    input.granularity === "hour"
      ? new Map(starts.map((s, i) => [s.getTime(), i]))
      : new Map(starts.map((s, i) => [localDateString(s, timeZone), i]));
  const keyOf = (at: Date) =>
    input.granularity === "hour" ? Math.floor(at.getTime() / 3_600_000) * 3_600_000 : localDateString(at, timeZone);

  const groupOf = (r: HourRow): string | null =>
    input.groupBy === "provider" ? r.provider : input.groupBy === "model" ? `${r.provider}/${r.model}` : null;
  const groups = [...new Set(rows.map(groupOf))];
  // An empty range still gets its zero-filled series.
  if (groups.length === 0) groups.push(null);
  const series = new Map<string | null, UsagePoint[]>(
    groups.map((g) => [g, starts.map((at) => ({ at, group: g, ...zero() }))]),
  );

  const totals = zero();
  const byProvider = new Map<string, UsageTotals & { provider: string }>();
  const byModel = new Map<string, UsageTotals & { provider: string; model: string }>();
  for (const r of rows) {
    const i = indexOf.get(keyOf(new Date(r.ms)) as never);
    if (i === undefined) continue;
    const amount = {
      requests: r.requests,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      costMicros: r.costMicros,
    };
    add(series.get(groupOf(r))![i]!, amount);
    add(totals, amount);
    const p = byProvider.get(r.provider) ?? { provider: r.provider, ...zero() };
    add(p, amount);
    byProvider.set(r.provider, p);
    const mk = `${r.provider}/${r.model}`;
    const m = byModel.get(mk) ?? { provider: r.provider, model: r.model, ...zero() };
    add(m, amount);
    byModel.set(mk, m);
  }

  const [acc] = await db.$queryRawUnsafe<
    { settled: number; estimated: number; est: number | null; actual: number | null }[]
  >(
    `SELECT count(*)::int AS settled, count(*) FILTER (WHERE usage_estimated)::int AS estimated,
            sum(est_tokens)::float8 AS est, sum(input_tokens + output_tokens)::float8 AS actual
     FROM usage_events
     WHERE subject = $1 AND status = 'settled' AND est_tokens > 0
       AND reserved_at >= $2::timestamptz AT TIME ZONE 'UTC' AND reserved_at < $3::timestamptz AT TIME ZONE 'UTC'`,
    subject,
    input.from.toISOString(),
    input.to.toISOString(),
  );
  const byCost = <T extends UsageTotals>(a: T, b: T) => b.costMicros - a.costMicros || b.requests - a.requests;
  return {
    series: [...series.values()].flat(),
    totals,
    byProvider: [...byProvider.values()].sort(byCost),
    byModel: [...byModel.values()].sort(byCost),
    estimateAccuracy:
      acc && acc.settled > 0 && acc.actual
        ? {
            settledRequests: acc.settled,
            estimatedRequests: acc.estimated,
            // Positive: estimates ran above actual usage (reservations were conservative).
            tokenErrorPercent: Math.round((((acc.est ?? 0) - acc.actual) / acc.actual) * 1000) / 10,
          }
        : null,
  };
}
