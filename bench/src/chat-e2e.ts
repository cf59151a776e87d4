// End to end: one chat through the product's ChatService on PostgreSQL, from send() to the task
// being settled and written, and how much of that time is quota admission and settlement.
import { performance } from "node:perf_hooks";
import { createDb } from "../../packages/db/src/index.ts";
import { subjectOf, userIdentity } from "../../packages/api/src/identity.ts";
import type { SubjectRef } from "../../packages/api/src/metering/index.ts";
import { createServices } from "../../packages/api/src/services.ts";
import { forEachLimited } from "./contender.ts";
import { percentile } from "./measure.ts";

export const E2E_PROVIDER = "local-demo";
export const E2E_MODEL = "demo-1";

export interface E2eOptions {
  /** Users (pro tier) the chats are spread over: chat i goes to user i mod users. */
  users: number;
  /** Timed chats per cell. */
  chats: number;
  /** Chats run first and thrown away, per cell. */
  warmup: number;
  /** Concurrent clients, one cell each. */
  clients: readonly number[];
  /** Pool size of the services' database client. */
  pool: number;
  /**
   * How a client learns its chat is done. "signal": in-process, the moment the service's
   * background run ends (after the task row is written as completed); "poll": chat.task()
   * every `pollMs`, as the web client does (adds queries and up to `pollMs` of latency).
   */
  wait: "signal" | "poll";
  pollMs: number;
  log: (msg: string) => void;
}

export interface PhaseStats {
  /** onTiming calls during the timed chats. */
  calls: number;
  sumMs: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** sumMs ÷ the sum of the timed chats' end-to-end latencies. */
  shareOfE2e: number;
}

export interface E2eCell {
  clients: number;
  chats: number;
  warmup: number;
  /** Timed chats whose task row says "completed" afterwards. */
  completed: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** Completed chats per second of wall time, all clients together. */
  throughput: number;
  /** send() → task completed. */
  e2e: { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** send() alone: what the HTTP request that starts a chat waits for. */
  send: { meanMs: number; p50Ms: number; p99Ms: number };
  admit: PhaseStats;
  settle: PhaseStats;
  /** CPU of this Node process (services + clients) per timed chat. */
  processCpuUsPerChat: number;
}

export interface E2eResults {
  description: string;
  settings: {
    users: number;
    chats: number;
    warmup: number;
    pool: number;
    provider: string;
    model: string;
    tokenDelayMs: number;
    flushIntervalMs: string;
    wait: string;
    seconds: number;
  };
  /** Output of one demo reply, for scale. */
  reply: { inputTokens: number; outputTokens: number; chars: number } | null;
  cells: E2eCell[];
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

export async function chatE2e(url: string, o: E2eOptions): Promise<E2eResults> {
  const t0 = Date.now();
  const db = await createDb(url, { maxConnections: o.pool });
  const timings = { admit: [] as number[], settle: [] as number[] };
  let recording = false;
  const services = createServices(db.prisma, {
    sql: db.sql,
    providers: { demo: { enabled: true, tokenDelayMs: 0 } },
    // flushIntervalMs: the service's default.
    chat: {
      onTiming: (phase, ms) => {
        if (recording) timings[phase].push(ms);
      },
    },
  });
  const { chat, engine } = services;
  try {
    const tag = Date.now().toString(36);
    const subjects: SubjectRef[] = [];
    await forEachLimited(
      Array.from({ length: o.users }, (_, i) => i),
      Math.min(o.pool, 8),
      async (i) => {
        const user = await db.prisma.user.create({
          data: { email: `bench-e2e-${tag}-${i}@example.test`, tier: "pro", timezone: "UTC" },
        });
        const subject = subjectOf(userIdentity({ ...user, tier: "pro", role: "user" }));
        await engine.init(subject);
        subjects[i] = subject;
      },
    );
    await db.prisma.$executeRawUnsafe("ANALYZE");

    const signal = o.wait === "signal" ? (taskId: string) => chat.whenSettled(taskId) : null;
    const wait = o.wait;
    const poll = async (subject: SubjectRef, taskId: string) => {
      for (;;) {
        const t = await chat.task(subject.key, taskId);
        if (t.status !== "running" && t.status !== "queued") return;
        await new Promise((r) => setTimeout(r, o.pollMs));
      }
    };

    let seq = 0;
    const oneChat = async (i: number) => {
      const subject = subjects[i % o.users]!;
      const started = performance.now();
      const sent = await chat.send(subject, [], {
        provider: E2E_PROVIDER,
        model: E2E_MODEL,
        content: `Benchmark question ${i}: how does a token bucket limit requests?`,
      });
      const sendMs = performance.now() - started;
      await (signal ? signal(sent.taskId) : poll(subject, sent.taskId));
      return { taskId: sent.taskId, subject: subject.key, sendMs, e2eMs: performance.now() - started };
    };

    const drive = async (clients: number, count: number) => {
      const e2e: number[] = [];
      const send: number[] = [];
      const tasks: { taskId: string; subject: string }[] = [];
      let errors = 0;
      let firstError: string | null = null;
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          try {
            const r = await oneChat(seq++);
            e2e.push(r.e2eMs);
            send.push(r.sendMs);
            tasks.push(r);
          } catch (error) {
            errors++;
            firstError ??= error instanceof Error ? error.message : String(error);
          }
        }
      };
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await Promise.all(Array.from({ length: clients }, worker));
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      return { e2e, send, tasks, errors, firstError, seconds, cpuUs: cpu.user + cpu.system };
    };

