import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Contender } from "./contender.ts";
import { measure } from "./measure.ts";
import { naive } from "./naive.ts";
import { rateLimiterFlexible } from "./rate-limiter-flexible.ts";
import { checkTargets, markdown, type Cell, type OvershootResult, type Results, type Shape } from "./report.ts";
import { migrate, recreateDatabase, serverVersion } from "./setup.ts";
import { wavelength } from "./wavelength.ts";

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const SERVER = env("BENCH_PG", "postgresql://root@127.0.0.1:5432");
const ADMIN_DB = env("BENCH_ADMIN_DB", "test");
const DB = env("BENCH_DB", "wl_bench");
const OPS = Number(env("BENCH_OPS", "2000"));
const WARMUP = Number(env("BENCH_WARMUP", "200"));
const POOL = 16;
const CLIENTS = [1, 16];
const SPREAD_SUBJECTS = 500;
const LIMIT = 50;
const ATTEMPTS = 500;
const COMMAND = "cd /work/main && npm run bench";

const url = `${SERVER}/${DB}`;
const resultsDir = path.resolve(import.meta.dirname, "../results");
const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function main() {
  const t0 = Date.now();
  const loadAtStart = os.loadavg()[0]!;
  if (loadAtStart > 0.5)
    log(`warning: load average ${loadAtStart.toFixed(2)} before the run; other work on this machine skews the numbers`);
  log(`recreating ${DB} and applying migrations…`);
  await recreateDatabase(`${SERVER}/${ADMIN_DB}`, DB);
  migrate(url);

  const contenders: Contender[] = [
    await wavelength(url, POOL),
    await rateLimiterFlexible(url, POOL),
    await naive(url, POOL),
  ];
  try {
    const spread = Array.from({ length: SPREAD_SUBJECTS }, (_, i) => `user:bench-spread-${i}`);
    const hot = "user:bench-hot";
    const subjectFor = (shape: Shape, seq: number) => (shape === "hot" ? hot : spread[seq % SPREAD_SUBJECTS]!);

    log("preparing subjects…");
    const admits = await Promise.all(contenders.map((c) => c.unlimited([...spread, hot])));
    await analyze();

    const cells: Cell[] = [];
    for (const shape of ["spread", "hot"] as const) {
      for (const concurrency of CLIENTS) {
        for (const [i, c] of contenders.entries()) {
          const admit = admits[i]!;
          const m = await measure((seq) => admit(subjectFor(shape, seq), seq), {
            concurrency,
            warmup: WARMUP,
            count: OPS,
          });
          cells.push({ contender: c.name, shape, subjects: shape === "hot" ? 1 : SPREAD_SUBJECTS, measurement: m });
          log(
            `${shape.padEnd(6)} ${String(concurrency).padStart(2)} clients  ${c.name.padEnd(34)} ${String(m.throughput).padStart(6)}/s  p50 ${m.p50Ms.toFixed(2)}  p99 ${m.p99Ms.toFixed(2)} ms${m.errors ? `  ${m.errors} errors: ${m.firstError}` : ""}`,
          );
        }
      }
    }

    const overshoot: OvershootResult[] = [];
    for (const c of contenders) {
      const subject = "user:bench-limited";
      const admit = await c.limited(subject, LIMIT);
      const m = await measure((seq) => admit(subject, seq), { concurrency: POOL, warmup: 0, count: ATTEMPTS });
      const stored = c.counted ? await c.counted(subject) : null;
      overshoot.push({
        contender: c.name,
        limit: LIMIT,
        attempts: ATTEMPTS,
        concurrency: POOL,
        admitted: m.admitted,
        overshoot: Math.max(0, m.admitted - LIMIT),
        stored,
        measurement: m,
      });
      log(
        `overshoot ${c.name}: admitted ${m.admitted} of ${ATTEMPTS} against limit ${LIMIT}${m.errors ? `, ${m.errors} errors: ${m.firstError}` : ""}`,
      );
    }

    const results: Results = {
      command: COMMAND,
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        platform: `${os.platform()} ${os.release()}`,
        postgres: await serverVersion(url),
        loadAvg1mAtStart: Number(loadAtStart.toFixed(2)),
        loadAvg1mAtEnd: Number(os.loadavg()[0]!.toFixed(2)),
      },
      settings: {
        ops: OPS,
        warmup: WARMUP,
        pool: POOL,
        spreadSubjects: SPREAD_SUBJECTS,
        limit: LIMIT,
        attempts: ATTEMPTS,
        totalSeconds: Math.round((Date.now() - t0) / 1000),
      },
      contenders: contenders.map((c) => ({ name: c.name, description: c.description })),
      cells,
      overshoot,
      targets: checkTargets(cells, overshoot),
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, "admission.json"), `${JSON.stringify(results, null, 2)}\n`);
    const md = markdown(results);
    writeFileSync(path.join(resultsDir, "admission.md"), md);
    process.stdout.write(`\n${md}\n`);
    for (const t of results.targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target}: ${t.measured}\n`);
  } finally {
    for (const c of contenders) await c.close();
  }
}

/** Fresh tables have no statistics yet; give every contender the same planner footing. */
async function analyze() {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("ANALYZE");
  await client.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
