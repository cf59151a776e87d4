import type { Db, Prisma } from "@wavelength/db";
import type { Clock } from "./clock.ts";
import type { QueuedUsage, UsageQueue } from "./engine.ts";
import { silentLogger, type Logger } from "./logger.ts";

export const OUTBOX_MAX_ATTEMPTS = 5;
const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;
/** A claimed job whose worker died is claimable again after this. */
const CLAIM_LEASE_MS = 60_000;
/** What the process keeps in memory while even the outbox table is unreachable. */
const MAX_BUFFERED = 50_000;

interface JobRow {
  id: string;
  subject: string;
  kind: string;
  payload: QueuedUsagePayload;
  attempts: number;
}

type QueuedUsagePayload = Omit<QueuedUsage, "occurredAt"> & { occurredAt: string };

export interface OutboxStatus {
  pending: number;
  failed: number;
  oldestPendingAt: Date | null;
  lastCompletedAt: Date | null;
}

/** Exponential backoff for attempt n (1-based): 2 s, 4 s, 8 s, … capped at 5 min. */
export function backoffMs(attempt: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
}

/**
 * The durable outbox (sync_jobs): usage that could not be applied in-line is
 * written here and applied by the worker, up to 5 attempts with exponential
 * backoff; then the job is dead and reported by status. If the table itself
 * is unreachable (database down), items wait in memory and are written on
 * recovery: they survive an outage, not a crash of this process during one.
 */
export class SyncOutbox implements UsageQueue {
  private readonly buffer: QueuedUsage[] = [];
  dropped = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger = silentLogger,
  ) {}

  get buffered(): number {
    return this.buffer.length;
  }

  async enqueue(job: QueuedUsage): Promise<void> {
    try {
      await this.insert(job);
    } catch (error) {
      if (this.buffer.length >= MAX_BUFFERED) {
        this.dropped++;
        this.log.error({ subject: job.subject }, "usage buffer full: dropping queued usage");
        return;
      }
      this.buffer.push(job);
      this.log.warn(
        { err: (error as Error).message, buffered: this.buffer.length },
        "outbox unreachable: buffering usage in memory",
      );
    }
  }

  private async insert(job: QueuedUsage): Promise<void> {
    await this.db.syncJob.create({
      data: {
        subject: job.subject,
        kind: job.kind,
        // Interfaces lack the index signature Prisma wants for JSON; the value is plain JSON.
        payload: { ...job, occurredAt: job.occurredAt.toISOString() } as unknown as Prisma.InputJsonObject,
        nextAttemptAt: this.clock.now(),
      },
    });
  }

  /** Writes buffered items into the table; stops at the first failure. */
  async flushBuffer(): Promise<number> {
    let n = 0;
    while (this.buffer.length > 0) {
      await this.insert(this.buffer[0]!);
      this.buffer.shift();
      n++;
    }
    return n;
  }

  /** Claims due jobs for this worker; other instances skip them (SKIP LOCKED). */
  async claim(limit: number): Promise<(QueuedUsage & { jobId: string; attempts: number })[]> {
    const now = this.clock.now();
    const rows = await this.db.$queryRawUnsafe<JobRow[]>(
      `UPDATE sync_jobs j SET status = 'running', attempts = j.attempts + 1,
         locked_until = $2::timestamptz AT TIME ZONE 'UTC'
       WHERE j.id IN (
         SELECT id FROM sync_jobs
         WHERE (status = 'pending' AND next_attempt_at <= $1::timestamptz AT TIME ZONE 'UTC')
            OR (status = 'running' AND locked_until <= $1::timestamptz AT TIME ZONE 'UTC')
         ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING j.id, j.subject, j.kind, j.payload, j.attempts`,
      now.toISOString(),
      new Date(now.getTime() + CLAIM_LEASE_MS).toISOString(),
      limit,
    );
    return rows.map((r) => ({
      ...r.payload,
      occurredAt: new Date(r.payload.occurredAt),
      jobId: r.id,
      attempts: r.attempts,
    }));
  }

  async complete(jobId: string): Promise<void> {
    await this.db.syncJob.update({
      where: { id: jobId },
      data: { status: "completed", completedAt: this.clock.now(), lockedUntil: null },
    });
  }

  async fail(jobId: string, attempts: number, error: unknown): Promise<void> {
    const dead = attempts >= OUTBOX_MAX_ATTEMPTS;
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
    await this.db.syncJob.update({
      where: { id: jobId },
      data: {
        status: dead ? "dead" : "pending",
        lastError: message,
        lockedUntil: null,
        nextAttemptAt: new Date(this.clock.now().getTime() + backoffMs(attempts)),
      },
    });
    this.log[dead ? "error" : "warn"](
      { jobId, attempts, err: message },
      dead ? "outbox job dead" : "outbox job failed; will retry",
    );
  }

  /** Deletes completed jobs older than the retention period. */
  async cleanup(retentionMs: number): Promise<number> {
    const before = new Date(this.clock.now().getTime() - retentionMs);
    const r = await this.db.syncJob.deleteMany({ where: { status: "completed", completedAt: { lt: before } } });
    return r.count;
  }

  async statusFor(subject: string | null): Promise<OutboxStatus> {
    const where = subject === null ? {} : { subject };
    const [pending, failed, oldest, last] = await Promise.all([
      this.db.syncJob.count({ where: { ...where, status: { in: ["pending", "running"] } } }),
      this.db.syncJob.count({ where: { ...where, status: "dead" } }),
      this.db.syncJob.findFirst({
        where: { ...where, status: { in: ["pending", "running"] } },
        orderBy: { createdAt: "asc" },
        select: { createdAt: true },
      }),
      this.db.syncJob.findFirst({
        where: { ...where, status: "completed" },
        orderBy: { completedAt: "desc" },
        select: { completedAt: true },
      }),
    ]);
    return { pending, failed, oldestPendingAt: oldest?.createdAt ?? null, lastCompletedAt: last?.completedAt ?? null };
  }
}
