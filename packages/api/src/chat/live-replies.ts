import type { SqlClient } from "@wavelength/db";
import type { Clock, Logger } from "../metering/index.ts";
import { UTC_PARAM } from "./chat-deps.ts";
import { appendDeltas, type PendingDelta } from "./reply-log.ts";

/** Why a reply was stopped before its provider finished. */
export type StopCause = "user" | "timeout" | "taken-over" | "shutdown";

/** A reply streaming on this instance: its whole text so far lives here, in memory. */
export class LiveReply {
  /** The reply so far; V8 appends to a string without copying it. */
  text = "";
  /** How much of `text` is durable in reply_deltas. */
  flushedTo = 0;
  /** Stream events seen: the idle check compares it between ticks instead of timing every chunk. */
  events = 0;
  stopCause: StopCause | null = null;
  readonly controller = new AbortController();

  constructor(
    readonly taskId: string,
    /** Re-read on every heartbeat: a guest's task moves to the account they sign up for. */
    public subject: string,
    readonly meta: { provider: string; model: string; conversationId: string; messageId: string },
  ) {}

  append(delta: string): void {
    this.text += delta;
    this.events++;
  }

  stop(cause: StopCause): void {
    if (this.stopCause !== null) return;
    this.stopCause = cause;
    this.controller.abort();
  }
}

export interface LiveRepliesOptions {
  sql: SqlClient;
  clock: Clock;
  logger: Logger;
  /** How often new text is appended to reply_deltas (one statement for every reply on this instance). */
  flushIntervalMs: number;
  /** How often running tasks prove they are alive and look for a Stop from another instance. */
  heartbeatMs: number;
  /** A provider that sends nothing for this long is given up on (charged what it produced). */
  idleTimeoutMs: number;
}

/**
 * The replies this instance is running. Their text is flushed in batches on a coarse interval
 * and their heartbeats are one statement for all of them: a database cost per instance and
 * second, not per chunk or per reply.
 */
export class LiveReplies {
  private readonly replies = new Map<string, LiveReply>();
  private flushTimer: NodeJS.Timeout | null = null;
  private beatTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** events per reply at the last idle check, and since when unchanged (ms). */
  private readonly quiet = new Map<LiveReply, { events: number; since: number }>();
  private flushFailures = 0;

  constructor(private readonly o: LiveRepliesOptions) {}

  get(taskId: string): LiveReply | undefined {
    return this.replies.get(taskId);
  }

  ids(): string[] {
    return [...this.replies.keys()];
  }

  all(): LiveReply[] {
    return [...this.replies.values()];
  }

  add(reply: LiveReply): void {
    this.replies.set(reply.taskId, reply);
    this.quiet.set(reply, { events: 0, since: Date.now() });
    if (this.flushTimer === null) {
      this.flushTimer = setInterval(() => this.tick(), this.o.flushIntervalMs);
      this.beatTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatMs);
      this.flushTimer.unref();
      this.beatTimer.unref();
    }
  }

  /**
   * Takes a finished reply out: no flush or heartbeat includes it afterwards, and a flush already
   * in flight has landed when this resolves (the finish then deletes every piece of it).
   */
  async remove(reply: LiveReply): Promise<void> {
    if (this.replies.get(reply.taskId) === reply) this.replies.delete(reply.taskId);
    this.quiet.delete(reply);
    if (this.replies.size === 0 && this.flushTimer !== null) {
      clearInterval(this.flushTimer);
      clearInterval(this.beatTimer!);
      this.flushTimer = this.beatTimer = null;
    }
    await this.flushing;
  }

  private tick(): void {
    const now = Date.now();
    for (const [reply, seen] of this.quiet) {
      if (reply.events !== seen.events) {
        seen.events = reply.events;
        seen.since = now;
      } else if (now - seen.since >= this.o.idleTimeoutMs) {
        reply.stop("timeout");
      }
    }
    // One flush at a time: a slow database skips ticks rather than piling statements up.
    if (this.flushing === null) this.flushing = this.flush().finally(() => (this.flushing = null));
  }

  /** Appends every reply's unflushed text; on failure it stays in memory for the next tick. */
  async flush(): Promise<void> {
    const batch: { reply: LiveReply; delta: PendingDelta }[] = [];
    for (const reply of this.replies.values()) {
      if (reply.text.length > reply.flushedTo) {
        batch.push({
          reply,
          delta: { taskId: reply.taskId, startAt: reply.flushedTo, text: reply.text.slice(reply.flushedTo) },
        });
      }
    }
    if (batch.length === 0) return;
    try {
      await appendDeltas(
        this.o.sql,
        batch.map((b) => b.delta),
      );
      for (const { reply, delta } of batch) reply.flushedTo = delta.startAt + delta.text.length;
      this.flushFailures = 0;
    } catch (error) {
      // The database is briefly away: the replies go on in memory and the next tick retries.
      if (this.flushFailures++ === 0) this.o.logger.warn({ err: (error as Error).message }, "reply flush failed");
    }
  }

  /**
   * One UPDATE for every running reply here. A row not returned is a task that is no longer
   * ours (recovery took it while this instance looked dead): its runner stops.
   */
  private async heartbeat(): Promise<void> {
    const replies = [...this.replies.values()];
    if (replies.length === 0) return;
    const now = this.o.clock.now().toISOString();
    let rows: { id: string; subject: string; cancel: boolean }[];
    try {
      rows = await this.o.sql.query(
        `UPDATE tasks SET heartbeat_at = $2${UTC_PARAM}
         WHERE id = ANY($1::text[]) AND status = 'running'
           AND (heartbeat_at IS NULL OR heartbeat_at <= $2${UTC_PARAM})
         RETURNING id, subject, cancel_requested_at IS NOT NULL AS cancel`,
        [replies.map((r) => r.taskId), now],
      );
    } catch {
      return; // the database is away; the next beat tries again
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const reply of replies) {
      if (this.replies.get(reply.taskId) !== reply) continue; // finishing meanwhile
      const row = byId.get(reply.taskId);
      if (!row) reply.stop("taken-over");
      else {
        reply.subject = row.subject;
        if (row.cancel) reply.stop("user");
      }
    }
  }
}
