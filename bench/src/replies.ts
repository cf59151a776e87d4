// Replies at scale (issue 11): N concurrent replies of 600 tokens 25 ms apart from a local
// OpenAI-compatible fake, each read by a client the way the SPA reads it (chat.send, then
// chat.task with a cursor every 300 ms, appending), on one Wavelength instance and on three sharing
// one PostgreSQL; beside it, in the same run, the peer (the AI SDK's streamText piped to the client
// by a Node process with no database) and the provider read directly, at the same N.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { fakeReply } from "../../packages/api/test/support/fake-openai-server.ts";
import { ServerProcess } from "../../apps/server/reliability/support/server-process.ts";
import { NO_VIOLATIONS, accountingViolations } from "../../apps/server/reliability/support/invariants.ts";
import { signUpUsers, type Session } from "./chat-http.ts";
import { percentile } from "./measure.ts";
import { agent, cpuUsOf, startHelper, trpc, type Helper } from "./replies-client.ts";
import { migrate, recreateDatabase } from "./setup.ts";
import { load1, benchMachine, type BenchMachine } from "./machine.ts";

export const REPLIES_DB = "wl_bench_replies";
const here = import.meta.dirname;

export interface RepliesOptions {
  /** Words (one token each) per reply, and the provider's pause before each. */
  words: number;
  delayMs: number;
  /** The SPA's pause between a poll's answer and the next poll. */
  pollMs: number;
  /** Concurrent replies per cell (one instance, the peer, the provider directly). */
  counts: number[];
  /** Concurrent replies over three instances. */
  multiInstanceCount: number;
  users: number;
  /** Which systems run (all by default; a subset for profiling). */
  systems: System[];
  log: (m: string) => void;
}

export type System = "wavelength" | "peer" | "direct";

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export interface RepliesCell {
  system: System;
  instances: number;
  replies: number;
  /** Client saw the whole reply, minus the provider's nominal streaming time (words × delay), seconds. */
  lagS: Spread;
  /** From the request that starts the reply to its first text at the client, seconds. */
  firstTextS: Spread;
  /** chat.send answered (Wavelength); response headers received (peer, provider), ms. */
  startMs: Spread;
  /** Response body bytes a client read for its reply, mean (send and every poll, or the stream). */
  bytesPerReply: number;
  /** WAL written during the cell ÷ replies (pg_stat_wal, whole server; null without a database). */
  walBytesPerReply: number | null;
  /** CPU of the serving processes (Wavelength or the peer; not the provider) ÷ replies, µs. */
  serverCpuUsPerReply: number | null;
  /** Clients whose assembled text is exactly the provider's reply. */
  exact: number;
  failed: number;
  firstError: string | null;
  /** Polls whose cursor did not move by exactly the text returned (a gap or a repeat). */
  cursorViolations: number;
  /** Polls per reply, mean (Wavelength). */
  pollsPerReply: number | null;
  /** Every reply settled once, to the token, and ledger = hourly records = tasks (Wavelength). */
  accounting: { ok: boolean; settledExactly: number; violations: string | null } | null;
  seconds: number;
}

export interface RepliesResults {
  description: string;
  settings: Omit<RepliesOptions, "log"> & {
    replyBytes: number;
    nominalSeconds: number;
    serverPool: number;
    database: string;
  };
  machine: BenchMachine;
  cells: RepliesCell[];
  seconds: number;
}

interface ClientRecord {
  startMs: number;
  firstTextMs: number | null;
  doneMs: number;
  bytes: number;
  text: string;
  polls: number;
  violations: number;
  taskId: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? Number.NaN) };
}

interface TaskPoll {
  status: string;
  text: string;
  cursor: number;
}

/** The SPA's way: send, then poll with the cursor (the first at once, then `pollMs` after each answer). */
async function wavelengthClient(urls: string[], session: Session, i: number, tag: string, pollMs: number) {
  const t0 = performance.now();
  const sent = await trpc<{ taskId: string }>(
    urls[i % urls.length]!,
    "mutation",
    "chat.send",
    { provider: "fake", model: "fake-slow", content: `Reply ${i} please`, idempotencyKey: `replies-${tag}-${i}` },
    session.cookie,
  );
  const r: ClientRecord = {
    startMs: performance.now() - t0,
    firstTextMs: null,
    doneMs: 0,
    bytes: sent.bytes,
    text: "",
    polls: 0,
    violations: 0,
    taskId: sent.data.taskId,
  };
  let cursor = 0;
  for (let k = 1; ; k++) {
    // With several instances, each poll goes to the next one: any instance must answer consistently.
    const url = urls[(i + k) % urls.length]!;
    const t = await trpc<TaskPoll>(url, "query", "chat.task", { taskId: sent.data.taskId, cursor }, session.cookie);
    r.polls++;
    r.bytes += t.bytes;
    if (t.data.cursor !== cursor + t.data.text.length) r.violations++;
    r.text += t.data.text;
    cursor = t.data.cursor;
    if (r.firstTextMs === null && t.data.text !== "") r.firstTextMs = performance.now() - t0;
    if (t.data.status !== "running" && t.data.status !== "queued") break;
    await sleep(pollMs);
  }
  r.doneMs = performance.now() - t0;
  return r;
}

