import { hash, parseOptions } from "@node-rs/argon2";
import { APP_ERROR_CODES } from "@wavelength/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService, SESSION_LIFETIME_MS, hashPassword, verifyPassword } from "../../src/auth/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { TEST_PROOF_OF_WORK, solvedProof } from "../support/proof.ts";
import { appErrorOf, openAuthTestBed, uniqueEmail, type AuthTestBed } from "./support.ts";

const DAY = 24 * 3600_000;
const PASSWORD = "correct horse battery";

for (const engine of DATABASE_ENGINES) {
  describe(`AuthService on ${engine}`, () => {
    let bed: AuthTestBed;
    beforeAll(async () => {
      bed = await openAuthTestBed(engine);
    });
    afterAll(() => bed.close());

    const noIp = { ipHash: null };

    describe("sign-up", () => {
      it("creates a free user with a 30-day session and a cookie for the server to set", async () => {
        const email = uniqueEmail("ada");
        const before = Date.now();
        const { user, session, cookie } = await bed.signUp({ email, password: PASSWORD, name: "Ada" }, noIp);
        expect(user).toEqual({ id: user.id, email, name: "Ada", tier: "free", role: "user", timezone: "UTC" });
        expect(session.userId).toBe(user.id);
        expect(session.expiresAt.getTime()).toBeGreaterThanOrEqual(before + SESSION_LIFETIME_MS);
        expect(session.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + SESSION_LIFETIME_MS);
        expect(cookie).toEqual({
          name: "wl_session",
          value: session.id,
          attributes: { httpOnly: true, secure: false, sameSite: "lax", path: "/", maxAge: 30 * 24 * 3600 },
        });
        expect(bed.auth.cookieName).toBe("wl_session");
        expect(JSON.parse(JSON.stringify(cookie))).toEqual(cookie);
        const validated = await bed.auth.validate(cookie.value);
        expect(validated?.user).toEqual(user);
      });

      it("stores the password as argon2id with m=19456, t=2, p=1, never in clear", async () => {
        const email = uniqueEmail();
        await bed.signUp({ email, password: PASSWORD }, noIp);
        const row = await bed.db.prisma.user.findUniqueOrThrow({ where: { email } });
        expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        expect(row.passwordHash).not.toContain(PASSWORD);
        expect(parseOptions(row.passwordHash!)).toMatchObject({
          algorithm: 2,
          memoryCost: 19456,
          timeCost: 2,
          parallelism: 1,
        });
      });

      it("normalises the e-mail (case and whitespace) and keeps the browser's zone in canonical spelling", async () => {
        const email = uniqueEmail("Grace");
        const { user } = await bed.signUp(
          { email: `  ${email.toUpperCase()}  `, password: PASSWORD, timezone: "america/new_york" },
          noIp,
        );
        expect(user.email).toBe(email.toLowerCase());
        expect(user.timezone).toBe("America/New_York");
      });

      it("refuses an unknown zone and a short password as VALIDATION_FAILED", async () => {
        const zone = await appErrorOf(
          bed.signUp({ email: uniqueEmail(), password: PASSWORD, timezone: "Mars/Olympus" }, noIp),
        );
        expect(zone.code).toBe("VALIDATION_FAILED");
        expect(zone.message).toMatch(/^timezone: Unknown time zone/);
        const short = await appErrorOf(bed.signUp({ email: uniqueEmail(), password: "short" }, noIp));
        expect(short.code).toBe("VALIDATION_FAILED");
        expect(short.message).toMatch(/^password: /);
      });

      it("refuses a taken e-mail, whatever its case, as CONFLICT", async () => {
        const email = uniqueEmail();
        await bed.signUp({ email, password: PASSWORD }, noIp);
        const e = await appErrorOf(bed.signUp({ email: email.toUpperCase(), password: "another password" }, noIp));
        expect(e.code).toBe("CONFLICT");
        expect(e.httpStatus).toBe(409);
        expect(e.message).toBe("An account with this email already exists.");
      });

      it("lets exactly one of two racing sign-ups with one e-mail through", async () => {
        const email = uniqueEmail("race");
        const results = await Promise.allSettled([
          bed.signUp({ email, password: PASSWORD }, noIp),
          bed.signUp({ email: email.toUpperCase(), password: "other password" }, noIp),
          bed.signUp({ email, password: "third password" }, noIp),
        ]);
        const ok = results.filter((r) => r.status === "fulfilled");
        const refused = results.filter((r) => r.status === "rejected");
        expect(ok).toHaveLength(1);
        expect(refused).toHaveLength(2);
        for (const r of refused) expect(r.reason).toMatchObject({ name: "AppError", code: "CONFLICT" });
        expect(await bed.db.prisma.user.count({ where: { email } })).toBe(1);
      });
    });

    describe("sign-in", () => {
      it("starts a new session for the right password, with a normalised e-mail", async () => {
        const email = uniqueEmail("Signin");
        const up = await bed.signUp({ email, password: PASSWORD, timezone: "Asia/Tokyo" }, noIp);
        const inn = await bed.auth.signIn({ email: `  ${email.toUpperCase()} `, password: PASSWORD }, noIp);
        expect(inn.user).toEqual(up.user);
        expect(inn.session.id).not.toBe(up.session.id);
        expect(inn.cookie.value).toBe(inn.session.id);
        expect((await bed.auth.validate(inn.session.id))?.user.id).toBe(up.user.id);
        expect((await bed.auth.validate(up.session.id))?.user.id).toBe(up.user.id);
      });

      it("gives the same answer for a wrong password, an unknown e-mail and an account without a password", async () => {
        const email = uniqueEmail();
        await bed.signUp({ email, password: PASSWORD }, noIp);
        const passwordless = uniqueEmail("seeded");
        await bed.db.prisma.user.create({ data: { email: passwordless } });

        const wrong = await appErrorOf(bed.auth.signIn({ email, password: "not the password" }, noIp));
        const unknown = await appErrorOf(bed.auth.signIn({ email: uniqueEmail("nobody"), password: PASSWORD }, noIp));
        const noHash = await appErrorOf(bed.auth.signIn({ email: passwordless, password: PASSWORD }, noIp));
        for (const e of [wrong, unknown, noHash]) {
          expect(e.code).toBe("INVALID_CREDENTIALS");
          expect(e.httpStatus).toBe(401);
          expect(e.message).toBe(APP_ERROR_CODES.INVALID_CREDENTIALS.message);
          expect(e.message).toBe("Email or password is incorrect.");
        }
      });

      it("spends a password verification's time on an unknown e-mail too", async () => {
        const stored = await hashPassword(PASSWORD);
        // Minima of runs taken in turns, so that a busy machine slows both sides alike (a run of
        // one side during a quiet moment and of the other under load would compare the machine).
        const time = async (run: () => Promise<unknown>) => {
          const t = performance.now();
          await run();
          return performance.now() - t;
        };
        let verification = Infinity;
        let unknown = Infinity;
        for (let i = 0; i < 7; i++) {
          verification = Math.min(verification, await time(() => verifyPassword(stored, "wrong password")));
          unknown = Math.min(
            unknown,
            await time(() =>
              appErrorOf(bed.auth.signIn({ email: uniqueEmail("nobody"), password: "wrong password" }, noIp)),
            ),
          );
        }
        // Without the dummy verification an unknown e-mail would answer in a fraction of this.
        expect(unknown).toBeGreaterThan(verification * 0.6);
      });

      it("never reuses the session the client brought (fixation) and ends it", async () => {
        const email = uniqueEmail();
        const up = await bed.signUp({ email, password: PASSWORD }, noIp);
        const inn = await bed.auth.signIn(
          { email, password: PASSWORD },
          { ipHash: null, previousSessionId: up.session.id },
        );
        expect(inn.session.id).not.toBe(up.session.id);
        expect(await bed.auth.validate(up.session.id)).toBeNull();
        expect(await bed.auth.validate(inn.session.id)).not.toBeNull();
      });

      it("upgrades a hash made with weaker parameters on the next sign-in", async () => {
        const email = uniqueEmail();
        const weak = await hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1, algorithm: 2 });
        await bed.db.prisma.user.create({ data: { email, passwordHash: weak } });
        await bed.auth.signIn({ email, password: PASSWORD }, noIp);
        const row = await bed.db.prisma.user.findUniqueOrThrow({ where: { email } });
        expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        await bed.auth.signIn({ email, password: PASSWORD }, noIp);
      });
    });

    describe("sessions", () => {
      it("returns null for a missing, malformed or unknown session id", async () => {
        expect(await bed.auth.validate(undefined)).toBeNull();
        expect(await bed.auth.validate("")).toBeNull();
        expect(await bed.auth.validate("x".repeat(10_000))).toBeNull();
        expect(await bed.auth.validate("'; DROP TABLE sessions; --")).toBeNull();
        expect(await bed.auth.validate("abcdefghijklmnopqrstuvwxyz234567abcdefgh")).toBeNull();
      });

      it("does not refresh a session in the first half of its life", async () => {
        const { session } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        const v = await bed.auth.validate(session.id);
        expect(v?.refreshCookie).toBeNull();
        expect(v?.session.expiresAt.getTime()).toBe(session.expiresAt.getTime());
      });

      it("treats an expired session as none and deletes it", async () => {
        const { session } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        // Lucia judges expiry with Date.now(), so the row is moved into the past instead of the clock forward.
        await bed.db.prisma.session.update({
          where: { id: session.id },
          data: { expiresAt: new Date(Date.now() - 1000) },
        });
        expect(await bed.auth.validate(session.id)).toBeNull();
        expect(await bed.db.prisma.session.findUnique({ where: { id: session.id } })).toBeNull();
      });

      it("slides the expiry forward in the second half of the lifetime and hands back a refresh cookie", async () => {
        const { session } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        await bed.db.prisma.session.update({
          where: { id: session.id },
          data: { expiresAt: new Date(Date.now() + 10 * DAY) },
        });
        const before = Date.now();
        const v = await bed.auth.validate(session.id);
        expect(v?.refreshCookie).toEqual({
          name: "wl_session",
          value: session.id,
          attributes: { httpOnly: true, secure: false, sameSite: "lax", path: "/", maxAge: 30 * 24 * 3600 },
        });
        expect(v?.session.expiresAt.getTime()).toBeGreaterThanOrEqual(before + SESSION_LIFETIME_MS);
        const row = await bed.db.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
        expect(row.expiresAt.getTime()).toBe(v?.session.expiresAt.getTime());
        expect((await bed.auth.validate(session.id))?.refreshCookie).toBeNull();
      });

      it("signs out: the session is gone and the cookie is blanked", async () => {
        const { session } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        const blank = await bed.auth.signOut(session.id);
        expect(blank).toEqual({
          name: "wl_session",
          value: "",
          attributes: { httpOnly: true, secure: false, sameSite: "lax", path: "/", maxAge: 0 },
        });
        expect(await bed.auth.validate(session.id)).toBeNull();
        // Signing out twice, or without a session, is harmless.
        await expect(bed.auth.signOut(session.id)).resolves.toEqual(blank);
        await expect(bed.auth.signOut(null)).resolves.toEqual(blank);
      });

      it("signs a user out everywhere, and only that user", async () => {
        const email = uniqueEmail();
        const a = await bed.signUp({ email, password: PASSWORD }, noIp);
        const b = await bed.auth.signIn({ email, password: PASSWORD }, noIp);
        const other = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        await bed.auth.signOutEverywhere(a.user.id);
        expect(await bed.auth.validate(a.session.id)).toBeNull();
        expect(await bed.auth.validate(b.session.id)).toBeNull();
        expect(await bed.auth.validate(other.session.id)).not.toBeNull();
      });

      it("reflects tier and role changes on the next validation, and drops sessions of deleted users", async () => {
        const { user, session } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        await bed.db.prisma.user.update({ where: { id: user.id }, data: { tier: "pro", role: "admin" } });
        expect((await bed.auth.validate(session.id))?.user).toMatchObject({ tier: "pro", role: "admin" });
        await bed.db.prisma.user.delete({ where: { id: user.id } });
        expect(await bed.auth.validate(session.id)).toBeNull();
      });

      it("creates a session for an existing user without a password (CLI), and refuses an unknown id", async () => {
        const row = await bed.db.prisma.user.create({ data: { email: uniqueEmail("cli") } });
        const { session, cookie } = await bed.auth.createSessionFor(row.id);
        expect(cookie.value).toBe(session.id);
        expect((await bed.auth.validate(session.id))?.user).toMatchObject({ id: row.id, tier: "free", role: "user" });
        const e = await appErrorOf(bed.auth.createSessionFor("00000000-0000-0000-0000-000000000000"));
        expect(e.code).toBe("NOT_FOUND");
      });

      it("deletes expired sessions in housekeeping and keeps live ones", async () => {
        const { session: live } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        const { session: dead } = await bed.signUp({ email: uniqueEmail(), password: PASSWORD }, noIp);
        await bed.db.prisma.session.update({ where: { id: dead.id }, data: { expiresAt: new Date(Date.now() - DAY) } });
        await bed.auth.deleteExpired();
        expect(await bed.db.prisma.session.findUnique({ where: { id: dead.id } })).toBeNull();
        expect(await bed.db.prisma.session.findUnique({ where: { id: live.id } })).not.toBeNull();
      });
    });

    describe("cookie Secure flag", () => {
      it('follows the request with "auto" (Secure when unknown) and is fixed otherwise', async () => {
        const auto = new AuthService({
          db: bed.db.prisma,
          clock: bed.clock,
          secureCookies: "auto",
          proofOfWork: TEST_PROOF_OF_WORK,
        });
        const always = new AuthService({ db: bed.db.prisma, clock: bed.clock, secureCookies: true });
        const http = await auto.signUp(
          { email: uniqueEmail(), password: PASSWORD, proof: await solvedProof(auto) },
          { ipHash: null, https: false },
        );
        const https = await auto.signUp(
          { email: uniqueEmail(), password: PASSWORD, proof: await solvedProof(auto) },
          { ipHash: null, https: true },
        );
        expect(http.deviceCookie.attributes.secure).toBe(false);
        expect(https.deviceCookie.attributes.secure).toBe(true);
        expect(http.cookie.attributes.secure).toBe(false);
        expect(https.cookie.attributes.secure).toBe(true);
        expect((await auto.signOut(null)).attributes.secure).toBe(true);
        expect((await auto.signOut(null, { https: false })).attributes.secure).toBe(false);
        expect((await always.signOut(null, { https: false })).attributes.secure).toBe(true);
      });
    });
  });
}
