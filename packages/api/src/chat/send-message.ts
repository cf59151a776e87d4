import { createHash, randomUUID } from "node:crypto";
import { AppError, describeDenial, isModelAllowed, type SendMessageInput } from "@wavelength/shared";
import type { SubjectRef } from "../metering/index.ts";
import { estimateCostMicros } from "../pricing/index.ts";
import { UTC_PARAM, ledgerKeyOf, type ChatDeps } from "./chat-deps.ts";
import { fitContext } from "./context-window.ts";
import { titleFrom } from "./conversation-title.ts";
import { fitToBudget, MIN_USEFUL_OUTPUT_TOKENS, type Trim } from "./gentle-limits.ts";
import type { RunSpec } from "./run-reply.ts";

export interface SendResult {
  taskId: string;
  conversationId: string;
  messageId: string;
  /** Set when the reply's length was trimmed to fit what is left of a token or cost budget. */
  trimmed: Trim | null;
}

/** A retried send with the same idempotency key maps to the same task id. */
function taskIdFor(subject: string, idempotencyKey: string): string {
  const h = createHash("sha256").update(`${subject}\n${idempotencyKey}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Admission and the task's creation, nothing slower: admit against every limit (authoritative;
 * a denial names every binding limit), then write the conversation, the user's message and the
 * running task in one statement. The caller starts the reply in the background.
 */
export async function sendMessage(
  deps: ChatDeps,
  subject: SubjectRef,
  also: SubjectRef[],
  input: SendMessageInput,
): Promise<{ result: SendResult; run: RunSpec | null }> {
  const { engine, clock } = deps;
  const info = deps.registry.find(input.provider, input.model);
  if (!info) throw new AppError("NOT_FOUND", `No model ${input.provider}/${input.model} is configured.`);
  if (!isModelAllowed(subject.tier, info.provider, info.model)) {
    throw new AppError("MODEL_NOT_ALLOWED", `Your plan cannot use ${info.provider}/${info.model}.`);
  }
  const history = input.conversationId ? await historyOf(deps, subject.key, input.conversationId) : [];

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
  const price = await deps.prices.priceFor(info.provider, info.model, clock.now());
  const taskId = input.idempotencyKey ? taskIdFor(subject.key, input.idempotencyKey) : randomUUID();
  const key = ledgerKeyOf(taskId);
  const admit = (max: number) =>
    deps.timed("admit", () =>
      engine.admit({
        // Quiet: a refusal that a trimmed reply avoids is not a blocked request.
        quiet: true,
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
  let decision = await admit(max);
  if (!decision.allowed) {
    // Gentle limits: a shorter reply that fits beats a refusal.
    const perToken = price.outputPerMillionMicros / 1_000_000;
    trimmed = fitToBudget(decision.denials, promptTokens, estimateCostMicros(price, promptTokens, 0), perToken, max);
    if (trimmed) {
      max = trimmed.maxOutputTokens;
      decision = await admit(max);
    }
  }
  if (!decision.allowed) {
    await engine.noteDenied(
      { subject, also, provider: info.provider, model: info.model, estTokens: 0, estCostMicros: 0, key },
      decision.denials,
    );
    throw new AppError("QUOTA_EXCEEDED", describeDenial(decision.denials[0]!, subject.timeZone, clock.now()), {
      quota: decision.denials,
    });
  }
  if (decision.duplicate) {
    const existing = await taskOfFirstTry(deps, taskId, subject.key);
    if (!existing) throw new AppError("CONFLICT", "This message is already being sent.");
    const result = {
      taskId,
      conversationId: existing.conversationId,
      messageId: existing.messageId ?? "",
      trimmed: null,
    };
    return { result, run: null };
  }

  let created: { conversationId: string; messageId: string };
  try {
    created = await createTask(deps, {
      taskId,
      subject: subject.key,
      conversationId: input.conversationId ?? null,
      content: input.content,
      provider: info.provider,
      model: info.model,
      usageEventId: decision.eventId,
      promptTokens,
      maxOutputTokens: max,
    });
  } catch (error) {
    // Nothing was sent to a provider: give the reservation back.
    await engine.release(subject, key).catch(() => undefined);
    throw error;
  }
  const run: RunSpec = {
    taskId,
    provider: info.provider,
    model: info.model,
    messages,
    promptTokens,
    maxOutputTokens: max,
    price,
  };
  return { result: { taskId, ...created, trimmed }, run };
}

/** How long a retried send waits for its first try (still being admitted elsewhere) to save its task. */
const FIRST_TRY_WAIT_MS = 10_000;

/**
 * The task of a send retried with the same key. A client that timed out retries while its first
 * try may still be on its way (admitted, not yet saved): waiting for it answers the retry with
 * that task instead of a conflict that would make the client send a second, paid message.
 */
async function taskOfFirstTry(deps: ChatDeps, taskId: string, subjectKey: string) {
  const end = Date.now() + FIRST_TRY_WAIT_MS;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    const task = await deps.db.task.findFirst({
      where: { id: taskId, subject: subjectKey },
      select: { conversationId: true, messageId: true },
    });
    if (task || Date.now() >= end) return task;
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** The conversation's turns so far, oldest first; NOT_FOUND when it is not the caller's. */
async function historyOf(deps: ChatDeps, subjectKey: string, conversationId: string) {
  const conversation = await deps.db.conversation.findFirst({
    where: { id: conversationId, subject: subjectKey },
    select: { id: true },
  });
  if (!conversation) throw new AppError("NOT_FOUND", "No such conversation.");
  return deps.db.message.findMany({
    where: { conversationId, role: { in: ["user", "assistant"] } },
    orderBy: { createdAt: "asc" },
    select: { role: true, content: true },
  });
}

interface NewTask {
  taskId: string;
  subject: string;
  /** null: a new conversation titled after the message. */
  conversationId: string | null;
  content: string;
  provider: string;
  model: string;
  usageEventId: string | null;
  promptTokens: number;
  maxOutputTokens: number;
}

/**
 * The conversation (new, or the existing one touched), the user's message and the running task,
 * in one statement: one round trip and atomic. An existing conversation deleted since it was
 * read inserts nothing and is NOT_FOUND.
 */
async function createTask(deps: ChatDeps, t: NewTask): Promise<{ conversationId: string; messageId: string }> {
  const messageId = randomUUID();
  const now = deps.clock.now().toISOString();
  const conversation =
    t.conversationId === null
      ? `INSERT INTO conversations (id, subject, title, created_at, updated_at)
         VALUES ($2::text, $3::text, $12::text, $1${UTC_PARAM}, $1${UTC_PARAM}) RETURNING id`
      : `UPDATE conversations SET updated_at = $1${UTC_PARAM} WHERE id = $2::text AND subject = $3::text RETURNING id`;
  const rows = await deps.sql.query<{ conversation_id: string }>(
    `WITH conv AS (${conversation}
     ), msg AS (
       INSERT INTO messages (id, conversation_id, role, content, provider, model, created_at)
       SELECT $4::text, conv.id, 'user'::"MessageRole", $5::text, $6::text, $7::text, $1${UTC_PARAM} FROM conv
       RETURNING id
     )
     INSERT INTO tasks (id, subject, conversation_id, message_id, usage_event_id, provider, model, status,
                        prompt_tokens, max_output_tokens, heartbeat_at, created_at, updated_at)
     SELECT $8::text, $3::text, conv.id, msg.id, $9::text, $6::text, $7::text, 'running'::"TaskStatus",
            $10::int, $11::int, $1${UTC_PARAM}, $1${UTC_PARAM}, $1${UTC_PARAM}
     FROM conv, msg
     RETURNING conversation_id`,
    [
      now,
      t.conversationId ?? randomUUID(),
      t.subject,
      messageId,
      t.content,
      t.provider,
      t.model,
      t.taskId,
      t.usageEventId,
      t.promptTokens,
      t.maxOutputTokens,
      // Every parameter must appear in the statement: the title only when the conversation is new.
      ...(t.conversationId === null ? [titleFrom(t.content)] : []),
    ],
  );
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND", "No such conversation.");
  return { conversationId: row.conversation_id, messageId };
}