/** Reads a server-sent event stream, handing each `data:` payload to `onData`. */
async function readSse(
  url: string,
  body: string,
  onData: (payload: string) => void,
): Promise<{ startMs: number; bytes: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const startMs = performance.now() - t0;
      let bytes = 0;
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split("\n")) if (line.startsWith("data: ")) onData(line.slice(6));
        }
      });
      res.on("end", () => resolve({ startMs, bytes, status: res.statusCode ?? 0 }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A client's record before anything was read. */
function emptyRecord(): ClientRecord {
  return { startMs: 0, firstTextMs: null, doneMs: 0, bytes: 0, text: "", polls: 0, violations: 0, taskId: null };
}

/** The peer's client: one POST, the UI message stream read to its end (as `useChat` reads it). */
async function peerClient(url: string, i: number): Promise<ClientRecord> {
  const t0 = performance.now();
  const r = emptyRecord();
  const s = await readSse(`${url}/api/chat`, JSON.stringify({ content: `Reply ${i} please` }), (payload) => {
    if (payload === "[DONE]") return;
    const part = JSON.parse(payload) as { type: string; delta?: string };
    if (part.type === "text-delta" && part.delta) {
      r.firstTextMs ??= performance.now() - t0;
      r.text += part.delta;
    }
  });
  if (s.status !== 200) throw new Error(`peer answered ${s.status}`);
  return { ...r, startMs: s.startMs, bytes: s.bytes, doneMs: performance.now() - t0 };
}

/** The provider read directly (no server in between): the floor every other figure stands on. */
async function directClient(baseURL: string, i: number): Promise<ClientRecord> {
  const t0 = performance.now();
  const r = emptyRecord();
  const body = JSON.stringify({
    model: "fake-slow",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: `Reply ${i} please` }],
  });
  const s = await readSse(`${baseURL}/chat/completions`, body, (payload) => {
    if (payload === "[DONE]") return;
    const chunk = JSON.parse(payload) as { choices: { delta?: { content?: string } }[] };
    const text = chunk.choices[0]?.delta?.content;
    if (text) {
      r.firstTextMs ??= performance.now() - t0;
      r.text += text;
    }
  });
  if (s.status !== 200) throw new Error(`provider answered ${s.status}`);
  return { ...r, startMs: s.startMs, bytes: s.bytes, doneMs: performance.now() - t0 };
}

async function walBytes(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ wal_bytes: string }>("SELECT wal_bytes::text FROM pg_stat_wal");
  return Number(rows[0]!.wal_bytes);
}

