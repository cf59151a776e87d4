import type { Measurement } from "./measure.ts";
import { missedTargetsMarkdown } from "./missed-targets.ts";

export type Shape = "spread" | "hot";

export interface Cell {
  contender: string;
  shape: Shape;
  subjects: number;
  measurement: Measurement;
}

export interface OvershootResult {
  contender: string;
  limit: number;
  attempts: number;
  concurrency: number;
  admitted: number;
  /** Admissions beyond the limit. */
  overshoot: number;
  /** What the limiter's own storage counts afterwards, where it can be read. */
  stored: number | null;
  measurement: Measurement;
}

export interface Target {
  target: string;
  measured: string;
  pass: boolean;
}

export interface Results {
  command: string;
  date: string;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  contenders: { name: string; description: string }[];
  cells: Cell[];
  overshoot: OvershootResult[];
  targets: Target[];
}

export const WAVELENGTH = "Wavelength QuotaEngine";
export const RLF = "rate-limiter-flexible (Postgres)";

const find = (cells: Cell[], contender: string, shape: Shape, clients: number) =>
  cells.find((c) => c.contender === contender && c.shape === shape && c.measurement.concurrency === clients);

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const ratio = (a: number, b: number) => `${fmt(a / b)}×`;

export function checkTargets(cells: Cell[], overshoot: OvershootResult[]): Target[] {
  const targets: Target[] = [];
  for (const shape of ["spread", "hot"] as const) {
    const wl = find(cells, WAVELENGTH, shape, 16);
    const rlf = find(cells, RLF, shape, 16);
    if (!wl || !rlf) continue;
    const r = wl.measurement.throughput / rlf.measurement.throughput;
    targets.push({
      target: `stacked admission ≥ 1.0× rate-limiter-flexible throughput, 16 clients, ${shape}`,
      measured: `${wl.measurement.throughput} vs ${rlf.measurement.throughput} /s = ${fmt(r)}×`,
      pass: r >= 1.0,
    });
  }
  for (const c of cells.filter((c) => c.contender === WAVELENGTH)) {
    targets.push({
      target: `p99 ≤ 8 ms (Wavelength, ${c.shape}, ${c.measurement.concurrency} client${c.measurement.concurrency > 1 ? "s" : ""})`,
      measured: `${fmt(c.measurement.p99Ms)} ms`,
      pass: c.measurement.p99Ms <= 8,
    });
  }
  const o = overshoot.find((x) => x.contender === WAVELENGTH);
  if (o) {
    targets.push({
      target: `zero overshoot (Wavelength, limit ${o.limit}, ${o.attempts} attempts at ${o.concurrency} clients)`,
      measured: `admitted ${o.admitted}, overshoot ${o.overshoot}, stored ${o.stored ?? "?"}`,
      pass: o.overshoot === 0 && o.admitted === o.limit && o.stored === o.limit && o.measurement.errors === 0,
    });
  }
  const hot = find(cells, WAVELENGTH, "hot", 16);
  if (hot) {
    targets.push({
      target: "≥ 1,000 admissions/s on one hot subject (Wavelength, 16 clients)",
      measured: `${hot.measurement.throughput} /s`,
      pass: hot.measurement.throughput >= 1000,
    });
  }
  const errors = cells.filter((c) => c.measurement.errors > 0 || c.measurement.denied > 0);
  targets.push({
    target: "no errors and no denials in the throughput cells (limits set far above the run)",
    measured:
      errors.length === 0
        ? "none"
        : errors
            .map(
              (c) =>
                `${c.contender}/${c.shape}/${c.measurement.concurrency}: ${c.measurement.errors} errors, ${c.measurement.denied} denied (${c.measurement.firstError ?? ""})`,
            )
            .join("; "),
    pass: errors.length === 0,
  });
  return targets;
}

export function markdown(r: Results): string {
  const lines: string[] = [];
  lines.push(`# Admission benchmark`, "");
  lines.push(`Reproduce: \`${r.command}\``, "");
  lines.push(
    `${r.date} · Node ${r.machine.node} · ${r.machine.cpus} × ${r.machine.cpuModel} · PostgreSQL ${r.machine.postgres} · ${r.settings.ops} timed ops per cell after ${r.settings.warmup} warm-up · load average ${r.machine.loadAvg1mAtStart} at start, ${r.machine.loadAvg1mAtEnd} at end (1-minute; anything else running on the machine skews the numbers)`,
    "",
  );
  lines.push(admissionSections(r, "##"));
  return lines.join("\n");
}

