// Accounts and sessions. Lucia (v3) keeps the sessions; this class is the only code that talks to
// it, and it returns plain values and AppErrors so routers and the server stay unaware of it.
//
// The doors: a sign-up needs a solved proof of work, a password off the blocklist and a slot of the
// sign-up allowance (per address and site-wide); a sign-in is throttled per account and address,
// or per device for a browser the account signed in from before, and needs a proof of work once
// a few attempts have failed.

import { randomBytes } from "node:crypto";
import { Lucia, TimeSpan, type Cookie, type Session, type User } from "lucia";
import type { z } from "zod";
import { isUniqueViolation, type Db, type SqlClient } from "@wavelength/db";
import { AppError, signInInput, signUpInput, type SignInInput, type SignUpInput } from "@wavelength/shared";
import type { Clock } from "../metering/clock.ts";
import { PrismaLuciaAdapter, type DatabaseUserAttributes } from "./lucia-adapter.ts";
import { DEVICE_COOKIE_MAX_AGE_S, DEVICE_COOKIE_NAME, DeviceCookies } from "./device-cookie.ts";
import { hashPassword, needsRehash, verifyDummyPassword, verifyPassword } from "./password.ts";
import { passwordProblem } from "./password-policy.ts";
import { ProofOfWork, type ProofOfWorkPolicy, type ProofVerdict } from "./proof-of-work.ts";
import { SignUpThrottle, type SignUpThrottlePolicy } from "./sign-up-throttle.ts";
import { DEFAULT_SIGN_IN_THROTTLE, SignInThrottle, type SignInThrottlePolicy } from "./throttle.ts";
import type { AuthSession, AuthUser, RequestMeta, SessionCookie, SignedIn, ValidatedSession } from "./types.ts";

export const SESSION_COOKIE_NAME = "wl_session";
/** Sliding: a session used at least once in the second half of this span lives another full span. */
const SESSION_LIFETIME = new TimeSpan(30, "d");
export const SESSION_LIFETIME_MS = SESSION_LIFETIME.milliseconds();

const EMAIL_TAKEN_MESSAGE = "An account with this email already exists.";

// Lucia's ids are 40 base32 characters. Anything far from that is junk (or an attack) and is
// refused without a database round trip.
const PLAUSIBLE_SESSION_ID = /^[A-Za-z0-9_-]{16,128}$/;

export interface AuthServiceOptions {
  db: Db;
  /** Drives sign-in throttling. Session expiry follows the wall clock: Lucia reads Date.now() itself. */
  clock: Clock;
  /** The cookie's Secure flag: fixed, or "auto" to follow `RequestMeta.https` (Secure when unknown). */
  secureCookies: boolean | "auto";
  throttle?: SignInThrottlePolicy;
  signUpThrottle?: SignUpThrottlePolicy;
  proofOfWork?: ProofOfWorkPolicy;
  /**
   * Signs proof-of-work challenges and device cookies. Every instance of one site needs the same
   * secret (the server passes SESSION_SECRET); without one, a random per-process secret is used.
   */
  secret?: string;
  /** Plain SQL on the same database: session validation, on every request, goes through it. */
  sql?: SqlClient;
}

export class AuthService {
  readonly cookieName = SESSION_COOKIE_NAME;
  readonly deviceCookieName = DEVICE_COOKIE_NAME;
  readonly throttle: SignInThrottle;
  readonly signUps: SignUpThrottle;
  readonly proofOfWork: ProofOfWork;
  private readonly devices: DeviceCookies;
  private readonly db: Db;
  private readonly lucia: Lucia<Record<never, never>, Omit<AuthUser, "id">>;
  private readonly secureCookies: boolean | "auto";

  constructor(options: AuthServiceOptions) {
    this.db = options.db;
    this.secureCookies = options.secureCookies;
    this.throttle = new SignInThrottle(options.db, options.clock, options.throttle ?? DEFAULT_SIGN_IN_THROTTLE);
    this.signUps = new SignUpThrottle(options.db, options.clock, options.signUpThrottle);
    const secret = options.secret ?? randomBytes(32).toString("hex");
    this.proofOfWork = new ProofOfWork(options.db, options.clock, secret, options.proofOfWork);
    this.devices = new DeviceCookies(secret);
    this.lucia = new Lucia(new PrismaLuciaAdapter(options.db, options.sql), {
      sessionExpiresIn: SESSION_LIFETIME,
      sessionCookie: {
        name: SESSION_COOKIE_NAME,
        // Secure is decided per response (see cookieOf); Lax keeps the cookie off cross-site POSTs,
        // and the server's Origin check covers the rest (CSRF).
        attributes: { secure: true, sameSite: "lax" },
      },
      getUserAttributes: toUserAttributes,
    });
  }

  /** A proof-of-work challenge to solve for `proof` (sign-up; sign-in after failures). */
  challenge() {
    return this.proofOfWork.challenge();
  }

