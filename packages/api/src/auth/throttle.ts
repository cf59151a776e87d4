// Failed sign-ins, counted per account (normalised e-mail) and per client address in fixed windows,
// in the database so every server instance sees the same counts. A browser with the account's
// device cookie (device-cookie.ts) is counted on its own key instead, so failures elsewhere never
// spend its budget.
//
// An attempt is counted when it starts, not when it fails: a hundred parallel guesses would all pass
// a "how many failures so far?" check before the first one failed, so `begin` atomically takes a slot
// (or refuses) and a success gives it back. At most `maxFailures` passwords are ever checked per key
// and window, whatever the concurrency. Every change is one INSERT … ON CONFLICT or UPDATE statement.

import type { Db } from "@wavelength/db";
import type { Clock } from "../metering/clock.ts";

export interface ThrottleRule {
  /** Failed (or still running) attempts allowed per window; the next one is refused. */
  maxFailures: number;
  windowMs: number;
  /** After this many failures in the window, an attempt also needs a solved proof of work. */
  challengeAfter?: number;
}

export interface SignInThrottlePolicy {
  /** Per normalised e-mail, whether or not an account has it (else refusals would reveal accounts). */
  account: ThrottleRule;
  /** Per client address hash: one address guessing across many accounts. */
  address: ThrottleRule;
  /**
   * Per device cookie, instead of the two above: a browser that signed in to the account before.
   * Defaults to the account rule without a challenge.
   */
  device?: ThrottleRule;
}

const FIFTEEN_MINUTES = 15 * 60_000;

export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottlePolicy = {
  account: { maxFailures: 5, windowMs: FIFTEEN_MINUTES, challengeAfter: 3 },
  address: { maxFailures: 20, windowMs: FIFTEEN_MINUTES, challengeAfter: 5 },
  device: { maxFailures: 5, windowMs: FIFTEEN_MINUTES },
};

export type ThrottleScope = keyof SignInThrottlePolicy;

/** A counted attempt; hand it back to `succeeded`, `failed` or `abandoned`. */
export interface SignInAttempt {
  readonly slots: readonly { scope: ThrottleScope; key: string; windowStartMs: number }[];
}

export interface ThrottleSubject {
  email: string;
  ipHash: string | null;
  /**
   * The device id of a valid device cookie for this e-mail: the attempt then counts on the device's
   * key alone, neither on the account nor on the address, which attackers elsewhere can exhaust.
   */
  deviceId?: string | null;
}

export type ThrottleDecision =
  /** `challenge`: a key has failed `challengeAfter` times already, so this attempt needs a proof of work. */
  | { allowed: true; attempt: SignInAttempt; challenge: boolean }
  | { allowed: false; scope: ThrottleScope; lockedUntil: Date; retryAfterMs: number };

export function accountThrottleKey(normalizedEmail: string): string {
  return `email:${normalizedEmail}`;
}

export function addressThrottleKey(ipHash: string): string {
  return `ip:${ipHash}`;
}

export function deviceThrottleKey(deviceId: string): string {
  return `device:${deviceId}`;
}

// Statements that touch several keys lock them in key order (begin inserts in that order too), so
// two sign-ins for the same account from the same address can never deadlock.
const LOCK_IN_KEY_ORDER = `SELECT key FROM auth_throttles WHERE key IN (SELECT key FROM input) ORDER BY key FOR UPDATE`;

interface SlotRow {
  key: string;
  failures: number;
  window_start_ms: number;
  locked_until_ms: number | null;
}

