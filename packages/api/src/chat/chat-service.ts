import {
  AppError,
  isModelAllowed,
  type ChatMessagesInput,
  type SendMessageInput,
  type TierName,
} from "@wavelength/shared";
import type { Db, SqlClient } from "@wavelength/db";
import type { Clock, Logger, QuotaEngine, SubjectRef } from "../metering/index.ts";
import type { ModelInfo, ProviderRegistry } from "../providers/index.ts";
import type { PriceBook } from "../pricing/index.ts";
import { sqlThroughPrisma, type ChatDeps } from "./chat-deps.ts";
import { Conversations } from "./conversations.ts";
import { LiveReplies, LiveReply } from "./live-replies.ts";
import { readTask } from "./read-task.ts";
import { recoverOrphans } from "./recover-orphans.ts";
import { runReply, type RunSpec } from "./run-reply.ts";
import { sendMessage, type SendResult } from "./send-message.ts";

export interface ChatServiceOptions {
  db: Db;
  /** Plain SQL on the same database (the per-poll and per-flush paths); Prisma's raw queries otherwise. */
  sql?: SqlClient;
  engine: QuotaEngine;
  registry: ProviderRegistry;
  prices: PriceBook;
  clock: Clock;
  logger: Logger;
  /** How often a running reply's new text is appended to the durable log (all replies in one statement). */
  flushIntervalMs?: number;
  /** How often running tasks prove they are alive and look for a Stop from another instance. */
  heartbeatMs?: number;
  /** A running task whose heartbeat is older than this lost its runner (crash, kill -9). */
  staleAfterMs?: number;
  /** A provider that sends nothing for this long is given up on; what it produced is charged. */
  idleTimeoutMs?: number;
  /** Called with the time spent in quota admission and settlement (benchmarks, metrics). */
  onTiming?: (phase: "admit" | "settle", ms: number) => void;
}

export type { SendResult };

/**
 * The message-send flow, put together: admission and the task's creation (send-message), the
 * reply streaming in the background into memory with durable deltas (run-reply, live-replies),
 * settling exactly once (settle-reply), recovery of replies whose runner died (recover-orphans),
 * reading a reply after a cursor from any instance (read-task), and conversations.
 */
export class ChatService {
  private readonly deps: ChatDeps;
  private readonly live: LiveReplies;
  private readonly conversationStore: Conversations;
  /** Runs of this instance until settled (streaming, then finishing). */
  private readonly inflight = new Map<string, Promise<void>>();
  readonly staleAfterMs: number;
  readonly idleTimeoutMs: number;

  constructor(o: ChatServiceOptions) {
    const onTiming = o.onTiming;
    this.deps = {
      db: o.db,
      sql: o.sql ?? sqlThroughPrisma(o.db),
      engine: o.engine,
      registry: o.registry,
      prices: o.prices,
      clock: o.clock,
      logger: o.logger,
      timed: onTiming
        ? async (phase, fn) => {
            const t0 = performance.now();
            try {
              return await fn();
            } finally {
              onTiming(phase, performance.now() - t0);
            }
          }
        : (_phase, fn) => fn(),
    };
    this.staleAfterMs = o.staleAfterMs ?? 15_000;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 60_000;
    this.live = new LiveReplies({
      sql: this.deps.sql,
      clock: o.clock,
      logger: o.logger,
      flushIntervalMs: o.flushIntervalMs ?? 1_000,
      heartbeatMs: o.heartbeatMs ?? 2_000,
      idleTimeoutMs: this.idleTimeoutMs,
    });
    this.conversationStore = new Conversations(o.db);
  }

  models(tier: TierName): (ModelInfo & { allowed: boolean })[] {
    return this.deps.registry.models().map((m) => ({ ...m, allowed: isModelAllowed(tier, m.provider, m.model) }));
  }

  async send(subject: SubjectRef, also: SubjectRef[], input: SendMessageInput): Promise<SendResult> {
    const { result, run } = await sendMessage(this.deps, subject, also, input);
    if (run) this.start(run, subject.key, result);
    return result;
  }

  private start(spec: RunSpec, subjectKey: string, sent: SendResult): void {
    const reply = new LiveReply(spec.taskId, subjectKey, {
      provider: spec.provider,
      model: spec.model,
      conversationId: sent.conversationId,
      messageId: sent.messageId,
    });
    this.live.add(reply);
    const run = runReply(this.deps, this.live, spec, reply, this.idleTimeoutMs)
      .catch((error: unknown) => {
        this.deps.logger.error({ taskId: spec.taskId, err: (error as Error).message }, "chat task failed to finish");
      })
      .finally(() => this.inflight.delete(spec.taskId));
    this.inflight.set(spec.taskId, run);
  }

  /** The task's state and its text after `cursor` (0: all of it), from any instance. */
  task(subjectKey: string, taskId: string, cursor = 0) {
    return readTask(this.deps, this.live, subjectKey, taskId, cursor);
  }

  /** Stops a running reply; its partial output is charged. Works from any instance. */
  async cancel(subjectKey: string, taskId: string) {
    const { db, clock } = this.deps;
    const r = await db.task.updateMany({
      where: { id: taskId, subject: subjectKey, status: { in: ["queued", "running"] } },
      data: { cancelRequestedAt: clock.now() },
    });
    if (r.count === 0) {
      const exists = await db.task.findFirst({ where: { id: taskId, subject: subjectKey }, select: { status: true } });
      if (!exists) throw new AppError("NOT_FOUND", "No such task.");
      return { taskId, status: exists.status };
    }
    // Here at once; on another instance at its next heartbeat.
    this.live.get(taskId)?.stop("user");
    return { taskId, status: "cancelling" as const };
  }

  /** Tasks whose runner died or froze: settled from what they had flushed (see recover-orphans). */
  recoverOrphans(): Promise<number> {
    return recoverOrphans(this.deps, this.staleAfterMs, [...this.inflight.keys()]);
  }

  /** Writes every running reply's new text now (tests; graceful shutdown flushes on its own). */
  flush(): Promise<void> {
    return this.live.flush();
  }

  /** Resolves when this instance's run of the task has settled it (at once if it runs elsewhere or ended). */
  async whenSettled(taskId: string): Promise<void> {
    await this.inflight.get(taskId);
  }

  /** Waits for every task this instance runs (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  /** Stops every local task: their partial output is charged on the way out. */
  async abortAll(): Promise<void> {
    for (const reply of this.live.all()) reply.stop("shutdown");
    await this.drain();
  }

  conversations(subjectKey: string) {
    return this.conversationStore.list(subjectKey);
  }

  messages(subjectKey: string, input: ChatMessagesInput) {
    return this.conversationStore.messages(subjectKey, input);
  }

  runningReply(subjectKey: string, conversationId: string) {
    return this.conversationStore.runningReply(subjectKey, conversationId);
  }

  rename(subjectKey: string, conversationId: string, title: string) {
    return this.conversationStore.rename(subjectKey, conversationId, title);
  }

  /**
   * Replies running in it are stopped first and charged what they produced; they finish without
   * a message to save, since their conversation is gone.
   */
  async remove(subjectKey: string, conversationId: string) {
    await this.conversationStore.ownedOrNotFound(subjectKey, conversationId);
    for (const taskId of await this.conversationStore.runningTaskIds(conversationId)) {
      await this.cancel(subjectKey, taskId);
    }
    return this.conversationStore.delete(subjectKey, conversationId);
  }
}

export type { ModelInfo };
