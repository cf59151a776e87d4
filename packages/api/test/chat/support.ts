import type { Database } from "@wavelength/db";

type Over<T> = Exclude<T, { status: "running" | "queued" }>;

/** Polls until the task leaves "running" (the SPA polls chat.task the same way); the poll that says it is over. */
export async function untilDone<T extends { status: string }>(
  poll: () => Promise<T>,
  timeoutMs = 90_000,
): Promise<Over<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const t = await poll();
    if (t.status !== "running" && t.status !== "queued") return t as Over<T>;
    if (Date.now() > end) throw new Error(`task still ${t.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The three places usage is written, summed: ledger actuals, hourly records
 * and task rows. They must agree to the token and the micro-dollar.
 */
export async function accountingTotals(db: Database, subjects: string[]) {
  const [ledger] = await db.prisma.$queryRawUnsafe<{ n: number; tokens: number; cost: number; reserved: number }[]>(
    `SELECT count(*) FILTER (WHERE status = 'settled')::int AS n,
            coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) FILTER (WHERE status = 'settled'), 0)::float8 AS tokens,
            coalesce(sum(cost_micros) FILTER (WHERE status = 'settled'), 0)::float8 AS cost,
            count(*) FILTER (WHERE status = 'reserved')::int AS reserved
     FROM usage_events WHERE subject = ANY($1::text[])`,
    subjects,
  );
  const [hourly] = await db.prisma.$queryRawUnsafe<{ n: number; tokens: number; cost: number }[]>(
    `SELECT coalesce(sum(request_count), 0)::int AS n, coalesce(sum(input_tokens + output_tokens), 0)::float8 AS tokens,
            coalesce(sum(cost_micros), 0)::float8 AS cost
     FROM usage_records WHERE subject = ANY($1::text[])`,
    subjects,
  );
  const [tasks] = await db.prisma.$queryRawUnsafe<{ n: number; tokens: number; cost: number }[]>(
    `SELECT count(*) FILTER (WHERE input_tokens IS NOT NULL)::int AS n,
            coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)), 0)::float8 AS tokens,
            coalesce(sum(cost_micros), 0)::float8 AS cost
     FROM tasks WHERE subject = ANY($1::text[])`,
    subjects,
  );
  return { ledger: ledger!, hourly: hourly!, tasks: tasks! };
}