export class SignInThrottle {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: SignInThrottlePolicy = DEFAULT_SIGN_IN_THROTTLE,
  ) {}

  /**
   * Takes one slot on every key, or none: when any key is locked (or full) the slots taken on the
   * others are given back and the refusal names the lock that ends last.
   */
  async begin(subject: ThrottleSubject): Promise<ThrottleDecision> {
    const keys = this.keysOf(subject);
    const now = this.clock.now();
    const rows = await this.db.$queryRawUnsafe<SlotRow[]>(
      `WITH input AS (
         SELECT i.key, i.max_failures, i.window_ms * interval '1 millisecond' AS span
         FROM jsonb_to_recordset($1::jsonb) AS i(key text, max_failures int, window_ms bigint)
       )
       INSERT INTO auth_throttles AS t (key, failures, window_start, locked_until, updated_at)
       SELECT i.key, 1, $2::timestamptz AT TIME ZONE 'UTC', NULL, $2::timestamptz AT TIME ZONE 'UTC'
       FROM input i
       ORDER BY i.key
       ON CONFLICT (key) DO UPDATE SET (failures, window_start, locked_until, updated_at) = (
         SELECT
           CASE WHEN s.locked THEN t.failures WHEN s.base >= i.max_failures THEN s.base ELSE s.base + 1 END,
           CASE WHEN s.locked THEN t.window_start ELSE s.start END,
           CASE WHEN s.locked THEN t.locked_until WHEN s.base >= i.max_failures THEN s.start + i.span END,
           EXCLUDED.updated_at
         FROM input i,
         LATERAL (SELECT
           COALESCE(t.locked_until > EXCLUDED.updated_at, false) AS locked,
           CASE WHEN t.window_start + i.span <= EXCLUDED.updated_at THEN 0 ELSE t.failures END AS base,
           CASE WHEN t.window_start + i.span <= EXCLUDED.updated_at
             THEN EXCLUDED.updated_at ELSE t.window_start END AS start
         ) s
         WHERE i.key = t.key
       )
       RETURNING t.key, t.failures,
         (extract(epoch FROM t.window_start) * 1000)::float8 AS window_start_ms,
         (extract(epoch FROM t.locked_until) * 1000)::float8 AS locked_until_ms`,
      JSON.stringify(keys.map(({ key, rule }) => ({ key, max_failures: rule.maxFailures, window_ms: rule.windowMs }))),
      now.toISOString(),
    );
    const slots = keys.map(({ scope, key }) => {
      const row = rows.find((r) => r.key === key);
      if (!row) throw new Error(`auth throttle: no row returned for ${scope}`);
      return {
        scope,
        key,
        windowStartMs: row.window_start_ms,
        lockedUntilMs: row.locked_until_ms,
        failuresBefore: row.failures - 1,
      };
    });
    // A slot was taken exactly when the row is not locked after the statement.
    const taken = slots.filter((s) => s.lockedUntilMs === null);
    const locks = slots.filter((s) => s.lockedUntilMs !== null);
    if (locks.length === 0) {
      const challenge = taken.some((s) => {
        const after = this.rule(s.scope).challengeAfter;
        return after !== undefined && s.failuresBefore >= after;
      });
      return {
        allowed: true,
        attempt: { slots: taken.map(({ scope, key, windowStartMs }) => ({ scope, key, windowStartMs })) },
        challenge,
      };
    }
    await this.giveBack(taken);
    const last = locks.reduce((a, b) => ((b.lockedUntilMs ?? 0) > (a.lockedUntilMs ?? 0) ? b : a));
    const lockedUntil = new Date(last.lockedUntilMs ?? now.getTime());
    return {
      allowed: false,
      scope: last.scope,
      lockedUntil,
      retryAfterMs: Math.max(0, lockedUntil.getTime() - now.getTime()),
    };
  }

  /** The password matched: the account (or device) starts afresh; the address gets its slot back. */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    const account = attempt.slots.filter((s) => s.scope !== "address").map((s) => s.key);
    if (account.length > 0) {
      await this.db.$executeRawUnsafe(
        `DELETE FROM auth_throttles WHERE key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        JSON.stringify(account),
      );
    }
    await this.giveBack(attempt.slots.filter((s) => s.scope === "address"));
  }

  /** The password did not match: the slot stays taken; a key that is now full locks until its window ends. */
  async failed(attempt: SignInAttempt): Promise<void> {
    if (attempt.slots.length === 0) return;
    await this.db.$executeRawUnsafe(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(key text, max_failures int, window_ms bigint, window_start_ms bigint)
       ), locked AS (${LOCK_IN_KEY_ORDER})
       UPDATE auth_throttles t SET locked_until = t.window_start + i.window_ms * interval '1 millisecond'
       FROM input i, locked l
       WHERE t.key = i.key AND l.key = t.key AND t.failures >= i.max_failures AND t.locked_until IS NULL
         AND (extract(epoch FROM t.window_start) * 1000)::bigint = i.window_start_ms`,
      JSON.stringify(
        attempt.slots.map((s) => ({
          key: s.key,
          max_failures: this.rule(s.scope).maxFailures,
          window_ms: this.rule(s.scope).windowMs,
          window_start_ms: s.windowStartMs,
        })),
      ),
    );
  }

  /** The attempt never reached a verdict (a database error, say): give every slot back. */
  async abandoned(attempt: SignInAttempt): Promise<void> {
    await this.giveBack(attempt.slots);
  }

  /** Rows whose window and lock are both over carry no information; drop them. Returns how many. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    const longest = Math.max(this.policy.account.windowMs, this.policy.address.windowMs, this.rule("device").windowMs);
    return this.db.$executeRawUnsafe(
      `DELETE FROM auth_throttles
       WHERE window_start <= $1::timestamptz AT TIME ZONE 'UTC'
         AND (locked_until IS NULL OR locked_until <= $2::timestamptz AT TIME ZONE 'UTC')`,
      new Date(now.getTime() - longest).toISOString(),
      now.toISOString(),
    );
  }

  private rule(scope: ThrottleScope): ThrottleRule {
    return scope === "device"
      ? (this.policy.device ?? { maxFailures: this.policy.account.maxFailures, windowMs: this.policy.account.windowMs })
      : this.policy[scope];
  }

  private keysOf(subject: ThrottleSubject) {
    if (subject.deviceId) {
      return [{ scope: "device" as const, key: deviceThrottleKey(subject.deviceId), rule: this.rule("device") }];
    }
    const keys: { scope: ThrottleScope; key: string; rule: ThrottleRule }[] = [
      { scope: "account", key: accountThrottleKey(subject.email), rule: this.policy.account },
    ];
    if (subject.ipHash !== null) {
      keys.push({ scope: "address", key: addressThrottleKey(subject.ipHash), rule: this.policy.address });
    }
    return keys;
  }

  /** Returns slots taken in a window that is still the row's current one (a new window starts at 1 anyway). */
  private async giveBack(slots: readonly { key: string; windowStartMs: number }[]): Promise<void> {
    if (slots.length === 0) return;
    await this.db.$executeRawUnsafe(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(key text, window_start_ms bigint)
       ), locked AS (${LOCK_IN_KEY_ORDER})
       UPDATE auth_throttles t SET failures = GREATEST(t.failures - 1, 0)
       FROM input i, locked l
       WHERE t.key = i.key AND l.key = t.key AND (extract(epoch FROM t.window_start) * 1000)::bigint = i.window_start_ms`,
      JSON.stringify(slots.map((s) => ({ key: s.key, window_start_ms: s.windowStartMs }))),
    );
  }
}