  /**
   * Creates a free account with a session. In order, cheapest refusal first: the schema, the proof
   * of work (spent here, so it also pays for the password check), the password blocklist, then a
   * slot of the sign-up allowance. A taken e-mail is a CONFLICT, decided by the unique index; it
   * has cost a slot like a new account (see README, "Accounts and guests").
   */
  async signUp(input: SignUpInput, meta: RequestMeta): Promise<SignedIn> {
    const { email, password, name, timezone, proof } = parse(signUpInput, input);
    await this.requireProof(proof);
    const problem = await passwordProblem(password, { email, name });
    if (problem) {
      throw new AppError("VALIDATION_FAILED", `password: ${problem}`, {
        issues: [{ path: "password", message: problem }],
      });
    }
    const slot = await this.signUps.take(meta.ipHash);
    if (!slot.allowed) {
      const minutes = Math.max(1, Math.ceil(slot.retryAfterMs / 60_000));
      const when = `Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
      throw new AppError(
        "SIGN_UP_THROTTLED",
        slot.scope === "address"
          ? `Too many new accounts from your network. ${when}`
          : `Too many new accounts right now. ${when}`,
        { retryAfterSeconds: Math.ceil(slot.retryAfterMs / 1000) },
      );
    }
    const passwordHash = await hashPassword(password);
    let user: AuthUser;
    try {
      user = toAuthUser(
        await this.db.user.create({
          data: { email, passwordHash, name: name ?? null, timezone: timezone ?? "UTC", tier: "free", role: "user" },
          select: USER_SELECT,
        }),
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError("CONFLICT", EMAIL_TAKEN_MESSAGE);
      throw e;
    }
    const session = await this.lucia.createSession(user.id, {});
    return {
      user,
      session: toAuthSession(session),
      cookie: this.cookieOf(this.lucia.createSessionCookie(session.id), meta),
      deviceCookie: this.deviceCookieFor(email, meta),
    };
  }

  /**
   * Checks the password under the throttle and starts a brand-new session (never one the client
   * brought along: session fixation). `previousSessionId`, the cookie the request carried, is ended.
   * Unknown e-mail, account without password and wrong password are one answer in the same time.
   */
  async signIn(input: SignInInput, meta: RequestMeta & { previousSessionId?: string | null }): Promise<SignedIn> {
    const { email, password, proof } = parse(signInInput, input);
    const deviceId = this.devices.deviceOf(meta.deviceCookie, email);
    const decision = await this.throttle.begin({ email, ipHash: meta.ipHash, deviceId });
    if (!decision.allowed) {
      const seconds = Math.ceil(decision.retryAfterMs / 1000);
      const minutes = Math.max(1, Math.ceil(seconds / 60));
      throw new AppError(
        "SIGN_IN_THROTTLED",
        `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        { retryAfterSeconds: seconds },
      );
    }
    const { attempt } = decision;
    if (decision.challenge) {
      // Asked of known and unknown e-mails alike: the account's counter exists either way.
      try {
        await this.requireProof(proof);
      } catch (e) {
        await this.throttle.abandoned(attempt).catch(() => {});
        throw e;
      }
    }
    let row: (UserRow & { passwordHash: string | null }) | null;
    let ok: boolean;
    try {
      row = await this.db.user.findUnique({ where: { email }, select: { ...USER_SELECT, passwordHash: true } });
      ok = row?.passwordHash ? await verifyPassword(row.passwordHash, password) : await verifyDummyPassword(password);
    } catch (e) {
      await this.throttle.abandoned(attempt).catch(() => {});
      throw e;
    }
    if (!row || !ok) {
      await this.throttle.failed(attempt);
      throw new AppError("INVALID_CREDENTIALS");
    }
    await this.throttle.succeeded(attempt);
    if (row.passwordHash && needsRehash(row.passwordHash)) {
      await this.db.user.update({ where: { id: row.id }, data: { passwordHash: await hashPassword(password) } });
    }
    if (meta.previousSessionId) await this.lucia.invalidateSession(meta.previousSessionId);
    const session = await this.lucia.createSession(row.id, {});
    return {
      user: toAuthUser(row),
      session: toAuthSession(session),
      cookie: this.cookieOf(this.lucia.createSessionCookie(session.id), meta),
      deviceCookie: this.deviceCookieFor(email, meta),
    };
  }

  /** Ends the session (an unknown id is fine) and returns the cookie that clears the browser's copy. */
  async signOut(sessionId: string | null | undefined, meta?: Pick<RequestMeta, "https">): Promise<SessionCookie> {
    if (sessionId && PLAUSIBLE_SESSION_ID.test(sessionId)) await this.lucia.invalidateSession(sessionId);
    return this.blankCookie(meta);
  }

  /** Ends every session of a user (password change, operator action). */
  async signOutEverywhere(userId: string): Promise<void> {
    await this.lucia.invalidateUserSessions(userId);
  }

  /**
   * The session behind a cookie value, or null (unknown, expired, or its user deleted; Lucia deletes
   * the dead row). When the expiry slid forward, `refreshCookie` must be sent back.
   */
  async validate(
    sessionId: string | null | undefined,
    meta?: Pick<RequestMeta, "https">,
  ): Promise<ValidatedSession | null> {
    if (!sessionId || !PLAUSIBLE_SESSION_ID.test(sessionId)) return null;
    const { session, user } = await this.lucia.validateSession(sessionId);
    if (!session) return null;
    return {
      user: fromLuciaUser(user),
      session: toAuthSession(session),
      refreshCookie: session.fresh ? this.cookieOf(this.lucia.createSessionCookie(session.id), meta) : null,
    };
  }

  /** A session for an existing user without a password (operator CLI, tests). */
  async createSessionFor(
    userId: string,
    meta?: Pick<RequestMeta, "https">,
  ): Promise<{ session: AuthSession; cookie: SessionCookie }> {
    const exists = await this.db.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!exists) throw new AppError("NOT_FOUND", "No such user.");
    const session = await this.lucia.createSession(userId, {});
    return { session: toAuthSession(session), cookie: this.cookieOf(this.lucia.createSessionCookie(session.id), meta) };
  }

  /** The cookie that clears the session cookie, e.g. when a request carried a dead one. */
  blankCookie(meta?: Pick<RequestMeta, "https">): SessionCookie {
    return this.cookieOf(this.lucia.createBlankSessionCookie(), meta);
  }

  /** Housekeeping for a periodic job: expired sessions, spent throttle rows and expired challenges. */
  async deleteExpired(): Promise<void> {
    await this.lucia.deleteExpiredSessions();
    await this.throttle.purgeExpired();
    await this.signUps.purgeExpired();
    await this.proofOfWork.purgeExpired();
  }

  /** Spends the proof, or refuses with CHALLENGE_REQUIRED naming the `proof` field. */
  private async requireProof(proof: string | undefined): Promise<void> {
    const verdict = await this.proofOfWork.spend(proof);
    if (verdict === "ok") return;
    const message = PROOF_MESSAGES[verdict];
    throw new AppError("CHALLENGE_REQUIRED", `proof: ${message}`, {
      reason: verdict,
      issues: [{ path: "proof", message }],
    });
  }

  /** A new device cookie: this browser now knows the account (see device-cookie.ts). */
  private deviceCookieFor(email: string, meta: Pick<RequestMeta, "https">): SessionCookie {
    return {
      name: DEVICE_COOKIE_NAME,
      value: this.devices.issue(email),
      attributes: {
        httpOnly: true,
        secure: this.secureCookies === "auto" ? (meta.https ?? true) : this.secureCookies,
        sameSite: "lax",
        path: "/",
        maxAge: DEVICE_COOKIE_MAX_AGE_S,
      },
    };
  }

  private cookieOf(cookie: Cookie, meta: Pick<RequestMeta, "https"> | undefined): SessionCookie {
    const secure = this.secureCookies === "auto" ? (meta?.https ?? true) : this.secureCookies;
    return {
      name: cookie.name,
      value: cookie.value,
      attributes: {
        httpOnly: true,
        secure,
        sameSite: "lax",
        path: cookie.attributes.path ?? "/",
        maxAge: cookie.attributes.maxAge ?? 0,
      },
    };
  }
}

