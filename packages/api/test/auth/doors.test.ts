import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthService,
  SITE_SIGN_UP_KEY,
  accountThrottleKey,
  addressSignUpKey,
  deviceThrottleKey,
} from "../../src/auth/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { TEST_PROOF_OF_WORK, solvedProof } from "../support/proof.ts";
import { appErrorOf, openAuthTestBed, uniqueEmail, type AuthTestBed } from "./support.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";

let ipSeq = 0;
const freshIp = () => `doors-ip-${Date.now().toString(36)}-${ipSeq++}`;

interface Payload {
  challenge: { parameters: { cost: number; data: { expiresAtMs: number } } };
  solution: { counter: number; derivedKey: string };
}

/** The payload with one field of its JSON changed, as a cheater would try. */
function tampered(proof: string, change: (p: Payload) => void): string {
  const decoded = JSON.parse(Buffer.from(proof, "base64").toString("utf8")) as Payload;
  change(decoded);
  return Buffer.from(JSON.stringify(decoded)).toString("base64");
}

for (const engine of DATABASE_ENGINES) {
  describe(`sign-up and sign-in doors on ${engine}`, () => {
    let bed: AuthTestBed;
    beforeAll(async () => {
      bed = await openAuthTestBed(engine, {
        signUpThrottle: { address: { limit: 3, windowMs: HOUR }, site: { limit: 1000, windowMs: HOUR } },
      });
    });
    afterAll(() => bed.close());

    describe("proof of work", () => {
      it("is required on sign-up, and each solved challenge buys one attempt", async () => {
        const missing = await appErrorOf(
          bed.auth.signUp({ email: uniqueEmail(), password: PASSWORD }, { ipHash: null }),
        );
        expect(missing).toMatchObject({ code: "CHALLENGE_REQUIRED", httpStatus: 400, details: { reason: "missing" } });
        expect(missing.message).toMatch(/^proof: /);

        const proof = await bed.proof();
        const email = uniqueEmail();
        await expect(bed.auth.signUp({ email, password: PASSWORD, proof }, { ipHash: null })).resolves.toMatchObject({
          user: { email },
        });
        const replay = await appErrorOf(
          bed.auth.signUp({ email: uniqueEmail(), password: PASSWORD, proof }, { ipHash: null }),
        );
        expect(replay).toMatchObject({ code: "CHALLENGE_REQUIRED", details: { reason: "spent" } });
        expect(await bed.db.prisma.user.count({ where: { email } })).toBe(1);
      });

      it("accepts one of many concurrent uses of the same solution", async () => {
        const proof = await bed.proof();
        const verdicts = await Promise.all(Array.from({ length: 8 }, () => bed.auth.proofOfWork.spend(proof)));
        expect(verdicts.filter((v) => v === "ok")).toHaveLength(1);
        expect(verdicts.filter((v) => v === "spent")).toHaveLength(7);
      });

      it("refuses forged, tampered, foreign and expired solutions without spending anything", async () => {
        const pow = bed.auth.proofOfWork;
        expect(await pow.spend("")).toBe("missing");
        expect(await pow.spend("not base64 json")).toBe("invalid");
        expect(await pow.spend(Buffer.from("[]").toString("base64"))).toBe("invalid");
        const proof = await bed.proof();
        // A guessed key, another counter, an easier (or altered) challenge: the signatures say no.
        expect(await pow.spend(tampered(proof, (p) => (p.solution.derivedKey = "00".repeat(32))))).toBe("invalid");
        expect(await pow.spend(tampered(proof, (p) => (p.solution.counter = -1)))).toBe("invalid");
        expect(await pow.spend(tampered(proof, (p) => void (p.challenge.parameters.cost = 1_000)))).toBe("invalid");
        expect(
          await pow.spend(tampered(proof, (p) => void (p.challenge.parameters.data.expiresAtMs += 365 * 24 * HOUR))),
        ).toBe("invalid");
        // Solved for another server (another secret).
        const other = new AuthService({
          db: bed.db.prisma,
          clock: bed.clock,
          secureCookies: false,
          proofOfWork: TEST_PROOF_OF_WORK,
          secret: "another-secret",
        });
        expect(await pow.spend(await solvedProof(other))).toBe("invalid");
        // None of that spent the genuine one.
        expect(await pow.spend(proof)).toBe("ok");

        const late = await bed.proof();
        bed.clock.advance(TEST_PROOF_OF_WORK.ttlMs);
        expect(await pow.spend(late)).toBe("expired");
      });

      it("forgets spent challenges once they expire", async () => {
        const proof = await bed.proof();
        expect(await bed.auth.proofOfWork.spend(proof)).toBe("ok");
        expect(await bed.db.prisma.spentChallenge.count()).toBeGreaterThan(0);
        bed.clock.advance(TEST_PROOF_OF_WORK.ttlMs);
        await bed.auth.deleteExpired();
        expect(await bed.db.prisma.spentChallenge.count()).toBe(0);
      });
    });

    describe("sign-up allowance", () => {
      it("admits 3 sign-ups an hour per address, however concurrent, then 429 with the wait", async () => {
        const ip = freshIp();
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            bed.signUp({ email: uniqueEmail(`burst${i}`), password: PASSWORD }, { ipHash: ip }),
          ),
        );
        const ok = results.filter((r) => r.status === "fulfilled");
        const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as { code: string }] : []));
        expect(ok).toHaveLength(3);
        expect(refused).toHaveLength(9);
        for (const e of refused) expect(e).toMatchObject({ code: "SIGN_UP_THROTTLED", httpStatus: 429 });
        expect(await bed.db.prisma.user.count({ where: { email: { startsWith: "burst" } } })).toBe(3);

        const e = await appErrorOf(bed.signUp({ email: uniqueEmail(), password: PASSWORD }, { ipHash: ip }));
        expect(e.message).toBe("Too many new accounts from your network. Try again in 60 minutes.");
        expect(e.details).toEqual({ retryAfterSeconds: 3600 });
        // Another address is not affected; the window ends after an hour.
        await expect(
          bed.signUp({ email: uniqueEmail(), password: PASSWORD }, { ipHash: freshIp() }),
        ).resolves.toBeDefined();
        bed.clock.advance(HOUR);
        await expect(bed.signUp({ email: uniqueEmail(), password: PASSWORD }, { ipHash: ip })).resolves.toBeDefined();
      });

      it("charges a refused duplicate e-mail like a new account, so probing e-mails spends the allowance", async () => {
        const ip = freshIp();
        const victim = uniqueEmail("victim");
        await bed.signUp({ email: victim, password: PASSWORD }, { ipHash: freshIp() });
        for (let i = 0; i < 3; i++) {
          const e = await appErrorOf(
            bed.signUp({ email: `  ${victim.toUpperCase()} `, password: PASSWORD }, { ipHash: ip }),
          );
          expect(e.code).toBe("CONFLICT");
        }
        const fourth = await appErrorOf(bed.signUp({ email: victim, password: PASSWORD }, { ipHash: ip }));
        expect(fourth.code).toBe("SIGN_UP_THROTTLED");
      });

      it("caps sign-ups site-wide, and a site refusal gives the address its slot back", async () => {
        const site = new AuthService({
          db: bed.db.prisma,
          clock: bed.clock,
          secureCookies: false,
          proofOfWork: TEST_PROOF_OF_WORK,
          signUpThrottle: { address: { limit: 3, windowMs: HOUR }, site: { limit: 2, windowMs: HOUR } },
        });
        // The site row is shared with the bed's own sign-ups: start from a fresh window.
        await bed.db.prisma.signUpWindow.deleteMany({ where: { key: SITE_SIGN_UP_KEY } });
        const signUp = async (ipHash: string) =>
          site.signUp({ email: uniqueEmail("site"), password: PASSWORD, proof: await solvedProof(site) }, { ipHash });
        await signUp(freshIp());
        await signUp(freshIp());
        const ip = freshIp();
        const e = await appErrorOf(signUp(ip));
        expect(e.code).toBe("SIGN_UP_THROTTLED");
        expect(e.message).toBe("Too many new accounts right now. Try again in 60 minutes.");
        expect(await bed.db.prisma.signUpWindow.findUnique({ where: { key: addressSignUpKey(ip) } })).toMatchObject({
          signUps: 0,
        });
        bed.clock.advance(HOUR);
        await expect(signUp(ip)).resolves.toBeDefined();
        bed.clock.advance(HOUR);
        expect(await site.signUps.purgeExpired()).toBeGreaterThan(0);
      });
    });

    describe("password blocklist", () => {
      it("refuses common, trivial and personal passwords naming the password field, before any account exists", async () => {
        const email = uniqueEmail("grace");
        for (const password of [
          "12345678",
          "password",
          "Password123!",
          "qwertyuiop",
          "iloveyou1",
          email,
          "grace hopper",
        ]) {
          const e = await appErrorOf(bed.signUp({ email, password, name: "Grace Hopper" }, { ipHash: null }));
          expect(e.code, password).toBe("VALIDATION_FAILED");
          expect(e.httpStatus).toBe(400);
          expect(e.message).toMatch(/^password: This password is too common or too easy to guess/);
          expect(e.details?.issues).toEqual([{ path: "password", message: expect.stringMatching(/too common/) }]);
        }
        for (const password of ["        ", "aaaaaaaaaa"]) {
          const e = await appErrorOf(bed.signUp({ email, password }, { ipHash: null }));
          expect(e.code).toBe("VALIDATION_FAILED");
          expect(e.message).toMatch(/^password: /);
        }
        expect(await bed.db.prisma.user.count({ where: { email } })).toBe(0);
        await expect(
          bed.signUp({ email, password: "compiler moth in relay 70" }, { ipHash: null }),
        ).resolves.toBeDefined();
      });
    });

    describe("sign-in", () => {
      it("asks for a proof of work after 3 failures, for known and unknown e-mails alike", async () => {
        const known = uniqueEmail("known");
        await bed.signUp({ email: known, password: PASSWORD }, { ipHash: null });
        for (const email of [known, uniqueEmail("unknown")]) {
          for (let i = 0; i < 3; i++) {
            expect((await appErrorOf(bed.auth.signIn({ email, password: WRONG }, { ipHash: freshIp() }))).code).toBe(
              "INVALID_CREDENTIALS",
            );
          }
          const asked = await appErrorOf(bed.auth.signIn({ email, password: WRONG }, { ipHash: freshIp() }));
          expect(asked).toMatchObject({ code: "CHALLENGE_REQUIRED", details: { reason: "missing" } });
          // The refused attempt was not counted.
          expect(
            await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(email) } }),
          ).toMatchObject({ failures: 3 });
          const wrong = await appErrorOf(
            bed.auth.signIn({ email, password: WRONG, proof: await bed.proof() }, { ipHash: freshIp() }),
          );
          expect(wrong.code).toBe("INVALID_CREDENTIALS");
        }
        await expect(
          bed.auth.signIn({ email: known, password: PASSWORD, proof: await bed.proof() }, { ipHash: freshIp() }),
        ).resolves.toMatchObject({ user: { email: known } });
      });

      it("lets the owner's browser (device cookie) in while guesses from elsewhere lock the account", async () => {
        const email = uniqueEmail("owner");
        const { deviceCookie } = await bed.signUp({ email, password: PASSWORD }, { ipHash: freshIp() });
        expect(deviceCookie).toMatchObject({ name: "wl_device", attributes: { httpOnly: true, sameSite: "lax" } });
        for (let i = 0; i < 5; i++) {
          await appErrorOf(
            bed.auth.signIn({ email, password: `${WRONG} ${i}`, proof: await bed.proof() }, { ipHash: freshIp() }),
          );
        }
        const stranger = await appErrorOf(
          bed.auth.signIn({ email, password: PASSWORD, proof: await bed.proof() }, { ipHash: freshIp() }),
        );
        expect(stranger.code).toBe("SIGN_IN_THROTTLED");

        const owner = await bed.auth.signIn(
          { email, password: PASSWORD },
          { ipHash: freshIp(), deviceCookie: deviceCookie.value },
        );
        expect(owner.user.email).toBe(email);
        expect(owner.deviceCookie.value).not.toBe(deviceCookie.value);
        // The owner's success did not unlock the account for strangers.
        expect(
          (await appErrorOf(bed.auth.signIn({ email, password: PASSWORD, proof: await bed.proof() }, { ipHash: null })))
            .code,
        ).toBe("SIGN_IN_THROTTLED");
      });

      it("gives no budget to a forged cookie or one issued for another account", async () => {
        const email = uniqueEmail("locked");
        await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
        const other = await bed.signUp({ email: uniqueEmail("other"), password: PASSWORD }, { ipHash: null });
        for (let i = 0; i < 5; i++) {
          await appErrorOf(
            bed.auth.signIn({ email, password: WRONG, proof: await bed.proof() }, { ipHash: freshIp() }),
          );
        }
        const [deviceId] = other.deviceCookie.value.split(".");
        for (const cookie of [other.deviceCookie.value, `${deviceId}.forged`, "junk", "a.b.c"]) {
          const e = await appErrorOf(
            bed.auth.signIn({ email, password: PASSWORD }, { ipHash: null, deviceCookie: cookie }),
          );
          expect(e.code, cookie).toBe("SIGN_IN_THROTTLED");
        }
      });

      it("counts a known browser's own failures on its own key, and locks only that browser", async () => {
        const email = uniqueEmail("clumsy");
        const { deviceCookie } = await bed.signUp({ email, password: PASSWORD }, { ipHash: null });
        const deviceId = deviceCookie.value.split(".")[0]!;
        for (let i = 0; i < 5; i++) {
          const e = await appErrorOf(
            bed.auth.signIn({ email, password: WRONG }, { ipHash: null, deviceCookie: deviceCookie.value }),
          );
          // A known browser is never asked for a proof of work.
          expect(e.code).toBe("INVALID_CREDENTIALS");
        }
        expect(
          (
            await appErrorOf(
              bed.auth.signIn({ email, password: PASSWORD }, { ipHash: null, deviceCookie: deviceCookie.value }),
            )
          ).code,
        ).toBe("SIGN_IN_THROTTLED");
        expect(
          await bed.db.prisma.authThrottle.findUnique({ where: { key: deviceThrottleKey(deviceId) } }),
        ).toMatchObject({
          failures: 5,
        });
        expect(await bed.db.prisma.authThrottle.findUnique({ where: { key: accountThrottleKey(email) } })).toBeNull();
        // Any other browser still has the account's budget.
        await expect(bed.auth.signIn({ email, password: PASSWORD }, { ipHash: null })).resolves.toBeDefined();
      });
    });
  });
}