/** The admission tables (throughput, overshoot, targets, limiters) under headings of level `h`. */
export function admissionSections(r: Results, h: string): string {
  const lines: string[] = [];
  lines.push(`${h} Throughput and latency`, "");
  lines.push(
    "| shape | clients | limiter | admissions/s | p50 ms | p99 ms | vs rate-limiter-flexible | client CPU µs/op |",
  );
  lines.push("|---|---:|---|---:|---:|---:|---:|---:|");
  for (const c of r.cells) {
    const m = c.measurement;
    const base = find(r.cells, RLF, c.shape, m.concurrency);
    const shape = c.shape === "spread" ? `${c.subjects} subjects` : "1 hot subject";
    const vs = base ? ratio(m.throughput, base.measurement.throughput) : "";
    lines.push(
      `| ${shape} | ${m.concurrency} | ${c.contender} | ${m.throughput} | ${fmt(m.p50Ms)} | ${fmt(m.p99Ms)} | ${vs} | ${m.clientCpuUsPerOp} |`,
    );
  }
  lines.push("", `${h} Overshoot (one subject, concurrent attempts against a request limit)`, "");
  lines.push("| limiter | limit | attempts | clients | admitted | overshoot | counted in store |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const o of r.overshoot) {
    lines.push(
      `| ${o.contender} | ${o.limit} | ${o.attempts} | ${o.concurrency} | ${o.admitted} | **${o.overshoot}** | ${o.stored ?? "–"} |`,
    );
  }
  lines.push("", `${h} Targets`, "");
  lines.push("| target | measured | result |");
  lines.push("|---|---|---|");
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.pass ? "PASS" : "**MISS**"} |`);
  lines.push("", `${h} What each limiter does per admission`, "");
  for (const c of r.contenders) lines.push(`- **${c.name}**: ${c.description}`);
  lines.push("");
  return lines.join("\n");
}

/** Machine and run facts shared by the JSON files and REPORT.md. */
export interface RunInfo {
  command: string;
  date: string;
  machine: Record<string, string | number>;
  /** 1-minute load average at the start of each part and at the end. */
  load: Record<string, number>;
}

/** A section of REPORT.md after the admission part: its table and its lines for the summary. */
export interface ReportPart {
  title: string;
  markdown: string;
  summary: string[];
}

/** REPORT.md: the machine, a summary of every target and figure, the missed targets with reasons, then each part. */
export function combinedMarkdown(
  info: RunInfo,
  admission: { results: Results; fromEarlierRun: boolean },
  parts: ReportPart[],
): string {
  const m = info.machine;
  const a = admission.results;
  const lines: string[] = [];
  lines.push("# Wavelength benchmark report", "");
  lines.push(`Reproduce: \`${info.command}\` (PostgreSQL at 127.0.0.1:5432; see bench/README.md)`, "");
  lines.push(
    `${info.date} · Node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.memoryGiB} GiB · ${m.platform} · PostgreSQL ${m.postgres}`,
    "",
  );
  const loads = Object.entries(info.load).map(([when, v]) => `${v} ${when}`);
  lines.push(
    `Load average (1-minute): ${loads.join(", ")}. The benchmark, Node and PostgreSQL share the machine's cores; anything else running skews the numbers.`,
    "",
  );
  const summary = [
    ...a.targets.map((t) => `${t.pass ? "PASS" : "**MISS**"} ${t.target}: ${t.measured}`),
    ...parts.flatMap((p) => p.summary),
  ];
  lines.push("## Summary", "");
  for (const s of summary) lines.push(`- ${s}`);
  lines.push("");
  lines.push(missedTargetsMarkdown(summary));
  lines.push("## 1. Admission: `QuotaEngine.admit()` alone, against two other limiters", "");
  if (admission.fromEarlierRun)
    lines.push(
      `_Not measured in this run (BENCH_PARTS): the numbers of the run of ${a.date} from results/admission.json, load ${a.machine.loadAvg1mAtStart} → ${a.machine.loadAvg1mAtEnd}._`,
      "",
    );
  lines.push(
    `${a.settings.ops} timed operations per cell after ${a.settings.warmup} warm-up, pools of ${a.settings.pool} connections. Also in results/admission.{json,md}.`,
    "",
  );
  lines.push(admissionSections(a, "###"));
  for (const [i, p] of parts.entries()) lines.push(`## ${i + 2}. ${p.title}`, "", p.markdown);
  lines.push("## Files", "");
  lines.push("- `bench/results/admission.json`, `bench/results/admission.md`: the admission part, every number.");
  lines.push("- `bench/results/chat-e2e.json`: the in-process chat part (latency, phases, settings).");
  lines.push("- `bench/results/admission-pglite.json`: admission on PGlite.");
  lines.push("- `bench/results/chat-http.json`: the chat over HTTP (autocannon, 1 and 3 instances).");
  lines.push(
    "- `bench/results/openai-compat.json`: the OpenAI-compatible endpoint against a fake provider (1 and 32 streams).",
  );
  lines.push("- `bench/results/analytics.json`: analytics latency on PostgreSQL and PGlite.");
  lines.push("");
  return lines.join("\n");
}
