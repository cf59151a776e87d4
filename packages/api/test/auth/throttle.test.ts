import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignInInput } from "@wavelength/shared";
import { SignInThrottle, accountThrottleKey, addressThrottleKey, type RequestMeta } from "../../src/auth/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { appErrorOf, openAuthTestBed, uniqueEmail, type AuthTestBed } from "./support.ts";

const MINUTE = 60_000;
const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";

let ipSeq = 0;
const freshIp = () => `iphash-${Date.now().toString(36)}-${ipSeq++}`;

for (const engine of DATABASE_ENGINES) {
  describe(`sign-in throttling on ${engine}`, () => {
    let bed: AuthTestBed;
    beforeAll(async () => {
      bed = await openAuthTestBed(engine);
    });
    afterAll(() => bed.close());

    // These tests are about counting: every attempt brings a solved proof of work, which is spent
    // only when the throttle asks for one (tested in "asks for a proof of work…" below).
    const signIn = async (input: SignInInput, meta: RequestMeta) =>
      bed.auth.signIn({ ...input, proof: await bed.proof() }, meta);

    async function failTimes(email: string, ipHash: string | null, n: number) {
      for (let i = 0; i < n; i++) {
        const e = await appErrorOf(signIn({ email, password: WRONG }, { ipHash }));
        expect(e.code, `failure ${i + 1}`).toBe("INVALID_CREDENTIALS");
      }
    }

    it("locks an account after 5 failures for the rest of its 15-minute window, even for the right password", async () => {
      const email = uniqueEmail();
      await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
      const start = bed.clock.now().getTime();
      await failTimes(email, freshIp(), 3);
      bed.clock.advance(5 * MINUTE);
      await failTimes(email, freshIp(), 2);

      const e = await appErrorOf(signIn({ email, password: PASSWORD }, { ipHash: freshIp() }));
      expect(e.code).toBe("SIGN_IN_THROTTLED");
      expect(e.httpStatus).toBe(429);
      expect(e.message).toBe("Too many sign-in attempts. Try again in 10 minutes.");
      expect(e.details).toEqual({ retryAfterSeconds: 600 });

      const row = await bed.db.prisma.authThrottle.findUniqueOrThrow({ where: { key: accountThrottleKey(email) } });
      expect(row).toMatchObject({
        failures: 5,
        windowStart: new Date(start),
        lockedUntil: new Date(start + 15 * MINUTE),
      });

      bed.clock.advance(10 * MINUTE - 1000);
      expect((await appErrorOf(signIn({ email, password: PASSWORD }, { ipHash: null }))).details).toEqual({
        retryAfterSeconds: 1,
      });
      bed.clock.advance(1000);
      await expect(signIn({ email, password: PASSWORD }, { ipHash: null })).resolves.toMatchObject({
        user: { email },
      });
    });

    it("throttles unknown e-mails the same way, so refusals reveal no accounts", async () => {
      const email = uniqueEmail("nobody");
      await failTimes(email, null, 5);
      expect((await appErrorOf(signIn({ email, password: WRONG }, { ipHash: null }))).code).toBe("SIGN_IN_THROTTLED");
    });

    it("counts the normalised e-mail, whatever its spelling", async () => {
      const email = uniqueEmail();
      for (const spelling of [email, email.toUpperCase(), ` ${email} `, email, `${email.toUpperCase()}  `]) {
        await appErrorOf(signIn({ email: spelling, password: WRONG }, { ipHash: null }));
      }
      expect((await appErrorOf(signIn({ email, password: WRONG }, { ipHash: null }))).code).toBe("SIGN_IN_THROTTLED");
    });

    it("resets the account's counter on a successful sign-in", async () => {
      const email = uniqueEmail();
      await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
      await failTimes(email, null, 4);
      await signIn({ email, password: PASSWORD }, { ipHash: null });
      expect(await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(email) } })).toBeNull();
      await failTimes(email, null, 4);
      await expect(signIn({ email, password: PASSWORD }, { ipHash: null })).resolves.toBeDefined();
    });

    it("locks an address after 20 failures across accounts; other addresses and the account elsewhere go on", async () => {
      const ip = freshIp();
      const victim = uniqueEmail("victim");
      await bed.signUp({ email: victim, password: PASSWORD }, { ipHash: null });
      for (let i = 0; i < 5; i++) await failTimes(uniqueEmail(`spray${i}`), ip, 4);

      const e = await appErrorOf(signIn({ email: victim, password: PASSWORD }, { ipHash: ip }));
      expect(e.code).toBe("SIGN_IN_THROTTLED");
      expect(e.message).toBe("Too many sign-in attempts. Try again in 15 minutes.");
      const row = await bed.db.prisma.authThrottle.findUniqueOrThrow({ where: { key: addressThrottleKey(ip) } });
      expect(row.failures).toBe(20);
      expect(row.lockedUntil).not.toBeNull();
      // The refused attempt gave back the slot it had taken on the account.
      expect(await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(victim) } })).toMatchObject(
        { failures: 0, lockedUntil: null },
      );

      await expect(signIn({ email: victim, password: PASSWORD }, { ipHash: freshIp() })).resolves.toBeDefined();
      bed.clock.advance(15 * MINUTE);
      await expect(signIn({ email: victim, password: PASSWORD }, { ipHash: ip })).resolves.toBeDefined();
    });

    it("does not count successful sign-ins against the address", async () => {
      const ip = freshIp();
      const email = uniqueEmail();
      await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
      for (let i = 0; i < 25; i++) await signIn({ email, password: PASSWORD }, { ipHash: ip });
      const row = await bed.db.prisma.authThrottle.findUniqueOrThrow({ where: { key: addressThrottleKey(ip) } });
      expect(row.failures).toBe(0);
      expect(row.lockedUntil).toBeNull();
    });

    it("checks at most 5 passwords per account under concurrent guessing", async () => {
      const email = uniqueEmail();
      await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
      // One address too: on PostgreSQL this also shows that concurrent attempts on the same two keys do not deadlock.
      const ip = freshIp();
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          i % 4 === 3
            ? signIn({ email: uniqueEmail("bystander"), password: WRONG }, { ipHash: ip })
            : signIn({ email, password: `${WRONG} ${i}` }, { ipHash: ip }),
        ),
      );
      const codes = results.map((r) => (r.status === "rejected" ? (r.reason as { code: string }).code : "OK"));
      const target = codes.filter((_, i) => i % 4 !== 3);
      expect(target.filter((c) => c === "INVALID_CREDENTIALS")).toHaveLength(5);
      expect(target.filter((c) => c === "SIGN_IN_THROTTLED")).toHaveLength(4);
      expect(codes.filter((_, i) => i % 4 === 3)).toEqual([
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
      ]);
      const address = await bed.db.prisma.authThrottle.findUniqueOrThrow({ where: { key: addressThrottleKey(ip) } });
      expect(address.failures).toBe(8);
    });

    describe("SignInThrottle", () => {
      const policy = {
        account: { maxFailures: 2, windowMs: 10 * MINUTE },
        address: { maxFailures: 3, windowMs: 30 * MINUTE },
      };

      it("takes one slot per key, gives it back on success, and starts a new window when the old one ends", async () => {
        const throttle = new SignInThrottle(bed.db.prisma, bed.clock, policy);
        const ip = freshIp();
        const take = async (email: string) => {
          const d = await throttle.begin({ email, ipHash: ip });
          if (!d.allowed) return d;
          return { allowed: true as const, attempt: d.attempt };
        };
        const a = await take("a@example.com");
        const b = await take("b@example.com");
        if (!a.allowed || !b.allowed) throw new Error("expected slots");
        await throttle.failed(a.attempt);
        await throttle.succeeded(b.attempt);
        const c = await take("c@example.com");
        const d = await take("d@example.com");
        if (!c.allowed || !d.allowed) throw new Error("expected slots");
        await throttle.failed(c.attempt);
        await throttle.failed(d.attempt);
        const refused = await take("e@example.com");
        expect(refused).toMatchObject({ allowed: false, scope: "address", retryAfterMs: 30 * MINUTE });
        // The refusal took no account slot for e@.
        expect(await bed.db.prisma.authThrottle.findUnique({ where: { key: "email:e@example.com" } })).toMatchObject({
          failures: 0,
        });
        bed.clock.advance(30 * MINUTE);
        expect((await take("e@example.com")).allowed).toBe(true);
      });

      it("gives slots back when an attempt is abandoned, and purges spent rows", async () => {
        const throttle = new SignInThrottle(bed.db.prisma, bed.clock, policy);
        const email = uniqueEmail("abandon");
        for (let i = 0; i < 5; i++) {
          const d = await throttle.begin({ email, ipHash: null });
          if (!d.allowed) throw new Error(`attempt ${i} refused`);
          await throttle.abandoned(d.attempt);
        }
        expect(
          await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(email) } }),
        ).toMatchObject({ failures: 0, lockedUntil: null });
        bed.clock.advance(31 * MINUTE);
        expect(await throttle.purgeExpired()).toBeGreaterThanOrEqual(1);
        expect(await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(email) } })).toBeNull();
      });
    });
  });
}
