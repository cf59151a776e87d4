/**
 * A separate server process in miniature: admits `count` requests for one
 * subject, all at once, and prints how many were admitted. Used by the
 * multi-process concurrency test.
 */
import { randomUUID } from "node:crypto";
import { createDb } from "@wavelength/db";
import { PrismaMeteringStore, QuotaEngine } from "../../src/metering/index.ts";

const [url, subjectKey, countArg] = process.argv.slice(2);
const db = await createDb(url, { maxConnections: 8 });
const engine = new QuotaEngine({ store: new PrismaMeteringStore(db.prisma, db.sql), failMode: "closed" });
const subject = { key: subjectKey as `anon:${string}`, tier: "anonymous" as const, timeZone: "Asia/Kolkata" };
const results = await Promise.all(
  Array.from({ length: Number(countArg) }, () =>
    engine.admit({
      subject,
      provider: "local-demo",
      model: "demo-1",
      estTokens: 50,
      estCostMicros: 0,
      key: randomUUID(),
    }),
  ),
);
process.stdout.write(JSON.stringify({ admitted: results.filter((r) => r.allowed).length }) + "\n");
await db.close();