/** Every task of the cell completed and settled once with exactly the provider's usage; ledger = hourly = tasks. */
async function checkAccounting(pool: pg.Pool, taskIds: string[], words: number) {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasks t
     JOIN usage_events e ON e.subject = t.subject AND e.idempotency_key = 'task:' || t.id
     WHERE t.id = ANY($1::text[]) AND t.status = 'completed' AND e.status = 'settled'
       AND NOT t.usage_estimated AND t.output_tokens = $2 AND t.input_tokens = t.prompt_tokens
       AND e.input_tokens = t.input_tokens AND e.output_tokens = t.output_tokens AND e.cost_micros = t.cost_micros`,
    [taskIds, words],
  );
  const violations = await accountingViolations({
    url: "",
    drop: async () => {},
    query: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
  });
  const clean = JSON.stringify(violations) === JSON.stringify(NO_VIOLATIONS);
  return {
    ok: rows[0]!.n === taskIds.length && clean,
    settledExactly: rows[0]!.n,
    violations: clean ? null : JSON.stringify(violations).slice(0, 500),
  };
}

async function untilNoRunningTasks(pool: pg.Pool, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasks WHERE status IN ('queued', 'running')",
    );
    if (rows[0]!.n === 0) return;
    await sleep(200);
  }
}

interface CellContext {
  system: System;
  instances: number;
  replies: number;
  options: RepliesOptions;
  expected: string;
  nominalMs: number;
  pool: pg.Pool | null;
  cpu: () => number | null;
  client: (i: number) => Promise<ClientRecord>;
}

async function runCell(c: CellContext): Promise<RepliesCell> {
  const wal0 = c.pool ? await walBytes(c.pool) : null;
  const cpu0 = c.cpu();
  const t0 = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: c.replies }, (_, i) => c.client(i)));
  const seconds = (performance.now() - t0) / 1000;
  const records = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [String((o.reason as Error).message)] : []));
  let accounting: RepliesCell["accounting"] = null;
  if (c.pool) {
    // Settlement happens after the last text; the WAL and CPU of a reply include it.
    await untilNoRunningTasks(c.pool, 60_000);
    await sleep(500);
    accounting = await checkAccounting(
      c.pool,
      records.flatMap((r) => (r.taskId ? [r.taskId] : [])),
      c.options.words,
    );
    if (failures.length > 0) accounting.ok = false;
  }
  const cpu1 = c.cpu();
  const wal1 = c.pool ? await walBytes(c.pool) : null;
  const n = c.replies;
  return {
    system: c.system,
    instances: c.instances,
    replies: n,
    lagS: spread(records.map((r) => (r.doneMs - c.nominalMs) / 1000)),
    firstTextS: spread(records.map((r) => (r.firstTextMs ?? r.doneMs) / 1000)),
    startMs: spread(records.map((r) => r.startMs)),
    bytesPerReply: Math.round(records.reduce((a, r) => a + r.bytes, 0) / Math.max(records.length, 1)),
    walBytesPerReply: wal0 === null || wal1 === null ? null : Math.round((wal1 - wal0) / n),
    serverCpuUsPerReply: cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) / n),
    exact: records.filter((r) => r.text === c.expected).length,
    failed: failures.length,
    firstError: failures[0] ?? null,
    cursorViolations: records.reduce((a, r) => a + r.violations, 0),
    pollsPerReply: c.system === "wavelength" ? round(records.reduce((a, r) => a + r.polls, 0) / n, 1) : null,
    accounting,
    seconds: round(seconds, 1),
  };
}

const describeCell = (c: RepliesCell) =>
  `${c.system} ×${c.instances} N=${c.replies}: lag p50 ${c.lagS.p50} s p99 ${c.lagS.p99} s, first text p99 ${c.firstTextS.p99} s, start p99 ${c.startMs.p99} ms, ${c.bytesPerReply} B/reply, WAL ${c.walBytesPerReply ?? "–"} B/reply, CPU ${c.serverCpuUsPerReply ?? "–"} µs/reply, exact ${c.exact}/${c.replies}${c.failed ? `, ${c.failed} failed: ${c.firstError}` : ""}${c.accounting ? `, accounting ${c.accounting.ok ? "ok" : "NOT OK"}` : ""}`;

export async function replies(serverUrl: string, adminDbUrl: string, o: RepliesOptions): Promise<RepliesResults> {
  const t0 = Date.now();
  const loadAtStart = load1();
  const url = `${serverUrl}/${REPLIES_DB}`;
  const expected = fakeReply(o.words);
  const nominalMs = (o.words + 1) * o.delayMs;
  const cells: RepliesCell[] = [];
  const logDir = mkdtempSync(path.join(os.tmpdir(), "wl-bench-replies-"));
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  const helpers: Helper<unknown>[] = [];
  let servers: ServerProcess[] = [];
  let failed = false;
  const tag = Date.now().toString(36);
  try {
    o.log(`replies: recreating ${REPLIES_DB} and applying migrations…`);
    await recreateDatabase(adminDbUrl, REPLIES_DB);
    migrate(url);
    const fake = await startHelper<{ baseURL: string }>(path.join(here, "replies-fake-provider.ts"), {
      REPLIES_WORDS: String(o.words),
      REPLIES_DELAY_MS: String(o.delayMs),
    });
    helpers.push(fake);
    const base = { expected, nominalMs, options: o };

    // Wavelength: one instance, then three on the same database.
    let sessions: Session[] = [];
    const fleets = !o.systems.includes("wavelength") ? [] : o.multiInstanceCount > 0 ? [1, 3] : [1];
    for (const instances of fleets) {
      for (let i = 0; i < instances; i++) {
        servers.push(
          await ServerProcess.start({
            name: `replies-${instances}x-${i + 1}`,
            databaseUrl: url,
            logDir,
            failMode: "closed",
            env: {
              OPENAI_COMPATIBLE_BASE_URL: fake.ready.baseURL,
              OPENAI_COMPATIBLE_NAME: "fake",
              OPENAI_COMPATIBLE_MODELS: "fake-slow",
            },
            nodeArgs: (process.env.BENCH_REPLIES_NODE_ARGS ?? "").split(" ").filter(Boolean),
          }),
        );
      }
      const urls = servers.map((s) => s.url);
      if (sessions.length === 0) {
        o.log(`replies: signing up ${o.users} users…`);
        sessions = await signUpUsers(urls[0]!, o.users, `replies-${tag}`);
        await pool.query("ANALYZE");
      }
      const cpu = () => {
        const xs = servers.map((s) => s.cpuUs());
        return xs.some((x) => x === null) ? null : xs.reduce<number>((a, b) => a + (b ?? 0), 0);
      };
      const counts = instances === 1 ? o.counts : [o.multiInstanceCount];
      let seq = 0;
      const cellOf = (replies: number): CellContext => {
        const cellTag = `${tag}-${instances}-${seq++}`;
        return {
          ...base,
          system: "wavelength",
          instances,
          replies,
          pool,
          cpu,
          client: (i) => wavelengthClient(urls, sessions[i % sessions.length]!, i, cellTag, o.pollMs),
        };
      };
      o.log(`replies: warming up ${instances} instance${instances > 1 ? "s" : ""}…`);
      await runCell(cellOf(Math.min(10, o.counts[0] ?? 10)));
      for (const n of counts) {
        const cell = await runCell(cellOf(n));
        cells.push(cell);
        o.log(`replies: ${describeCell(cell)}`);
      }
      await Promise.all(servers.map((s) => s.stop()));
      servers = [];
    }

    // The peer, and the provider read directly, at the same N.
    if (o.systems.includes("peer")) await runPeer();
    if (o.systems.includes("direct")) {
      for (const n of o.counts) {
        const cell = await runCell({
          ...base,
          system: "direct",
          instances: 0,
          replies: n,
          pool: null,
          cpu: () => null,
          client: (i) => directClient(fake.ready.baseURL, i),
        });
        cells.push(cell);
        o.log(`replies: ${describeCell(cell)}`);
      }
    }
    async function runPeer() {
      const peer = await startHelper<{ url: string }>(path.join(here, "replies-peer-server.ts"), {
        PEER_PROVIDER_URL: fake.ready.baseURL,
      });
      helpers.push(peer);
      const peerCpu = () => cpuUsOf(peer.child.pid);
      // Warm-up, thrown away (JIT, connections), as for Wavelength.
      await runCell({
        ...base,
        system: "peer",
        instances: 1,
        replies: 10,
        pool: null,
        cpu: peerCpu,
        client: (i) => peerClient(peer.ready.url, i),
      });
      for (const n of o.counts) {
        const cell = await runCell({
          ...base,
          system: "peer",
          instances: 1,
          replies: n,
          pool: null,
          cpu: peerCpu,
          client: (i) => peerClient(peer.ready.url, i),
        });
        cells.push(cell);
        o.log(`replies: ${describeCell(cell)}`);
      }
      await peer.stop();
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    for (const h of helpers) await h.stop().catch(() => undefined);
    await pool.end().catch(() => undefined);
    agent.destroy();
    if (failed) o.log(`replies: server logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
  return {
    description: `${o.words} tokens ${o.delayMs} ms apart per reply from an OpenAI-compatible fake in its own process (the API tests' fake, "fake-slow"; usage reported in the last chunk); Wavelength as real server processes (\`node --import tsx apps/server/src/main.ts\`, NODE_ENV=production) on one PostgreSQL, each client a signed-in user (${o.users} users, pro tier with raised limits) that sends with chat.send and polls chat.task with its cursor ${o.pollMs} ms after each answer, appending (with three instances each poll goes to the next instance); the peer: the AI SDK's streamText on the same provider piped to the client as a UI message stream (pipeUIMessageStreamToResponse) from one Node process with no database, read to its end; "direct": the provider's SSE read by the client with no server in between`,
    settings: {
      words: o.words,
      delayMs: o.delayMs,
      pollMs: o.pollMs,
      counts: o.counts,
      multiInstanceCount: o.multiInstanceCount,
      users: o.users,
      systems: o.systems,
      replyBytes: Buffer.byteLength(expected),
      nominalSeconds: nominalMs / 1000,
      serverPool: 10,
      database: REPLIES_DB,
    },
    machine: benchMachine(loadAtStart),
    cells,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** The part's settings from the environment (BENCH_REPLIES_*), with the issue's defaults. */
export function repliesOptionsFromEnv(log: (m: string) => void): RepliesOptions {
  const env = (name: string, fallback: string) => process.env[name] ?? fallback;
  return {
    words: Number(env("BENCH_REPLIES_WORDS", "600")),
    delayMs: Number(env("BENCH_REPLIES_DELAY_MS", "25")),
    pollMs: Number(env("BENCH_REPLIES_POLL_MS", "300")),
    counts: env("BENCH_REPLIES_COUNTS", "10,50,100,300")
      .split(",")
      .map((n) => Number(n.trim())),
    multiInstanceCount: Number(env("BENCH_REPLIES_MULTI", "100")),
    users: Number(env("BENCH_REPLIES_USERS", "100")),
    systems: env("BENCH_REPLIES_SYSTEMS", "wavelength,peer,direct")
      .split(",")
      .map((x) => x.trim() as System),
    log,
  };
}
