import { AppError } from "@wavelength/shared";
import type { ChatDeps } from "./chat-deps.ts";
import type { LiveReplies, LiveReply } from "./live-replies.ts";
import { textAfter, type StoredDelta } from "./reply-log.ts";

export type TaskStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

/**
 * A poll of a running reply: only what a reader needs every 300 ms, so that the bytes a client
 * reads stay close to the reply's own size (the task's other facts come with the send, with
 * chat.runningReply, and with the poll that finds the reply over).
 */
export interface RunningTaskView {
  status: "queued" | "running";
  /** The reply's text from `cursor` (as asked) up to the returned `cursor`. */
  text: string;
  /** Where the next poll starts: an offset (UTF-16 code units) into the reply's text. */
  cursor: number;
  /** A Stop was asked for and the reply has not ended yet. */
  stopping: boolean;
}

/** A poll of a reply that is over: its last text after the cursor, how it ended, what it cost. */
export interface FinishedTaskView {
  status: "completed" | "failed" | "cancelled";
  text: string;
  cursor: number;
  taskId: string;
  provider: string;
  model: string;
  conversationId: string;
  messageId: string | null;
  assistantMessageId: string | null;
  error: string | null;
  usage: { inputTokens: number; outputTokens: number; costMicros: number; estimated: boolean } | null;
}

/** What a poll of chat.task returns: the state, and only the text after the caller's cursor. */
export type TaskView = RunningTaskView | FinishedTaskView;

/**
 * The instance running the reply answers from memory (text newer than the last flush too);
 * any other reads the durable pieces, or the saved message once the reply is over. Offsets are
 * the same on both sides, so a client alternating between instances never sees a gap or a
 * repeat: a non-owner that has not caught up with a cursor simply returns nothing new.
 */
export async function readTask(
  deps: ChatDeps,
  live: LiveReplies,
  subjectKey: string,
  taskId: string,
  cursor: number,
): Promise<TaskView> {
  const reply = live.get(taskId);
  if (reply && reply.subject === subjectKey) return fromMemory(reply, cursor);
  return fromDatabase(deps, subjectKey, taskId, cursor);
}

function fromMemory(reply: LiveReply, cursor: number): RunningTaskView {
  const end = reply.text.length;
  return {
    status: "running",
    text: cursor < end ? reply.text.slice(cursor) : "",
    cursor: Math.max(cursor, end),
    stopping: reply.stopCause === "user",
  };
}

interface TaskRow {
  id: string;
  status: TaskStatus;
  provider: string;
  model: string;
  conversation_id: string;
  message_id: string | null;
  assistant_message_id: string | null;
  error: string | null;
  stopping: boolean;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_micros: string | null;
  usage_estimated: boolean;
  /** Running: the pieces ending after the cursor, as [start, text] pairs in order. */
  deltas: StoredDelta[] | string | null;
  /** Over: the saved reply (null when there is none, e.g. its conversation was deleted). */
  reply: string | null;
}

async function fromDatabase(deps: ChatDeps, subjectKey: string, taskId: string, cursor: number): Promise<TaskView> {
  // One statement, one snapshot: a task is either still running with its pieces or over with its
  // message (finishing writes the message and deletes the pieces atomically).
  const [t] = await deps.sql.query<TaskRow>(
    `SELECT t.id, t.status::text AS status, t.provider, t.model, t.conversation_id, t.message_id,
            t.assistant_message_id, t.error, t.cancel_requested_at IS NOT NULL AS stopping,
            t.input_tokens, t.output_tokens, t.cost_micros::text AS cost_micros, t.usage_estimated,
            CASE WHEN t.status IN ('queued', 'running') THEN (
              SELECT json_agg(json_build_array(d.start_at, d.text) ORDER BY d.start_at)
              FROM reply_deltas d WHERE d.task_id = t.id AND d.end_at > $3::int) END AS deltas,
            CASE WHEN t.status NOT IN ('queued', 'running') THEN m.content END AS reply
     FROM tasks t LEFT JOIN messages m ON m.id = t.assistant_message_id
     WHERE t.id = $1::text AND t.subject = $2::text`,
    [taskId, subjectKey, cursor],
  );
  if (!t) throw new AppError("NOT_FOUND", "No such task.");
  if (t.status === "running" || t.status === "queued") {
    const deltas: StoredDelta[] =
      typeof t.deltas === "string" ? (JSON.parse(t.deltas) as StoredDelta[]) : (t.deltas ?? []);
    return { status: t.status, ...textAfter(deltas, cursor), stopping: t.stopping };
  }
  return {
    status: t.status,
    ...textAfter([[0, t.reply ?? ""]], cursor),
    taskId: t.id,
    provider: t.provider,
    model: t.model,
    conversationId: t.conversation_id,
    messageId: t.message_id,
    assistantMessageId: t.assistant_message_id,
    error: t.error,
    usage:
      t.input_tokens !== null
        ? {
            inputTokens: Number(t.input_tokens),
            outputTokens: Number(t.output_tokens ?? 0),
            costMicros: Number(t.cost_micros ?? 0),
            estimated: t.usage_estimated,
          }
        : null,
  };
}
