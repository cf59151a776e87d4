// Where an admission's time goes. Run after `npm run bench` (uses its wl_bench database):
//   cd bench && npx tsx src/profile.ts
import { performance } from "node:perf_hooks";
import pg from "pg";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import { createDb } from "../../packages/db/src/index.ts";
import {
  PrismaMeteringStore,
  QuotaEngine,
  windowsFor,
  type SubjectRef,
} from "../../packages/api/src/metering/index.ts";

const url = process.env.BENCH_URL ?? "postgresql://root@127.0.0.1:5432/wl_bench";
const ref = (key: string): SubjectRef => ({ key: key as SubjectRef["key"], tier: "pro", timeZone: "Europe/Berlin" });
const HUGE = { requests: 1_000_000_000, tokens: 1e15, costMicros: 1e15 };
const tag = Date.now().toString(36);
const WL_ADMIT = `SELECT wl_admit($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7, $8, $9, $10::bigint, $11::bigint, $12::timestamptz, $13::bigint, $14) AS r`;

async function time(label: string, n: number, fn: (i: number) => Promise<unknown>) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const us = ((performance.now() - t0) / n) * 1000;
  const c = process.cpuUsage(c0);
  console.log(
    `${label.padEnd(46)} ${us.toFixed(0).padStart(6)} µs/op   client CPU ${((c.user + c.system) / n).toFixed(0).padStart(4)} µs/op`,
  );
}

async function main() {
  const db = await createDb(url, { maxConnections: 16 });
  const store = new PrismaMeteringStore(db.prisma);
  const engine = new QuotaEngine({ store, failMode: "closed" });
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  const prep = async (s: string) => {
    await engine.init(ref(s));
    for (const w of ["daily", "monthly"] as const)
      await engine.setOverride(ref(s), { window: w, scope: "general", provider: "", model: "", ...HUGE }, null);
    await engine.setOverride(
      ref(s),
      { window: "daily", scope: "provider", provider: "openai", model: "", ...HUGE },
      null,
    );
    await engine.setOverride(
      ref(s),
      { window: "daily", scope: "model", provider: "openai", model: "gpt-4o-mini", ...HUGE },
      null,
    );
  };
  const subject = (name: string) => `user:profile-${tag}-${name}`;
  const admitArgs = (s: string, key: string) => {
    const w = windowsFor(ref(s), new Date());
    return [
      [w.subject],
      [w.timezone],
      [w.daily.start.toISOString()],
      [w.daily.resetsAt.toISOString()],
      [w.monthly.start.toISOString()],
      [w.monthly.resetsAt.toISOString()],
      "openai",
      "gpt-4o-mini",
      key,
      1000,
      500,
      new Date().toISOString(),
      600000,
      false,
    ];
  };
  const layers = ["engine", "store", "prisma", "pg"].map(subject);
  for (const s of layers) await prep(s);
  const rl = await new Promise<RateLimiterPostgres>((resolve, reject) => {
    const r: RateLimiterPostgres = new RateLimiterPostgres(
      { storeClient: pool, tableName: "rlf_profile", points: 1e9, duration: 86400, clearExpiredByTimeout: false },
      (e?: Error) => (e ? reject(e) : resolve(r)),
    );
  });
  await pool.query("VACUUM ANALYZE user_quota_limits");

  console.log("\n## One client, one subject per layer, 500 admissions each (fresh rows, after VACUUM)");
  let t0 = performance.now();
  for (let i = 0; i < 20000; i++) windowsFor(ref("user:x"), new Date());
  console.log(
    `${"windowsFor() (JS, per admission)".padEnd(46)} ${(((performance.now() - t0) / 20000) * 1000).toFixed(0).padStart(6)} µs/op`,
  );
  await time("engine.admit()", 500, (i) =>
    engine.admit({
      subject: ref(layers[0]!),
      provider: "openai",
      model: "gpt-4o-mini",
      estTokens: 1000,
      estCostMicros: 500,
      key: `p-${i}`,
    }),
  );
  await time("PrismaMeteringStore.admit()", 500, (i) => {
    const now = new Date();
    return store.admit({
      windows: [windowsFor(ref(layers[1]!), now)],
      provider: "openai",
      model: "gpt-4o-mini",
      key: `p-${i}`,
      estTokens: 1000,
      estCostMicros: 500,
      now,
      ttlMs: 600000,
      dryRun: false,
    });
  });
  await time("prisma.$queryRawUnsafe(wl_admit)", 500, (i) =>
    db.prisma.$queryRawUnsafe(WL_ADMIT, ...admitArgs(layers[2]!, `p-${i}`)),
  );
  await time("pg pool.query(wl_admit)", 500, (i) => pool.query(WL_ADMIT, admitArgs(layers[3]!, `p-${i}`)));
  await time("rate-limiter-flexible consume()", 500, () => rl.consume(`profile-${tag}`));
  await time("prisma.$queryRawUnsafe(SELECT 1)", 500, () => db.prisma.$queryRawUnsafe("SELECT 1"));
  await time("pg pool.query(SELECT 1)", 500, () => pool.query("SELECT 1"));

  console.log("\n## One hot subject: cost as its rows take updates (1 client, pg wl_admit)");
  const hot = subject("hot");
  await prep(hot);
  await pool.query("VACUUM user_quota_limits");
  const explainLock = async () => {
    const r = await pool.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT 1 FROM user_quota_limits WHERE subject = $1 ORDER BY id FOR UPDATE`,
      [hot],
    );
    const plan = r.rows.map((x) => x["QUERY PLAN"]);
    const idx = plan.find((l) => l.includes("Index Scan") && l.includes("rows=")) ?? "";
    const buf = plan.find((l) => l.includes("Buffers")) ?? "";
    return `${idx.trim().replace(/^->\s+/, "")} | ${buf.trim()}`;
  };
  let done = 0;
  for (const block of [500, 500, 1000, 2000]) {
    await time(`admissions ${done + 1}–${done + block}`, block, (i) =>
      pool.query(WL_ADMIT, admitArgs(hot, `h-${done + i}`)),
    );
    done += block;
    console.log(`   lock scan after ${done}: ${await explainLock()}`);
  }
  await pool.query("VACUUM user_quota_limits");
  await time(`admissions after VACUUM`, 500, (i) => pool.query(WL_ADMIT, admitArgs(hot, `h-v-${i}`)));
  console.log(`   lock scan after VACUUM + 500: ${await explainLock()}`);

  console.log("\n## One hot subject, 16 clients through engine.admit: what the backends wait on");
  const waits = new Map<string, number>();
  let samples = 0;
  let running = true;
  const sampler = (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    while (running) {
      const r = await c.query<{
        w: string;
        n: number;
      }>(`SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS w, count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`);
      samples++;
      for (const row of r.rows) waits.set(row.w, (waits.get(row.w) ?? 0) + row.n);
      await new Promise((res) => setTimeout(res, 5));
    }
    await c.end();
  })();
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < 2000; i = next++)
        await engine.admit({
          subject: ref(hot),
          provider: "openai",
          model: "gpt-4o-mini",
          estTokens: 1000,
          estCostMicros: 500,
          key: `c-${i}`,
        });
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  running = false;
  await sampler;
  console.log(
    `2000 admissions in ${secs.toFixed(2)} s = ${(2000 / secs).toFixed(0)}/s; average backends per state over ${samples} samples:`,
  );
  for (const [w, n] of [...waits].sort((a, b) => b[1] - a[1]))
    console.log(`   ${w.padEnd(30)} ${(n / samples).toFixed(2)}`);

  await pool.end();
  await db.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
