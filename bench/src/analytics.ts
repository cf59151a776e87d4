// Analytics latency: a heavy user's year of hourly usage on /settings/usage (profile.usage) and the
// operators' overview (admin.overview) over a table of about 1,000,000 hourly rows, through the
// product's own tRPC procedures on PostgreSQL and on embedded PGlite.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createDb, type Database } from "../../packages/db/src/index.ts";
import { createInnerContext } from "../../packages/api/src/context.ts";
import { userIdentity } from "../../packages/api/src/identity.ts";
import { createCaller } from "../../packages/api/src/root.ts";
import { createServices } from "../../packages/api/src/services.ts";
import { percentile } from "./measure.ts";
import { migrate } from "./setup.ts";

const HOURS_PER_YEAR = 8_760;
const DAY_MS = 86_400_000;
/** Provider/model pairs; the heavy user uses all six every hour of the year. */
const MODELS = [
  ["openai", "gpt-4o"],
  ["openai", "gpt-4o-mini"],
  ["anthropic", "claude-sonnet-4-5"],
  ["anthropic", "claude-opus-4-1"],
  ["local-demo", "demo-1"],
  ["ollama", "llama3"],
] as const;

export interface AnalyticsOptions {
  /** Other subjects besides the heavy user; they fill the table towards ~1,000,000 rows. */
  otherSubjects: number;
  /** Hourly rows per other subject (at most 486, so their hours stay distinct within the year). */
  rowsPerSubject: number;
  warmup: number;
  runs: number;
  log: (msg: string) => void;
}

export interface QueryStats {
  name: string;
  /** What the procedure was asked. */
  input: string;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Target p50 in ms, when the issue sets one. */
  targetMs: number | null;
}

export interface AnalyticsEngineResult {
  engine: "PostgreSQL" | "PGlite";
  rows: { total: number; heavyUser: number; heavyUserLedger: number; subjects: number };
  seedSeconds: number;
  queries: QueryStats[];
}

export interface AnalyticsResults {
  options: Omit<AnalyticsOptions, "log">;
  engines: AnalyticsEngineResult[];
}

const MODELS_SQL = `(VALUES ${MODELS.map(([p, m], i) => `(${i}, '${p}', '${m}')`).join(", ")}) AS m(i, provider, model)`;

/**
 * Fills the database: the heavy user's 6 models × 8,760 hours, one settled ledger row per request
 * of those hours (the estimate-accuracy query reads the ledger), and `otherSubjects` users and
 * visitors with `rowsPerSubject` hours each, spread over the same year.
 */
