import { parseOptions, verify } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { PASSWORD_HASH_OPTIONS, hashPassword, needsRehash, verifyPassword } from "../../src/auth/index.ts";
import { DUMMY_HASH, verifyDummyPassword } from "../../src/auth/password.ts";

describe("password hashing", () => {
  it("hashes with argon2id, m=19456 KiB, t=2, p=1 and a fresh salt each time", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(parseOptions(a)).toMatchObject({ algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(PASSWORD_HASH_OPTIONS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 });
    expect(needsRehash(a)).toBe(false);
  });

  it("verifies the password and nothing else; a malformed hash is a mismatch, not a crash", async () => {
    const h = await hashPassword("pässwörd ✓ long enough");
    expect(await verifyPassword(h, "pässwörd ✓ long enough")).toBe(true);
    expect(await verifyPassword(h, "pässwörd ✓ long enougH")).toBe(false);
    expect(await verifyPassword("not a hash", "x")).toBe(false);
    expect(await verifyPassword("", "")).toBe(false);
  });

  it("the dummy verification always fails, but does the work of a real one", async () => {
    // Checked by construction rather than by a stopwatch (timings are noise on a busy machine): the
    // dummy is a well-formed Argon2id hash with today's parameters, so verifying against it runs
    // the same memory and passes as verifying a real user's hash.
    expect(await verifyDummyPassword("some password")).toBe(false);
    expect(needsRehash(DUMMY_HASH)).toBe(false);
    expect(parseOptions(DUMMY_HASH)).toMatchObject({
      memoryCost: PASSWORD_HASH_OPTIONS.memoryCost,
      timeCost: PASSWORD_HASH_OPTIONS.timeCost,
      parallelism: PASSWORD_HASH_OPTIONS.parallelism,
    });
    // Well-formed: argon2 itself accepts it (a malformed one would throw before doing any work).
    await expect(verify(DUMMY_HASH, "guess")).resolves.toBe(false);
  });

  it("asks for a rehash when the parameters or algorithm differ", () => {
    expect(
      needsRehash("$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
    ).toBe(true);
    expect(
      needsRehash("$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
    ).toBe(true);
    expect(needsRehash("bcrypt$whatever")).toBe(true);
  });
});
