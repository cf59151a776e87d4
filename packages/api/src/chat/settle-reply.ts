import { costMicros, type Price } from "../pricing/index.ts";
import { countTextTokens, type ProviderUsage } from "../providers/index.ts";
import { UTC_PARAM, ledgerKeyOf, replyIdFor, type ChatDeps } from "./chat-deps.ts";
import { subjectFromKey } from "./subject-lookup.ts";

export type ReplyOutcome = "completed" | "cancelled" | "failed";

/** Why a saved reply ended early, shown beside it: stopped by the user, a stalled model, a failure. */
export type StopReason = "stopped" | "timeout" | "failed";

export interface FinishedReply {
  taskId: string;
  provider: string;
  model: string;
  promptTokens: number;
  price: Price;
  text: string;
  /** What the provider reported; null: counted here with the tokenizer (flagged estimated). */
  reported: ProviderUsage | null;
  outcome: ReplyOutcome;
  /** Safe to show (never a provider's raw message); null for a completed or stopped reply. */
  error: string | null;
  stopReason: StopReason | null;
}

/**
 * Records a reply's outcome exactly once. No output and a failure: released, not charged.
 * Otherwise charged: what the provider reported, or a tokenizer count of the prompt and the text
 * (flagged estimated). Then, in one statement, the reply becomes a message (unless its
 * conversation was deleted meanwhile), the task row takes its final state and the reply's
 * streamed pieces are deleted.
 */
export async function settleReply(deps: ChatDeps, r: FinishedReply): Promise<void> {
  const { db, engine, sql, clock } = deps;
  const key = ledgerKeyOf(r.taskId);
  const task = await db.task.findUnique({ where: { id: r.taskId }, select: { subject: true, conversationId: true } });
  if (!task) return;
  const subject = await subjectFromKey(db, task.subject);
  const now = clock.now().toISOString();

  if (r.outcome === "failed" && r.text === "") {
    await engine.release(subject, key);
    await sql.query(
      `WITH gone AS (DELETE FROM reply_deltas WHERE task_id = $1)
       UPDATE tasks SET status = 'failed', error = $2::text, updated_at = $3${UTC_PARAM} WHERE id = $1`,
      [r.taskId, r.error, now],
    );
    return;
  }

  let actual = r.reported ?? {
    inputTokens: r.promptTokens,
    outputTokens: countTextTokens(r.text),
    cachedInputTokens: 0,
  };
  let cost = costMicros(r.price, actual);
  const settled = await deps.timed("settle", () =>
    engine.settle(
      subject,
      key,
      { ...actual, costMicros: cost, estimated: r.reported === null, priceVersion: r.price.version },
      { provider: r.provider, model: r.model },
    ),
  );
  if (settled === "duplicate") {
    // Settled before (a runner and recovery both finishing): the ledger's numbers are the truth.
    const event = await engine.store.getEvent(subject.key, key);
    if (event?.inputTokens != null && event.outputTokens != null && event.costMicros != null) {
      actual = { inputTokens: event.inputTokens, outputTokens: event.outputTokens, cachedInputTokens: 0 };
      cost = event.costMicros;
    }
  }

  const replyId = replyIdFor(r.taskId);
  await sql.query(
    `WITH conv AS (
       UPDATE conversations SET updated_at = $9${UTC_PARAM} WHERE id = $2 RETURNING id
     ), reply AS (
       INSERT INTO messages (id, conversation_id, role, content, provider, model, stop_reason, created_at)
       SELECT $3::text, conv.id, 'assistant'::"MessageRole", $4::text, $5::text, $6::text, $13::text, $9${UTC_PARAM}
       FROM conv WHERE $4::text <> ''
       ON CONFLICT (id) DO NOTHING
       RETURNING id
     ), gone AS (
       DELETE FROM reply_deltas WHERE task_id = $1
     )
     UPDATE tasks SET status = $7::"TaskStatus", input_tokens = $10::int, output_tokens = $11::int,
       cost_micros = $12::bigint, usage_estimated = $8::boolean, error = $14::text, updated_at = $9${UTC_PARAM},
       assistant_message_id = coalesce((SELECT id FROM reply), (SELECT id FROM messages WHERE id = $3::text))
     WHERE id = $1`,
    [
      r.taskId,
      task.conversationId,
      replyId,
      r.text,
      r.provider,
      r.model,
      r.outcome,
      r.reported === null,
      now,
      actual.inputTokens,
      actual.outputTokens,
      String(cost),
      r.stopReason,
      r.error,
    ],
  );
}
