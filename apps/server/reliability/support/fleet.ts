import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freshDatabase, type ReliabilityDatabase } from "./database.ts";
import { ServerProcess, type ServerOptions } from "./server-process.ts";

/** Several server processes on one fresh PostgreSQL database, torn down together. */
export interface Fleet {
  db: ReliabilityDatabase;
  servers: ServerProcess[];
  /** Base URLs of the servers that are running right now. */
  liveUrls(): string[];
  /** Every exit nobody asked for, with the log tail of the server it came from. */
  crashReport(): string[];
  /** The servers' logs: printed on failure, and what `close` keeps when a test failed. */
  logDir: string;
  /** Keep the logs (a test failed): `close` then leaves them for the reader. */
  keepLogs(): void;
  close(): Promise<void>;
}

export async function startFleet(
  count: number,
  options: Omit<ServerOptions, "name" | "databaseUrl" | "logDir">,
): Promise<Fleet> {
  const db = await freshDatabase();
  const logDir = mkdtempSync(path.join(tmpdir(), "wl-reliability-"));
  const servers: ServerProcess[] = [];
  let keep = false;
  const fleet: Fleet = {
    db,
    servers,
    logDir,
    keepLogs: () => {
      keep = true;
    },
    liveUrls: () => servers.filter((s) => s.alive).map((s) => s.url),
    crashReport: () =>
      servers.flatMap((s) =>
        s.crashes.map((e) => `${s.options.name} exited (code ${e.code}, signal ${e.signal}):\n${s.logTail()}`),
      ),
    async close() {
      await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
      await db.drop().catch(() => undefined);
      if (keep) console.warn(`reliability: server logs kept in ${logDir}`);
      else rmSync(logDir, { recursive: true, force: true });
    },
  };
  try {
    // One at a time: starting compiles TypeScript, and two cores are shared with PostgreSQL.
    for (let i = 0; i < count; i++) {
      servers.push(await ServerProcess.start({ ...options, name: `server-${i + 1}`, databaseUrl: db.url, logDir }));
    }
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return fleet;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Polls `check` until it returns true (bounded); returns whether it did. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}

/** A small seeded generator (mulberry32), so a failing run's random moments can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
