// How many accounts may be created per client address, and site-wide, per window. Each account is
// a free allowance of requests, so unlimited sign-ups would defeat the per-address guest cap; and
// since a sign-up for a taken e-mail is refused (which tells that the account exists), this
// allowance is also what bounds e-mail enumeration through sign-up.
//
// Fixed windows in the database, so every instance draws on the same allowance. Taking a slot is
// one INSERT … ON CONFLICT DO UPDATE … WHERE statement: the row lock makes concurrent sign-ups
// queue, and a full window updates nothing, so no more than the limit are ever admitted.

import type { Db } from "@wavelength/db";
import type { Clock } from "../metering/clock.ts";

export interface SignUpRule {
  /** Sign-ups (attempts that got past validation and the proof of work) per window. */
  limit: number;
  windowMs: number;
}

export interface SignUpThrottlePolicy {
  /** Per client address hash. */
  address: SignUpRule;
  /** For the whole site: the ceiling when an attacker has many addresses. */
  site: SignUpRule;
}

const HOUR = 3_600_000;

export const DEFAULT_SIGN_UP_THROTTLE: SignUpThrottlePolicy = {
  address: { limit: 5, windowMs: HOUR },
  site: { limit: 100, windowMs: HOUR },
};

export type SignUpScope = keyof SignUpThrottlePolicy;

export type SignUpDecision = { allowed: true } | { allowed: false; scope: SignUpScope; retryAfterMs: number };

export const SITE_SIGN_UP_KEY = "site";

export function addressSignUpKey(ipHash: string): string {
  return `ip:${ipHash}`;
}

interface Slot {
  key: string;
  windowStartMs: number;
}

export class SignUpThrottle {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: SignUpThrottlePolicy = DEFAULT_SIGN_UP_THROTTLE,
  ) {}

  /**
   * Takes a slot on the address (when known) and on the site, or none: a refusal by the site gives
   * the address its slot back. Slots are not returned when the sign-up then fails: a refused
   * duplicate e-mail must cost as much as a new account, or probing e-mails would be free.
   */
  async take(ipHash: string | null): Promise<SignUpDecision> {
    const taken: Slot[] = [];
    const keys: { scope: SignUpScope; key: string }[] = [
      ...(ipHash === null ? [] : [{ scope: "address" as const, key: addressSignUpKey(ipHash) }]),
      { scope: "site", key: SITE_SIGN_UP_KEY },
    ];
    for (const { scope, key } of keys) {
      const slot = await this.takeOne(key, this.policy[scope]);
      if (slot) {
        taken.push(slot);
        continue;
      }
      for (const t of taken) await this.giveBack(t);
      return { allowed: false, scope, retryAfterMs: await this.retryAfterMs(key) };
    }
    return { allowed: true };
  }

  /** Windows that have ended carry no information; drop them. Returns how many. */
  async purgeExpired(): Promise<number> {
    const { count } = await this.db.signUpWindow.deleteMany({ where: { endsAt: { lte: this.clock.now() } } });
    return count;
  }

  private async takeOne(key: string, rule: SignUpRule): Promise<Slot | null> {
    const rows = await this.db.$queryRawUnsafe<{ window_start_ms: number }[]>(
      `INSERT INTO sign_up_windows AS w (key, sign_ups, window_start, ends_at)
       VALUES ($1, 1, $2::timestamptz AT TIME ZONE 'UTC',
               ($2::timestamptz + $3::bigint * interval '1 millisecond') AT TIME ZONE 'UTC')
       ON CONFLICT (key) DO UPDATE SET
         sign_ups = CASE WHEN w.ends_at <= EXCLUDED.window_start THEN 1 ELSE w.sign_ups + 1 END,
         window_start = CASE WHEN w.ends_at <= EXCLUDED.window_start THEN EXCLUDED.window_start ELSE w.window_start END,
         ends_at = CASE WHEN w.ends_at <= EXCLUDED.window_start THEN EXCLUDED.ends_at ELSE w.ends_at END
       WHERE w.ends_at <= EXCLUDED.window_start OR w.sign_ups < $4::int
       RETURNING (extract(epoch FROM w.window_start) * 1000)::float8 AS window_start_ms`,
      key,
      this.clock.now().toISOString(),
      rule.windowMs,
      rule.limit,
    );
    const row = rows[0];
    return row ? { key, windowStartMs: row.window_start_ms } : null;
  }

  /** Only within the window the slot was taken in: a newer window never owed it. */
  private async giveBack(slot: Slot): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE sign_up_windows SET sign_ups = GREATEST(sign_ups - 1, 0)
       WHERE key = $1 AND (extract(epoch FROM window_start) * 1000)::bigint = $2::bigint`,
      slot.key,
      Math.round(slot.windowStartMs),
    );
  }

  private async retryAfterMs(key: string): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<{ ends_at_ms: number }[]>(
      `SELECT (extract(epoch FROM ends_at) * 1000)::float8 AS ends_at_ms FROM sign_up_windows WHERE key = $1`,
      key,
    );
    const endsAt = rows[0]?.ends_at_ms ?? this.clock.now().getTime();
    return Math.max(0, Math.round(endsAt) - this.clock.now().getTime());
  }
}
