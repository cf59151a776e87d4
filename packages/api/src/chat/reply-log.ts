import type { SqlClient } from "@wavelength/db";

/** A piece of a running reply not yet durable: its text from `startAt` (a UTF-16 offset) on. */
export interface PendingDelta {
  taskId: string;
  startAt: number;
  text: string;
}

/**
 * Appends the new text of several replies in one statement (one row per reply). A retried flush
 * whose first try did commit starts at the same offset with as much text or more: the longer
 * piece wins, so a retry never leaves a gap.
 */
export async function appendDeltas(sql: SqlClient, deltas: readonly PendingDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await sql.query(
    `INSERT INTO reply_deltas (task_id, start_at, end_at, text)
     SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[])
     ON CONFLICT (task_id, start_at) DO UPDATE SET end_at = EXCLUDED.end_at, text = EXCLUDED.text
       WHERE EXCLUDED.end_at > reply_deltas.end_at`,
    [
      deltas.map((d) => d.taskId),
      deltas.map((d) => d.startAt),
      deltas.map((d) => d.startAt + d.text.length),
      deltas.map((d) => d.text),
    ],
  );
}

/** A stored piece as read back: [start offset, text]. */
export type StoredDelta = readonly [startAt: number, text: string];

/**
 * The text from `cursor` on, out of pieces ordered by offset, and the offset after it. Pieces are
 * contiguous by construction; should one be missing, the text stops before the hole rather than
 * skip it, so a reader never sees a gap.
 */
export function textAfter(pieces: readonly StoredDelta[], cursor: number): { text: string; cursor: number } {
  let text = "";
  let at = cursor;
  for (const [startAt, piece] of pieces) {
    const endAt = startAt + piece.length;
    if (endAt <= at) continue;
    if (startAt > at) break;
    text += piece.slice(at - startAt);
    at = endAt;
  }
  return { text, cursor: at };
}

/** Everything flushed of a reply (what recovery charges when its runner died). */
export async function flushedText(sql: SqlClient, taskId: string): Promise<string> {
  const rows = await sql.query<{ start_at: number; text: string }>(
    `SELECT start_at, text FROM reply_deltas WHERE task_id = $1 ORDER BY start_at`,
    [taskId],
  );
  return textAfter(
    rows.map((r) => [Number(r.start_at), r.text] as const),
    0,
  ).text;
}
