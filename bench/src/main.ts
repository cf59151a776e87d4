import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { pgliteAdmission, pgliteAdmissionMarkdown } from "./admission-pglite.ts";
import { analyticsLatency, analyticsMarkdown } from "./analytics.ts";
import { chatE2e, e2eMarkdown, type E2eResults } from "./chat-e2e.ts";
import { chatHttp, chatHttpMarkdown } from "./chat-http.ts";
import { replies, repliesOptionsFromEnv } from "./replies.ts";
import { repliesMarkdown } from "./replies-report.ts";
import type { Contender } from "./contender.ts";
import { bundleMarkdown, measureInitialBundle } from "./bundle-size.ts";
import { measure } from "./measure.ts";
import { naive } from "./naive.ts";
import { openaiCompatMarkdown, openaiCompatOverhead } from "./openai-compat.ts";
import { rateLimiterFlexible } from "./rate-limiter-flexible.ts";
import {
  checkTargets,
  combinedMarkdown,
  markdown,
  type Cell,
  type OvershootResult,
  type ReportPart,
  type Results,
  type RunInfo,
  type Shape,
} from "./report.ts";
import { migrate, recreateDatabase, serverVersion } from "./setup.ts";
import { wavelength } from "./wavelength.ts";
import { load1 } from "./machine.ts";

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
/**
 * Which parts run, all by default: "admission,e2e,pglite,http,replies,openai,analytics". A part left
 * out is shown in REPORT.md with the figures of its last results/*.json, marked as from an earlier run.
 */
const PARTS = new Set(
  env("BENCH_PARTS", "admission,e2e,pglite,http,replies,openai,analytics")
    .split(",")
    .map((p) => p.trim()),
);
const E2E_USERS = Number(env("BENCH_E2E_USERS", "50"));
const E2E_CHATS = Number(env("BENCH_E2E_CHATS", "300"));
const E2E_WARMUP = Number(env("BENCH_E2E_WARMUP", "30"));
const E2E_CLIENTS = [1, 8];
const E2E_WAIT = env("BENCH_E2E_WAIT", "signal") === "poll" ? "poll" : "signal";
const E2E_POLL_MS = Number(env("BENCH_E2E_POLL_MS", "5"));

const PGLITE_OPS = Number(env("BENCH_PGLITE_OPS", "1000"));
const HTTP_SECONDS = Number(env("BENCH_HTTP_SECONDS", "10"));
const HTTP_CONNECTIONS = env("BENCH_HTTP_CONNECTIONS", "8,32")
  .split(",")
  .map((c) => Number(c.trim()));
const HTTP_USERS = Number(env("BENCH_HTTP_USERS", "40"));
const OPENAI_REQUESTS_1 = Number(env("BENCH_OPENAI_REQUESTS_1", "300"));
const OPENAI_REQUESTS_32 = Number(env("BENCH_OPENAI_REQUESTS_32", "2000"));
const OPENAI_WARMUP = Number(env("BENCH_OPENAI_WARMUP", "50"));
const ANALYTICS_DB = env("BENCH_ANALYTICS_DB", "wl_bench_analytics");
/** 2,000 subjects × 474 hours + the heavy user's 52,560 = 1,000,560 hourly rows. */
const ANALYTICS_SUBJECTS = Number(env("BENCH_ANALYTICS_SUBJECTS", "2000"));
const ANALYTICS_ROWS_PER_SUBJECT = Number(env("BENCH_ANALYTICS_ROWS_PER_SUBJECT", "474"));
const ANALYTICS_RUNS = Number(env("BENCH_ANALYTICS_RUNS", "20"));

