import { createHash, randomBytes } from "node:crypto";
import { API_KEY_PREFIX } from "@wavelength/shared";

/** Characters of the secret (after "wl_") shown to tell keys apart: 48 bits, not enough to guess the rest. */
const VISIBLE_CHARS = 8;

/**
 * A new secret: "wl_" and 32 random bytes in base64url (256 bits). Nothing about it is derived
 * from the user or the time, so one leaked key says nothing about another.
 */
export function newSecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * What is stored and looked up: SHA-256 of the whole secret. A slow password hash buys nothing for
 * 256 random bits (no dictionary to try), and a fast one keeps authentication to one indexed read.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function visiblePrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + VISIBLE_CHARS);
}

/** Shape only (our prefix and 43 base64url characters): junk is refused without a database read. */
export function looksLikeSecret(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(API_KEY_PREFIX.length));
}
