import { isDatabaseUnavailable } from "@wavelength/db";
import type { Price } from "../pricing/index.ts";
import type { ChatMessage, ProviderUsage } from "../providers/index.ts";
import { UTC_PARAM, type ChatDeps } from "./chat-deps.ts";
import type { LiveReplies, LiveReply } from "./live-replies.ts";
import { settleReply, type FinishedReply } from "./settle-reply.ts";

export interface RunSpec {
  taskId: string;
  provider: string;
  model: string;
  messages: ChatMessage[];
  promptTokens: number;
  maxOutputTokens: number;
  price: Price;
}

/** How long a runner may take to settle a finished task before recovery may step in. */
export const FINISH_LEASE_MS = 30_000;

export const SERVER_STOPPED = "The server stopped while answering.";

/**
 * Streams the provider's reply into memory (the batched flusher makes it durable), then settles
 * it once. Partial output of a Stop, a stalled provider or a mid-stream failure is charged; a
 * failure before any output is released.
 */
export async function runReply(
  deps: ChatDeps,
  live: LiveReplies,
  spec: RunSpec,
  reply: LiveReply,
  idleTimeoutMs: number,
): Promise<void> {
  let usage: ProviderUsage | null = null;
  let failure: unknown = null;
  const signal = reply.controller.signal;
  try {
    for await (const event of deps.registry.stream({
      provider: spec.provider,
      model: spec.model,
      messages: spec.messages,
      maxOutputTokens: spec.maxOutputTokens,
      abortSignal: signal,
    })) {
      if (event.type === "text") reply.append(event.delta);
      else usage = event.usage;
      if (signal.aborted) break;
    }
  } catch (error) {
    if (!signal.aborted) failure = error;
  }
  await live.remove(reply);
  if (reply.stopCause === "taken-over") return; // recovery settles it from what was flushed
  const finished = { ...spec, ...outcomeOf(reply, failure, idleTimeoutMs), text: reply.text, reported: usage };
  await claimAndSettle(deps, finished);
}

function outcomeOf(
  reply: LiveReply,
  failure: unknown,
  idleTimeoutMs: number,
): Pick<FinishedReply, "outcome" | "error" | "stopReason"> {
  const partial = reply.text !== "";
  switch (reply.stopCause) {
    case "user":
      return { outcome: "cancelled", error: null, stopReason: "stopped" };
    case "timeout":
      return {
        outcome: "failed",
        error: `The model stopped responding (nothing for ${Math.round(idleTimeoutMs / 1000)} s).`,
        stopReason: partial ? "timeout" : null,
      };
    case "shutdown":
      return { outcome: "failed", error: SERVER_STOPPED, stopReason: partial ? "failed" : null };
    default:
      if (failure) return { outcome: "failed", error: safeError(failure), stopReason: partial ? "failed" : null };
      return { outcome: "completed", error: null, stopReason: null };
  }
}

/**
 * Claims the finish: a heartbeat pushed into the future keeps recovery off the task while it
 * settles; a task recovery already leased or finished is left to it. While the database is
 * briefly away the reply waits here, in memory, instead of being lost: a recovery that never saw
 * the text would have to release it uncharged.
 */
async function claimAndSettle(deps: ChatDeps, finished: FinishedReply): Promise<void> {
  let lease: string | null = null;
  await whileDatabaseDown(async () => {
    const now = deps.clock.now();
    const next = new Date(now.getTime() + FINISH_LEASE_MS).toISOString();
    const claimed = await deps.sql.query<{ id: string }>(
      `UPDATE tasks SET heartbeat_at = $2${UTC_PARAM}
       WHERE id = $1 AND status = 'running'
         AND (heartbeat_at IS NULL OR heartbeat_at <= $3${UTC_PARAM} OR heartbeat_at = $4${UTC_PARAM})
       RETURNING id`,
      [finished.taskId, next, now.toISOString(), lease ?? next],
    );
    if (claimed.length === 0) return;
    lease = next;
    await settleReply(deps, finished);
  });
}

/** Retries `fn` while the database cannot be reached (about a minute), then gives up. */
export async function whileDatabaseDown(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || attempt >= 40) throw error;
      await new Promise((r) => setTimeout(r, 1_500));
    }
  }
}

/** Provider errors carry safe messages; anything else is not shown. */
function safeError(error: unknown): string {
  if (error instanceof Error && error.name === "ProviderError") return error.message.slice(0, 300);
  return "The model provider failed.";
}
