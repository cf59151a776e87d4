import { performance } from "node:perf_hooks";

/** One operation under test: resolves true when admitted, false when denied. */
export type Operation = (seq: number) => Promise<boolean>;

export interface RunOptions {
  /** Async workers issuing operations back to back (the "clients"). */
  concurrency: number;
  /** Operations run first and thrown away (connections, plans, caches). */
  warmup: number;
  /** Operations measured. */
  count: number;
}

export interface Measurement {
  concurrency: number;
  ops: number;
  admitted: number;
  denied: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** Operations per second of wall time, all workers together. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU time of this Node process per operation (client-side cost: driver, ORM, JSON). */
  clientCpuUsPerOp: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** `concurrency` workers pull sequence numbers from a shared counter until `count` have run. */
async function drive(op: Operation, concurrency: number, count: number, firstSeq: number) {
  const latencies = new Float64Array(count);
  let next = 0;
  let admitted = 0;
  let errors = 0;
  let firstError: string | null = null;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      try {
        if (await op(firstSeq + i)) admitted++;
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latencies[i] = performance.now() - t0;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { latencies, admitted, errors, firstError, seconds, cpuUs: cpu.user + cpu.system };
}

let seqBase = 0;

/** Warm-up, then `count` timed operations; sequence numbers are unique across the whole run. */
export async function measure(op: Operation, options: RunOptions): Promise<Measurement> {
  if (options.warmup > 0) await drive(op, options.concurrency, options.warmup, seqBase);
  seqBase += options.warmup;
  const r = await drive(op, options.concurrency, options.count, seqBase);
  seqBase += options.count;
  const sorted = Array.from(r.latencies).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    concurrency: options.concurrency,
    ops: options.count,
    admitted: r.admitted,
    denied: options.count - r.admitted - r.errors,
    errors: r.errors,
    firstError: r.firstError,
    seconds: round(r.seconds),
    throughput: Math.round(options.count / r.seconds),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
    clientCpuUsPerOp: Math.round(r.cpuUs / options.count),
  };
}
