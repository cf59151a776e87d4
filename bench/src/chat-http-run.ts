// Standalone: the chat over HTTP with its defaults, markdown on stdout.
//   cd bench && npx tsx src/chat-http-run.ts
// Settings through the environment: BENCH_PG (server URL), BENCH_ADMIN_DB (an existing database for
// DROP/CREATE), BENCH_HTTP_SECONDS (default 10), BENCH_HTTP_CONNECTIONS (default 8,32),
// BENCH_HTTP_USERS (default 40).
import { chatHttp, chatHttpMarkdown } from "./chat-http.ts";

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const log = (m: string) => process.stderr.write(`${m}\n`);

const server = env("BENCH_PG", "postgresql://root@127.0.0.1:5432");
const results = await chatHttp(server, `${server}/${env("BENCH_ADMIN_DB", "test")}`, {
  durationSeconds: Number(env("BENCH_HTTP_SECONDS", "10")),
  connections: env("BENCH_HTTP_CONNECTIONS", "8,32")
    .split(",")
    .map((c) => Number(c.trim())),
  users: Number(env("BENCH_HTTP_USERS", "40")),
  log,
});
const { markdown, summary } = chatHttpMarkdown(results);
process.stdout.write(`\n${markdown}\n`);
for (const line of summary) process.stdout.write(`HTTP  ${line}\n`);