const PROOF_MESSAGES: Record<Exclude<ProofVerdict, "ok">, string> = {
  missing: "Solve a challenge from auth.challenge and send its payload.",
  invalid: "The challenge was not solved correctly. Solve a new one.",
  expired: "The challenge has expired. Solve a new one.",
  spent: "This challenge was already used. Solve a new one.",
};

const USER_SELECT = { id: true, email: true, name: true, tier: true, role: true, timezone: true } as const;

type UserRow = { id: string } & DatabaseUserAttributes;

function toAuthUser(row: UserRow): AuthUser {
  return { id: row.id, ...toUserAttributes(row) };
}

function toUserAttributes(a: DatabaseUserAttributes): Omit<AuthUser, "id"> {
  return {
    email: a.email,
    name: a.name,
    // Accounts are free or pro; "anonymous" exists in the enum for visitors only and never on a user row.
    tier: a.tier === "pro" ? "pro" : "free",
    role: a.role,
    timezone: a.timezone,
  };
}

function fromLuciaUser(user: User): AuthUser {
  return { id: user.id, email: user.email, name: user.name, tier: user.tier, role: user.role, timezone: user.timezone };
}

function toAuthSession(session: Session): AuthSession {
  return { id: session.id, userId: session.userId, expiresAt: session.expiresAt };
}

/**
 * Routers parse before calling, but the CLI and tests need not: parse again (idempotent) so that
 * e-mails are always normalised and bounds always hold.
 */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new AppError("VALIDATION_FAILED", `${field}${issue?.message ?? "Invalid input"}`, {
    issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}