    const cells: E2eCell[] = [];
    for (const clients of o.clients) {
      await drive(clients, o.warmup);
      await chat.drain();
      timings.admit.length = 0;
      timings.settle.length = 0;
      recording = true;
      const r = await drive(clients, o.chats);
      await chat.drain();
      recording = false;

      const statuses = await db.prisma.task.groupBy({
        by: ["status"],
        where: { id: { in: r.tasks.map((t) => t.taskId) } },
        _count: { _all: true },
      });
      const completed = statuses.find((s) => s.status === "completed")?._count._all ?? 0;
      const e2eSum = r.e2e.reduce((a, b) => a + b, 0);
      const sortedE2e = [...r.e2e].sort((a, b) => a - b);
      const sortedSend = [...r.send].sort((a, b) => a - b);
      const phase = (xs: number[]): PhaseStats => {
        const sorted = [...xs].sort((a, b) => a - b);
        const sum = xs.reduce((a, b) => a + b, 0);
        return {
          calls: xs.length,
          sumMs: round(sum),
          meanMs: round(mean(xs)),
          p50Ms: round(percentile(sorted, 50)),
          p99Ms: round(percentile(sorted, 99)),
          shareOfE2e: round(sum / e2eSum),
        };
      };
      const cell: E2eCell = {
        clients,
        chats: o.chats,
        warmup: o.warmup,
        completed,
        errors: r.errors,
        firstError: r.firstError,
        seconds: round(r.seconds),
        throughput: Math.round((completed / r.seconds) * 10) / 10,
        e2e: {
          meanMs: round(mean(r.e2e)),
          p50Ms: round(percentile(sortedE2e, 50)),
          p99Ms: round(percentile(sortedE2e, 99)),
          maxMs: round(sortedE2e[sortedE2e.length - 1] ?? Number.NaN),
        },
        send: {
          meanMs: round(mean(r.send)),
          p50Ms: round(percentile(sortedSend, 50)),
          p99Ms: round(percentile(sortedSend, 99)),
        },
        admit: phase(timings.admit),
        settle: phase(timings.settle),
        processCpuUsPerChat: Math.round(r.cpuUs / o.chats),
      };
      cells.push(cell);
      o.log(
        `chat e2e ${String(clients).padStart(2)} clients  ${String(cell.throughput).padStart(6)} chats/s  p50 ${cell.e2e.p50Ms.toFixed(2)}  p99 ${cell.e2e.p99Ms.toFixed(2)} ms  admit ${(cell.admit.shareOfE2e * 100).toFixed(1)}%  settle ${(cell.settle.shareOfE2e * 100).toFixed(1)}%  completed ${completed}/${o.chats}${r.errors ? `  ${r.errors} errors: ${r.firstError}` : ""}`,
      );
    }

