// The replies part alone: `cd bench && npx tsx src/replies-run.ts` (BENCH_REPLIES_* settings as in main.ts).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { replies, repliesOptionsFromEnv } from "./replies.ts";
import { repliesMarkdown } from "./replies-report.ts";

const server = process.env.BENCH_PG ?? "postgresql://root@127.0.0.1:5432";
const admin = `${server}/${process.env.BENCH_ADMIN_DB ?? "test"}`;
const r = await replies(
  server,
  admin,
  repliesOptionsFromEnv((m) => process.stderr.write(`${m}\n`)),
);
writeFileSync(path.resolve(import.meta.dirname, "../results/replies.json"), `${JSON.stringify(r, null, 2)}\n`);
process.stdout.write(`${repliesMarkdown(r).markdown}\n`);
