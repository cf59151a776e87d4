// A chat over real HTTP: autocannon posting chat.send (tRPC) at one server process and at three
// sharing one PostgreSQL database; then every admitted task is waited for and the ledger checked.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import pg from "pg";
import { ADMIN_TOKEN, ServerProcess } from "../../apps/server/reliability/support/server-process.ts";
import { solvedProof } from "../../apps/server/reliability/support/visitor.ts";
import { forEachLimited } from "./contender.ts";
import { percentile } from "./measure.ts";
import { migrate, recreateDatabase } from "./setup.ts";
import { load1, benchMachine, type BenchMachine } from "./machine.ts";

export const HTTP_DB = "wl_bench_http";
export const HTTP_PROVIDER = "local-demo";
export const HTTP_MODEL = "demo-1";
const INSTANCE_COUNTS = [1, 3] as const;
/** Pool of each server's database client: createDb's default (DATABASE_URL carries no setting). */
const SERVER_POOL = 10;
/** Limits set on every bench user's daily and monthly general rows: nothing here comes near them. */
const HIGH = 1_000_000_000;
const HIGH_TOKENS = 1_000_000_000_000;

export interface ChatHttpOptions {
  /** Seconds of load per cell. */
  durationSeconds: number;
  /** Concurrent connections (autocannon clients), one cell each, for each instance count. */
  connections: number[];
  /** Signed-up users the sends are spread over, round robin. */
  users: number;
  /** Seconds of unrecorded load after the servers start, before the first cell of each part (default 2). */
  warmupSeconds?: number;
  /** Database created (dropped first) for the run (default wl_bench_http). */
  database?: string;
  log: (m: string) => void;
}

