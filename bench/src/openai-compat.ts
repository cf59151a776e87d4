// The OpenAI-compatible endpoint's overhead over the provider behind it: the same streaming
// completion sent straight to a local fake OpenAI server and through a Wavelength server process
// (PostgreSQL, a personal API key with its own limits: admission of the owner's and the key's rows,
// settlement, the ledger), at 1 and 32 concurrent streams. The difference is what Wavelength adds.
// Reference line: LiteLLM's published proxy overhead, median 12 ms / p99 43 ms added at ~1,100 RPS
// on 4 vCPUs (2 / 13 ms with 4 instances).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startFakeOpenAI } from "../../packages/api/test/support/fake-openai-server.ts";
import { createProviderRegistry } from "../../packages/api/src/providers/index.ts";
import { ADMIN_TOKEN, ServerProcess } from "../../apps/server/reliability/support/server-process.ts";
import { solvedProof } from "../../apps/server/reliability/support/visitor.ts";
import { percentile } from "./measure.ts";
import { migrate, recreateDatabase } from "./setup.ts";
import { load1, benchMachine, type BenchMachine } from "./machine.ts";

export const OPENAI_DB = "wl_bench_openai";
const WORDS = 20;
const FAKE_PROVIDER = "fake";
const FAKE_MODEL = "fake-usage-at-end";
const HIGH = 1_000_000_000;
const HIGH_TOKENS = 1_000_000_000_000;
/** LiteLLM's published figures (docs.litellm.ai, "Benchmarks"): added latency of its proxy. */
export const LITELLM_REFERENCE = { p50Ms: 12, p99Ms: 43, rps: 1_100, vcpus: 4 };

export interface OpenAICompatOptions {
  /** Streams per cell at 1 concurrent stream, and at 32. */
  requestsAt1: number;
  requestsAt32: number;
  warmup: number;
  database?: string;
  log: (m: string) => void;
}

interface Timing {
  ttftMs: number;
  totalMs: number;
  /** From the Server-Timing header: Wavelength's own work before the provider is called. */
  server: Record<string, number>;
}

export interface OverheadCell {
  path: "direct" | "wavelength";
  /** direct: straight to the fake; spread: one key per concurrent stream; hot: every stream on one key. */
  keys: "none" | "one per stream" | "one for all";
  concurrency: number;
  requests: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  streamsPerSecond: number;
  ttft: { p50Ms: number; p99Ms: number };
  total: { p50Ms: number; p99Ms: number };
  /** CPU of the Wavelength server process per stream (null for direct, or off Linux). */
  serverCpuUsPerStream: number | null;
  /** Medians of the Server-Timing phases (key lookup, admission, the rate-limit read), ms; empty for direct. */
  phasesP50Ms: Record<string, number>;
}

export interface OpenAICompatResults {
  description: string;
  settings: { words: number; requestsAt1: number; requestsAt32: number; warmup: number; database: string };
  machine: BenchMachine;
  cells: OverheadCell[];
  /** Wavelength minus direct, same concurrency, on the total stream time and on time to first token. */
  added: { concurrency: number; keys: string; p50Ms: number; p99Ms: number; ttftP50Ms: number; ttftP99Ms: number }[];
  accounting: {
    settledEvents: number;
    wavelengthStreams: number;
    reservedEvents: number;
    outputTokens: number;
    ok: boolean;
  };
  /**
   * The provider stack alone, in this process: the registry's provider call (the AI SDK provider's
   * doStream, as every chat makes it) against the same fake, one stream at a time, and a raw fetch
   * of the same stream.
   */
  providerStack: { streams: number; cpuMsPerStream: number; rawFetchCpuMsPerStream: number };
  reference: typeof LITELLM_REFERENCE;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One streaming completion, read to its end: time to the first word and to [DONE]. */
async function stream(baseURL: string, apiKey: string, model: string): Promise<Timing> {
  const t0 = performance.now();
  const res = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content: "Say something." }],
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const decoder = new TextDecoder();
  let text = "";
  let ttft = -1;
  for await (const chunk of res.body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    if (ttft < 0 && text.includes('"content":"w1"')) ttft = performance.now() - t0;
  }
  if (!text.includes("data: [DONE]") || ttft < 0) throw new Error(`incomplete stream: ${text.slice(-200)}`);
  const server: Record<string, number> = {};
  for (const m of (res.headers.get("server-timing") ?? "").matchAll(/(\w+);dur=([\d.]+)/g))
    server[m[1]!] = Number(m[2]);
  return { ttftMs: ttft, totalMs: performance.now() - t0, server };
}

