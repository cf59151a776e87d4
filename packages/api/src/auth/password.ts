// Password hashing: Argon2id with the OWASP Password Storage Cheat Sheet's first configuration
// (19 MiB, 2 passes, 1 lane: 15–50 ms a hash on these machines). The PHC string carries its own parameters, so
// raising them later only needs `needsRehash` and a rehash on the next successful sign-in.

import { hash, parseOptions, verify, type Options } from "@node-rs/argon2";

export const PASSWORD_HASH_OPTIONS = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  // Algorithm.Argon2id. The package's `const enum` cannot be imported under isolatedModules.
  algorithm: 2,
} as const satisfies Options;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

/** False for a wrong password and for a malformed stored hash alike: a bad row must not become a 500. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A fixed, valid hash with the same parameters, so that an unknown e-mail costs the same argon2
// work as a wrong password. Its password is random and unrecorded; matching it means nothing.
export const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$YtXm+QnPSObUXLM7L1WgMg$0wObl/g8Sx1wqlXxN87Jv7BHUjT2uh4HFt1c8WECh2E";

/**
 * Spends one verification's time and always fails. Called where there is no account (or no
 * password on it), so response times do not tell an attacker which e-mails are registered.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, password);
  return false;
}

/** True when a stored hash was made with other parameters than today's (rehash after sign-in). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const o = parseOptions(passwordHash);
    return (
      Number(o.algorithm) !== PASSWORD_HASH_OPTIONS.algorithm ||
      o.memoryCost !== PASSWORD_HASH_OPTIONS.memoryCost ||
      o.timeCost !== PASSWORD_HASH_OPTIONS.timeCost ||
      o.parallelism !== PASSWORD_HASH_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}
