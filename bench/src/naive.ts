import { createDb, type Database } from "../../packages/db/src/index.ts";
import type { Admit, Contender } from "./contender.ts";
import { EST_COST_MICROS, EST_TOKENS } from "./wavelength.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS naive_usage (
    id bigserial PRIMARY KEY,
    subject text NOT NULL,
    idempotency_key text NOT NULL,
    tokens bigint NOT NULL,
    cost_micros bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS naive_usage_subject_created_at ON naive_usage (subject, created_at);`;

/**
 * What people write first: read today's usage, compare with the limit in
 * JavaScript, then insert the new usage. Two autocommit statements, no lock,
 * so concurrent requests all read the same count before any of them inserts.
 */
export async function naive(url: string, maxConnections: number, shared?: Database): Promise<Contender> {
  // The product's plain SQL client (a pg.Pool on PostgreSQL, the embedded engine on PGlite): the
  // same driver work as Wavelength's hot path, on either engine.
  const db = shared ?? (await createDb(url, { maxConnections }));
  const pool = {
    query: async <T>(text: string, params: unknown[] = []) => ({ rows: await db.sql.query<T>(text, params) }),
  };
  for (const statement of SCHEMA.split(";").filter((s) => s.trim())) await pool.query(statement);

  const admitUnder =
    (requestLimit: number, tokenLimit: number): Admit =>
    async (subject, seq) => {
      const { rows } = await pool.query<{ requests: number; tokens: string }>(
        `SELECT count(*)::int AS requests, coalesce(sum(tokens), 0)::bigint AS tokens
         FROM naive_usage WHERE subject = $1 AND created_at >= date_trunc('day', now())`,
        [subject],
      );
      const used = rows[0]!;
      if (used.requests + 1 > requestLimit || Number(used.tokens) + EST_TOKENS > tokenLimit) return false;
      await pool.query(
        `INSERT INTO naive_usage (subject, idempotency_key, tokens, cost_micros) VALUES ($1, $2, $3, $4)`,
        [subject, `bench-${seq}`, EST_TOKENS, EST_COST_MICROS],
      );
      return true;
    };

  return {
    name: "naive check-then-insert",
    description: "SELECT count/sum of today's usage, compare in JS, INSERT; no lock, no transaction",
    async unlimited() {
      return admitUnder(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    },
    async limited(_subject, limit) {
      return admitUnder(limit, Number.MAX_SAFE_INTEGER);
    },
    async counted(subject) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM naive_usage WHERE subject = $1`,
        [subject],
      );
      return rows[0]!.n;
    },
    close: async () => {
      if (!shared) await db.close();
    },
  };
}