/** `concurrency` workers send `count` streams (key i mod keys for the i-th), after `warmup` unrecorded ones. */
async function drive(
  send: (seq: number) => Promise<Timing>,
  concurrency: number,
  count: number,
  warmup: number,
): Promise<{ timings: Timing[]; errors: number; firstError: string | null; seconds: number }> {
  let next = 0;
  const runAll = async (n: number, record: Timing[] | null) => {
    next = 0;
    let errors = 0;
    let firstError: string | null = null;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const seq = next++;
          try {
            const t = await send(seq);
            record?.push(t);
          } catch (error) {
            errors++;
            firstError ??= (error as Error).message;
          }
        }
      }),
    );
    return { errors, firstError };
  };
  await runAll(warmup, null);
  const timings: Timing[] = [];
  const t0 = performance.now();
  const { errors, firstError } = await runAll(count, timings);
  return { timings, errors, firstError, seconds: (performance.now() - t0) / 1000 };
}

function summarize(
  base: Omit<
    OverheadCell,
    "requests" | "errors" | "firstError" | "seconds" | "streamsPerSecond" | "ttft" | "total" | "phasesP50Ms"
  >,
  r: Awaited<ReturnType<typeof drive>>,
): OverheadCell {
  const ttft = r.timings.map((t) => t.ttftMs).sort((a, b) => a - b);
  const total = r.timings.map((t) => t.totalMs).sort((a, b) => a - b);
  const phases: Record<string, number> = {};
  for (const name of new Set(r.timings.flatMap((t) => Object.keys(t.server)))) {
    const values = r.timings.map((t) => t.server[name] ?? 0).sort((a, b) => a - b);
    phases[name] = round(percentile(values, 50));
  }
  return {
    ...base,
    phasesP50Ms: phases,
    requests: r.timings.length,
    errors: r.errors,
    firstError: r.firstError,
    seconds: round(r.seconds),
    streamsPerSecond: round(r.timings.length / r.seconds, 1),
    ttft: { p50Ms: round(percentile(ttft, 50)), p99Ms: round(percentile(ttft, 99)) },
    total: { p50Ms: round(percentile(total, 50)), p99Ms: round(percentile(total, 99)) },
  };
}

