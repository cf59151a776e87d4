// Inputs of the auth router. Password rules follow NIST 800-63B: length and a blocklist, not
// composition. The blocklist (common passwords, dictionary words, keyboard walks) is checked on the
// server only (packages/api/src/auth/password-policy.ts): its dictionary is megabytes.

import { z } from "zod";
import { storableText, timeZoneSchema } from "./primitives.ts";

/**
 * The one spelling of an e-mail address used as an account key: trimmed and lower-cased, so
 * " Ada@Example.com" and "ada@example.com" are one account (and one throttling key).
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Same normalisation as normalizeEmail, which callers outside a schema (the auth service, the CLI) use.
export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

export const passwordSchema = z
  .string()
  .min(8, { message: "Use at least 8 characters" })
  // A bound keeps a megabyte "password" from tying up the hasher.
  .max(128, { message: "Use at most 128 characters" })
  // The one blocklist rule cheap enough for the form itself: "        " or "aaaaaaaa". (Short
  // passwords already have their message.)
  .refine((p) => p.length < 8 || new Set(p).size > 1, { message: "Use more than one character repeated" });

/**
 * A solved proof-of-work challenge from `auth.challenge` (ALTCHA's payload: base64 JSON). Each is
 * good for one attempt. Required on sign-up, and on sign-in after a few failures.
 */
export const proofSchema = z.string().min(1).max(4096);

export const signUpInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: storableText(1, 80).optional(),
  /** The browser's IANA zone; windows (daily quotas) reset at its midnight. Defaults to UTC. */
  timezone: timeZoneSchema.optional(),
  proof: proofSchema.optional(),
});
export type SignUpInput = z.infer<typeof signUpInput>;

// Sign-in checks only presence: length rules changed over time must not lock out old accounts.
export const signInInput = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
  proof: proofSchema.optional(),
});
export type SignInInput = z.infer<typeof signInInput>;