export interface ChatHttpCell {
  instances: number;
  connections: number;
  /** Wall time autocannon ran, seconds. */
  seconds: number;
  /** Responses with a 2xx status (a chat admitted, its taskId returned). */
  sends: number;
  sendsPerSecond: number;
  /** Latency of the 2xx responses, request written → response read, nearest rank. */
  send: { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** Responses with another status, by status. */
  non2xx: Record<string, number>;
  non2xxTotal: number;
  /** Connection errors and timeouts seen by autocannon (no HTTP answer). */
  errors: number;
  timeouts: number;
  /** Task rows created by this cell (admitted sends; may exceed `sends` by requests in flight when autocannon stopped). */
  admitted: number;
  completed: number;
  /** Tasks of this cell in another final status: failed, cancelled. */
  otherFinal: Record<string, number>;
  /** Tasks still queued/running when the wait gave up (0 unless the wait timed out). */
  unfinished: number;
  /** From the start of the load to the last task of the cell written completed. */
  secondsToLastCompleted: number;
  completedPerSecond: number;
  accounting: {
    /** Completed tasks of this cell whose usage event is settled. */
    completedWithSettledEvent: number;
    /** Whole database, after the cell: settled usage events and completed tasks. */
    settledEventsTotal: number;
    completedTasksTotal: number;
    /** Whole database: usage events still 'reserved', and reservations held on quota rows. */
    reservedEvents: number;
    reservedOnRows: { requests: number; tokens: number; costMicros: number };
    ok: boolean;
  };
  /** CPU of the server processes during the load and the drain, per completed chat (null off Linux). */
  serverCpuUsPerChat: number | null;
  /** CPU of this process (autocannon and the poller) per 2xx send. */
  benchCpuUsPerSend: number;
}

export interface ChatHttpResults {
  description: string;
  settings: {
    durationSeconds: number;
    warmupSeconds: number;
    connections: number[];
    users: number;
    instances: number[];
    provider: string;
    model: string;
    serverPool: number;
    database: string;
    distribution: string;
    seconds: number;
  };
  machine: BenchMachine;
  cells: ChatHttpCell[];
  /** Three instances ÷ one instance, same connections, same run. */
  ratios: { connections: number; sendsPerSecond: number; completedPerSecond: number }[];
}

export interface Session {
  userId: string;
  cookie: string;
}

const round = (x: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TrpcBody {
  result?: { data?: { json?: unknown } };
  error?: { json?: { message?: string } };
}

/** One tRPC mutation over HTTP (superjson envelope), the response's data or an error with its text. */
async function mutate<T>(
  baseUrl: string,
  procedure: string,
  input: unknown,
  headers: Record<string, string>,
): Promise<{ data: T; setCookies: string[] }> {
  const res = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    body: JSON.stringify({ json: input }),
    headers: { "content-type": "application/json", ...headers },
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as TrpcBody;
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${res.status} ${body.error?.json?.message ?? ""}`);
  return { data: body.result.data?.json as T, setCookies: res.headers.getSetCookie() };
}

/**
 * Signs `count` accounts up over HTTP (each from its own X-Forwarded-For address: the server trusts
 * 127.0.0.1 as a proxy) and makes them pro with high general limits through the operator API.
 */
export async function signUpUsers(baseUrl: string, count: number, tag: string): Promise<Session[]> {
  const sessions: Session[] = [];
  const operator = { authorization: `Bearer ${ADMIN_TOKEN}` };
  // Argon2 hashing per sign-up: a few at a time on two cores.
  await forEachLimited(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const { data, setCookies } = await mutate<{ user: { id: string } }>(
        baseUrl,
        "auth.signUp",
        {
          email: `bench-http-${tag}-${i}@example.test`,
          password: "correct horse battery",
          proof: await solvedProof(baseUrl),
        },
        { "x-forwarded-for": `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}` },
      );
      const session = setCookies
        .map((line) => line.split(";")[0]!.trim())
        .find((pair) => pair.startsWith("wl_session=") && pair.length > "wl_session=".length);
      if (!session) throw new Error(`auth.signUp for user ${i} set no wl_session cookie`);
      for (const window of ["daily", "monthly"] as const) {
        await mutate(
          baseUrl,
          "quota.set",
          {
            userId: data.user.id,
            tier: "pro",
            override: { window, scope: "general", requests: HIGH, tokens: HIGH_TOKENS, costMicros: HIGH_TOKENS },
          },
          operator,
        );
      }
      sessions[i] = { userId: data.user.id, cookie: session };
    },
  );
  return sessions;
}

interface LoadResult {
  result: autocannon.Result;
  latencies: number[];
  cpuUs: number;
}

/**
 * One autocannon run: `connections` keep-alive connections spread round robin over `urls` (autocannon
 * gives connection i the url i mod n), each request a chat.send from the next user's session, a new
 * conversation and a fresh idempotency key every time, with an Origin matching the Host it is sent to.
 */
function load(urls: string[], connections: number, seconds: number, sessions: Session[], tag: string) {
  let seq = 0;
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        // autocannon accepts an array of URLs (connection i gets url i mod n); @types/autocannon says string.
        url: (urls.length === 1 ? urls[0]! : urls) as string,
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 30,
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: [
          {
            method: "POST",
            path: "/api/trpc/chat.send",
            setupRequest: (req) => {
              const i = seq++;
              const session = sessions[i % sessions.length]!;
              // The request carries the parsed target URL's fields; its host is what the Host header says.
              const target = req as { host?: string; hostname?: string; port?: number | string };
              const host = target.host ?? `${target.hostname}:${target.port}`;
              return {
                ...req,
                headers: { ...req.headers, cookie: session.cookie, origin: `http://${host}` },
                body: JSON.stringify({
                  json: {
                    provider: HTTP_PROVIDER,
                    model: HTTP_MODEL,
                    content: `Benchmark question ${i}: how does a token bucket limit requests?`,
                    idempotencyKey: `bench-http-${tag}-${i}`,
                  },
                }),
              };
            },
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        const cpu = process.cpuUsage(cpu0);
        if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        else resolve({ result, latencies, cpuUs: cpu.user + cpu.system });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

interface TaskCounts {
  total: number;
  byStatus: Record<string, number>;
}

/** Status counts of the tasks not in `before` (the cell's tasks). */
async function cellTasks(pool: pg.Pool, before: string[]): Promise<TaskCounts> {
  const rows = await pool.query<{ status: string; n: string }>(
    `SELECT status::text AS status, count(*)::text AS n FROM tasks WHERE id <> ALL($1::text[]) GROUP BY status`,
    [before],
  );
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const r of rows.rows) {
    byStatus[r.status] = Number(r.n);
    total += Number(r.n);
  }
  return { total, byStatus };
}

