import { parseOptions } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { PASSWORD_HASH_OPTIONS, hashPassword, needsRehash, verifyPassword } from "../../src/auth/index.ts";
import { verifyDummyPassword } from "../../src/auth/password.ts";

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
    const h = await hashPassword("some password");
    const fastest = async (run: () => Promise<unknown>) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await run();
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    expect(await verifyDummyPassword("some password")).toBe(false);
    const real = await fastest(() => verifyPassword(h, "guess"));
    const dummy = await fastest(() => verifyDummyPassword("guess"));
    expect(dummy).toBeGreaterThan(real * 0.6);
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