async function trpc<T>(baseUrl: string, procedure: string, input: unknown, headers: Record<string, string>) {
  const res = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    body: JSON.stringify({ json: input }),
    headers: { "content-type": "application/json", ...headers },
  });
  const body = (await res.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${res.status} ${JSON.stringify(body.error)}`);
  return { data: body.result.data!.json as T, cookies: res.headers.getSetCookie() };
}

/** `count` accounts with high limits, each with one API key that carries limits of its own. */
async function keysFor(baseUrl: string, count: number): Promise<{ secret: string; keyId: string }[]> {
  const keys: { secret: string; keyId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const { data, cookies } = await trpc<{ user: { id: string } }>(
      baseUrl,
      "auth.signUp",
      { email: `bench-openai-${i}@example.test`, password: "correct horse battery", proof: await solvedProof(baseUrl) },
      { "x-forwarded-for": `10.88.0.${i + 1}` },
    );
    const cookie = cookies.map((c) => c.split(";")[0]!).find((c) => c.startsWith("wl_session="))!;
    for (const window of ["daily", "monthly"] as const) {
      await trpc(
        baseUrl,
        "quota.set",
        {
          userId: data.user.id,
          tier: "pro",
          override: { window, scope: "general", requests: HIGH, tokens: HIGH_TOKENS, costMicros: HIGH_TOKENS },
        },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
    }
    const created = await trpc<{ key: { id: string }; secret: string }>(
      baseUrl,
      "apiKeys.create",
      { name: `bench ${i}`, limits: { daily: { requests: HIGH, tokens: HIGH }, monthly: { requests: HIGH } } },
      { cookie },
    );
    keys.push({ secret: created.data.secret, keyId: created.data.key.id });
  }
  return keys;
}

/** CPU per stream of the registry's provider call (the AI SDK provider's doStream) and of a raw fetch of the same stream. */
async function providerStackCost(baseURL: string, streams: number): Promise<OpenAICompatResults["providerStack"]> {
  const registry = createProviderRegistry({
    openaiCompatible: { name: FAKE_PROVIDER, baseURL, models: [FAKE_MODEL] },
    demo: { enabled: false, tokenDelayMs: 0 },
  });
  const viaRegistry = async () => {
    for await (const event of registry.stream({
      provider: FAKE_PROVIDER,
      model: FAKE_MODEL,
      messages: [{ role: "user", content: "Say something." }],
      maxOutputTokens: 64,
      abortSignal: new AbortController().signal,
    }))
      void event;
  };
  const raw = async () => {
    const res = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: FAKE_MODEL,
        messages: [{ role: "user", content: "Say something." }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    await res.text();
  };
  const cpuPer = async (fn: () => Promise<void>) => {
    for (let i = 0; i < 20; i++) await fn();
    const c0 = process.cpuUsage();
    for (let i = 0; i < streams; i++) await fn();
    const c = process.cpuUsage(c0);
    return round((c.user + c.system) / streams / 1000);
  };
  return { streams, cpuMsPerStream: await cpuPer(viaRegistry), rawFetchCpuMsPerStream: await cpuPer(raw) };
}

export async function openaiCompatOverhead(
  serverUrl: string,
  adminUrl: string,
  options: OpenAICompatOptions,
): Promise<OpenAICompatResults> {
  const { log } = options;
  const database = options.database ?? OPENAI_DB;
  const loadAtStart = load1();
  const fake = await startFakeOpenAI({ words: WORDS });
  await recreateDatabase(adminUrl, database);
  const dbUrl = `${serverUrl}/${database}`;
  migrate(dbUrl);
  const logDir = mkdtempSync(path.join(os.tmpdir(), "wl-bench-openai-"));
  const server = await ServerProcess.start({
    name: "openai-bench",
    databaseUrl: dbUrl,
    logDir,
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the server's time goes
    nodeArgs: (process.env.BENCH_OPENAI_NODE_ARGS ?? "").split(" ").filter(Boolean),
    env: {
      OPENAI_COMPATIBLE_BASE_URL: fake.baseURL,
      OPENAI_COMPATIBLE_NAME: FAKE_PROVIDER,
      OPENAI_COMPATIBLE_MODELS: FAKE_MODEL,
      LOG_LEVEL: "error",
    },
  });
  const cells: OverheadCell[] = [];
  try {
    log("openai-compat: signing up 32 users with a key each…");
    const keys = await keysFor(server.url, 32);
    const via = `${server.url}/v1`;
    const runCell = async (
      pathName: OverheadCell["path"],
      keyMode: OverheadCell["keys"],
      concurrency: number,
      count: number,
    ) => {
      const send =
        pathName === "direct"
          ? () => stream(fake.baseURL, "sk-fake", FAKE_MODEL)
          : (seq: number) =>
              stream(
                via,
                keys[keyMode === "one for all" ? 0 : seq % concurrency]!.secret,
                `${FAKE_PROVIDER}/${FAKE_MODEL}`,
              );
      const cpu0 = pathName === "wavelength" ? server.cpuUs() : null;
      const r = await drive(send, concurrency, count, options.warmup);
      const cpu1 = pathName === "wavelength" ? server.cpuUs() : null;
      const cell = summarize(
        {
          path: pathName,
          keys: keyMode,
          concurrency,
          serverCpuUsPerStream:
            cpu0 !== null && cpu1 !== null && r.timings.length > 0
              ? Math.round((cpu1 - cpu0) / (r.timings.length + options.warmup))
              : null,
        },
        r,
      );
      log(
        `openai-compat ${pathName.padEnd(10)} ${keyMode.padEnd(14)} ${String(concurrency).padStart(2)} streams: ` +
          `${cell.streamsPerSecond}/s, total p50 ${cell.total.p50Ms} p99 ${cell.total.p99Ms} ms, ` +
          `first word p50 ${cell.ttft.p50Ms} ms${cell.errors ? `, ${cell.errors} errors: ${cell.firstError}` : ""}`,
      );
      cells.push(cell);
    };
    await runCell("direct", "none", 1, options.requestsAt1);
    await runCell("wavelength", "one per stream", 1, options.requestsAt1);
    await runCell("direct", "none", 32, options.requestsAt32);
    await runCell("wavelength", "one per stream", 32, options.requestsAt32);
    await runCell("wavelength", "one for all", 32, options.requestsAt32);

    // Every stream through Wavelength is in the ledger, settled with the provider's usage.
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    const [row] = (
      await client.query<{ settled: number; reserved: number; output: number }>(
        `SELECT count(*) FILTER (WHERE status = 'settled')::int AS settled,
                count(*) FILTER (WHERE status = 'reserved')::int AS reserved,
                coalesce(sum(output_tokens), 0)::int AS output
         FROM usage_events WHERE idempotency_key LIKE 'api:%'`,
      )
    ).rows;
    await client.end();
    const wavelengthStreams = cells
      .filter((c) => c.path === "wavelength")
      .reduce((n, c) => n + c.requests + options.warmup, 0);
    const accounting = {
      settledEvents: row!.settled,
      wavelengthStreams,
      reservedEvents: row!.reserved,
      outputTokens: row!.output,
      ok: row!.settled === wavelengthStreams && row!.reserved === 0 && row!.output === wavelengthStreams * WORDS,
    };
    const direct = (c: number) => cells.find((x) => x.path === "direct" && x.concurrency === c)!;
    const added = cells
      .filter((c) => c.path === "wavelength")
      .map((c) => ({
        concurrency: c.concurrency,
        keys: c.keys,
        p50Ms: round(c.total.p50Ms - direct(c.concurrency).total.p50Ms),
        p99Ms: round(c.total.p99Ms - direct(c.concurrency).total.p99Ms),
        ttftP50Ms: round(c.ttft.p50Ms - direct(c.concurrency).ttft.p50Ms),
        ttftP99Ms: round(c.ttft.p99Ms - direct(c.concurrency).ttft.p99Ms),
      }));
    log("openai-compat: the provider stack alone…");
    const providerStack = await providerStackCost(fake.baseURL, 300);
    return {
      description:
        "Streaming completions (20 words, usage in the last chunk) straight to a local fake OpenAI server, and the same through one Wavelength server process on PostgreSQL with a personal API key (owner's and key's limits admitted in one statement, settled from the stream's usage).",
      settings: {
        words: WORDS,
        requestsAt1: options.requestsAt1,
        requestsAt32: options.requestsAt32,
        warmup: options.warmup,
        database,
      },
      machine: benchMachine(loadAtStart),
      cells,
      added,
      accounting,
      providerStack,
      reference: LITELLM_REFERENCE,
    };
  } finally {
    await server.close();
    await fake.close();
    rmSync(logDir, { recursive: true, force: true });
  }
}

export function openaiCompatMarkdown(r: OpenAICompatResults): { markdown: string; summary: string[] } {
  const lines: string[] = [];
  lines.push(r.description, "");
  lines.push(
    `${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; load average ${r.machine.loadAtStart} at start, ${r.machine.loadAtEnd} at end. ` +
      "The load generator, the fake provider, the server and PostgreSQL share these cores.",
    "",
  );
  lines.push(
    "| path | keys | streams at once | streams/s | first word p50 / p99 (ms) | whole stream p50 / p99 (ms) | key lookup · admission · limits read (overlaps the provider call), p50 ms | server CPU per stream | errors |",
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of r.cells) {
    lines.push(
      `| ${c.path} | ${c.keys} | ${c.concurrency} | ${c.streamsPerSecond} | ${c.ttft.p50Ms} / ${c.ttft.p99Ms} | ${c.total.p50Ms} / ${c.total.p99Ms} | ${c.path === "direct" ? "–" : `${c.phasesP50Ms.auth ?? "–"} · ${c.phasesP50Ms.admit ?? "–"} · ${c.phasesP50Ms.limits ?? "–"}`} | ${c.serverCpuUsPerStream === null ? "–" : `${(c.serverCpuUsPerStream / 1000).toFixed(2)} ms`} | ${c.errors} |`,
    );
  }
  lines.push("", "Added by Wavelength (Wavelength minus direct, same concurrency):", "");
  lines.push("| streams at once | keys | whole stream p50 | p99 | first word p50 | p99 |");
  lines.push("|---:|---|---:|---:|---:|---:|");
  for (const a of r.added) {
    lines.push(
      `| ${a.concurrency} | ${a.keys} | ${a.p50Ms} ms | ${a.p99Ms} ms | ${a.ttftP50Ms} ms | ${a.ttftP99Ms} ms |`,
    );
  }
  const ref = r.reference;
  const ps = r.providerStack;
  lines.push(
    "",
    `Where the server's CPU goes: the provider call through the registry (the AI SDK provider's \`doStream\`, as the chat page uses it) costs ${ps.cpuMsPerStream} ms of CPU per 20-word stream in this process, against ${ps.rawFetchCpuMsPerStream} ms to fetch the same stream raw (${ps.streams} streams one at a time). The key lookup, the admission of the owner's and the key's limits and the rate-limit read are the Server-Timing column; the settlement adds one more round trip after the last word.`,
    "",
    `Reference: LiteLLM publishes a median ${ref.p50Ms} ms / p99 ${ref.p99Ms} ms added latency for its proxy at about ${ref.rps.toLocaleString("en-US")} requests/s on ${ref.vcpus} vCPUs (2 / 13 ms with 4 instances); it does not state hard caps. ` +
      "Wavelength's figures include what LiteLLM's budgets leave soft: a locking admission of every applicable limit of the owner and the key, and a settlement of the provider's reported usage, each a PostgreSQL round trip.",
    "",
    `Accounting: ${r.accounting.settledEvents} settled ledger events for ${r.accounting.wavelengthStreams} streams through Wavelength (warm-up included), ${r.accounting.reservedEvents} left reserved, ${r.accounting.outputTokens.toLocaleString("en-US")} output tokens charged (${r.settings.words} per stream): ${r.accounting.ok ? "exact" : "**MISMATCH**"}.`,
  );
  const summary = r.added.map((a) => {
    const cell = r.cells.find((c) => c.path === "wavelength" && c.concurrency === a.concurrency && c.keys === a.keys)!;
    return `OpenAI-compatible endpoint, ${a.concurrency} stream${a.concurrency > 1 ? "s" : ""} at once (${a.keys}): adds p50 ${a.p50Ms} ms / p99 ${a.p99Ms} ms over the provider at ${cell.streamsPerSecond} streams/s (LiteLLM reference: ${ref.p50Ms} / ${ref.p99Ms} ms)`;
  });
  summary.push(
    `OpenAI-compatible endpoint accounting: ${r.accounting.ok ? "exact" : "MISMATCH"} (${r.accounting.settledEvents}/${r.accounting.wavelengthStreams} settled)`,
  );
  return { markdown: `${lines.join("\n")}\n`, summary };
}
