import { createHash, randomUUID } from "node:crypto";
import type { Db } from "@wavelength/db";
import type { ChatCompletionRequest } from "./request.ts";

/** A finished completion as first answered, enough to answer a retry in either shape (JSON or SSE). */
export interface StoredCompletion {
  id: string;
  created: number;
  model: string;
  content: string;
  finishReason: string;
  usage: CompletionUsage;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  /** What the request was charged, in micro-dollars (not an OpenAI field; clients ignore it). */
  cost_micros: number;
  /** True when our tokenizer counted the usage because the provider reported none. */
  estimated: boolean;
}

export type Claim =
  | { kind: "new"; requestId: string }
  | { kind: "replay"; completion: StoredCompletion }
  | { kind: "in_progress" }
  | { kind: "mismatch" };

/** Idempotency keys are kept this long; a retry after that is a new request. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;

/**
 * Requests that carried an Idempotency-Key. The first claims the key (one row, unique per API
 * key); a retry with the same body gets the first's answer once it finished, a 409 while it runs,
 * and a different body under the same key is refused. A request that failed gives its key up, so
 * its retry runs anew; one whose server died is taken over once its reservation would have expired.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly staleAfterMs: number,
  ) {}

  static hash(request: ChatCompletionRequest): string {
    return createHash("sha256").update(JSON.stringify(request)).digest("hex");
  }

  async claim(apiKeyId: string, idempotencyKey: string, requestHash: string, now: Date): Promise<Claim> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const requestId = randomUUID();
      const inserted = await this.db.$queryRawUnsafe<{ id: string }[]>(
        `INSERT INTO api_requests (id, api_key_id, idempotency_key, request_hash, status, created_at)
         VALUES ($1, $2, $3, $4, 'running', $5::timestamptz AT TIME ZONE 'UTC')
         ON CONFLICT (api_key_id, idempotency_key) DO NOTHING RETURNING id`,
        requestId,
        apiKeyId,
        idempotencyKey,
        requestHash,
        now.toISOString(),
      );
      if (inserted.length > 0) return { kind: "new", requestId };
      const rows = await this.db.$queryRawUnsafe<
        { id: string; status: string; requestHash: string; response: StoredCompletion | null; createdMs: number }[]
      >(
        `SELECT id, status, request_hash AS "requestHash", response,
                extract(epoch FROM created_at)::float8 * 1000 AS "createdMs"
         FROM api_requests WHERE api_key_id = $1 AND idempotency_key = $2`,
        apiKeyId,
        idempotencyKey,
      );
      const existing = rows[0];
      if (!existing) continue; // given up between our insert and read: try again
      if (existing.requestHash !== requestHash) return { kind: "mismatch" };
      if (existing.status === "completed" && existing.response)
        return { kind: "replay", completion: existing.response };
      if (now.getTime() - existing.createdMs < this.staleAfterMs) return { kind: "in_progress" };
      // Its server died mid-request (its reservation has expired by now): take the key over.
      await this.db.$executeRawUnsafe(`DELETE FROM api_requests WHERE id = $1 AND status = 'running'`, existing.id);
    }
    return { kind: "in_progress" };
  }

  async complete(requestId: string, completion: StoredCompletion, now: Date): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE api_requests SET status = 'completed', response = $2::jsonb,
         completed_at = $3::timestamptz AT TIME ZONE 'UTC' WHERE id = $1`,
      requestId,
      JSON.stringify(completion),
      now.toISOString(),
    );
  }

  /** The request failed: its key is free for a retry. */
  async abandon(requestId: string): Promise<void> {
    await this.db.$executeRawUnsafe(`DELETE FROM api_requests WHERE id = $1 AND status = 'running'`, requestId);
  }

  /** Forgets keys past their retention (housekeeping; any instance may run it). */
  purge(now: Date): Promise<number> {
    return this.db.$executeRawUnsafe(
      `DELETE FROM api_requests WHERE created_at < $1::timestamptz AT TIME ZONE 'UTC'`,
      new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS).toISOString(),
    );
  }
}