async function seed(db: Database, end: Date, heavyUserId: string, o: AnalyticsOptions) {
  const sql = (text: string, params: unknown[] = []) => db.prisma.$executeRawUnsafe(text, ...params);
  const endIso = end.toISOString().slice(0, 19).replace("T", " ");
  await sql(
    `INSERT INTO users (id, email, tier, role, timezone, created_at, updated_at)
     VALUES ($1, 'heavy@bench.local', 'pro', 'user', 'America/New_York', now(), now())`,
    [heavyUserId],
  );
  // Four out of five other subjects are users (with an account row), the rest anonymous visitors.
  await sql(
    `INSERT INTO users (id, email, tier, role, timezone, created_at, updated_at)
     SELECT 'bench-user-' || s, 'user' || s || '@bench.local', 'free'::"Tier", 'user'::"Role", 'UTC', now(), now()
     FROM generate_series(0, $1::int - 1) s WHERE s % 5 <> 0`,
    [o.otherSubjects],
  );
  // Heavy user: every hour of the year, every model; 1–4 requests an hour.
  await sql(
    `INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens, output_tokens,
                                cost_micros, est_tokens, updated_at)
     SELECT gen_random_uuid()::text, $1, m.provider, m.model, t::date, extract(hour FROM t)::int,
            1 + (h + m.i) % 4, (1 + (h + m.i) % 4) * 600, (1 + (h + m.i) % 4) * 300,
            (1 + (h + m.i) % 4) * (500 + 100 * m.i), (1 + (h + m.i) % 4) * 950, now()
     FROM generate_series(1, ${HOURS_PER_YEAR}) h
     CROSS JOIN LATERAL (SELECT $2::timestamp - h * interval '1 hour' AS t) ts
     CROSS JOIN ${MODELS_SQL}`,
    [`user:${heavyUserId}`, endIso],
  );
  // Its ledger: one settled event per request, reserved within the hour.
  await sql(
    `INSERT INTO usage_events (id, subject, idempotency_key, provider, model, status, est_tokens, est_cost_micros,
                               input_tokens, output_tokens, cost_micros, reserved_at, settled_at)
     SELECT gen_random_uuid()::text, r.subject, 'bench-' || r.id || '-' || k, r.provider, r.model, 'settled'::"UsageEventStatus", 950, 600,
            600, 300, r.cost_micros / r.request_count,
            r.date + make_interval(hours => r.hour, mins => k), r.date + make_interval(hours => r.hour, mins => k)
     FROM usage_records r CROSS JOIN LATERAL generate_series(1, r.request_count) k
     WHERE r.subject = $1`,
    [`user:${heavyUserId}`],
  );
  // Everyone else: distinct hours per subject ((j * 18 + s) mod 8,760 differs for every j < 487).
  await sql(
    `INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens, output_tokens,
                                cost_micros, est_tokens, updated_at)
     SELECT gen_random_uuid()::text, CASE WHEN s % 5 = 0 THEN 'anon:bench-visitor-' || s ELSE 'user:bench-user-' || s END,
            m.provider, m.model, t::date, extract(hour FROM t)::int,
            1 + (s + j) % 3, 400 + (s * 7 + j) % 900, 200 + (s * 3 + j) % 500, 100 + (s + j * 13) % 4000, 0, now()
     FROM generate_series(0, $1::int - 1) s
     CROSS JOIN generate_series(0, $2::int - 1) j
     CROSS JOIN LATERAL (SELECT $3::timestamp - (1 + (j * 18 + s) % ${HOURS_PER_YEAR}) * interval '1 hour' AS t) ts
     JOIN ${MODELS_SQL} ON m.i = (s + j) % ${MODELS.length}`,
    [o.otherSubjects, o.rowsPerSubject, endIso],
  );
  // As autovacuum would have by the time history is this old: statistics, and the visibility map
  // that lets the covering index answer without visiting the table.
  await sql("VACUUM ANALYZE usage_records");
  await sql("ANALYZE");
  const count = async (text: string) =>
    Number((await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${text}`))[0]!.n);
  return {
    total: await count("usage_records"),
    heavyUser: await count(`usage_records WHERE subject = 'user:${heavyUserId}'`),
    heavyUserLedger: await count(`usage_events WHERE subject = 'user:${heavyUserId}'`),
    subjects: o.otherSubjects + 1,
  };
}

async function time(
  name: string,
  input: string,
  targetMs: number | null,
  o: AnalyticsOptions,
  fn: () => Promise<unknown>,
) {
  for (let i = 0; i < o.warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const stats: QueryStats = {
    name,
    input,
    runs: o.runs,
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(ms.at(-1)!),
    targetMs,
  };
  o.log(`  ${name} (${input}): p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms`);
  return stats;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function runOn(engine: AnalyticsEngineResult["engine"], url: string, o: AnalyticsOptions) {
  migrate(url);
  const db = await createDb(url, { maxConnections: 4 });
  const services = createServices(db.prisma, { sql: db.sql, providers: { demo: { enabled: true, tokenDelayMs: 0 } } });
  try {
    // The year ends at the last whole hour, as the analytics page's "last 12 months" does.
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const heavyUserId = randomUUID();
    o.log(`${engine}: seeding…`);
    const t0 = performance.now();
    const rows = await seed(db, end, heavyUserId, o);
    const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    o.log(`${engine}: ${rows.total} hourly rows (${rows.heavyUser} the heavy user's) in ${seedSeconds} s`);

    const heavy = createCaller(
      createInnerContext({
        services,
        identity: userIdentity({
          id: heavyUserId,
          email: "heavy@bench.local",
          tier: "pro",
          role: "user",
          timezone: "America/New_York",
        }),
      }),
    );
    const operator = createCaller(
      createInnerContext({
        services,
        identity: userIdentity({
          id: randomUUID(),
          email: "ops@bench.local",
          tier: "pro",
          role: "admin",
          timezone: "UTC",
        }),
      }),
    );
    const year = { from: new Date(end.getTime() - 365 * DAY_MS), to: end };
    const month = { from: new Date(end.getTime() - 30 * DAY_MS), to: end };
    const queries = [
      await time("heavy user, profile.usage", "365 days by local day", 50, o, () =>
        heavy.profile.usage({ ...year, granularity: "day" }),
      ),
      await time("heavy user, profile.usage", "365 days by local day, per model", 50, o, () =>
        heavy.profile.usage({ ...year, granularity: "day", groupBy: "model" }),
      ),
      await time("heavy user, profile.usage", "30 days by hour", 50, o, () =>
        heavy.profile.usage({ ...month, granularity: "hour" }),
      ),
      await time("operator, admin.overview", "last 30 days", 300, o, () => operator.admin.overview(month)),
      await time("operator, admin.overview", "last 365 days (every row)", 300, o, () => operator.admin.overview(year)),
    ];
    return { engine, rows, seedSeconds, queries } satisfies AnalyticsEngineResult;
  } finally {
    await services.chat.abortAll();
    await services.worker.stop();
    await db.close();
  }
}

/** Runs the analytics part on `postgresUrl` (a database it may fill) and, unless skipped, on a fresh PGlite folder. */
export async function analyticsLatency(
  postgresUrl: string,
  o: AnalyticsOptions & { pglite: boolean },
): Promise<AnalyticsResults> {
  const engines = [await runOn("PostgreSQL", postgresUrl, o)];
  if (o.pglite) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wl-bench-pglite-"));
    try {
      engines.push(await runOn("PGlite", `pglite://${dir}`, o));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const { log: _log, pglite: _pglite, ...options } = o;
  return { options, engines };
}

export function analyticsTargets(r: AnalyticsResults): { target: string; measured: string; pass: boolean }[] {
  return r.engines.flatMap((e) =>
    e.queries
      .filter((q) => q.targetMs !== null)
      .map((q) => ({
        target: `${q.name}, ${q.input}: p50 ≤ ${q.targetMs} ms (${e.engine}, ${e.rows.total.toLocaleString("en-US")} rows)`,
        measured: `${q.p50Ms.toFixed(1)} ms`,
        pass: q.p50Ms <= q.targetMs!,
      })),
  );
}

export function analyticsMarkdown(r: AnalyticsResults): { markdown: string; summary: string[] } {
  const rows = r.engines.flatMap((e) =>
    e.queries.map(
      (q) =>
        `| ${e.engine} | ${q.name} | ${q.input} | ${q.p50Ms.toFixed(1)} | ${q.p99Ms.toFixed(1)} | ${q.targetMs === null ? "–" : `≤ ${q.targetMs}`} | ${q.targetMs === null ? "" : q.p50Ms <= q.targetMs ? "PASS" : "**MISS**"} |`,
    ),
  );
  const sizes = r.engines.map(
    (e) =>
      `${e.engine}: ${e.rows.total.toLocaleString("en-US")} hourly rows for ${e.rows.subjects.toLocaleString("en-US")} subjects, the heavy user's ${e.rows.heavyUser.toLocaleString("en-US")} rows and ${e.rows.heavyUserLedger.toLocaleString("en-US")} ledger events among them (seeded in ${e.seedSeconds} s)`,
  );
  const markdown = `One table holds a heavy user's year (6 models × 8,760 hours) and ${r.options.otherSubjects.toLocaleString("en-US")} other users and visitors with ${r.options.rowsPerSubject} hours each over the same year. Each query goes through the product's tRPC procedure (the same code the web app calls, zod and all), one at a time: ${r.options.warmup} warm-up calls, then ${r.options.runs} timed.

${sizes.map((s) => `- ${s}`).join("\n")}

| engine | who, procedure | range | p50 ms | p99 ms | target p50 ms | result |
| ------ | -------------- | ----- | -----: | -----: | ------------: | ------ |
${rows.join("\n")}

\`profile.usage\` sums the hours by local day (or hour) and model in one query that also yields the estimate reconciliation (kept in the hourly rows since migration 20261128000900), and reads the user's quota status and refused requests per day alongside, as the page shows them. \`admin.overview\` aggregates by UTC day, by model and by subject in one GROUPING SETS pass over the range's rows.
`;
  const summary = analyticsTargets(r).map((t) => `${t.pass ? "PASS" : "**MISS**"} ${t.target}: ${t.measured}`);
  return { markdown, summary };
}
