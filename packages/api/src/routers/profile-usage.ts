import {
  localDateString,
  windowBounds,
  type ProfileUsageInput,
  type KeyUsage,
  type ProfileUsageOutput,
  type UsagePoint,
  type UsageTotals,
} from "@wavelength/shared";
import type { Db } from "@wavelength/db";
import {
  modelAccuracy,
  tokenErrorPercent,
  type AccuracySums,
  type ModelEstimateAccuracy,
} from "./estimate-accuracy.ts";

/** One bucket's sums for one provider and model, aggregated by the database. */
interface BucketRow {
  /** 1 + index of the bucket in the range; 0 before the range, buckets + 1 after it. */
  bucket: number;
  provider: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** Reconciliation: settled requests with an estimate, counted locally, estimated and actual tokens. */
  reconciled: number;
  countedLocally: number;
  estTokens: number;
  actualTokens: number;
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

// Buckets are formed in the database, so a heavy user's year (about 50,000 hourly rows) comes back
// as at most 366 × models rows. width_bucket() finds each hour's bucket by binary search over the
// bucket edges computed here (local midnights, DST included), instead of converting every row to
// the subject's zone; hours before the first edge or from the last edge on get 0 and n + 1. The
// date bounds let the (subject, date) index narrow the scan and keep the row estimate right.
const USAGE_SQL = `
  SELECT width_bucket(date + make_interval(hours => hour), $4::timestamp[]) AS bucket, provider, model,
         sum(request_count)::float8 AS requests, sum(input_tokens)::float8 AS "inputTokens",
         sum(output_tokens)::float8 AS "outputTokens", sum(cost_micros)::float8 AS "costMicros",
         sum(reconciled_requests)::float8 AS reconciled, sum(reconciled_counted_locally)::float8 AS "countedLocally",
         sum(est_tokens)::float8 AS "estTokens", sum(reconciled_actual_tokens)::float8 AS "actualTokens"
  FROM usage_records
  WHERE subject = $1 AND date >= $2::date AND date <= $3::date
  GROUP BY 1, 2, 3`;

// API keys' usage comes from the ledger: each event the OpenAI-compatible endpoint opened names its
// key ("api:<keyId>:<requestId>"); a partial index holds only those events, so a subject's chats are
// not scanned. Hours as the hourly records count them: every hour that starts inside the range.
const BY_KEY_SQL = `
  SELECT k.id AS "keyId", k.name, k.prefix, k.revoked_at IS NOT NULL AS revoked,
         count(*)::float8 AS requests, sum(coalesce(e.input_tokens, 0))::float8 AS "inputTokens",
         sum(coalesce(e.output_tokens, 0))::float8 AS "outputTokens",
         sum(coalesce(e.cost_micros, 0))::float8 AS "costMicros"
  FROM usage_events e JOIN api_keys k ON k.id = split_part(e.idempotency_key, ':', 2)
  WHERE e.subject = $1 AND e.idempotency_key LIKE 'api:%' AND e.status = 'settled'
    AND 'user:' || k.user_id = e.subject
    AND e.reserved_at >= $2::timestamptz AT TIME ZONE 'UTC' AND e.reserved_at < $3::timestamptz AT TIME ZONE 'UTC'
  GROUP BY k.id, k.name, k.prefix, k.revoked_at
  ORDER BY "costMicros" DESC, requests DESC, k.id`;

/** Settled usage per API key of a user over the hours the range touches; empty for anyone else. */
export async function usageByKey(db: Db, subject: string, from: Date, to: Date): Promise<KeyUsage[]> {
  if (!subject.startsWith("user:")) return [];
  const hour = 3_600_000;
  return db.$queryRawUnsafe<KeyUsage[]>(
    BY_KEY_SQL,
    subject,
    new Date(Math.floor(from.getTime() / hour) * hour).toISOString(),
    new Date(Math.ceil(to.getTime() / hour) * hour).toISOString(),
  );
}

/** Room for the hash aggregate of a year: 366 days × a few dozen models, with margin. */
const AGGREGATE_WORK_MEM = "32MB";

const DAY_MS = 86_400_000;

/** Ranges longer than this are read in two halves at once (see profileUsage). */
const SPLIT_ABOVE_DAYS = 62;

/** The UTC dates [from, to] touches, as one inclusive "YYYY-MM-DD" pair, or two halves of a long range. */
export function splitUtcDates(from: Date, to: Date): [string, string][] {
  const first = Math.floor(from.getTime() / DAY_MS);
  const last = Math.floor(to.getTime() / DAY_MS);
  const day = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
  if (last - first + 1 <= SPLIT_ABOVE_DAYS) return [[day(first), day(last)]];
  const mid = first + Math.floor((last - first + 1) / 2);
  return [
    [day(first), day(mid - 1)],
    [day(mid), day(last)],
  ];
}

/** UTC wall time, as timestamp (without zone) values compare in the hourly rows. */
const utcWallTime = (d: Date) => d.toISOString().slice(0, 23).replace("T", " ");

/**
 * Analytics over the hourly aggregate: zero-filled series, totals, provider
 * and model breakdown, and estimate accuracy (overall and per model). Day
 * buckets are local days; an hourly record lands in the local day its UTC hour
 * starts in (for zones with a half-hour offset, a record's half hour may belong
 * to the neighbouring day — the hourly aggregate cannot split it). Accuracy
 * counts whole hours too: a range starting mid-hour includes that hour.
 */
export async function profileUsage(
  db: Db,
  subject: string,
  timeZone: string,
  input: ProfileUsageInput,
): Promise<Omit<ProfileUsageOutput, "quota"> & { estimateAccuracyByModel: ModelEstimateAccuracy[] }> {
  const starts = bucketStarts(input.from, input.to, input.granularity, timeZone);
  // Edges: the first hour of the range (not the start of its first local day), each later bucket's
  // start, and the range's end. Bucket k of width_bucket is starts[k - 1].
  const firstHour = Math.floor(input.from.getTime() / 3_600_000) * 3_600_000;
  const edges = [new Date(Math.max(firstHour, starts[0]?.getTime() ?? firstHour)), ...starts.slice(1), input.to];
  // The planner cannot estimate how many buckets width_bucket() yields, guesses tens of thousands
  // of groups and, with the default 4 MB work_mem, sorts (spilling to disk) instead of hashing:
  // twice the time for a year (measured). The real number is at most buckets × models, a few MB.
  // A long range is read as two halves of UTC dates on two connections at once, so PostgreSQL
  // spends two cores on it (it will not parallelise this aggregate itself); a bucket that
  // straddles the split comes back from both halves and is summed below like any other row.
  const [byKey, parts] = await Promise.all([
    usageByKey(db, subject, input.from, input.to),
    Promise.all(
      splitUtcDates(input.from, input.to).map(([first, last]) =>
        db.$transaction([
          db.$executeRawUnsafe(`SET LOCAL work_mem = '${AGGREGATE_WORK_MEM}'`),
          db.$queryRawUnsafe<BucketRow[]>(USAGE_SQL, subject, first, last, edges.map(utcWallTime)),
        ]),
      ),
    ),
  ]);
  // The date bounds also return the hours of the first and last UTC dates outside the range.
  const rows = parts.flatMap(([, r]) => r).filter((r) => r.bucket >= 1 && r.bucket <= starts.length);
  const groupOf = (r: BucketRow): string | null =>
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
  const accuracy = new Map<string, AccuracySums>();
  for (const r of rows) {
    const i = r.bucket - 1;
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
    const a = accuracy.get(mk) ?? { provider: r.provider, model: r.model, settled: 0, estimated: 0, est: 0, actual: 0 };
    a.settled += r.reconciled;
    a.estimated += r.countedLocally;
    a.est += r.estTokens;
    a.actual += r.actualTokens;
    accuracy.set(mk, a);
  }

  const reconciled = [...accuracy.values()].filter((a) => a.settled > 0 && a.actual > 0);
  const overall = reconciled.reduce(
    (o, a) => ({
      settled: o.settled + a.settled,
      estimated: o.estimated + a.estimated,
      est: o.est + a.est,
      actual: o.actual + a.actual,
    }),
    { settled: 0, estimated: 0, est: 0, actual: 0 },
  );
  const byCost = <T extends UsageTotals>(a: T, b: T) => b.costMicros - a.costMicros || b.requests - a.requests;
  return {
    series: [...series.values()].flat(),
    totals,
    byProvider: [...byProvider.values()].sort(byCost),
    byModel: [...byModel.values()].sort(byCost),
    byKey,
    estimateAccuracy:
      overall.settled > 0
        ? {
            settledRequests: overall.settled,
            estimatedRequests: overall.estimated,
            // Positive: estimates ran above actual usage (reservations were conservative).
            tokenErrorPercent: tokenErrorPercent(overall.est, overall.actual),
          }
        : null,
    estimateAccuracyByModel: reconciled
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model))
      .map(modelAccuracy),
  };
}
