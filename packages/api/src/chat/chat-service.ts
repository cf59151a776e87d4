import { createHash, randomUUID } from "node:crypto";
import {
  AppError,
  describeDenial,
  isModelAllowed,
  type ChatMessagesInput,
  type SendMessageInput,
  type TierName,
} from "@wavelength/shared";
import { isDatabaseUnavailable, type Db } from "@wavelength/db";
import type { Clock, Logger, QuotaEngine, SubjectRef } from "../metering/index.ts";
import {
  countTextTokens,
  type ChatMessage,
  type ModelInfo,
  type ProviderRegistry,
  type ProviderUsage,
} from "../providers/index.ts";
import { costMicros, estimateCostMicros, type Price, type PriceBook } from "../pricing/index.ts";
import { fitContext } from "./context-window.ts";
import { fitToBudget, MIN_USEFUL_OUTPUT_TOKENS, type Trim } from "./gentle-limits.ts";
import { subjectFromKey } from "./subject-lookup.ts";

export interface ChatServiceOptions {
  db: Db;
  engine: QuotaEngine;
  registry: ProviderRegistry;
  prices: PriceBook;
  clock: Clock;
  logger: Logger;
  /** How often growing text is written for pollers. */
  flushIntervalMs?: number;
  /** How often a running task proves it is alive and looks for a cancel from another instance. */
  heartbeatMs?: number;
  /** A running task whose heartbeat is older than this lost its runner (crash, kill -9). */
  staleAfterMs?: number;
  /** Called with the time spent in quota admission and settlement (benchmarks, metrics). */
  onTiming?: (phase: "admit" | "settle", ms: number) => void;
}

interface RunSpec {
  taskId: string;
  key: string;
  provider: string;
  model: string;
  messages: ChatMessage[];
  promptTokens: number;
  maxOutputTokens: number;
  price: Price;
}

export interface SendResult {
  taskId: string;
  conversationId: string;
  messageId: string;
  /** Set when the reply's length was trimmed to fit what is left of a token or cost budget. */
  trimmed: Trim | null;
}

const keyOf = (taskId: string) => `task:${taskId}`;
const replyIdFor = (taskId: string) => `reply-${taskId}`;

/** How long a runner may take to settle a finished task before recovery may step in. */
const FINISH_LEASE_MS = 30_000;

