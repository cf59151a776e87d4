// Admission on embedded PGlite, the database `npm start` runs on: Wavelength's QuotaEngine against
// the naive check-then-insert on the same engine. rate-limiter-flexible has no PGlite driver (it
// needs a PostgreSQL server over the wire), so the ratio here is against the naive limiter.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "../../packages/db/src/index.ts";
import type { Contender } from "./contender.ts";
import { measure, type Measurement } from "./measure.ts";
import type { OvershootResult } from "./report.ts";
import { naive } from "./naive.ts";
import { migrate } from "./setup.ts";
import { wavelength } from "./wavelength.ts";

export interface PgliteAdmissionOptions {
  ops: number;
  warmup: number;
  clients: readonly number[];
  spreadSubjects: number;
  limit: number;
  attempts: number;
  log: (msg: string) => void;
}

export interface PgliteCell {
  contender: string;
  shape: "spread" | "hot";
  measurement: Measurement;
}

export interface PgliteAdmissionResults {
  options: Omit<PgliteAdmissionOptions, "log">;
  cells: PgliteCell[];
  overshoot: OvershootResult[];
}

/** PGlite runs one statement at a time; the clients still overlap their JavaScript and driver work. */
const POOL = 16;

export async function pgliteAdmission(o: PgliteAdmissionOptions): Promise<PgliteAdmissionResults> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wl-bench-admit-"));
  const url = `pglite://${dir}`;
  o.log("PGlite: applying migrations…");
  migrate(url);
  // One process may open a PGlite folder once: both contenders share the product's client.
  const db = await createDb(url);
  const contenders: Contender[] = [await wavelength(url, POOL, db), await naive(url, POOL, db)];
  try {
    const spread = Array.from({ length: o.spreadSubjects }, (_, i) => `user:pglite-spread-${i}`);
    const hot = "user:pglite-hot";
    const admits = await Promise.all(contenders.map((c) => c.unlimited([...spread, hot])));
    const cells: PgliteCell[] = [];
    for (const shape of ["spread", "hot"] as const) {
      for (const concurrency of o.clients) {
        for (const [i, c] of contenders.entries()) {
          const admit = admits[i]!;
          const m = await measure(
            (seq) => admit(shape === "hot" ? hot : spread[seq % o.spreadSubjects]!, 10_000_000 + seq),
            { concurrency, warmup: o.warmup, count: o.ops },
          );
          cells.push({ contender: c.name, shape, measurement: m });
          o.log(
            `PGlite ${shape.padEnd(6)} ${String(concurrency).padStart(2)} clients  ${c.name.padEnd(26)} ${String(m.throughput).padStart(6)}/s  p50 ${m.p50Ms.toFixed(2)}  p99 ${m.p99Ms.toFixed(2)} ms${m.errors ? `  ${m.errors} errors: ${m.firstError}` : ""}`,
          );
        }
      }
    }
    const overshoot: OvershootResult[] = [];
    for (const c of contenders) {
      const subject = `user:pglite-limited-${c.name.length}`;
      const admit = await c.limited(subject, o.limit);
      const m = await measure((seq) => admit(subject, 20_000_000 + seq), {
        concurrency: POOL,
        warmup: 0,
        count: o.attempts,
      });
      overshoot.push({
        contender: c.name,
        limit: o.limit,
        attempts: o.attempts,
        concurrency: POOL,
        admitted: m.admitted,
        overshoot: Math.max(0, m.admitted - o.limit),
        stored: c.counted ? await c.counted(subject) : null,
        measurement: m,
      });
      o.log(`PGlite overshoot ${c.name}: admitted ${m.admitted} of ${o.attempts} against limit ${o.limit}`);
    }
    const { log: _log, ...options } = o;
    return { options, cells, overshoot };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toFixed(2);

export function pgliteAdmissionMarkdown(r: PgliteAdmissionResults): { markdown: string; summary: string[] } {
  const NAIVE = "naive check-then-insert";
  const lines: string[] = [];
  lines.push(
    `${r.options.ops} timed operations per cell after ${r.options.warmup} warm-up, on a fresh PGlite folder (the embedded engine runs one statement at a time; the clients overlap only their JavaScript). rate-limiter-flexible has no PGlite driver, so ratios are against the naive limiter on the same engine.`,
    "",
    "| shape | clients | limiter | admissions/s | p50 ms | p99 ms | vs naive |",
    "| ----- | ------: | ------- | -----------: | -----: | -----: | -------: |",
  );
  for (const c of r.cells) {
    const m = c.measurement;
    const base = r.cells.find(
      (b) => b.contender === NAIVE && b.shape === c.shape && b.measurement.concurrency === m.concurrency,
    );
    const vs = base ? `${(m.throughput / base.measurement.throughput).toFixed(2)}×` : "";
    const shape = c.shape === "spread" ? `${r.options.spreadSubjects} subjects` : "1 hot subject";
    lines.push(
      `| ${shape} | ${m.concurrency} | ${c.contender} | ${m.throughput} | ${fmt(m.p50Ms)} | ${fmt(m.p99Ms)} | ${vs} |`,
    );
  }
  lines.push(
    "",
    "| limiter | limit | attempts | clients | admitted | overshoot | counted in store |",
    "| ------- | ----: | -------: | ------: | -------: | --------: | ---------------: |",
  );
  for (const o of r.overshoot)
    lines.push(
      `| ${o.contender} | ${o.limit} | ${o.attempts} | ${o.concurrency} | ${o.admitted} | **${o.overshoot}** | ${o.stored ?? "–"} |`,
    );
  lines.push("");
  const wl = r.overshoot.find((o) => o.contender !== NAIVE);
  const summary: string[] = [];
  if (wl)
    summary.push(
      `${wl.overshoot === 0 ? "PASS" : "**MISS**"} zero overshoot on PGlite (Wavelength, limit ${wl.limit}, ${wl.attempts} attempts at ${wl.concurrency} clients): admitted ${wl.admitted}, overshoot ${wl.overshoot}`,
    );
  for (const c of r.cells.filter((x) => x.contender !== NAIVE)) {
    const m = c.measurement;
    const clients = `${m.concurrency} client${m.concurrency > 1 ? "s" : ""}`;
    summary.push(
      `${m.p99Ms <= 8 ? "PASS" : "**MISS**"} p99 ≤ 8 ms on PGlite (Wavelength, ${c.shape}, ${clients}): ${fmt(m.p99Ms)} ms`,
    );
  }
  return { markdown: lines.join("\n"), summary };
}
