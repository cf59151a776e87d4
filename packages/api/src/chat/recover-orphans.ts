import { UTC_PARAM, type ChatDeps } from "./chat-deps.ts";
import { flushedText } from "./reply-log.ts";
import { FINISH_LEASE_MS, SERVER_STOPPED } from "./run-reply.ts";
import { settleReply } from "./settle-reply.ts";

/**
 * Tasks whose runner died (crash, kill -9, restart) or froze: found by a heartbeat older than
 * `staleAfterMs`, leased (a heartbeat in the future, so instances never settle one twice and a
 * crash here leaves it to the next sweep), then failed with what had been flushed charged, or
 * released when nothing had. `local` are the tasks this instance is running or finishing.
 */
export async function recoverOrphans(deps: ChatDeps, staleAfterMs: number, local: readonly string[]): Promise<number> {
  const { sql, clock } = deps;
  const now = clock.now();
  const claimed = await sql.query<{ id: string; provider: string; model: string; prompt_tokens: number }>(
    `UPDATE tasks t SET heartbeat_at = $3${UTC_PARAM}
     WHERE t.id IN (
       SELECT id FROM tasks
       WHERE status IN ('queued', 'running')
         AND (heartbeat_at IS NULL OR heartbeat_at < $1${UTC_PARAM})
         AND NOT (id = ANY($2::text[]))
       ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
     RETURNING t.id, t.provider, t.model, t.prompt_tokens`,
    [
      new Date(now.getTime() - staleAfterMs).toISOString(),
      [...local],
      new Date(now.getTime() + FINISH_LEASE_MS).toISOString(),
    ],
  );
  for (const t of claimed) {
    // One that cannot be settled now stays leased and is retried by a later sweep; the others go on.
    try {
      await recoverOne(deps, t);
    } catch (error) {
      deps.logger.warn({ taskId: t.id, err: (error as Error).message }, "task recovery failed");
    }
  }
  return claimed.length;
}

async function recoverOne(deps: ChatDeps, t: { id: string; provider: string; model: string; prompt_tokens: number }) {
  const { sql, clock, prices } = deps;
  const text = await flushedText(sql, t.id);
  await settleReply(deps, {
    taskId: t.id,
    provider: t.provider,
    model: t.model,
    promptTokens: Number(t.prompt_tokens),
    price: await prices.priceFor(t.provider, t.model, clock.now()),
    text,
    reported: null,
    outcome: "failed",
    error: SERVER_STOPPED,
    stopReason: text === "" ? null : "failed",
  });
}
