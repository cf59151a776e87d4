import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Admit, Contender } from "./contender.ts";

const DURATION_S = 24 * 3600;

/** Builds a limiter and waits until its table exists (the constructor creates it asynchronously). */
function limiter(pool: pg.Pool, tableName: string, points: number): Promise<RateLimiterPostgres> {
  return new Promise((resolve, reject) => {
    const rl: RateLimiterPostgres = new RateLimiterPostgres(
      { storeClient: pool, tableName, points, duration: DURATION_S, clearExpiredByTimeout: false },
      (err?: Error) => (err ? reject(err) : resolve(rl)),
    );
  });
}

/** consume() rejects with a RateLimiterRes when over the limit, with an Error when the store fails. */
const admitWith =
  (rl: RateLimiterPostgres): Admit =>
  async (subject) => {
    try {
      await rl.consume(subject);
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  };

/** rate-limiter-flexible's PostgreSQL limiter: one counter per key, one atomic upsert per consume(). */
export async function rateLimiterFlexible(url: string, maxConnections: number): Promise<Contender> {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  pool.on("error", () => {});
  return {
    name: "rate-limiter-flexible (Postgres)",
    description: "single counter: RateLimiterPostgres.consume(key), one INSERT … ON CONFLICT DO UPDATE on a pg.Pool",
    async unlimited() {
      return admitWith(await limiter(pool, "rlf_unlimited", 1_000_000_000));
    },
    async limited(_subject, limit) {
      return admitWith(await limiter(pool, "rlf_limited", limit));
    },
    close: () => pool.end(),
  };
}
