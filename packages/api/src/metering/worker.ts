import type { Clock } from "./clock.ts";
import type { QuotaEngine } from "./engine.ts";
import { silentLogger, type Logger } from "./logger.ts";
import type { SyncOutbox } from "./outbox.ts";

export interface WorkerOptions {
  intervalMs?: number;
  /** Completed outbox jobs are kept this long for inspection. */
  retentionMs?: number;
  batchSize?: number;
  /**
   * Hourly, beside the outbox clean-up: deletes anonymous visitors that never came to use
   * anything (see accounts/anonymous-sessions.ts); returns how many went.
   */
  sweepUnusedVisitors?: (now: Date) => Promise<number>;
}

export interface TickReport {
  flushed: number;
  expired: number;
  reset: number;
  applied: number;
  failed: number;
  cleaned: number;
  sweptVisitors: number;
}

/**
 * Background upkeep of the quota engine, safe to run in every instance: each
 * step claims its rows with FOR UPDATE SKIP LOCKED, so instances share the
 * work without doing it twice. Each step is isolated: one failing (database
 * down) does not stop the others or the process.
 */
export class MeteringWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickReport> | null = null;
  private lastCleanup = 0;
  /** When each sweep last completed (for the operators' health view). */
  readonly lastRuns: { expire: Date | null; reset: Date | null; outbox: Date | null } = {
    expire: null,
    reset: null,
    outbox: null,
  };
  private readonly intervalMs: number;
  private readonly retentionMs: number;
  private readonly batchSize: number;
  private readonly sweepUnusedVisitors: WorkerOptions["sweepUnusedVisitors"];

  constructor(
    private readonly engine: QuotaEngine,
    private readonly outbox: SyncOutbox,
    private readonly clock: Clock,
    private readonly log: Logger = silentLogger,
    options: WorkerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.batchSize = options.batchSize ?? 100;
    this.sweepUnusedVisitors = options.sweepUnusedVisitors;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass of every step; overlapping calls share the pass under way. */
  tick(): Promise<TickReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async step<T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.log.warn({ step: name, err: (error as Error).message }, "metering worker step failed");
      return fallback;
    }
  }

  private async pass(): Promise<TickReport> {
    const report: TickReport = {
      flushed: 0,
      expired: 0,
      reset: 0,
      applied: 0,
      failed: 0,
      cleaned: 0,
      sweptVisitors: 0,
    };
    report.flushed = await this.step("flush", 0, () => this.outbox.flushBuffer());
    report.expired = await this.step("expire", 0, async () => {
      const n = await this.engine.expireReservations(this.batchSize * 5);
      this.lastRuns.expire = this.clock.now();
      return n;
    });
    report.reset = await this.step("reset", 0, async () => {
      const n = await this.engine.resetExpired();
      this.lastRuns.reset = this.clock.now();
      return n;
    });
    const jobs = await this.step("claim", [], async () => {
      const claimed = await this.outbox.claim(this.batchSize);
      this.lastRuns.outbox = this.clock.now();
      return claimed;
    });
    for (const job of jobs) {
      try {
        await this.engine.applyQueued(job);
        await this.outbox.complete(job.jobId);
        report.applied++;
      } catch (error) {
        report.failed++;
        await this.step("fail", undefined, () => this.outbox.fail(job.jobId, job.attempts, error));
      }
    }
    const now = this.clock.now().getTime();
    if (now - this.lastCleanup > 3_600_000) {
      report.cleaned = await this.step("cleanup", 0, () => this.outbox.cleanup(this.retentionMs));
      const sweep = this.sweepUnusedVisitors;
      if (sweep) report.sweptVisitors = await this.step("visitors", 0, () => sweep(this.clock.now()));
      this.lastCleanup = now;
    }
    return report;
  }
}