const url = `${SERVER}/${DB}`;
const resultsDir = path.resolve(import.meta.dirname, "../results");
const log = (msg: string) => process.stderr.write(`${msg}\n`);

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
  const writeJson = (name: string, data: unknown) =>
    writeFileSync(path.join(resultsDir, name), `${JSON.stringify(data, null, 2)}\n`);
  const wrote = ["bench/REPORT.md"];

  let admission: Results;
  const fromEarlierRun = !PARTS.has("admission");
  if (fromEarlierRun) {
    const file = path.join(resultsDir, "admission.json");
    if (!existsSync(file)) throw new Error(`BENCH_PARTS without admission needs ${file} from an earlier run`);
    admission = JSON.parse(readFileSync(file, "utf8")) as Results;
  } else {
    admission = await runAdmission(loadAtStart);
    writeJson("admission.json", admission);
    const md = markdown(admission);
    writeFileSync(path.join(resultsDir, "admission.md"), md);
    process.stdout.write(`\n${md}\n`);
    wrote.push("results/admission.{json,md}");
  }

  const parts: ReportPart[] = [];
  /**
   * One part: run and written to results/<file> when BENCH_PARTS names it; otherwise the figures
   * of an earlier run from that file (so that running one part keeps the others in REPORT.md),
   * or a note that it was not measured.
   */
  const part = async <T>(
    name: string,
    title: string,
    file: string,
    run: () => Promise<T>,
    render: (r: T) => { markdown: string; summary: string[] },
  ): Promise<void> => {
    const full = path.join(resultsDir, file);
    if (PARTS.has(name)) {
      load[`before the ${name} part`] = load1();
      const r = await run();
      writeJson(file, r);
      wrote.push(`results/${file}`);
      parts.push({ title, ...render(r) });
    } else if (existsSync(full)) {
      const earlier = render(JSON.parse(readFileSync(full, "utf8")) as T);
      parts.push({
        title,
        markdown: `_Not measured in this run (BENCH_PARTS): the figures of an earlier run, from results/${file}._\n\n${earlier.markdown}`,
        summary: earlier.summary.map((line) => `${line} (earlier run)`),
      });
    } else {
      parts.push({ title, markdown: "_Not measured in this run (BENCH_PARTS)._\n", summary: [] });
    }
  };

  await part(
    "e2e",
    "A chat end to end: `ChatService.send()` → task completed",
    "chat-e2e.json",
    () => {
      log("chat end to end…");
      return chatE2e(url, {
        users: E2E_USERS,
        chats: E2E_CHATS,
        warmup: E2E_WARMUP,
        clients: E2E_CLIENTS,
        pool: POOL,
        wait: E2E_WAIT,
        pollMs: E2E_POLL_MS,
        log,
      });
    },
    (e2e: E2eResults) => ({
      markdown: e2eMarkdown(e2e),
      summary: e2e.cells.map(
        (c) =>
          `chat end to end, ${c.clients} client${c.clients > 1 ? "s" : ""}: ${c.throughput} chats/s, p50 ${c.e2e.p50Ms.toFixed(2)} ms, p99 ${c.e2e.p99Ms.toFixed(2)} ms; admission ${(c.admit.shareOfE2e * 100).toFixed(1)} % of the latency, settlement ${(c.settle.shareOfE2e * 100).toFixed(1)} %; ${c.completed}/${c.chats} completed`,
      ),
    }),
  );

  await part(
    "pglite",
    "Admission on embedded PGlite (`npm start`'s database)",
    "admission-pglite.json",
    () =>
      pgliteAdmission({
        ops: PGLITE_OPS,
        warmup: WARMUP,
        clients: CLIENTS,
        spreadSubjects: SPREAD_SUBJECTS,
        limit: LIMIT,
        attempts: ATTEMPTS,
        log,
      }),
    pgliteAdmissionMarkdown,
  );

  await part(
    "http",
    "A chat over HTTP: autocannon against 1 and 3 instances",
    "chat-http.json",
    () =>
      chatHttp(SERVER, `${SERVER}/${ADMIN_DB}`, {
        durationSeconds: HTTP_SECONDS,
        connections: HTTP_CONNECTIONS,
        users: HTTP_USERS,
        log,
      }),
    (r) => {
      const md = chatHttpMarkdown(r);
      // chatHttpMarkdown brings its own heading; the report numbers its sections itself.
      return { markdown: md.markdown.replace(/^## .*\n\n/, ""), summary: md.summary };
    },
  );

  await part(
    "replies",
    "Replies at scale: N concurrent streaming replies read like the SPA reads them, against the AI SDK peer",
    "replies.json",
    () => replies(SERVER, `${SERVER}/${ADMIN_DB}`, repliesOptionsFromEnv(log)),
    repliesMarkdown,
  );

  await part(
    "openai",
    "The OpenAI-compatible endpoint: overhead over the provider at 1 and 32 streams",
    "openai-compat.json",
    () =>
      openaiCompatOverhead(SERVER, `${SERVER}/${ADMIN_DB}`, {
        requestsAt1: OPENAI_REQUESTS_1,
        requestsAt32: OPENAI_REQUESTS_32,
        warmup: OPENAI_WARMUP,
        log,
      }),
    openaiCompatMarkdown,
  );

  await part(
    "analytics",
    "Analytics: a heavy user's year and the operators' overview over 1,000,000 hourly rows",
    "analytics.json",
    async () => {
      await recreateDatabase(`${SERVER}/${ADMIN_DB}`, ANALYTICS_DB);
      return analyticsLatency(`${SERVER}/${ANALYTICS_DB}`, {
        otherSubjects: ANALYTICS_SUBJECTS,
        rowsPerSubject: ANALYTICS_ROWS_PER_SUBJECT,
        warmup: 3,
        runs: ANALYTICS_RUNS,
        pglite: true,
        log,
      });
    },
    analyticsMarkdown,
  );

  load["at end"] = load1();

  const bundle = bundleMarkdown(measureInitialBundle(path.resolve(resultsDir, "../..")));
  parts.push({
    title: "The SPA's initial bundle",
    markdown: bundle.markdown.replace(/^## .*\n\n/, ""),
    summary: [bundle.summary],
  });

  const info: RunInfo = { command: COMMAND, date: new Date().toISOString(), machine: await machineInfo(), load };
  writeFileSync(
    path.resolve(resultsDir, "../REPORT.md"),
    combinedMarkdown(info, { results: admission, fromEarlierRun }, parts),
  );
  for (const t of admission.targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target}: ${t.measured}\n`);
  for (const part of parts)
    for (const line of part.summary) process.stdout.write(`${line.replace("**MISS**", "MISS")}\n`);
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