/**
 * Waits until every task of the cell has a final status and no new one has appeared for a while
 * (requests in flight when autocannon stopped are still admitted by the server). Bounded.
 */
async function drain(pool: pg.Pool, before: string[], timeoutMs: number): Promise<TaskCounts> {
  const end = Date.now() + timeoutMs;
  let last: TaskCounts = { total: -1, byStatus: {} };
  let stableSince = Date.now();
  for (;;) {
    const now = await cellTasks(pool, before);
    const open = (now.byStatus.queued ?? 0) + (now.byStatus.running ?? 0);
    if (now.total !== last.total || open > 0) stableSince = Date.now();
    last = now;
    if (open === 0 && Date.now() - stableSince >= 500) return now;
    if (Date.now() > end) return now;
    await sleep(50);
  }
}

async function accounting(pool: pg.Pool, before: string[]) {
  const q = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
    (await pool.query<T>(text, params)).rows[0]!;
  const cell = await q<{ n: string; last_ms: string | null }>(
    `SELECT count(*) FILTER (WHERE e.status = 'settled')::text AS n,
            (extract(epoch FROM max(t.updated_at)) * 1000)::float8::text AS last_ms
     FROM tasks t LEFT JOIN usage_events e ON e.id = t.usage_event_id
     WHERE t.status = 'completed' AND t.id <> ALL($1::text[])`,
    [before],
  );
  const totals = await q<{ settled: string; reserved: string; completed: string }>(
    `SELECT (SELECT count(*) FROM usage_events WHERE status = 'settled')::text AS settled,
            (SELECT count(*) FROM usage_events WHERE status = 'reserved')::text AS reserved,
            (SELECT count(*) FROM tasks WHERE status = 'completed')::text AS completed`,
  );
  const rows = await q<{ requests: string; tokens: string; cost: string }>(
    `SELECT coalesce(sum(requests_reserved), 0)::text AS requests, coalesce(sum(tokens_reserved), 0)::text AS tokens,
            coalesce(sum(cost_reserved_micros), 0)::text AS cost
     FROM user_quota_limits`,
  );
  return {
    completedWithSettledEvent: Number(cell.n),
    lastCompletedMs: cell.last_ms === null ? null : Number(cell.last_ms),
    settledEventsTotal: Number(totals.settled),
    completedTasksTotal: Number(totals.completed),
    reservedEvents: Number(totals.reserved),
    reservedOnRows: { requests: Number(rows.requests), tokens: Number(rows.tokens), costMicros: Number(rows.cost) },
  };
}

async function taskIds(pool: pg.Pool): Promise<string[]> {
  return (await pool.query<{ id: string }>("SELECT id FROM tasks")).rows.map((r) => r.id);
}

const serverCpu = (servers: ServerProcess[]) => {
  const xs = servers.map((s) => s.cpuUs());
  return xs.some((x) => x === null) ? null : xs.reduce<number>((a, b) => a + (b ?? 0), 0);
};

