import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { chatE2e, e2eMarkdown, type E2eResults } from "./chat-e2e.ts";
import type { Contender } from "./contender.ts";
import { bundleMarkdown, measureInitialBundle } from "./bundle-size.ts";
import { measure } from "./measure.ts";
import { naive } from "./naive.ts";
import { rateLimiterFlexible } from "./rate-limiter-flexible.ts";
import {
  checkTargets,
  combinedMarkdown,
  markdown,
  type Cell,
  type OvershootResult,
  type Results,
  type RunInfo,
  type Shape,
} from "./report.ts";
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
const COMMAND = "npm run bench";
/** Which parts run: "admission,e2e" (default). Without admission, REPORT.md reuses results/admission.json. */
const PARTS = new Set(
  env("BENCH_PARTS", "admission,e2e")
    .split(",")
    .map((p) => p.trim()),
);
const E2E_USERS = Number(env("BENCH_E2E_USERS", "50"));
const E2E_CHATS = Number(env("BENCH_E2E_CHATS", "300"));
const E2E_WARMUP = Number(env("BENCH_E2E_WARMUP", "30"));
const E2E_CLIENTS = [1, 8];
const E2E_WAIT = env("BENCH_E2E_WAIT", "signal") === "poll" ? "poll" : "signal";
const E2E_POLL_MS = Number(env("BENCH_E2E_POLL_MS", "5"));

const url = `${SERVER}/${DB}`;
const resultsDir = path.resolve(import.meta.dirname, "../results");
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const load1 = () => Number(os.loadavg()[0]!.toFixed(2));

async function machineInfo(): Promise<Record<string, string | number>> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    postgres: await serverVersion(url),
  };
}

async function main() {
  const loadAtStart = load1();
  if (loadAtStart > 0.5)
    log(`warning: load average ${loadAtStart.toFixed(2)} before the run; other work on this machine skews the numbers`);
  log(`recreating ${DB} and applying migrations…`);
  await recreateDatabase(`${SERVER}/${ADMIN_DB}`, DB);
  migrate(url);
  const load: Record<string, number> = { "at start": loadAtStart };
  mkdirSync(resultsDir, { recursive: true });

  let admission: Results;
  const fromEarlierRun = !PARTS.has("admission");
  if (fromEarlierRun) {
    const file = path.join(resultsDir, "admission.json");
    if (!existsSync(file)) throw new Error(`BENCH_PARTS without admission needs ${file} from an earlier run`);
    admission = JSON.parse(readFileSync(file, "utf8")) as Results;
  } else {
    admission = await runAdmission(loadAtStart);
    writeFileSync(path.join(resultsDir, "admission.json"), `${JSON.stringify(admission, null, 2)}\n`);
    const md = markdown(admission);
    writeFileSync(path.join(resultsDir, "admission.md"), md);
    process.stdout.write(`\n${md}\n`);
  }

  let e2e: E2eResults | null = null;
  if (PARTS.has("e2e")) {
    load["before the chat part"] = load1();
    log("chat end to end…");
    e2e = await chatE2e(url, {
      users: E2E_USERS,
      chats: E2E_CHATS,
      warmup: E2E_WARMUP,
      clients: E2E_CLIENTS,
      pool: POOL,
      wait: E2E_WAIT,
      pollMs: E2E_POLL_MS,
      log,
    });
  }
  load["at end"] = load1();

  const info: RunInfo = { command: COMMAND, date: new Date().toISOString(), machine: await machineInfo(), load };
  let e2eReport: { markdown: string; summary: string[] } | null = null;
  if (e2e) {
    writeFileSync(path.join(resultsDir, "chat-e2e.json"), `${JSON.stringify({ ...info, ...e2e }, null, 2)}\n`);
    const md = e2eMarkdown(e2e);
    const summary = e2e.cells.map(
      (c) =>
        `chat end to end, ${c.clients} client${c.clients > 1 ? "s" : ""}: ${c.throughput} chats/s, p50 ${c.e2e.p50Ms.toFixed(2)} ms, p99 ${c.e2e.p99Ms.toFixed(2)} ms; admission ${(c.admit.shareOfE2e * 100).toFixed(1)} % of the latency, settlement ${(c.settle.shareOfE2e * 100).toFixed(1)} %; ${c.completed}/${c.chats} completed`,
    );
    e2eReport = { markdown: md, summary };
    process.stdout.write(`\n## Chat end to end\n\n${md}\n`);
  }
  const bundle = bundleMarkdown(measureInitialBundle(path.resolve(resultsDir, "../..")));
  const report = combinedMarkdown(info, { results: admission, fromEarlierRun }, e2eReport)
    .replace("## Summary\n\n", `## Summary\n\n- ${bundle.summary}\n`)
    .replace("## Files", `${bundle.markdown}\n## Files`);
  writeFileSync(path.resolve(resultsDir, "../REPORT.md"), report);
  process.stdout.write(`${bundle.summary.replace("**MISS**", "MISS")}\n`);
  for (const t of admission.targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target}: ${t.measured}\n`);
  for (const line of e2eReport?.summary ?? []) process.stdout.write(`E2E   ${line}\n`);
  const wrote = ["bench/REPORT.md", ...(e2e ? ["results/chat-e2e.json"] : [])];
  if (!fromEarlierRun) wrote.push("results/admission.{json,md}");
  log(`wrote ${wrote.join(", ")}`);
}

/** The admission part: three limiters × two shapes × two client counts, then overshoot. */
async function runAdmission(loadAtStart: number): Promise<Results> {
  const t0 = Date.now();
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
        ...(await machineInfo()),
        loadAvg1mAtStart: loadAtStart,
        loadAvg1mAtEnd: load1(),
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
    return results;
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