    // One reply, for scale: what a demo chat costs in tokens.
    const last = await db.prisma.task.findFirst({
      where: { status: "completed", subject: { in: subjects.map((s) => s.key) } },
      orderBy: { createdAt: "desc" },
      select: { inputTokens: true, outputTokens: true, assistantMessageId: true },
    });
    const lastReply = last?.assistantMessageId
      ? await db.prisma.message.findUnique({ where: { id: last.assistantMessageId }, select: { content: true } })
      : null;
    return {
      description: `ChatService.send() on the offline demo model (${E2E_PROVIDER}/${E2E_MODEL}, no token delay), each client waiting for its task to complete before sending the next; pro-tier users, one new conversation per chat`,
      settings: {
        users: o.users,
        chats: o.chats,
        warmup: o.warmup,
        pool: o.pool,
        provider: E2E_PROVIDER,
        model: E2E_MODEL,
        tokenDelayMs: 0,
        flushIntervalMs: "service default",
        wait: wait === "poll" ? `poll chat.task() every ${o.pollMs} ms` : "in-process completion signal",
        seconds: Math.round((Date.now() - t0) / 1000),
      },
      reply: last
        ? {
            inputTokens: last.inputTokens ?? 0,
            outputTokens: last.outputTokens ?? 0,
            chars: lastReply?.content.length ?? 0,
          }
        : null,
      cells,
    };
  } finally {
    await chat.drain().catch(() => undefined);
    await db.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function e2eMarkdown(r: E2eResults): string {
  const s = r.settings;
  const lines: string[] = [];
  lines.push(
    `${r.description}. ${s.chats} timed chats per cell after ${s.warmup} warm-up, spread over ${s.users} users; services pool ${s.pool} connections; demo token delay ${s.tokenDelayMs} ms, flush interval ${s.flushIntervalMs}; completion seen by ${s.wait}.${r.reply ? ` One reply: ${r.reply.inputTokens} input + ${r.reply.outputTokens} output tokens (${r.reply.chars} characters).` : ""}`,
    "",
  );
  lines.push(
    "| clients | chats/s | e2e p50 ms | e2e p99 ms | send() p50 ms | admission share | admit p50 / p99 ms | settlement share | settle p50 / p99 ms | completed | process CPU µs/chat |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of r.cells) {
    lines.push(
      `| ${c.clients} | ${c.throughput} | ${c.e2e.p50Ms.toFixed(2)} | ${c.e2e.p99Ms.toFixed(2)} | ${c.send.p50Ms.toFixed(2)} | ${pct(c.admit.shareOfE2e)} | ${c.admit.p50Ms.toFixed(2)} / ${c.admit.p99Ms.toFixed(2)} | ${pct(c.settle.shareOfE2e)} | ${c.settle.p50Ms.toFixed(2)} / ${c.settle.p99Ms.toFixed(2)} | ${c.completed}/${c.chats}${c.errors ? ` (${c.errors} errors: ${c.firstError ?? ""})` : ""} | ${c.processCpuUsPerChat} |`,
    );
  }
  lines.push("");
  lines.push(
    "Shares are the sum of the service's `onTiming` milliseconds for the phase (`engine.admit` in `send()`, `engine.settle` when the reply is done) divided by the sum of the chats' end-to-end milliseconds. At more than one client the phases of different chats overlap, and each is counted once per chat, so a share is the part of a chat's own latency spent in that phase.",
    "",
  );
  return lines.join("\n");
}