/** A retried send with the same idempotency key maps to the same task id. */
function taskIdFor(subject: string, idempotencyKey: string): string {
  const h = createHash("sha256").update(`${subject}\n${idempotencyKey}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The message-send flow: admit (authoritative), persist, run the provider
 * call in the background (it outlives the HTTP request), write the growing
 * text for pollers, and settle the real usage exactly once — partial output
 * of a cancel or a mid-stream failure is charged, a failure before any output
 * is released.
 */
export class ChatService {
  private readonly running = new Map<string, AbortController>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly flushIntervalMs: number;
  private readonly heartbeatMs: number;
  readonly staleAfterMs: number;

  constructor(private readonly o: ChatServiceOptions) {
    this.flushIntervalMs = o.flushIntervalMs ?? 150;
    this.heartbeatMs = o.heartbeatMs ?? 2_000;
    this.staleAfterMs = o.staleAfterMs ?? 15_000;
  }

  private async timed<T>(phase: "admit" | "settle", fn: () => Promise<T>): Promise<T> {
    if (!this.o.onTiming) return fn();
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.o.onTiming(phase, performance.now() - t0);
    }
  }

  models(tier: TierName) {
    return this.o.registry.models().map((m) => ({ ...m, allowed: isModelAllowed(tier, m.provider, m.model) }));
  }

  async send(subject: SubjectRef, also: SubjectRef[], input: SendMessageInput): Promise<SendResult> {
    const { db, engine, clock } = this.o;
    const info = this.o.registry.find(input.provider, input.model);
    if (!info) throw new AppError("NOT_FOUND", `No model ${input.provider}/${input.model} is configured.`);
    if (!isModelAllowed(subject.tier, info.provider, info.model)) {
      throw new AppError("MODEL_NOT_ALLOWED", `Your plan cannot use ${info.provider}/${info.model}.`);
    }
    const conversation = input.conversationId
      ? await db.conversation.findFirst({ where: { id: input.conversationId, subject: subject.key } })
      : null;
    if (input.conversationId && !conversation) throw new AppError("NOT_FOUND", "No such conversation.");
    const history = conversation
      ? (
          await db.message.findMany({
            where: { conversationId: conversation.id, role: { in: ["user", "assistant"] } },
            orderBy: { createdAt: "asc" },
            select: { role: true, content: true },
          })
        ).map((m) => ({ role: m.role, content: m.content }))
      : [];

    const wanted = Math.min(input.maxOutputTokens ?? info.maxOutputTokens, info.maxOutputTokens);
    const { messages, promptTokens } = fitContext(
      history,
      { role: "user", content: input.content },
      info.contextWindow,
      wanted,
    );
    if (promptTokens + MIN_USEFUL_OUTPUT_TOKENS > info.contextWindow) {
      throw new AppError("BAD_REQUEST", `The message is too long for ${info.model} (${promptTokens} tokens).`);
    }
    const maxOutputTokens = Math.min(wanted, info.contextWindow - promptTokens);
    const price = await this.o.prices.priceFor(info.provider, info.model, clock.now());
    const taskId = input.idempotencyKey ? taskIdFor(subject.key, input.idempotencyKey) : randomUUID();
    const key = keyOf(taskId);
    const admit = (max: number, quiet: boolean) =>
      this.timed("admit", () =>
        engine.admit({
          quiet,
          subject,
          also,
          provider: info.provider,
          model: info.model,
          estTokens: promptTokens + max,
          estCostMicros: estimateCostMicros(price, promptTokens, max),
          key,
        }),
      );

    let max = maxOutputTokens;
    let trimmed: Trim | null = null;
    // The first try is quiet: a refusal that a trimmed reply avoids is not a blocked request.
    let decision = await admit(max, true);
    if (!decision.allowed) {
      // Gentle limits: a shorter reply that fits beats a refusal.
      const perToken = price.outputPerMillionMicros / 1_000_000;
      trimmed = fitToBudget(decision.denials, promptTokens, estimateCostMicros(price, promptTokens, 0), perToken, max);
      if (trimmed) {
        max = trimmed.maxOutputTokens;
        decision = await admit(max, true);
      }
    }
    if (!decision.allowed) {
      await engine.noteDenied(
        { subject, also, provider: info.provider, model: info.model, estTokens: 0, estCostMicros: 0, key },
        decision.denials,
      );
      const denial = decision.denials[0]!;
      throw new AppError("QUOTA_EXCEEDED", describeDenial(denial, subject.timeZone, clock.now()), {
        quota: decision.denials,
      });
    }
    if (decision.duplicate) {
      const existing = await db.task.findFirst({ where: { id: taskId, subject: subject.key } });
      if (!existing) throw new AppError("CONFLICT", "This message is already being sent.");
      return { taskId, conversationId: existing.conversationId, messageId: existing.messageId ?? "", trimmed: null };
    }

    let created: { conversationId: string; messageId: string };
    try {
      created = await db.$transaction(
        async (tx) => {
          const conv =
            conversation ??
            (await tx.conversation.create({ data: { subject: subject.key, title: titleFrom(input.content) } }));
          const message = await tx.message.create({
            data: {
              conversationId: conv.id,
              role: "user",
              content: input.content,
              provider: info.provider,
              model: info.model,
            },
          });
          await tx.task.create({
            data: {
              id: taskId,
              subject: subject.key,
              conversationId: conv.id,
              messageId: message.id,
              usageEventId: decision.eventId,
              provider: info.provider,
              model: info.model,
              status: "running",
              promptTokens,
              maxOutputTokens: max,
              heartbeatAt: clock.now(),
            },
          });
          await tx.conversation.update({ where: { id: conv.id }, data: { updatedAt: clock.now() } });
          return { conversationId: conv.id, messageId: message.id };
          // Under a burst the pool is busy: wait for a connection rather than fail after Prisma's 2 s.
        },
        { maxWait: 15_000, timeout: 20_000 },
      );
    } catch (error) {
      // Nothing was sent to a provider: give the reservation back.
      await engine.release(subject, key).catch(() => undefined);
      throw error;
    }
    this.start({
      taskId,
      key,
      provider: info.provider,
      model: info.model,
      messages,
      promptTokens,
      maxOutputTokens: max,
      price,
    });
    return { taskId, ...created, trimmed };
  }

  private start(spec: RunSpec): void {
    const controller = new AbortController();
    this.running.set(spec.taskId, controller);
    const run = this.run(spec, controller)
      .catch((error: unknown) => {
        this.o.logger.error({ taskId: spec.taskId, err: (error as Error).message }, "chat task failed to finish");
      })
      .finally(() => {
        this.running.delete(spec.taskId);
        this.inflight.delete(run);
      });
    this.inflight.add(run);
  }

  private async run(spec: RunSpec, controller: AbortController): Promise<void> {
    const { db, clock } = this.o;
    let text = "";
    let usage: ProviderUsage | null = null;
    let failure: unknown = null;
    let flushed = 0;
    // Alive-signal and cross-instance cancel, also while a slow provider sends nothing.
    // A beat never overwrites the finish lease (a heartbeat in the future), even one already in flight.
    const heartbeat = setInterval(() => {
      const now = clock.now();
      void db
        .$queryRawUnsafe<{ cancel: Date | null }[]>(
          `UPDATE tasks SET heartbeat_at = $2::timestamptz AT TIME ZONE 'UTC'
           WHERE id = $1 AND status = 'running'
             AND (heartbeat_at IS NULL OR heartbeat_at < $3::timestamptz AT TIME ZONE 'UTC')
           RETURNING cancel_requested_at AS cancel`,
          spec.taskId,
          now.toISOString(),
          new Date(now.getTime() + 60_000).toISOString(),
        )
        .then((rows) => {
          if (rows[0]?.cancel) controller.abort();
        })
        .catch(() => undefined);
    }, this.heartbeatMs);
    try {
      for await (const event of this.o.registry.stream({
        provider: spec.provider,
        model: spec.model,
        messages: spec.messages,
        maxOutputTokens: spec.maxOutputTokens,
        abortSignal: controller.signal,
      })) {
        if (event.type === "text") {
          text += event.delta;
          const now = clock.now().getTime();
          if (now - flushed >= this.flushIntervalMs) {
            flushed = now;
            // A failed flush (database briefly away) must not end the reply: the text is kept here.
            const t = await db.task
              .update({
                where: { id: spec.taskId },
                data: { partialText: text, heartbeatAt: clock.now() },
                select: { cancelRequestedAt: true },
              })
              .catch(() => null);
            if (t?.cancelRequestedAt) controller.abort();
          }
        } else {
          usage = event.usage;
        }
        if (controller.signal.aborted) break;
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
    } finally {
      clearInterval(heartbeat);
    }
    const outcome = controller.signal.aborted ? "cancelled" : failure ? "failed" : "completed";
    // Claim the finish: a heartbeat pushed into the future keeps recovery off the task while it
    // settles; if recovery already took it (it looked dead), recovery settled it and we stop. While
    // the database is briefly away the reply waits here, in memory, instead of being lost: a
    // recovery that never saw the text would have to release it uncharged.
    await this.whileDatabaseDown(async () => {
      const claimed = await db.task.updateMany({
        where: { id: spec.taskId, status: "running" },
        data: { heartbeatAt: new Date(clock.now().getTime() + FINISH_LEASE_MS) },
      });
      if (claimed.count === 0) return;
      await this.finish(spec, text, usage, outcome, failure);
    });
  }

  /** Retries `fn` while the database cannot be reached (about a minute), then gives up. */
  private async whileDatabaseDown(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || attempt >= 40) throw error;
        await new Promise((r) => setTimeout(r, 1_500));
      }
    }
  }

  /**
   * Records the outcome exactly once. No output and a failure: released, not
   * charged. Otherwise charged: what the provider reported, or a tokenizer
   * count of the prompt and the text streamed (flagged estimated).
   */
  private async finish(
    spec: Pick<RunSpec, "taskId" | "key" | "provider" | "model" | "promptTokens" | "price">,
    text: string,
    reported: ProviderUsage | null,
    outcome: "completed" | "cancelled" | "failed",
    failure: unknown,
  ): Promise<void> {
    const { db, engine } = this.o;
    const task = await db.task.findUnique({
      where: { id: spec.taskId },
      select: { subject: true, conversationId: true },
    });
    if (!task) return;
    const subject = await subjectFromKey(db, task.subject);
    const error = failure ? safeError(failure) : null;
    if (outcome === "failed" && text === "") {
      await engine.release(subject, spec.key);
      await db.task.update({ where: { id: spec.taskId }, data: { status: "failed", error, partialText: "" } });
      return;
    }
    let actual = reported ?? {
      inputTokens: spec.promptTokens,
      outputTokens: countTextTokens(text),
      cachedInputTokens: 0,
    };
    let cost = costMicros(spec.price, actual);
    const settled = await this.timed("settle", () =>
      engine.settle(
        subject,
        spec.key,
        { ...actual, costMicros: cost, estimated: reported === null, priceVersion: spec.price.version },
        { provider: spec.provider, model: spec.model },
      ),
    );
    if (settled === "duplicate") {
      // Settled before (a runner and recovery both finishing): the ledger's numbers are the truth.
      const event = await engine.store.getEvent(subject.key, spec.key);
      if (event?.inputTokens != null && event.outputTokens != null && event.costMicros != null) {
        actual = { inputTokens: event.inputTokens, outputTokens: event.outputTokens, cachedInputTokens: 0 };
        cost = event.costMicros;
      }
    }
    const assistant =
      text === ""
        ? null
        : // One reply per task even when finishing is retried: the id derives from the task's.
          await db.message.upsert({
            where: { id: replyIdFor(spec.taskId) },
            create: {
              id: replyIdFor(spec.taskId),
              conversationId: task.conversationId,
              role: "assistant",
              content: text,
              provider: spec.provider,
              model: spec.model,
            },
            update: {},
          });
    await db.task.update({
      where: { id: spec.taskId },
      data: {
        status: outcome,
        partialText: text,
        inputTokens: actual.inputTokens,
        outputTokens: actual.outputTokens,
        costMicros: BigInt(cost),
        usageEstimated: reported === null,
        assistantMessageId: assistant?.id ?? null,
        error,
      },
    });
    await db.conversation.update({ where: { id: task.conversationId }, data: { updatedAt: this.o.clock.now() } });
  }

  async task(subjectKey: string, taskId: string) {
    const t = await this.o.db.task.findFirst({ where: { id: taskId, subject: subjectKey } });
    if (!t) throw new AppError("NOT_FOUND", "No such task.");
    const settled = t.status !== "running" && t.status !== "queued";
    return {
      taskId: t.id,
      status: t.status,
      text: t.partialText,
      provider: t.provider,
      model: t.model,
      conversationId: t.conversationId,
      messageId: t.messageId,
      assistantMessageId: t.assistantMessageId,
      error: t.error,
      usage:
        settled && t.inputTokens !== null
          ? {
              inputTokens: t.inputTokens,
              outputTokens: t.outputTokens ?? 0,
              costMicros: Number(t.costMicros ?? 0n),
              estimated: t.usageEstimated,
            }
          : null,
    };
  }

  /** Stops a running reply; its partial output is charged. Works from any instance. */
  async cancel(subjectKey: string, taskId: string) {
    const { db, clock } = this.o;
    const r = await db.task.updateMany({
      where: { id: taskId, subject: subjectKey, status: { in: ["queued", "running"] } },
      data: { cancelRequestedAt: clock.now() },
    });
    if (r.count === 0) {
      const exists = await db.task.findFirst({ where: { id: taskId, subject: subjectKey }, select: { status: true } });
      if (!exists) throw new AppError("NOT_FOUND", "No such task.");
      return { taskId, status: exists.status };
    }
    this.running.get(taskId)?.abort();
    return { taskId, status: "cancelling" as const };
  }

  /**
   * Tasks whose runner died (crash, kill -9, restart): failed, and their usage
   * settled from the text they had streamed, or released when there was none.
   * Claimed with SKIP LOCKED so instances never settle one twice.
   */
  async recoverOrphans(): Promise<number> {
    const { db, clock } = this.o;
    const staleBefore = new Date(clock.now().getTime() - this.staleAfterMs);
    const local = [...this.running.keys()];
    const claimed = await db.$queryRawUnsafe<
      { id: string; provider: string; model: string; prompt_tokens: number; partial_text: string }[]
    >(
      `UPDATE tasks t SET status = 'failed', error = 'The server stopped while answering.'
       WHERE t.id IN (
         SELECT id FROM tasks
         WHERE status IN ('queued', 'running')
           AND (heartbeat_at IS NULL OR heartbeat_at < $1::timestamptz AT TIME ZONE 'UTC')
           AND NOT (id = ANY($2::text[]))
         ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING t.id, t.provider, t.model, t.prompt_tokens, t.partial_text`,
      staleBefore.toISOString(),
      local,
    );
    for (const t of claimed) {
      const price = await this.o.prices.priceFor(t.provider, t.model, clock.now());
      await this.finish(
        { taskId: t.id, key: keyOf(t.id), provider: t.provider, model: t.model, promptTokens: t.prompt_tokens, price },
        t.partial_text,
        null,
        "failed",
        new Error("The server stopped while answering."),
      );
    }
    return claimed.length;
  }

  /** Waits for every task this instance runs (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Stops every local task: their partial output is charged on the way out. */
  async abortAll(): Promise<void> {
    for (const c of this.running.values()) c.abort();
    await this.drain();
  }

  async rename(subjectKey: string, conversationId: string, title: string) {
    const r = await this.o.db.conversation.updateMany({
      where: { id: conversationId, subject: subjectKey },
      data: { title },
    });
    if (r.count === 0) throw new AppError("NOT_FOUND", "No such conversation.");
    return { id: conversationId, title };
  }

  /** Running replies in it are cancelled first (their partial output is charged). */
  async remove(subjectKey: string, conversationId: string) {
    const { db } = this.o;
    const conv = await db.conversation.findFirst({
      where: { id: conversationId, subject: subjectKey },
      select: { id: true },
    });
    if (!conv) throw new AppError("NOT_FOUND", "No such conversation.");
    const running = await db.task.findMany({ where: { conversationId, status: "running" }, select: { id: true } });
    for (const t of running) await this.cancel(subjectKey, t.id);
    await db.conversation.delete({ where: { id: conv.id } });
    return { deleted: true as const };
  }

  async conversations(subjectKey: string) {
    return this.o.db.conversation.findMany({
      where: { subject: subjectKey },
      orderBy: { updatedAt: "desc" },
      take: 200,
      select: { id: true, title: true, createdAt: true, updatedAt: true },
    });
  }

  async messages(subjectKey: string, input: ChatMessagesInput) {
    const conv = await this.o.db.conversation.findFirst({ where: { id: input.conversationId, subject: subjectKey } });
    if (!conv) throw new AppError("NOT_FOUND", "No such conversation.");
    // The newest `limit` messages (before `cursor`, to page back), oldest first for display.
    const page = await this.o.db.message.findMany({
      where: { conversationId: conv.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: input.limit,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      select: { id: true, role: true, content: true, provider: true, model: true, createdAt: true },
    });
    return page.reverse();
  }
}

function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, " ").trim();
  return line.length <= 60 ? line : `${line.slice(0, 57)}…`;
}

/** Provider errors carry safe messages; anything else is not shown. */
function safeError(error: unknown): string {
  if (error instanceof Error && error.name === "ProviderError") return error.message.slice(0, 300);
  if (error instanceof Error && error.message === "The server stopped while answering.") return error.message;
  return "The model provider failed.";
}

export type { ModelInfo };
