// Standalone: the OpenAI-compatible endpoint's overhead, written to results/openai-compat.json,
// markdown on stdout.   cd bench && npx tsx src/openai-compat-run.ts
// Settings through the environment: BENCH_PG (server URL), BENCH_ADMIN_DB (an existing database for
// DROP/CREATE), BENCH_OPENAI_REQUESTS_1 (default 300), BENCH_OPENAI_REQUESTS_32 (default 2000),
// BENCH_OPENAI_WARMUP (default 50).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { openaiCompatMarkdown, openaiCompatOverhead } from "./openai-compat.ts";

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const log = (m: string) => process.stderr.write(`${m}\n`);

const server = env("BENCH_PG", "postgresql://root@127.0.0.1:5432");
const results = await openaiCompatOverhead(server, `${server}/${env("BENCH_ADMIN_DB", "test")}`, {
  requestsAt1: Number(env("BENCH_OPENAI_REQUESTS_1", "300")),
  requestsAt32: Number(env("BENCH_OPENAI_REQUESTS_32", "2000")),
  warmup: Number(env("BENCH_OPENAI_WARMUP", "50")),
  log,
});
writeFileSync(
  path.resolve(import.meta.dirname, "../results/openai-compat.json"),
  `${JSON.stringify(results, null, 2)}\n`,
);
const { markdown, summary } = openaiCompatMarkdown(results);
process.stdout.write(`\n${markdown}\n`);
for (const line of summary) process.stdout.write(`${line}\n`);