export async function chatHttp(serverUrl: string, adminDbUrl: string, opts: ChatHttpOptions): Promise<ChatHttpResults> {
  const t0 = Date.now();
  const loadAtStart = load1();
  const log = opts.log;
  const database = opts.database ?? HTTP_DB;
  const warmupSeconds = opts.warmupSeconds ?? 2;
  const url = `${serverUrl}/${database}`;
  log(`chat over HTTP: recreating ${database} and applying migrations…`);
  await recreateDatabase(adminDbUrl, database);
  migrate(url);

  const logDir = mkdtempSync(path.join(os.tmpdir(), "wl-bench-http-"));
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  let servers: ServerProcess[] = [];
  let failed = false;
  const tag = Date.now().toString(36);
  const cells: ChatHttpCell[] = [];
  try {
    let sessions: Session[] = [];
    for (const instances of INSTANCE_COUNTS) {
      log(`chat over HTTP: starting ${instances} server${instances > 1 ? "s" : ""}…`);
      // One at a time: each start compiles the TypeScript on the same two cores.
      for (let i = 0; i < instances; i++)
        servers.push(
          await ServerProcess.start({
            name: `server-${instances}x-${i + 1}`,
            databaseUrl: url,
            logDir,
            // A store error is then a 503 the bench counts, not an admission without a reservation.
            failMode: "closed",
            demoTokenDelayMs: 0,
            // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
            nodeArgs: (process.env.BENCH_HTTP_NODE_ARGS ?? "").split(" ").filter(Boolean),
            // The bench signs all its users up within minutes: past the site-wide hourly allowance.
            env: { SIGN_UP_PER_HOUR: "1000000" },
          }),
        );
      const urls = servers.map((s) => s.url);

      if (sessions.length === 0) {
        log(`chat over HTTP: signing up ${opts.users} users over HTTP…`);
        sessions = await signUpUsers(urls[0]!, opts.users, tag);
        await pool.query("ANALYZE");
      }

      if (warmupSeconds > 0) {
        const before = await taskIds(pool);
        await load(urls, Math.min(...opts.connections), warmupSeconds, sessions, `${tag}-w${instances}`);
        await drain(pool, before, 120_000);
      }

      for (const connections of opts.connections) {
        const before = await taskIds(pool);
        const cpuServers0 = serverCpu(servers);
        const startMs = Date.now();
        const started = performance.now();
        const r = await load(urls, connections, opts.durationSeconds, sessions, `${tag}-${instances}x${connections}`);
        const tasks = await drain(pool, before, 180_000);
        const cpuServers1 = serverCpu(servers);
        const waitedSeconds = (performance.now() - started) / 1000;
        const acc = await accounting(pool, before);

        const res = r.result;
        const non2xx: Record<string, number> = {};
        for (const [status, stat] of Object.entries(res.statusCodeStats ?? {})) {
          if (!status.startsWith("2") && stat.count) non2xx[status] = stat.count;
        }
        const sends = res["2xx"];
        const sorted = [...r.latencies].sort((a, b) => a - b);
        const completed = tasks.byStatus.completed ?? 0;
        const otherFinal: Record<string, number> = {};
        for (const [status, n] of Object.entries(tasks.byStatus))
          if (!["completed", "queued", "running"].includes(status)) otherFinal[status] = n;
        const unfinished = (tasks.byStatus.queued ?? 0) + (tasks.byStatus.running ?? 0);
        const secondsToLast =
          acc.lastCompletedMs !== null
            ? Math.min(waitedSeconds, Math.max(0.001, (acc.lastCompletedMs - startMs) / 1000))
            : waitedSeconds;
        const ok =
          acc.completedWithSettledEvent === completed &&
          acc.settledEventsTotal === acc.completedTasksTotal &&
          acc.reservedEvents === 0 &&
          acc.reservedOnRows.requests === 0 &&
          acc.reservedOnRows.tokens === 0 &&
          acc.reservedOnRows.costMicros === 0 &&
          unfinished === 0;
        const cell: ChatHttpCell = {
          instances,
          connections,
          seconds: res.duration,
          sends,
          sendsPerSecond: round(sends / res.duration, 1),
          send: {
            meanMs: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
            p50Ms: round(percentile(sorted, 50)),
            p99Ms: round(percentile(sorted, 99)),
            maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
          },
          non2xx,
          non2xxTotal: res.non2xx,
          errors: res.errors,
          timeouts: res.timeouts,
          admitted: tasks.total,
          completed,
          otherFinal,
          unfinished,
          secondsToLastCompleted: round(secondsToLast),
          completedPerSecond: round(completed / secondsToLast, 1),
          accounting: {
            completedWithSettledEvent: acc.completedWithSettledEvent,
            settledEventsTotal: acc.settledEventsTotal,
            completedTasksTotal: acc.completedTasksTotal,
            reservedEvents: acc.reservedEvents,
            reservedOnRows: acc.reservedOnRows,
            ok,
          },
          serverCpuUsPerChat:
            cpuServers0 !== null && cpuServers1 !== null && completed > 0
              ? Math.round((cpuServers1 - cpuServers0) / completed)
              : null,
          benchCpuUsPerSend: sends > 0 ? Math.round(r.cpuUs / sends) : 0,
        };
        cells.push(cell);
        const statuses = Object.entries(non2xx)
          .map(([s, n]) => `${s}×${n}`)
          .join(" ");
        log(
          `chat over HTTP ${instances} instance${instances > 1 ? "s" : " "} ${String(connections).padStart(3)} conns  ${String(cell.sendsPerSecond).padStart(6)} sends/s  p50 ${cell.send.p50Ms.toFixed(1)}  p99 ${cell.send.p99Ms.toFixed(1)} ms  ${String(cell.completedPerSecond).padStart(6)} chats/s completed  ${completed}/${tasks.total}${statuses ? `  non-2xx ${statuses}` : ""}${res.errors ? `  ${res.errors} errors` : ""}  accounting ${ok ? "ok" : "NOT OK"}`,
        );
      }

      const dead = servers.filter((s) => !s.alive);
      if (dead.length) throw new Error(`${dead.map((s) => s.options.name).join(", ")} exited:\n${dead[0]!.logTail()}`);
      await Promise.all(servers.map((s) => s.close()));
      servers = [];
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    await pool.end().catch(() => undefined);
    if (failed) log(`chat over HTTP: server logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }

  const ratios = opts.connections.map((connections) => {
    const one = cells.find((c) => c.instances === 1 && c.connections === connections)!;
    const three = cells.find((c) => c.instances === 3 && c.connections === connections)!;
    return {
      connections,
      sendsPerSecond: round(three.sendsPerSecond / one.sendsPerSecond, 2),
      completedPerSecond: round(three.completedPerSecond / one.completedPerSecond, 2),
    };
  });
  return {
    description: `autocannon (in the bench process) posting tRPC chat.send over HTTP/1.1 keep-alive to real server processes (\`node --import tsx apps/server/src/main.ts\`, NODE_ENV=production, QUOTA_FAIL_MODE=closed) on one PostgreSQL database; the offline demo model (${HTTP_PROVIDER}/${HTTP_MODEL}, DEMO_TOKEN_DELAY_MS=0); each request from the next of ${opts.users} signed-up users (pro tier, daily and monthly general limits raised by the operator) with its session cookie and an Origin matching the server, a new conversation and idempotency key each time`,
    settings: {
      durationSeconds: opts.durationSeconds,
      warmupSeconds,
      connections: [...opts.connections],
      users: opts.users,
      instances: [...INSTANCE_COUNTS],
      provider: HTTP_PROVIDER,
      model: HTTP_MODEL,
      serverPool: SERVER_POOL,
      database,
      distribution:
        "one autocannon run per cell with every instance's URL: autocannon gives connection i the URL i mod instances, so connections are spread evenly and one histogram covers them all",
      seconds: Math.round((Date.now() - t0) / 1000),
    },
    machine: benchMachine(loadAtStart),
    cells,
    ratios,
  };
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

export function chatHttpMarkdown(
  r: ChatHttpResults,
  options: { section?: number } = {},
): { markdown: string; summary: string[] } {
  const s = r.settings;
  const lines: string[] = [];
  const number = options.section === undefined ? "" : `${options.section}. `;
  lines.push(`## ${number}A chat over HTTP: autocannon against 1 and 3 instances`, "");
  lines.push(
    `${r.description}. Each cell: ${s.durationSeconds} s of load after ${s.warmupSeconds} s of unrecorded warm-up per part; ${s.distribution}. Each server's database pool: ${s.serverPool} connections. Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAtStart} at the start and ${r.machine.loadAtEnd} at the end.`,
    "",
  );
  lines.push(
    "| instances | connections | sends/s (2xx) | send p50 ms | send p99 ms | non-2xx | completed chats/s | completed/admitted | accounting ok | server CPU µs/chat |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|");
  for (const c of r.cells) {
    const non2xx = Object.entries(c.non2xx)
      .map(([status, n]) => `${n}× ${status}`)
      .join(", ");
    const noAnswer = [c.errors ? `${c.errors} errors` : "", c.timeouts ? `${c.timeouts} timeouts` : ""]
      .filter(Boolean)
      .join(", ");
    const other = Object.entries(c.otherFinal)
      .map(([status, n]) => `${n} ${status}`)
      .join(", ");
    lines.push(
      `| ${c.instances} | ${c.connections} | ${fmt(c.sendsPerSecond)} | ${fmt(c.send.p50Ms)} | ${fmt(c.send.p99Ms)} | ${non2xx || "0"}${noAnswer ? ` (${noAnswer})` : ""} | ${fmt(c.completedPerSecond)} | ${c.completed}/${c.admitted}${other ? ` (${other})` : ""}${c.unfinished ? ` (${c.unfinished} unfinished)` : ""} | ${c.accounting.ok ? "yes" : "**NO**"} | ${c.serverCpuUsPerChat ?? "n/a"} |`,
    );
  }
  lines.push("");
  const ratioText = r.ratios
    .map(
      (x) =>
        `at ${x.connections} connections ${fmt(x.sendsPerSecond, 2)}× the sends/s and ${fmt(x.completedPerSecond, 2)}× the completed chats/s`,
    )
    .join("; ");
  lines.push(
    `**3 instances vs 1, same run:** ${ratioText}.`,
    "",
    `Method. The bench drops and recreates \`${s.database}\`, applies the migrations, starts one server process, signs ${s.users} users up over HTTP (\`auth.signUp\`, each from its own X-Forwarded-For address with the server trusting 127.0.0.1 as a proxy, so no per-address cap binds) and, as operator with the bearer ADMIN_TOKEN, gives each the pro tier and daily and monthly general limits of 10⁹ requests and 10¹² tokens/µ$ (\`quota.set\`), so no send is denied. For each connection count, autocannon keeps that many HTTP/1.1 keep-alive connections busy for ${s.durationSeconds} s, one request at a time each (no pipelining), every request a \`POST /api/trpc/chat.send\` that starts a new conversation. Afterwards the bench polls \`tasks\` in PostgreSQL every 50 ms until every task the cell created is final and none has appeared for 0.5 s (requests in flight when autocannon stops are still admitted, so "admitted", the task rows, can exceed the 2xx count). Then the servers are stopped and three are started on the same database and the cells repeated with the users and sessions kept.`,
    "",
    "- **sends/s**: 2xx responses ÷ autocannon's wall time; **send p50/p99**: of the 2xx responses, from the request written to the response read. A send returns when the chat is admitted and its conversation, message and task are written; the reply streams in the background.",
    "- **completed chats/s**: tasks of the cell that reached `completed` ÷ the time from the start of the load to the last one's final write (`tasks.updated_at`), so it includes the backlog the servers finish after the load stops.",
    "- **accounting ok**: every completed task of the cell points at a `settled` usage event, the database holds as many settled usage events as completed tasks, no usage event is left `reserved`, no quota row holds a reservation, and no task is left queued or running.",
    "- **server CPU µs/chat**: user + system CPU of all server processes during the load and the drain (from /proc), per completed chat.",
    "",
    `Reading it. On a ${r.machine.cpus}-core machine the three instances share the same ${r.machine.cpus} cores with PostgreSQL and with autocannon itself, so the 3-instance figure measures contention, not scale-out: more processes add context switches, three JIT warm-ups and three connection pools (${3 * s.serverPool} PostgreSQL connections instead of ${s.serverPool}) without adding CPU. What it does show is that several instances on one database keep the ledger exact (the accounting column). Latency at high connection counts is mostly queueing for the CPU: p50 ≈ connections ÷ sends/s. Compare rows of the same run; the load average says how quiet the machine was.`,
    "",
  );
  const summary = r.cells.map(
    (c) =>
      `chat over HTTP, ${c.instances} instance${c.instances > 1 ? "s" : ""}, ${c.connections} connections: ${fmt(c.sendsPerSecond)} sends/s (p50 ${fmt(c.send.p50Ms)} ms, p99 ${fmt(c.send.p99Ms)} ms), ${fmt(c.completedPerSecond)} completed chats/s, ${c.completed}/${c.admitted} completed, ${c.non2xxTotal} non-2xx, accounting ${c.accounting.ok ? "ok" : "NOT OK"}`,
  );
  summary.push(`chat over HTTP, 3 instances vs 1: ${ratioText}`);
  return { markdown: lines.join("\n"), summary };
}
