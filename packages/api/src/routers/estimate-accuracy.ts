import type { Db } from "@wavelength/db";

export interface ModelEstimateAccuracy {
  provider: string;
  model: string;
  settledRequests: number;
  /** Requests whose usage our tokenizer counted because the provider reported none. */
  estimatedRequests: number;
  /** (reserved estimate − actual) / actual; positive means admission reserved more than was used. */
  tokenErrorPercent: number;
}

/**
 * Reconciliation per model from the ledger: what admission reserved against
 * what was settled, over settled requests that had an estimate.
 */
export async function estimateAccuracyByModel(
  db: Db,
  subject: string,
  from: Date,
  to: Date,
): Promise<ModelEstimateAccuracy[]> {
  const rows = await db.$queryRawUnsafe<
    { provider: string; model: string; settled: number; estimated: number; est: number; actual: number }[]
  >(
    `SELECT provider, model, count(*)::int AS settled, count(*) FILTER (WHERE usage_estimated)::int AS estimated,
            sum(est_tokens)::float8 AS est, sum(input_tokens + output_tokens)::float8 AS actual
     FROM usage_events
     WHERE subject = $1 AND status = 'settled' AND est_tokens > 0
       AND reserved_at >= $2::timestamptz AT TIME ZONE 'UTC' AND reserved_at < $3::timestamptz AT TIME ZONE 'UTC'
     GROUP BY provider, model ORDER BY provider, model`,
    subject,
    from.toISOString(),
    to.toISOString(),
  );
  return rows.filter((r) => r.actual > 0).map((r) => modelAccuracy(r));
}

/** Sums of one model's settled requests that had an estimate: count, counted locally, estimated and actual tokens. */
export interface AccuracySums {
  provider: string;
  model: string;
  settled: number;
  estimated: number;
  est: number;
  actual: number;
}

/** Rounded to a tenth of a percent; positive means admission reserved more than was used. */
export function tokenErrorPercent(est: number, actual: number): number {
  return Math.round(((est - actual) / actual) * 1000) / 10;
}

export function modelAccuracy(r: AccuracySums): ModelEstimateAccuracy {
  return {
    provider: r.provider,
    model: r.model,
    settledRequests: r.settled,
    estimatedRequests: r.estimated,
    tokenErrorPercent: tokenErrorPercent(r.est, r.actual),
  };
}
